// SQL servers and disk encryption sets in the sandbox, on the machinery
// storage accounts use: seeding, the checks a binding must pass, adoption on
// the simulated clock (1 h for both), a disk encryption set's previousKeys
// while it re-wraps, a SQL server's retained server keys for its backup
// retention, inaccessibility and recovery with the kind in the incident, and
// a snapshot round trip with every kind. RSA keys (SQL and DES refuse EC).
#include <algorithm>
#include <fstream>

#include "base/duration.h"
#include "sandbox/sandbox_provider.h"
#include "sandbox_test_util.h"
#include "model/arm_id.h"
#include "model/codec.h"
#include "base/strings.h"
#include "sandbox/sandbox_store.h"

namespace cmk {
namespace {

constexpr int64_t kStart = 1830297600;  // 2028-01-01T00:00:00Z
constexpr const char* kSql = "bank-sql";
constexpr const char* kDes = "Bank_DES-01";
constexpr const char* kStorageName = "bankdata01";

class ConsumerKindsTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    CMK_ASSERT_OK(cloud_->SetClock(kStart));
    CMK_ASSERT_OK(cloud_->PutVault(Vault("bank-kv")));
    CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "cmk", "RSA", 2048)));
  }

  static ConsumerState Consumer(ConsumerKind kind, const std::string& name) {
    ConsumerState c = Account(name);
    c.kind = kind;
    return c;
  }

  // Seeds with a system identity and grants it key use on bank-kv/`key`.
  std::string SeedGranted(ConsumerKind kind, const std::string& name,
                          const std::string& key = "cmk") {
    SeedOptions options;
    options.system_identity = true;
    EXPECT_TRUE(cloud_->SeedConsumer(Consumer(kind, name), options).ok());
    auto c = cloud_->GetConsumer(kind, kSub, kRg, name);
    EXPECT_TRUE(c.ok() && c->has_value());
    std::string principal = (c.ok() && *c) ? (*c)->system_principal_id : "";
    Grant(principal, "bank-kv", key, name);
    return principal;
  }

  void Grant(const std::string& principal, const std::string& vault, const std::string& key,
             const std::string& why) {
    RoleAssignmentState r;
    r.id = DeterministicGuid("role|" + why + "|" + vault + "|" + key);
    r.scope = KeyArmId(kSub, kRg, vault, key);
    r.role_definition_id = kRoleCryptoServiceEncryptionUser;
    r.principal_id = principal;
    EXPECT_TRUE(cloud_->PutRoleAssignment(r).ok());
  }

  static EncryptionState Cmk(const std::string& vault, const std::string& key,
                             const std::string& version = "", const std::string& uami = "") {
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = "https://" + vault + ".vault.azure.net";
    e.key_name = key;
    e.key_version = version;
    e.user_assigned_identity = uami;
    return e;
  }

  Result<ConsumerState> Bind(ConsumerKind kind, const std::string& name, const EncryptionState& e) {
    return cloud_->UpdateConsumerEncryption(kind, kSub, kRg, name, e);
  }

  ConsumerState Get(ConsumerKind kind, const std::string& name) {
    auto c = cloud_->GetConsumer(kind, kSub, kRg, name);
    EXPECT_TRUE(c.ok() && c->has_value());
    return c.ok() && *c ? **c : ConsumerState{};
  }

  static std::string VersionOf(const std::string& kid) { return kid.substr(kid.rfind('/') + 1); }
  std::string InUse(ConsumerKind kind, const std::string& name) {
    return VersionOf(Get(kind, name).encryption.current_versioned_key_id);
  }
  std::vector<std::string> Retained(ConsumerKind kind, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& kid : Get(kind, name).retained_key_ids) out.push_back(VersionOf(kid));
    return out;
  }

  std::optional<std::string> Cause(ConsumerKind kind, const std::string& name) {
    auto c = cloud_->ConsumerInaccessibleCause(kind, kSub, kRg, name);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : std::nullopt;
  }

  std::vector<SandboxEvent> Events(const std::string& kind, const std::string& object) {
    EventFilter filter;
    filter.kinds = {kind};
    auto events = cloud_->ListEvents(filter);
    EXPECT_TRUE(events.ok());
    std::vector<SandboxEvent> out;
    for (const auto& e : *events)
      if (e.object == object) out.push_back(e);
    return out;
  }

  std::string Rotate() {
    auto k = cloud_->RotateKey("bank-kv", "cmk");
    EXPECT_TRUE(k.ok()) << k.status().ToString();
    return k.ok() ? k->versions.back().version : "";
  }

  void SetEnabled(const std::string& version, bool enabled) {
    KeyVersionState v;
    v.version = version;
    v.enabled = enabled;
    CMK_ASSERT_OK(cloud_->UpdateKeyVersion("bank-kv", "cmk", v));
  }

  std::string FirstVersion() { return (*cloud_->GetKey("bank-kv", "cmk"))->versions.front().version; }
};

