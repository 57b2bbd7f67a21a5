// SQL servers and disk encryption sets over the wire: the REST provider
// (AzureProvider, the code path used against Azure) against the sandbox
// server reads and binds seeded consumers, and what it reads back equals
// what the sandbox itself holds (SandboxCloud, in process).
#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "azure/azure_provider.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "sandbox/sandbox_cloud.h"
#include "server_test_util.h"

namespace cmk {
namespace {

class ConsumersWireTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    {
      // Seeded like `cmkctl sandbox seed` does: cmkctl never creates consumers.
      auto cloud = SandboxCloud::Open(dir_);
      ASSERT_TRUE(cloud.ok()) << cloud.status().ToString();
      for (ConsumerKind kind : {ConsumerKind::kSqlServer, ConsumerKind::kDiskEncryptionSet}) {
        ConsumerState c;
        c.kind = kind;
        c.name = kind == ConsumerKind::kSqlServer ? "sql1" : "des1";
        c.subscription = kSub;
        c.resource_group = kRg;
        c.location = "westeurope";
        SeedOptions seed;
        seed.system_identity = true;
        Status st = (*cloud)->SeedConsumer(c, seed);
        ASSERT_TRUE(st.ok()) << st.ToString();
      }
    }
    Start();
    CreateVault("kv1");
    v1_ = Version(CreateKey("kv1", "cmk", Json{{"kty", "RSA"}, {"key_size", 2048}}));
    v2_ = Version(CreateKey("kv1", "cmk", Json{{"kty", "RSA"}, {"key_size", 2048}}));
    ASSERT_FALSE(v1_.empty());
    ASSERT_NE(v1_, v2_);

    const ServeEndpoints& ep = server_->endpoints();
    env_ = {{"AZURE_TENANT_ID", ep.tenant_id}, {"AZURE_CLIENT_ID", "cmkctl-test"},
            {"AZURE_CLIENT_SECRET", ClientSecret()}};
    AzureProviderOptions o;
    o.endpoints.arm = ep.arm_url;
    o.endpoints.vault_dns_suffix = ep.vault_dns_suffix;
    o.endpoints.authority_host = ep.authority_host;
    o.ca_bundle = ep.ca_path;
    o.tenant_id = ep.tenant_id;
    o.lro.default_interval = Millis(1);
    AzureTestHooks hooks;
    hooks.sleeper = [](Millis) {};
    auto p = AzureProvider::Create(o, nullptr, [this](const std::string& n) -> std::optional<std::string> {
      auto it = env_.find(n);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    }, hooks);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    azure_ = std::move(*p);
  }
  void TearDown() override {
    azure_.reset();
    ServerTest::TearDown();
  }

  static std::string Version(const Json& bundle) {
    std::string kid = Member(bundle, {"key", "kid"}).is_string() ? Member(bundle, {"key", "kid"}).get<std::string>() : "";
    return TrailingSegment(kid);
  }
  std::string VaultUri() const { return "https://kv1." + server_->endpoints().vault_dns_suffix; }
  std::string Kid(const std::string& version) const { return VaultUri() + "/keys/cmk/" + version; }

  // What the sandbox holds, read in process (a second handle on the same directory).
  ConsumerState InProcess(ConsumerKind kind, const std::string& name) {
    SandboxOptions so;
    so.dns_suffix = server_->endpoints().vault_dns_suffix;
    auto cloud = SandboxCloud::Open(dir_, so);
    EXPECT_TRUE(cloud.ok()) << cloud.status().ToString();
    if (!cloud.ok()) return {};
    auto got = (*cloud)->GetConsumer(kind, kSub, kRg, name);
    EXPECT_TRUE(got.ok() && got->has_value());
    return got.ok() && got->has_value() ? **got : ConsumerState{};
  }

  ConsumerState OverTheWire(ConsumerKind kind, const std::string& name) {
    auto got = azure_->GetConsumer(ConsumerRef{kind, kSub, kRg, name});
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(got.ok() && got->has_value());
    return got.ok() && got->has_value() ? **got : ConsumerState{};
  }