TEST_F(ConsumerKindsTest, SeedsEveryKindInOneTableKeyedByKind) {
  SeedOptions options;
  options.system_identity = true;
  CMK_ASSERT_OK(cloud_->SeedConsumer(Consumer(ConsumerKind::kStorage, kStorageName), options));
  CMK_ASSERT_OK(cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, kSql), options));
  CMK_ASSERT_OK(cloud_->SeedConsumer(Consumer(ConsumerKind::kDiskEncryptionSet, kDes), options));
  // The same name as the storage account, another kind: another consumer.
  CMK_ASSERT_OK(cloud_->SeedConsumer(Consumer(ConsumerKind::kDiskEncryptionSet, kStorageName), {}));

  ConsumerState sql = Get(ConsumerKind::kSqlServer, kSql);
  EXPECT_EQ(sql.kind, ConsumerKind::kSqlServer);
  EXPECT_EQ(sql.id, "/subscriptions/" + std::string(kSub) + "/resourceGroups/" + kRg +
                        "/providers/Microsoft.Sql/servers/bank-sql");
  EXPECT_FALSE(sql.system_principal_id.empty());
  ConsumerState des = Get(ConsumerKind::kDiskEncryptionSet, kDes);
  EXPECT_EQ(des.kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_NE(des.id.find("/providers/Microsoft.Compute/diskEncryptionSets/Bank_DES-01"),
            std::string::npos);

  auto storage = cloud_->ListConsumers(ConsumerKind::kStorage, kSub);
  auto sets = cloud_->ListConsumers(ConsumerKind::kDiskEncryptionSet, kSub);
  auto servers = cloud_->ListConsumers(ConsumerKind::kSqlServer, "");
  ASSERT_TRUE(storage.ok() && sets.ok() && servers.ok());
  ASSERT_EQ(storage->size(), 1u);
  EXPECT_EQ((*storage)[0].kind, ConsumerKind::kStorage);
  ASSERT_EQ(sets->size(), 2u);
  EXPECT_TRUE(std::all_of(sets->begin(), sets->end(), [](const ConsumerState& c) {
    return c.kind == ConsumerKind::kDiskEncryptionSet;
  }));
  ASSERT_EQ(servers->size(), 1u);
  // The storage wrappers see storage accounts only.
  auto old_api = cloud_->ListStorageAccounts(kSub);
  ASSERT_TRUE(old_api.ok());
  EXPECT_EQ(old_api->size(), 1u);

  // Each kind's adoption delay by default, and SQL's backup retention.
  auto sql_seed = Events("sql.seed", "sql/bank-sql");
  ASSERT_EQ(sql_seed.size(), 1u);
  EXPECT_NE(sql_seed[0].message.find("adoption delay 1h, backup retention 7d"), std::string::npos)
      << sql_seed[0].message;
  auto des_seed = Events("des.seed", "des/Bank_DES-01");
  ASSERT_EQ(des_seed.size(), 1u);
  EXPECT_NE(des_seed[0].message.find("adoption delay 1h)"), std::string::npos);
  auto storage_seed = Events("storage.seed", "storage/bankdata01");
  ASSERT_EQ(storage_seed.size(), 1u);
  EXPECT_NE(storage_seed[0].message.find("adoption delay 24h)"), std::string::npos);

  // Azure's name rules, per kind.
  Status bad_sql = cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, "Bank_SQL"), {});
  EXPECT_EQ(AzureCode(bad_sql), "InvalidServerName");
  EXPECT_FALSE(cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, "bank-"), {}).ok());
  EXPECT_FALSE(cloud_->SeedConsumer(Consumer(ConsumerKind::kDiskEncryptionSet, "bank.des"), {}).ok());
  EXPECT_TRUE(
      cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, std::string(63, 'a')), {}).ok());
  EXPECT_FALSE(
      cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, std::string(64, 'a')), {}).ok());
  SeedOptions retention;
  retention.backup_retention_seconds = 86400;
  EXPECT_EQ(cloud_->SeedConsumer(Consumer(ConsumerKind::kDiskEncryptionSet, "other"), retention).code(),
            StatusCode::kInvalidArgument);

  // An unknown consumer of a known name and another kind is not found.
  auto none = cloud_->GetConsumer(ConsumerKind::kSqlServer, kSub, kRg, kStorageName);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  EXPECT_EQ(cloud_->ConsumerInaccessibleCause(ConsumerKind::kSqlServer, kSub, kRg, "nope").status().code(),
            StatusCode::kNotFound);
}

TEST_F(ConsumerKindsTest, BindingChecksWhatEachServiceChecks) {
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "big", "RSA", 4096)));
  SeedGranted(ConsumerKind::kSqlServer, kSql, "big");
  std::string des_principal = SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes, "big");

  // SQL accepts RSA 2048 and 3072 only; a disk encryption set takes 4096.
  auto sql_big = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "big"));
  ASSERT_FALSE(sql_big.ok());
  EXPECT_EQ(AzureCode(sql_big.status()), "AzureKeyVaultRsaKeyNotSupported");
  EXPECT_NE(sql_big.status().message().find("2048, 3072 bits"), std::string::npos);
  auto des_big = Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "big"));
  EXPECT_TRUE(des_big.ok()) << des_big.status().ToString();
  // An EC key is refused by both.
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", "ec", "EC", 0)));
  EXPECT_FALSE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "ec")).ok());

  // A vault without purge protection is refused by both.
  CMK_ASSERT_OK(cloud_->PutVault(Vault("loose-kv", /*purge_protection=*/false)));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("loose-kv", "cmk", "RSA", 2048)));
  Grant(Get(ConsumerKind::kSqlServer, kSql).system_principal_id, "loose-kv", "cmk", "sql");
  Grant(des_principal, "loose-kv", "cmk", "des");
  for (auto [kind, name] : {std::pair{ConsumerKind::kSqlServer, kSql},
                            std::pair{ConsumerKind::kDiskEncryptionSet, kDes}}) {
    auto loose = Bind(kind, name, Cmk("loose-kv", "cmk"));
    ASSERT_FALSE(loose.ok()) << name;
    EXPECT_EQ(AzureCode(loose.status()), "KeyVaultPurgeProtectionRequired");
  }

  // An identity without a grant on bank-kv/cmk: SQL's codes name which identity.
  auto sql_denied = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk"));
  ASSERT_FALSE(sql_denied.ok());
  EXPECT_EQ(sql_denied.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(AzureCode(sql_denied.status()), "AzureKeyVaultMissingPermissions");
  auto uami = cloud_->PutIdentity(Identity("uami-sql"));
  ASSERT_TRUE(uami.ok());
  auto umi_denied = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk", "", uami->id));
  ASSERT_FALSE(umi_denied.ok());
  EXPECT_EQ(AzureCode(umi_denied.status()), "UmiMissingAkvPermissions");
  auto des_denied = Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk"));
  ASSERT_FALSE(des_denied.ok());
  EXPECT_EQ(des_denied.status().code(), StatusCode::kPermissionDenied);
  // Granted, the user-assigned identity binds and is attached to the server.
  Grant(uami->principal_id, "bank-kv", "cmk", "uami");
  auto via_uami = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk", "", uami->id));
  ASSERT_TRUE(via_uami.ok()) << via_uami.status().ToString();
  EXPECT_EQ(via_uami->user_assigned_identities, std::vector<std::string>{uami->id});

  // A disabled version is refused with SQL's code.
  std::string v1 = FirstVersion();
  Rotate();
  SetEnabled(v1, false);
  auto disabled = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk", v1, uami->id));
  ASSERT_FALSE(disabled.ok());
  EXPECT_EQ(AzureCode(disabled.status()), "AzureKeyVaultKeyDisabled");

  // SQL: vault name + key name at most 94 characters (bank-kv: 7, so 88 is too long).
  const std::string long_name(88, 'k');
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", long_name, "RSA", 2048)));
  Grant(uami->principal_id, "bank-kv", long_name, "uami-long");
  auto too_long = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", long_name, "", uami->id));
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().message().find("exceeds 94 characters"), std::string::npos)
      << too_long.status().ToString();
  const std::string fits(87, 'k');
  CMK_ASSERT_OK(cloud_->CreateKey(Key("bank-kv", fits, "RSA", 2048)));
  Grant(uami->principal_id, "bank-kv", fits, "uami-fits");
  auto at_limit = Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", fits, "", uami->id));
  EXPECT_TRUE(at_limit.ok()) << at_limit.status().ToString();

  // A disk encryption set has no platform-key mode; its vault must share its region.
  EncryptionState platform;
  EXPECT_FALSE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, platform).ok());
  VaultState far = Vault("far-kv");
  far.location = "eastus";
  CMK_ASSERT_OK(cloud_->PutVault(far));
  CMK_ASSERT_OK(cloud_->CreateKey(Key("far-kv", "cmk", "RSA", 2048)));
  Grant(des_principal, "far-kv", "cmk", "des");
  auto far_bind = Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("far-kv", "cmk"));
  ASSERT_FALSE(far_bind.ok());
  EXPECT_NE(far_bind.status().message().find("region"), std::string::npos);
  // Refusals leave the binding as it was.
  EXPECT_EQ(InUse(ConsumerKind::kDiskEncryptionSet, kDes),
            (*cloud_->GetKey("bank-kv", "big"))->versions.back().version);
}