  void ExpectSame(const ConsumerState& wire, const ConsumerState& local) {
    EXPECT_EQ(wire.kind, local.kind);
    EXPECT_EQ(wire.name, local.name);
    EXPECT_EQ(wire.location, local.location);
    EXPECT_EQ(wire.system_principal_id, local.system_principal_id);
    EXPECT_EQ(wire.user_assigned_identities, local.user_assigned_identities);
    // Platform keys are spelled by each service (SQL: ServiceManaged; a DES
    // without activeKey: none), the sandbox's own model says Microsoft.Storage.
    auto customer = [](const ConsumerState& c) { return EqualsIgnoreCase(c.encryption.key_source, "Microsoft.Keyvault"); };
    EXPECT_EQ(customer(wire), customer(local)) << wire.encryption.key_source << " vs " << local.encryption.key_source;
    EXPECT_TRUE(SameUri(wire.encryption.key_vault_uri, local.encryption.key_vault_uri))
        << wire.encryption.key_vault_uri << " vs " << local.encryption.key_vault_uri;
    EXPECT_EQ(wire.encryption.key_name, local.encryption.key_name);
    EXPECT_EQ(wire.encryption.key_version, local.encryption.key_version);
    EXPECT_TRUE(SameUri(wire.encryption.current_versioned_key_id, local.encryption.current_versioned_key_id))
        << wire.encryption.current_versioned_key_id << " vs " << local.encryption.current_versioned_key_id;
    EXPECT_EQ(wire.encryption.user_assigned_identity, local.encryption.user_assigned_identity);
    ASSERT_EQ(wire.retained_key_ids.size(), local.retained_key_ids.size());
    for (size_t i = 0; i < wire.retained_key_ids.size(); ++i)
      EXPECT_TRUE(SameUri(wire.retained_key_ids[i], local.retained_key_ids[i]))
          << wire.retained_key_ids[i] << " vs " << local.retained_key_ids[i];
  }

  void GrantTo(const std::string& principal) {
    RoleAssignmentState ra;
    ra.scope = VaultArmId(kSub, kRg, "kv1");
    ra.id = DeterministicGuid(ra.scope + principal);
    ra.role_definition_id = "e147488a-f6f5-4113-8e2d-b22465e65bf6";  // Key Vault Crypto Service Encryption User
    ra.principal_id = principal;
    ra.principal_type = "ServicePrincipal";
    auto r = azure_->PutRoleAssignment(PutRoleAssignment{ra});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  Result<ConsumerState> Bind(ConsumerKind kind, const std::string& name, const std::string& version) {
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = VaultUri();
    e.key_name = "cmk";
    e.key_version = version;
    return azure_->UpdateConsumerEncryption(UpdateConsumerEncryption{ConsumerRef{kind, kSub, kRg, name}, e});
  }

  std::map<std::string, std::string> env_;
  std::unique_ptr<AzureProvider> azure_;
  std::string v1_, v2_;
};

TEST_F(ConsumersWireTest, SqlServerBindsOverTheWireAsInProcess) {
  ConsumerState before = OverTheWire(ConsumerKind::kSqlServer, "sql1");
  ExpectSame(before, InProcess(ConsumerKind::kSqlServer, "sql1"));
  EXPECT_FALSE(before.system_principal_id.empty());
  EXPECT_FALSE(EqualsIgnoreCase(before.encryption.key_source, "Microsoft.Keyvault"));
  auto listed = azure_->ListConsumers(ConsumerList{ConsumerKind::kSqlServer, kSub});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "sql1");
  GrantTo(before.system_principal_id);

  // Follow the newest version: server key {vault}_{key}_{newest}, protector with auto rotation.
  auto bound = Bind(ConsumerKind::kSqlServer, "sql1", "");
  ASSERT_TRUE(bound.ok()) << bound.status().ToString();
  EXPECT_EQ(bound->encryption.key_version, "");
  EXPECT_TRUE(SameUri(bound->encryption.current_versioned_key_id, Kid(v2_)));
  ExpectSame(OverTheWire(ConsumerKind::kSqlServer, "sql1"), InProcess(ConsumerKind::kSqlServer, "sql1"));

  // Pin the older version: the newer one stays registered (restores need it).
  auto pinned = Bind(ConsumerKind::kSqlServer, "sql1", v1_);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->encryption.key_version, v1_);
  EXPECT_TRUE(SameUri(pinned->encryption.current_versioned_key_id, Kid(v1_)));
  ASSERT_EQ(pinned->retained_key_ids.size(), 1u);
  EXPECT_TRUE(SameUri(pinned->retained_key_ids[0], Kid(v2_)));
  ExpectSame(OverTheWire(ConsumerKind::kSqlServer, "sql1"), InProcess(ConsumerKind::kSqlServer, "sql1"));

  // The server's keys as Azure lists them: ServiceManaged and both versions.
  Reply keys = Arm("GET", std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                              "/providers/Microsoft.Sql/servers/sql1/keys?api-version=2023-08-01");
  ASSERT_EQ(keys.status, 200) << keys.body;
  EXPECT_EQ(keys.json["value"].size(), 3u) << keys.body;
}