TEST_F(ConsumerKindsTest, SqlAndDesAdoptAfterOneHourThenReleaseWhatTheyLeft) {
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes);
  SeedGranted(ConsumerKind::kStorage, kStorageName);
  std::string v1 = FirstVersion();
  for (ConsumerKind kind : AllConsumerKinds()) {
    std::string name = kind == ConsumerKind::kSqlServer ? kSql
                       : kind == ConsumerKind::kDiskEncryptionSet ? kDes : kStorageName;
    auto bound = Bind(kind, name, Cmk("bank-kv", "cmk"));
    ASSERT_TRUE(bound.ok()) << bound.status().ToString();
    // Versioned at once, still following the newest.
    EXPECT_EQ(VersionOf(bound->encryption.current_versioned_key_id), v1);
    EXPECT_EQ(bound->encryption.key_version, "");
  }

  CMK_ASSERT_OK(cloud_->AdvanceClock(600));
  std::string v2 = Rotate();
  const int64_t rotated = cloud_->Now();
  CMK_ASSERT_OK(cloud_->SetClock(rotated + 3599));
  EXPECT_EQ(InUse(ConsumerKind::kSqlServer, kSql), v1);
  EXPECT_EQ(InUse(ConsumerKind::kDiskEncryptionSet, kDes), v1);
  EXPECT_TRUE(Retained(ConsumerKind::kDiskEncryptionSet, kDes).empty());

  CMK_ASSERT_OK(cloud_->SetClock(rotated + 3600));
  EXPECT_EQ(InUse(ConsumerKind::kSqlServer, kSql), v2);
  EXPECT_EQ(InUse(ConsumerKind::kDiskEncryptionSet, kDes), v2);
  EXPECT_EQ(InUse(ConsumerKind::kStorage, kStorageName), v1);  // a day, not an hour
  EXPECT_EQ(Get(ConsumerKind::kSqlServer, kSql).encryption.last_key_rotation_timestamp,
            FormatRfc3339(rotated + 3600));
  auto sql_adopt = Events("sql.adopt", "sql/bank-sql");
  auto des_adopt = Events("des.adopt", "des/Bank_DES-01");
  ASSERT_EQ(sql_adopt.size(), 1u);
  ASSERT_EQ(des_adopt.size(), 1u);
  EXPECT_EQ(sql_adopt[0].time, rotated + 3600);
  EXPECT_EQ(des_adopt[0].time, rotated + 3600);
  // The version each left: previousKeys while the disks are re-wrapped, a
  // registered server key for restores.
  EXPECT_EQ(Retained(ConsumerKind::kDiskEncryptionSet, kDes), std::vector<std::string>{v1});
  EXPECT_EQ(Retained(ConsumerKind::kSqlServer, kSql), std::vector<std::string>{v1});
  EXPECT_TRUE(Retained(ConsumerKind::kStorage, kStorageName).empty());

  CMK_ASSERT_OK(cloud_->SetClock(rotated + 2 * 3600 - 1));
  EXPECT_EQ(Retained(ConsumerKind::kDiskEncryptionSet, kDes), std::vector<std::string>{v1});
  CMK_ASSERT_OK(cloud_->SetClock(rotated + 2 * 3600));
  EXPECT_TRUE(Retained(ConsumerKind::kDiskEncryptionSet, kDes).empty());
  auto rewrapped = Events("des.rewrapped", "des/Bank_DES-01");
  ASSERT_EQ(rewrapped.size(), 1u);
  EXPECT_EQ(rewrapped[0].time, rotated + 2 * 3600);
  EXPECT_EQ(Retained(ConsumerKind::kSqlServer, kSql), std::vector<std::string>{v1});

  // SQL keeps the server key for the backup retention (7 days by default).
  const int64_t released_at = rotated + 3600 + 7 * 86400;
  CMK_ASSERT_OK(cloud_->SetClock(released_at - 1));
  EXPECT_EQ(Retained(ConsumerKind::kSqlServer, kSql), std::vector<std::string>{v1});
  EXPECT_TRUE(Events("sql.key-released", "sql/bank-sql").empty());
  CMK_ASSERT_OK(cloud_->SetClock(released_at));
  EXPECT_TRUE(Retained(ConsumerKind::kSqlServer, kSql).empty());
  auto released = Events("sql.key-released", "sql/bank-sql");
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].time, released_at);
  EXPECT_NE(released[0].message.find(v1), std::string::npos);
}

TEST_F(ConsumerKindsTest, BackupRetentionAndAdoptionDelayAreSeedOptions) {
  SeedOptions options;
  options.system_identity = true;
  options.adoption_delay_hours = 2;
  options.backup_retention_seconds = 86400;
  CMK_ASSERT_OK(cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, kSql), options));
  Grant(Get(ConsumerKind::kSqlServer, kSql).system_principal_id, "bank-kv", "cmk", "sql");
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk")).ok());
  std::string v2 = Rotate();
  const int64_t rotated = cloud_->Now();
  CMK_ASSERT_OK(cloud_->SetClock(rotated + 3600));
  EXPECT_EQ(InUse(ConsumerKind::kSqlServer, kSql), v1);
  CMK_ASSERT_OK(cloud_->SetClock(rotated + 2 * 3600));
  EXPECT_EQ(InUse(ConsumerKind::kSqlServer, kSql), v2);
  CMK_ASSERT_OK(cloud_->SetClock(rotated + 2 * 3600 + 86400));
  EXPECT_TRUE(Retained(ConsumerKind::kSqlServer, kSql).empty());
}

TEST_F(ConsumerKindsTest, PinnedSqlAndDesNeverMove) {
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes);
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk", v1)).ok());
  ASSERT_TRUE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk", v1)).ok());
  std::string v2 = Rotate();
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P30D"));
  EXPECT_EQ(InUse(ConsumerKind::kSqlServer, kSql), v1);
  EXPECT_EQ(InUse(ConsumerKind::kDiskEncryptionSet, kDes), v1);
  EXPECT_TRUE(Events("sql.adopt", "sql/bank-sql").empty());
  EXPECT_TRUE(Events("des.adopt", "des/Bank_DES-01").empty());
  EXPECT_TRUE(Retained(ConsumerKind::kDiskEncryptionSet, kDes).empty());

  // Re-pointing a set by hand: the version it leaves is re-wrapped from for an hour.
  auto moved = Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk", v2));
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->retained_key_ids.size(), 1u);
  EXPECT_EQ(Retained(ConsumerKind::kDiskEncryptionSet, kDes), std::vector<std::string>{v1});
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  EXPECT_TRUE(Retained(ConsumerKind::kDiskEncryptionSet, kDes).empty());
  EXPECT_EQ(InUse(ConsumerKind::kDiskEncryptionSet, kDes), v2);
}