// A server key PUT and a primary identity set by PATCH wait for the
// protector PUT; a restart of the server in between loses neither.
TEST_F(ConsumersWireTest, SqlServerKeyAndPrimaryIdentitySurviveAServerRestart) {
  const std::string server = std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                             "/providers/Microsoft.Sql/servers/sql1";
  const std::string q = "?api-version=2023-08-01";
  Json ident = CreateIdentity("sql-uami");
  const std::string ident_id = Member(ident, {"id"}).get<std::string>();
  GrantTo(Member(ident, {"properties", "principalId"}).get<std::string>());
  Reply patch = Arm("PATCH", server + q,
                    Json{{"identity", {{"type", "UserAssigned"}, {"userAssignedIdentities", {{ident_id, Json::object()}}}}},
                         {"properties", {{"primaryUserAssignedIdentityId", ident_id}}}});
  ASSERT_EQ(patch.status, 200) << patch.body;
  const std::string key_name = "kv1_cmk_" + v1_;
  Reply put = Arm("PUT", server + "/keys/" + key_name + q,
                  Json{{"properties", {{"serverKeyType", "AzureKeyVault"}, {"uri", Kid(v1_)}}}});
  ASSERT_EQ(put.status, 201) << put.body;  // created

  // Same port: the server key's uri names the vault by host and port.
  const int port = server_->port();
  server_->Stop();
  arm_token_.clear();
  kv_token_.clear();
  options_.port = port;
  Start();

  Reply listed = Arm("GET", server + "/keys" + q);
  ASSERT_EQ(listed.status, 200) << listed.body;
  std::vector<std::string> names;
  for (const auto& k : listed.json["value"]) names.push_back(k["name"].get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{key_name, "ServiceManaged"})) << listed.body;
  Reply got = Arm("GET", server + q);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Member(got.json, {"properties", "primaryUserAssignedIdentityId"}), ident_id) << got.body;

  Reply protector = Arm("PUT", server + "/encryptionProtector/current" + q,
                        Json{{"properties", {{"serverKeyType", "AzureKeyVault"}, {"serverKeyName", key_name},
                                             {"autoRotationEnabled", false}}}});
  ASSERT_EQ(protector.status, 200) << protector.body;
  ConsumerState local = InProcess(ConsumerKind::kSqlServer, "sql1");
  EXPECT_TRUE(SameUri(local.encryption.current_versioned_key_id, Kid(v1_)));
  EXPECT_EQ(local.encryption.user_assigned_identity, ident_id);
  ExpectSame(OverTheWire(ConsumerKind::kSqlServer, "sql1"), local);
}

TEST_F(ConsumersWireTest, DiskEncryptionSetBindsOverTheWireAsInProcess) {
  ConsumerState before = OverTheWire(ConsumerKind::kDiskEncryptionSet, "des1");
  ExpectSame(before, InProcess(ConsumerKind::kDiskEncryptionSet, "des1"));
  EXPECT_FALSE(before.system_principal_id.empty());
  GrantTo(before.system_principal_id);

  auto pinned = Bind(ConsumerKind::kDiskEncryptionSet, "des1", v1_);
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  EXPECT_EQ(pinned->encryption.key_version, v1_);
  EXPECT_TRUE(SameUri(pinned->encryption.current_versioned_key_id, Kid(v1_)));
  ExpectSame(OverTheWire(ConsumerKind::kDiskEncryptionSet, "des1"), InProcess(ConsumerKind::kDiskEncryptionSet, "des1"));

  // Follow the newest: activeKey is the newest version, the old one is
  // re-wrapped from (previousKeys) meanwhile.
  auto automatic = Bind(ConsumerKind::kDiskEncryptionSet, "des1", "");
  ASSERT_TRUE(automatic.ok()) << automatic.status().ToString();
  EXPECT_EQ(automatic->encryption.key_version, "");
  EXPECT_TRUE(SameUri(automatic->encryption.current_versioned_key_id, Kid(v2_)));
  ConsumerState wire = OverTheWire(ConsumerKind::kDiskEncryptionSet, "des1");
  ConsumerState local = InProcess(ConsumerKind::kDiskEncryptionSet, "des1");
  ExpectSame(wire, local);
  EXPECT_EQ(wire.encryption.last_key_rotation_timestamp, local.encryption.last_key_rotation_timestamp);
  auto listed = azure_->ListConsumers(ConsumerList{ConsumerKind::kDiskEncryptionSet, kSub});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  ExpectSame((*listed)[0], local);

  // A version-less keyUrl is refused, as Azure does.
  Reply bad = Arm("PATCH", std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                               "/providers/Microsoft.Compute/diskEncryptionSets/des1?api-version=2025-01-02",
                  Json{{"properties", {{"activeKey", {{"keyUrl", VaultUri() + "/keys/cmk"}}}}}});
  EXPECT_EQ(bad.status, 400) << bad.body;
}

}  // namespace
}  // namespace cmk