TEST_F(ConsumerKindsTest, EarlyDisableMakesSqlAndDesInaccessibleUntilReEnabled) {
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes);
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk")).ok());
  ASSERT_TRUE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk")).ok());
  Rotate();
  // Ten minutes after the rotation, before either adopted: v1 is still in use.
  CMK_ASSERT_OK(cloud_->AdvanceClock(600));
  const int64_t disabled_at = cloud_->Now();
  SetEnabled(v1, false);
  const std::string cause = "key version " + v1 + " of key 'cmk' in vault 'bank-kv' is disabled";
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), cause);
  EXPECT_EQ(Cause(ConsumerKind::kDiskEncryptionSet, kDes), cause);
  auto sql_down = Events("sql.inaccessible", "sql/bank-sql");
  ASSERT_EQ(sql_down.size(), 1u);
  EXPECT_EQ(sql_down[0].time, disabled_at);
  EXPECT_EQ(Events("des.inaccessible", "des/Bank_DES-01").size(), 1u);

  CMK_ASSERT_OK(cloud_->AdvanceClock(300));
  const int64_t enabled_at = cloud_->Now();
  SetEnabled(v1, true);
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), std::nullopt);
  EXPECT_EQ(Cause(ConsumerKind::kDiskEncryptionSet, kDes), std::nullopt);
  EXPECT_EQ(Events("sql.recovered", "sql/bank-sql").size(), 1u);
  EXPECT_EQ(Events("des.recovered", "des/Bank_DES-01").size(), 1u);

  auto incidents = cloud_->ListIncidents();
  ASSERT_TRUE(incidents.ok());
  ASSERT_EQ(incidents->size(), 2u);
  for (const AccessIncident& i : *incidents) {
    EXPECT_NE(i.kind, ConsumerKind::kStorage);
    EXPECT_EQ(i.cause, cause);
    EXPECT_EQ(i.since, disabled_at);
    EXPECT_EQ(i.until, enabled_at);
  }
  SandboxSimulation simulation(*cloud_);
  auto simulated = simulation.Incidents();
  ASSERT_TRUE(simulated.ok());
  std::vector<std::string> addresses;
  for (const auto& i : *simulated) addresses.push_back(i.consumer);
  std::sort(addresses.begin(), addresses.end());
  EXPECT_EQ(addresses, (std::vector<std::string>{"des/Bank_DES-01", "sql/bank-sql"}));
}

// Azure SQL heals by itself when key access comes back within 30 minutes;
// after longer, the databases stay Inaccessible until the protector is
// revalidated (or replaced). Disk encryption sets recover at once.
TEST_F(ConsumerKindsTest, SqlNeedsRevalidationAfterTheAutoHealWindow) {
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes);
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk", v1)).ok());
  ASSERT_TRUE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk", v1)).ok());

  // Back after 30 minutes exactly: healed.
  SetEnabled(v1, false);
  CMK_ASSERT_OK(cloud_->AdvanceClock(1800));
  SetEnabled(v1, true);
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), std::nullopt);
  EXPECT_EQ(Events("sql.recovered", "sql/bank-sql").size(), 1u);

  // Back after two hours: the SQL server stays inaccessible, the set does not.
  const int64_t lost_at = cloud_->Now();
  SetEnabled(v1, false);
  CMK_ASSERT_OK(cloud_->AdvanceClock(7200));
  // Revalidating while the key is still out of reach fails.
  Status early = cloud_->RevalidateConsumer(ConsumerKind::kSqlServer, kSub, kRg, kSql);
  EXPECT_EQ(early.code(), StatusCode::kFailedPrecondition) << early.ToString();
  SetEnabled(v1, true);
  std::optional<std::string> stuck = Cause(ConsumerKind::kSqlServer, kSql);
  ASSERT_TRUE(stuck.has_value());
  EXPECT_NE(stuck->find("from " + FormatRfc3339(lost_at) + " to " + FormatRfc3339(lost_at + 7200) +
                        ", longer than the 30-minute auto-heal window"),
            std::string::npos) << *stuck;
  EXPECT_EQ(Cause(ConsumerKind::kDiskEncryptionSet, kDes), std::nullopt);
  EXPECT_EQ(Events("sql.recovered", "sql/bank-sql").size(), 1u);  // not a second time
  // The clock moving on does not heal it.
  CMK_ASSERT_OK(cloud_->AdvanceClock(86400));
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), stuck);

  CMK_ASSERT_OK(cloud_->RevalidateConsumer(ConsumerKind::kSqlServer, kSub, kRg, kSql));
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), std::nullopt);
  EXPECT_EQ(Events("sql.revalidated", "sql/bank-sql").size(), 1u);
  EXPECT_EQ(Events("sql.recovered", "sql/bank-sql").size(), 2u);
  // Only SQL servers are revalidated.
  EXPECT_EQ(cloud_->RevalidateConsumer(ConsumerKind::kDiskEncryptionSet, kSub, kRg, kDes).code(),
            StatusCode::kInvalidArgument);

  // A new protector that passes Azure's checks also brings the server back.
  SetEnabled(v1, false);
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  SetEnabled(v1, true);
  ASSERT_TRUE(Cause(ConsumerKind::kSqlServer, kSql).has_value());
  Rotate();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk")).ok());
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), std::nullopt);
}

TEST_F(ConsumerKindsTest, APreviousKeyCountsForADesNotForASqlServer) {
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes);
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk")).ok());
  ASSERT_TRUE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk")).ok());
  std::string v2 = Rotate();
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  ASSERT_EQ(InUse(ConsumerKind::kSqlServer, kSql), v2);
  ASSERT_EQ(Retained(ConsumerKind::kDiskEncryptionSet, kDes), std::vector<std::string>{v1});

  // Disabling v1 while the set still re-wraps from it stops the set's disks;
  // the SQL server only keeps v1 for restores and stays online.
  SetEnabled(v1, false);
  EXPECT_EQ(Cause(ConsumerKind::kDiskEncryptionSet, kDes),
            "key version " + v1 + " of key 'cmk' in vault 'bank-kv' is disabled");
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), std::nullopt);
  // Once the disks are re-wrapped, v1 is no longer needed: the set recovers.
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600));
  EXPECT_TRUE(Retained(ConsumerKind::kDiskEncryptionSet, kDes).empty());
  EXPECT_EQ(Cause(ConsumerKind::kDiskEncryptionSet, kDes), std::nullopt);
  EXPECT_EQ(Events("des.recovered", "des/Bank_DES-01").size(), 1u);
}

// Rows hold their kind; a row without one (every row of a sandbox made
// before the other kinds) is a storage account.
TEST_F(ConsumerKindsTest, RowsHoldTheirKindAndOldRowsAreStorageAccounts) {
  CMK_ASSERT_OK(cloud_->SeedConsumer(Consumer(ConsumerKind::kSqlServer, kSql), {}));
  {
    auto store = SandboxStore::Open(dir_);
    ASSERT_TRUE(store.ok());
    auto txn = (*store)->Begin();
    ASSERT_TRUE(txn.ok());
    const std::string sql_id = "/subscriptions/" + std::string(kSub) + "/resourceGroups/" + kRg +
                               "/providers/Microsoft.Sql/servers/" + kSql;
    auto sql = (*store)->Get(StoreTable::kConsumers, Lower(sql_id));
    ASSERT_TRUE(sql.ok() && sql->has_value());
    EXPECT_EQ((**sql)["kind"], "sql");
    // An old storage row, as the first sandboxes wrote it: no kind.
    Json old{{"name", "legacy01"}, {"subscription", kSub}, {"resourceGroup", kRg},
             {"location", "westeurope"}, {"userAssignedIdentities", Json::array()},
             {"encryption", {{"keySource", "Microsoft.Storage"}}}, {"tags", Json::object()},
             {"id", StorageArmId(kSub, kRg, "legacy01")}};
    CMK_ASSERT_OK((*store)->Put(StoreTable::kConsumers, Lower(StorageArmId(kSub, kRg, "legacy01")), old));
    CMK_ASSERT_OK(txn->Commit());
  }
  Reopen();
  ConsumerState legacy = Get(ConsumerKind::kStorage, "legacy01");
  EXPECT_EQ(legacy.kind, ConsumerKind::kStorage);
  EXPECT_EQ(legacy.name, "legacy01");
  auto servers = cloud_->ListConsumers(ConsumerKind::kSqlServer, kSub);
  ASSERT_TRUE(servers.ok());
  ASSERT_EQ(servers->size(), 1u);
  EXPECT_EQ((*servers)[0].name, kSql);
}

// A SQL server back on service-managed keys keeps the version it left for restores.
TEST_F(ConsumerKindsTest, SqlBackOnServiceManagedKeysRetainsTheVersionItLeft) {
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk")).ok());
  EncryptionState service;
  service.key_source = "ServiceManaged";
  auto back = Bind(ConsumerKind::kSqlServer, kSql, service);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_NE(back->encryption.key_source, "Microsoft.Keyvault");
  EXPECT_EQ(Retained(ConsumerKind::kSqlServer, kSql), std::vector<std::string>{v1});
  // Not needed to stay online: disabling it breaks nothing.
  SetEnabled(v1, false);
  EXPECT_EQ(Cause(ConsumerKind::kSqlServer, kSql), std::nullopt);
  CMK_ASSERT_OK(cloud_->AdvanceClockBy("P7D"));
  EXPECT_TRUE(Retained(ConsumerKind::kSqlServer, kSql).empty());
}

// Every kind survives a snapshot: read through the Provider, restored into
// an empty sandbox, read back the same, and released on the same clock.
TEST_F(ConsumerKindsTest, SnapshotRestoreKeepsEveryKind) {
  SeedGranted(ConsumerKind::kStorage, kStorageName);
  SeedGranted(ConsumerKind::kSqlServer, kSql);
  SeedGranted(ConsumerKind::kDiskEncryptionSet, kDes);
  std::string v1 = FirstVersion();
  ASSERT_TRUE(Bind(ConsumerKind::kStorage, kStorageName, Cmk("bank-kv", "cmk", v1)).ok());
  ASSERT_TRUE(Bind(ConsumerKind::kSqlServer, kSql, Cmk("bank-kv", "cmk")).ok());
  ASSERT_TRUE(Bind(ConsumerKind::kDiskEncryptionSet, kDes, Cmk("bank-kv", "cmk")).ok());
  Rotate();
  CMK_ASSERT_OK(cloud_->AdvanceClock(3600 + 60));  // both adopted; DES still re-wrapping

  SandboxProvider source(std::move(cloud_));
  LiveState live;
  auto vault = source.GetVault(ArmRef{kSub, kRg, "bank-kv"});
  ASSERT_TRUE(vault.ok() && vault->has_value());
  live.vaults["vault/bank-kv"] = **vault;
  auto key = source.GetKey(KeyRef{"bank-kv", "cmk"});
  ASSERT_TRUE(key.ok() && key->has_value());
  live.keys["bank-kv/cmk"] = **key;
  auto ras = source.ListRoleAssignments(VaultArmId(kSub, kRg, "bank-kv"));
  ASSERT_TRUE(ras.ok());
  for (const auto& r : *ras) live.role_assignments[r.id] = r;
  ASSERT_EQ(source.ConsumerKinds().size(), 3u);
  for (ConsumerKind kind : source.ConsumerKinds()) {
    auto list = source.ListConsumers(ConsumerList{kind, kSub});
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    ASSERT_EQ(list->size(), 1u);
    for (const auto& c : *list) live.consumers[ConsumerAddress(kind, c.name)] = c;
  }
  ASSERT_EQ(live.consumers.at("sql/bank-sql").retained_key_ids.size(), 1u);
  ASSERT_EQ(live.consumers.at("des/Bank_DES-01").retained_key_ids.size(), 1u);
  const int64_t now = source.cloud().Now();

  auto restored_cloud = SandboxCloud::Open(root_ + "/restored");
  ASSERT_TRUE(restored_cloud.ok());
  CMK_ASSERT_OK((*restored_cloud)->RestoreSnapshot(live, now));
  SandboxProvider restored(std::move(restored_cloud).value());
  for (const auto& [address, want] : live.consumers) {
    auto got = restored.GetConsumer(want.Ref());
    ASSERT_TRUE(got.ok() && got->has_value()) << address;
    EXPECT_EQ(ToJson(**got), ToJson(want)) << address;
  }
  // The restored retained versions are released on the restored clock.
  CMK_ASSERT_OK(restored.cloud().AdvanceClock(3600));
  auto des = restored.GetConsumer(ConsumerRef{ConsumerKind::kDiskEncryptionSet, kSub, kRg, kDes});
  ASSERT_TRUE(des.ok() && des->has_value());
  EXPECT_TRUE((*des)->retained_key_ids.empty());
  CMK_ASSERT_OK(restored.cloud().AdvanceClockBy("P7D"));
  auto sql = restored.GetConsumer(ConsumerRef{ConsumerKind::kSqlServer, kSub, kRg, kSql});
  ASSERT_TRUE(sql.ok() && sql->has_value());
  EXPECT_TRUE((*sql)->retained_key_ids.empty());
  // Pinned storage did not move; the incidents list is empty (nothing broke).
  auto storage = restored.GetConsumer(ConsumerRef{ConsumerKind::kStorage, kSub, kRg, kStorageName});
  ASSERT_TRUE(storage.ok() && storage->has_value());
  EXPECT_EQ(VersionOf((*storage)->encryption.current_versioned_key_id), v1);
  cloud_ = nullptr;
}

}  // namespace
}  // namespace cmk
