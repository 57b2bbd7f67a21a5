// Every file in azure-wire/examples/ is parsed into our model through
// wire_mapping, and every request body we send for the same operation has the
// example's member names and JSON types.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "azure/consumer_wire.h"
#include "azure/error_mapping.h"
#include "azure/wire_mapping.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "crypto/crypto.h"
#include "fake_transport.h"

namespace cmk {
namespace {


const char* TypeName(const Json& j) { return j.type_name(); }

// Every member of `ours` exists in `theirs` with the same JSON type
// (recursively; arrays compare their first elements), except dotted paths in
// `extra` (members the spec defines but this example does not show).
void ExpectSameShape(const Json& ours, const Json& theirs, const std::set<std::string>& extra = {},
                     const std::string& path = "") {
  if (ours.is_object() && theirs.is_object()) {
    for (auto it = ours.begin(); it != ours.end(); ++it) {
      std::string p = path.empty() ? it.key() : path + "." + it.key();
      if (!theirs.contains(it.key())) {
        EXPECT_TRUE(extra.count(p)) << "member '" << p << "' is not in the example request";
        continue;
      }
      if (it.key() == "tags") {  // a user map: names are data, values strings
        EXPECT_TRUE(theirs["tags"].is_object());
        for (const auto& v : it.value()) EXPECT_TRUE(v.is_string());
        continue;
      }
      ExpectSameShape(it.value(), theirs[it.key()], extra, p);
    }
    return;
  }
  if (ours.is_number() && theirs.is_number()) return;
  ASSERT_STREQ(TypeName(ours), TypeName(theirs)) << "at " << path;
  if (ours.is_array() && !ours.empty() && !theirs.empty())
    ExpectSameShape(ours[0], theirs[0], extra, path + "[]");
}

const Json& Body(const Json& ex, const char* status = "200") { return ex["responses"][status]["body"]; }

void CheckRsaBundle(const Json& body, const std::string& name, const std::string& version,
                    int64_t created) {
  KeyState k = KeyFromBundle(body, "myvault");
  EXPECT_EQ(k.name, name);
  EXPECT_EQ(k.kty, "RSA");
  EXPECT_EQ(k.key_size, 2048);
  ASSERT_EQ(k.versions.size(), 1u);
  EXPECT_EQ(k.versions[0].version, version);
  EXPECT_EQ(k.versions[0].created, created);
  EXPECT_EQ(k.kid, "https://myvault.vault.azure.net/keys/" + name + "/" + version);
  EXPECT_TRUE(k.enabled);
}

using Checker = std::function<void(const Json&)>;

// ---- Azure SQL: the protector, server keys and the bodies cmkctl sends.
constexpr const char* kSqlServerId =
    "/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/sqlcrudtest-7398/providers/"
    "Microsoft.Sql/servers/sqlcrudtest-4645";
constexpr const char* kSomeVersion = "01234567890123456789012345678901";
constexpr const char* kSomeKid = "https://someVault.vault.azure.net/keys/someKey/01234567890123456789012345678901";

// The examples have no server with identities (sql/README.md): a server as
// Servers.json defines it, carrying only what the mapping reads.
Json SqlServerStub() {
  return {{"id", kSqlServerId}, {"name", "sqlcrudtest-4645"}, {"location", "japaneast"},
          {"type", "Microsoft.Sql/servers"}, {"properties", {{"state", "Ready"}}}};
}

void ExpectSomeKeyPinned(const ConsumerState& s) {
  EXPECT_EQ(s.kind, ConsumerKind::kSqlServer);
  EXPECT_EQ(s.name, "sqlcrudtest-4645");
  EXPECT_EQ(s.resource_group, "sqlcrudtest-7398");
  EXPECT_EQ(s.subscription, "00000000-1111-2222-3333-444444444444");
  EXPECT_EQ(s.encryption.key_source, "Microsoft.Keyvault");
  EXPECT_EQ(s.encryption.key_vault_uri, "https://someVault.vault.azure.net");
  EXPECT_EQ(s.encryption.key_name, "someKey");
  EXPECT_EQ(s.encryption.key_version, kSomeVersion);  // autoRotationEnabled false or absent: pinned
  EXPECT_EQ(s.encryption.current_versioned_key_id, kSomeKid);
  EXPECT_EQ(s.encryption.user_assigned_identity, "");
}

void AddSqlCheckers(std::map<std::string, Checker>& c) {
  const AzureEndpoints cloud;  // public cloud: vault.azure.net
  c["sql/EncryptionProtectorGet.json"] = [cloud](const Json& ex) {
    ConsumerState s = SqlServerFromArm(SqlServerStub(), Body(ex), {}, cloud);
    ExpectSomeKeyPinned(s);
    EXPECT_TRUE(s.retained_key_ids.empty());
    Json automatic = Body(ex);
    automatic["properties"]["autoRotationEnabled"] = true;
    ConsumerState a = SqlServerFromArm(SqlServerStub(), automatic, {}, cloud);
    EXPECT_EQ(a.encryption.key_version, "");  // follows the newest version
    EXPECT_EQ(a.encryption.current_versioned_key_id, kSomeKid);
  };
  c["sql/EncryptionProtectorList.json"] = [cloud](const Json& ex) {
    ASSERT_EQ(Body(ex)["value"].size(), 1u);
    ExpectSomeKeyPinned(SqlServerFromArm(SqlServerStub(), Body(ex)["value"][0], {}, cloud));
  };
  c["sql/EncryptionProtectorCreateOrUpdateKeyVault.json"] = [cloud](const Json& ex) {
    // The PUT's answer has no uri: the server key's name says the version.
    ExpectSomeKeyPinned(SqlServerFromArm(SqlServerStub(), Body(ex), {}, cloud));
    EXPECT_EQ(SqlKeyVaultProtectorBody("someVault_someKey_01234567890123456789012345678901", false),
              ex["parameters"]["parameters"]);
    EXPECT_EQ(ex["parameters"]["encryptionProtectorName"], "current");
  };
  auto server_key = [cloud](const Json& ex) {
    // A single server key's answer names the server: the id names the key.
    EXPECT_EQ(Body(ex)["name"], "sqlcrudtest-4645");
    Json protector = LoadExample("sql/EncryptionProtectorGet.json")["responses"]["200"]["body"];
    protector["properties"]["serverKeyName"] = "otherVault_otherKey_99999999999999999999999999999999";
    protector["properties"]["uri"] = "https://otherVault.vault.azure.net/keys/otherKey/99999999999999999999999999999999";
    ConsumerState s = SqlServerFromArm(SqlServerStub(), protector, {Body(ex)}, cloud);
    EXPECT_EQ(s.retained_key_ids, std::vector<std::string>{kSomeKid});
  };
  c["sql/ServerKeyGet.json"] = server_key;
  c["sql/ServerKeyCreateOrUpdate.json"] = [server_key](const Json& ex) {
    server_key(ex);
    EXPECT_EQ(SqlServerKeyPutBody(kSomeKid), ex["parameters"]["parameters"]);
    EXPECT_EQ(FormatSqlServerKeyName("someVault", "someKey", kSomeVersion), ex["parameters"]["keyName"]);
    auto parsed = ParseSqlServerKeyName(ex["parameters"]["keyName"]);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->vault, "someVault");
    EXPECT_EQ(parsed->key, "someKey");
    EXPECT_EQ(parsed->version, kSomeVersion);
  };
  c["sql/ServerKeyList.json"] = [cloud](const Json& ex) {
    std::vector<Json> keys = Body(ex)["value"].get<std::vector<Json>>();
    ASSERT_EQ(keys.size(), 3u);
    Json protector = LoadExample("sql/EncryptionProtectorGet.json")["responses"]["200"]["body"];
    ConsumerState s = SqlServerFromArm(SqlServerStub(), protector, keys, cloud);
    ExpectSomeKeyPinned(s);
    // The other Key Vault key stays needed (backups); the current one and the
    // built-in ServiceManaged key are not retained versions.
    EXPECT_EQ(s.retained_key_ids,
              std::vector<std::string>{"https://myVault.vault.azure.net/keys/myKey/11111111111111111111111111111111"});
    EXPECT_FALSE(ParseSqlServerKeyName("ServiceManaged").has_value());
    // A service-managed protector: no Key Vault binding.
    Json service_managed = {{"properties", {{"serverKeyType", "ServiceManaged"}, {"serverKeyName", "ServiceManaged"}}}};
    ConsumerState m = SqlServerFromArm(SqlServerStub(), service_managed, keys, cloud);
    EXPECT_EQ(m.encryption.key_source, "ServiceManaged");
    EXPECT_TRUE(m.encryption.key_name.empty());
    EXPECT_TRUE(m.retained_key_ids.empty());
  };
}

// ---- Disk Encryption Sets.
constexpr const char* kDesId =
    "/subscriptions/{subscriptionId}/resourceGroups/myResourceGroup/providers/Microsoft.Compute/"
    "diskEncryptionSets/myDiskEncryptionSet";
constexpr const char* kDesUami =
    "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/{identityName}";

// Microsoft's placeholder keyUrl ".../keys/{key}" has no version (compute/README.md).
void ExpectPlaceholderKey(const ConsumerState& s, const std::string& vault_url) {
  EXPECT_EQ(s.kind, ConsumerKind::kDiskEncryptionSet);
  EXPECT_EQ(s.encryption.key_source, "Microsoft.Keyvault");
  EXPECT_EQ(s.encryption.key_vault_uri, vault_url);
  EXPECT_EQ(s.encryption.key_name, "{key}");
  EXPECT_EQ(s.encryption.key_version, "");
  EXPECT_EQ(s.encryption.current_versioned_key_id, "");
  EXPECT_TRUE(s.retained_key_ids.empty());
}

void AddDesCheckers(std::map<std::string, Checker>& c) {
  c["compute/DiskEncryptionSet_Create.json"] = [](const Json& ex) {
    for (const char* status : {"200", "202"}) {
      ConsumerState s = DiskEncryptionSetFromArm(Body(ex, status));
      EXPECT_EQ(s.name, "myDiskEncryptionSet");
      EXPECT_EQ(s.resource_group, "myResourceGroup");
      EXPECT_EQ(s.location, "West US");
      EXPECT_TRUE(s.user_assigned_identities.empty());
      EXPECT_EQ(s.encryption.user_assigned_identity, "");
      ExpectPlaceholderKey(s, "https://myvmvault.vault-int.azure-int.net");
    }
    ConsumerState current;
    Json ours = DesEncryptionPatchBody(current, "https://myvmvault.vault-int.azure-int.net/keys/{key}", false, "");
    ExpectSameShape(ours, ex["parameters"]["diskEncryptionSet"], {"properties.rotationToLatestKeyVersionEnabled"});
    EXPECT_EQ(ours["identity"], ex["parameters"]["diskEncryptionSet"]["identity"]);
  };
  c["compute/DiskEncryptionSet_Create_WithKeyVaultFromADifferentTenant.json"] = [](const Json& ex) {
    for (const char* status : {"200", "202"}) {
      ConsumerState s = DiskEncryptionSetFromArm(Body(ex, status));
      EXPECT_EQ(s.system_principal_id, "");
      EXPECT_EQ(s.user_assigned_identities, std::vector<std::string>{kDesUami});
      EXPECT_EQ(s.encryption.user_assigned_identity, kDesUami);  // type UserAssigned
      ExpectPlaceholderKey(s, "https://myvaultdifferenttenant.vault-int.azure-int.net");
    }
    ConsumerState current;
    Json ours = DesEncryptionPatchBody(current, "https://myvaultdifferenttenant.vault-int.azure-int.net/keys/{key}",
                                       false, kDesUami);
    ExpectSameShape(ours, ex["parameters"]["diskEncryptionSet"], {"properties.rotationToLatestKeyVersionEnabled"});
    EXPECT_EQ(ours["identity"], ex["parameters"]["diskEncryptionSet"]["identity"]);
    EXPECT_EQ(ours["properties"]["activeKey"], ex["parameters"]["diskEncryptionSet"]["properties"]["activeKey"]);
  };
  auto get = [](const Json& body) {
    ConsumerState s = DiskEncryptionSetFromArm(body);
    EXPECT_EQ(s.id, kDesId);
    EXPECT_EQ(s.name, "myDiskEncryptionSet");
    EXPECT_EQ(s.subscription, "{subscriptionId}");
    EXPECT_EQ(s.resource_group, "myResourceGroup");
    EXPECT_EQ(s.location, "westus");
    EXPECT_EQ(s.tags.at("department"), "Development");
    EXPECT_EQ(s.tags.at("project"), "Encryption");
    ExpectPlaceholderKey(s, "https://myvmvault.vault-int.azure-int.net");
    return s;
  };
  c["compute/DiskEncryptionSet_Get.json"] = [get](const Json& ex) { get(Body(ex)); };
  c["compute/DiskEncryptionSet_Get_WithAutoKeyRotationError.json"] = [get](const Json& ex) {
    get(Body(ex));
    EXPECT_TRUE(Body(ex)["properties"]["rotationToLatestKeyVersionEnabled"].get<bool>());
    EXPECT_EQ(Body(ex)["properties"]["autoKeyRotationError"]["code"], "ManagedServiceIdentityNotFound");
  };
  c["compute/DiskEncryptionSet_ListByResourceGroup.json"] = [](const Json& ex) {
    ASSERT_EQ(Body(ex)["value"].size(), 2u);
    EXPECT_EQ(DiskEncryptionSetFromArm(Body(ex)["value"][0]).name, "myDiskEncryptionSet");
    EXPECT_EQ(DiskEncryptionSetFromArm(Body(ex)["value"][1]).name, "myDiskEncryptionSet2");
    EXPECT_EQ(DiskEncryptionSetFromArm(Body(ex)["value"][1]).tags.at("project"), "Encryption");
    EXPECT_TRUE(Body(ex)["nextLink"].is_string());
  };
  c["compute/DiskEncryptionSet_ListAssociatedResources.json"] = [](const Json& ex) {
    // Ids of the disks and snapshots a set encrypts: not read by cmkctl.
    ASSERT_EQ(Body(ex)["value"].size(), 2u);
    EXPECT_EQ(ParseArmId(Body(ex)["value"][0].get<std::string>()).name, "myManagedDisk");
  };
  c["compute/DiskEncryptionSet_Update.json"] = [](const Json& ex) {
    const std::string url = "https://myvmvault.vault-int.azure-int.net/keys/keyName/keyVersion";
    for (const char* status : {"200", "202"}) {
      ConsumerState s = DiskEncryptionSetFromArm(Body(ex, status));
      EXPECT_EQ(s.name, "myDiskEncryptionSet");  // no id in these answers
      EXPECT_EQ(s.encryption.key_name, "keyName");
      EXPECT_EQ(s.encryption.key_version, "keyVersion");  // pinned
      EXPECT_EQ(s.encryption.current_versioned_key_id, url);
      EXPECT_TRUE(s.retained_key_ids.empty());
    }
    EXPECT_EQ(DiskEncryptionSetFromArm(Body(ex)).encryption.last_key_rotation_timestamp,
              "2021-04-01T04:41:35.079872+00:00");
    ConsumerState current = DiskEncryptionSetFromArm(Body(ex));
    Json ours = DesEncryptionPatchBody(current, url, false, "");
    ExpectSameShape(ours, ex["parameters"]["diskEncryptionSet"],
                    {"identity", "properties.rotationToLatestKeyVersionEnabled"});
    EXPECT_EQ(ours["properties"]["activeKey"]["keyUrl"], url);
  };
  auto rotation_request = [](const Json& ex) {
    const Json& theirs = ex["parameters"]["diskEncryptionSet"];
    ConsumerState current = DiskEncryptionSetFromArm(Body(ex, "202"));
    EXPECT_EQ(current.encryption.key_version, "keyVersion1");  // the 202 body: flag not yet shown
    Json ours = DesEncryptionPatchBody(current, theirs["properties"]["activeKey"]["keyUrl"], true, "");
    ExpectSameShape(ours, theirs);
    EXPECT_EQ(ours["identity"], theirs["identity"]);
    EXPECT_EQ(ours["properties"]["activeKey"], theirs["properties"]["activeKey"]);
    EXPECT_EQ(ours["properties"]["rotationToLatestKeyVersionEnabled"], true);
  };
  c["compute/DiskEncryptionSet_Update_WithRotationToLatestKeyVersionEnabled.json"] = [rotation_request](const Json& ex) {
    rotation_request(ex);
    ConsumerState s = DiskEncryptionSetFromArm(Body(ex));
    EXPECT_EQ(s.encryption.key_version, "");  // follows the newest version
    EXPECT_EQ(s.encryption.key_vault_uri, "https://myvaultdifferentsub.vault-int.azure-int.net");
    EXPECT_EQ(s.encryption.current_versioned_key_id,
              "https://myvaultdifferentsub.vault-int.azure-int.net/keys/keyName/KeyVersion2");
    EXPECT_TRUE(s.retained_key_ids.empty());  // previousKeys absent: rotation done
    EXPECT_EQ(s.encryption.last_key_rotation_timestamp, "2021-04-01T04:41:35.079872+00:00");
  };
  c["compute/DiskEncryptionSet_Update_WithRotationToLatestKeyVersionEnabledInProgress.json"] =
      [rotation_request](const Json& ex) {
        rotation_request(ex);
        ConsumerState s = DiskEncryptionSetFromArm(Body(ex));
        EXPECT_EQ(s.encryption.key_version, "");
        EXPECT_EQ(s.encryption.current_versioned_key_id,
                  "https://myvaultdifferentsub.vault-int.azure-int.net/keys/keyName/keyVersion2");
        // Both versions are in use while the disks are re-wrapped.
        EXPECT_EQ(s.retained_key_ids, std::vector<std::string>{
                                          "https://myvaultdifferentsub.vault-int.azure-int.net/keys/keyName/keyVersion1"});
      };
}


std::map<std::string, Checker> Checkers() {
  std::map<std::string, Checker> c;
  // ---- Key Vault keys.
  c["keyvault-keys/CreateKey-example.json"] = [](const Json& ex) {
    CheckRsaBundle(Body(ex), "CreateSoftKeyTest", "78deebed173b48e48f55abf87ed4cf71", 1493942451);
    KeyState k = KeyFromBundle(Body(ex), "myvault");
    EXPECT_EQ(k.tags.at("purpose"), "unit test");
    EXPECT_EQ(k.key_ops.size(), 6u);
    KeyState desired;
    desired.kty = "RSA";
    desired.key_size = 2048;
    desired.key_ops = {"wrapKey", "unwrapKey"};
    desired.tags = {{"managed-by", "cmkctl"}};
    desired.expires = 1767225600;
    ExpectSameShape(KeyCreateBody(desired), ex["parameters"]["parameters"],
                    {"attributes.enabled", "attributes.exp"});
  };
  c["keyvault-keys/DeleteKey-example.json"] = [](const Json& ex) {
    DeletedKeyInfo d = DeletedKeyFromBundle(Body(ex));
    EXPECT_EQ(d.recovery_id, "https://myvault.vault.azure.net/deletedkeys/CreateSoftKeyTest");
    EXPECT_EQ(d.deleted_date, 1493942452);
    EXPECT_EQ(d.scheduled_purge_date, 1501718452);
    CheckRsaBundle(Body(ex), "CreateSoftKeyTest", "78deebed173b48e48f55abf87ed4cf71", 1493942451);
  };
  c["keyvault-keys/GetDeletedKey-example.json"] = c["keyvault-keys/DeleteKey-example.json"];
  c["keyvault-keys/GetKey-example.json"] = [](const Json& ex) {
    CheckRsaBundle(Body(ex), "CreateSoftKeyTest", "78deebed173b48e48f55abf87ed4cf71", 1493942451);
    PublicKey pk = PublicKeyFromJwk(Body(ex)["key"]);
    EXPECT_EQ(pk.e, "AQAB");
    EXPECT_FALSE(pk.n.empty());
  };
  c["keyvault-keys/GetKeyRotationPolicy-example.json"] = [](const Json& ex) {
    auto p = RotationPolicyFromWire(Body(ex));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->rotate_after_create, "P90D");
    EXPECT_FALSE(p->rotate_before_expiry);
    EXPECT_EQ(p->notify_before_expiry, "P30D");
    EXPECT_EQ(p->expiry_time, "P2Y");
    EXPECT_EQ(p->updated, 1482188948);
  };
  c["keyvault-keys/GetKeyVersions-example.json"] = [](const Json& ex) {
    // README F: mangled version id and fractional times; parse leniently.
    const Json& items = Body(ex)["value"];
    ASSERT_EQ(items.size(), 1u);
    KeyVersionState v = KeyVersionFromItem(items[0]);
    EXPECT_FALSE(v.version.empty());
    EXPECT_EQ(v.created, 1493937);
    EXPECT_TRUE(v.enabled);
    EXPECT_EQ(ParseKeyId(items[0]["kid"].get<std::string>())->name, "listkeyversionstest");
    KeyId next = ParseKeyId(Body(ex)["nextLink"].get<std::string>()).value_or(KeyId{});
    EXPECT_EQ(next.vault_url, "https://myvault.vault.azure.net");  // :443 dropped
  };
  c["keyvault-keys/GetKeys-example.json"] = [](const Json& ex) {
    KeyId kid = ParseKeyId(Body(ex)["value"][0]["kid"].get<std::string>()).value_or(KeyId{});
    EXPECT_EQ(kid.name, "sdktestkey");
    EXPECT_EQ(kid.version, "");
    EXPECT_EQ(KeyVersionFromItem(Body(ex)["value"][0]).created, 1493937656);
    EXPECT_TRUE(Body(ex)["nextLink"].is_string());
  };
  c["keyvault-keys/ImportKey-example.json"] = [](const Json& ex) {
    // cmkctl never imports; the response is a KeyBundle like any other.
    KeyState k = KeyFromBundle(Body(ex), "myvault");
    EXPECT_EQ(k.name, "ImportSoftKeyTest");
    EXPECT_EQ(k.key_size, 2048);
    EXPECT_EQ(k.versions[0].version, "2eb4a15d74184c6f84159c3ca90f0f4b");
  };
  c["keyvault-keys/PurgeDeletedKey-example.json"] = [](const Json& ex) {
    EXPECT_TRUE(ex["responses"].contains("204"));
    EXPECT_TRUE(ParseAzureError("").code.empty());
  };
  c["keyvault-keys/RecoverDeletedKey-example.json"] = [](const Json& ex) {
    CheckRsaBundle(Body(ex), "CreateDeleteRecoverPurgeTest", "6fc2be54c6be4a7ea7bbb8a2a99a1996",
                   1493938342);
  };
  c["keyvault-keys/RotateKey-example.json"] = [](const Json& ex) {
    // The example's kid names another key (verbatim copy): the kid wins.
    CheckRsaBundle(Body(ex), "CreateSoftKeyTest", "78deebed173b48e48f55abf87ed4cf71", 1493942451);
  };
  c["keyvault-keys/UpdateKey-example.json"] = [](const Json& ex) {
    KeyState k = KeyFromBundle(Body(ex), "myvault");
    EXPECT_FALSE(k.enabled);
    EXPECT_EQ(k.not_before, 631180800);
    EXPECT_EQ(k.expires, 662716800);
    EXPECT_EQ(k.key_ops, (std::vector<std::string>{"decrypt", "encrypt"}));
    KeyState desired;
    desired.key_ops = {"decrypt", "encrypt"};
    desired.enabled = false;
    desired.not_before = 631180800;
    desired.expires = 662716800;
    ExpectSameShape(KeyUpdateBody(desired), ex["parameters"]["parameters"], {"tags"});
    KeyVersionState v;
    v.enabled = false;
    v.expires = 662716800;
    ExpectSameShape(KeyVersionUpdateBody(v), ex["parameters"]["parameters"]);
  };
  c["keyvault-keys/UpdateKeyRotationPolicy-example.json"] = [](const Json& ex) {
    auto p = RotationPolicyFromWire(Body(ex));
    ASSERT_TRUE(p);
    // What we would send for the same policy is exactly the example request.
    EXPECT_EQ(RotationPolicyToWire(*p), ex["parameters"]["keyRotationPolicy"]);
  };
  auto crypto_check = [](const Json& ex) {
    const Json& req = ex["parameters"]["parameters"];
    Result<Bytes> in = Base64AnyDecode(req["value"].get<std::string>());
    ASSERT_TRUE(in.ok());
    Json ours = KeyOperationBody(req["alg"].get<std::string>(), *in);
    EXPECT_EQ(ours, req);  // same members, and base64url without padding
    // Responses may use either alphabet (README F): both decode.
    EXPECT_TRUE(Base64AnyDecode(Body(ex)["value"].get<std::string>()).ok());
    EXPECT_EQ(ParseKeyId(Body(ex)["kid"].get<std::string>()).value_or(KeyId{}).version, "0698c2156c1a4e1da5b6bab6f6422fd6");
  };
  c["keyvault-keys/wrapKey-example.json"] = crypto_check;
  c["keyvault-keys/unwrapKey-example.json"] = crypto_check;

  // ---- Key Vault ARM.
  auto vault_request = [](const Json& ex) {
    VaultState v = VaultFromArm(Body(ex));
    v.tags = {{"managed-by", "cmkctl"}};
    v.network_acls.ip_rules = {"203.0.113.0/24"};
    v.network_acls.virtual_network_rules = {"/subscriptions/s/resourceGroups/r/providers/"
                                            "Microsoft.Network/virtualNetworks/n/subnets/a"};
    v.purge_protection = true;
    Json ours = VaultPutBody(v, "00000000-0000-0000-0000-000000000000",
                             Body(ex)["properties"]["accessPolicies"]);
    ExpectSameShape(ours, ex["parameters"]["parameters"],
                    {"location", "tags", "properties.enableRbacAuthorization",
                     "properties.enableSoftDelete", "properties.softDeleteRetentionInDays",
                     "properties.enablePurgeProtection", "properties.networkAcls"});
    // networkAcls as the service echoes it.
    ExpectSameShape(ours["properties"]["networkAcls"], Body(ex)["properties"]["networkAcls"]);
  };
  c["keyvault-arm/createVault.json"] = [vault_request](const Json& ex) {
    for (const char* status : {"200", "201"}) {
      VaultState v = VaultFromArm(Body(ex, status));
      EXPECT_EQ(v.name, "sample-vault");
      EXPECT_EQ(v.subscription, "00000000-0000-0000-0000-000000000000");
      EXPECT_EQ(v.resource_group, "sample-resource-group");
      EXPECT_EQ(v.location, "westus");
      EXPECT_EQ(v.sku, "standard");
      EXPECT_EQ(v.vault_uri, "https://sample-vault.vault.azure.net");
      // Access policies are read (the access analysis judges them).
      ASSERT_EQ(v.access_policies.size(), 1u);
      EXPECT_EQ(v.access_policies[0].object_id, "00000000-0000-0000-0000-000000000000");
      EXPECT_EQ(v.access_policies[0].tenant_id, "00000000-0000-0000-0000-000000000000");
      EXPECT_NE(std::find(v.access_policies[0].keys.begin(), v.access_policies[0].keys.end(), "unwrapKey"),
                v.access_policies[0].keys.end());
    }
    EXPECT_EQ(VaultFromArm(Body(ex)).network_acls.default_action, "Deny");
    vault_request(ex);
  };
  c["keyvault-arm/updateVault.json"] = c["keyvault-arm/createVault.json"];
  c["keyvault-arm/getVault.json"] = [](const Json& ex) {
    VaultState v = VaultFromArm(Body(ex));
    EXPECT_EQ(v.name, "sample-vault");
    EXPECT_EQ(v.resource_group, "sample-resource-group");
    EXPECT_FALSE(v.rbac_authorization);
    EXPECT_EQ(v.network_acls.default_action, "Allow");  // absent: default
  };
  c["keyvault-arm/listVaultByResourceGroup.json"] = [](const Json& ex) {
    ASSERT_EQ(Body(ex)["value"].size(), 1u);
    VaultState v = VaultFromArm(Body(ex)["value"][0]);
    EXPECT_EQ(v.sku, "premium");
    EXPECT_EQ(v.resource_group, "sample-group");
    EXPECT_EQ(v.vault_uri, "https://sample-vault.vault.azure.net");  // trailing '/' dropped
    EXPECT_NE(Body(ex)["nextLink"].get<std::string>().find("$skiptoken"), std::string::npos);
  };
  auto deleted = [](const Json& d) {
    DeletedVaultInfo v = DeletedVaultFromArm(d);
    EXPECT_EQ(v.location, "westus");
    EXPECT_EQ(v.deletion_date, "2017-01-01T00:00:59Z");
    EXPECT_EQ(v.scheduled_purge_date, "2017-04-01T00:00:59Z");
    EXPECT_TRUE(v.purge_protection);
    EXPECT_EQ(ParseArmId(v.vault_id).name, "sample-vault");
  };
  c["keyvault-arm/getDeletedVault.json"] = [deleted](const Json& ex) { deleted(Body(ex)); };
  c["keyvault-arm/listDeletedVaults.json"] = [deleted](const Json& ex) {
    deleted(Body(ex)["value"][0]);
  };
  // deleteVault.json / purgeDeletedVault.json are status-code examples; they
  // are driven through the provider in ArmStatusExamples below.
  c["keyvault-arm/deleteVault.json"] = [](const Json& ex) {
    EXPECT_TRUE(ex["responses"].contains("200"));
    EXPECT_TRUE(ex["responses"].contains("204"));
  };
  c["keyvault-arm/purgeDeletedVault.json"] = [](const Json& ex) {
    EXPECT_TRUE(ex["responses"]["202"]["headers"].contains("Location"));
  };

  // ---- Managed identity.
  auto identity = [](const Json& body) {
    IdentityState i = IdentityFromArm(body);
    EXPECT_EQ(i.name, "identityName");
    EXPECT_EQ(i.subscription, "subid");
    EXPECT_EQ(i.resource_group, "rgName");  // from lower-case "resourcegroups"
    EXPECT_EQ(i.principal_id, "25cc773c-7f05-40fc-a104-32d2300754ad");
    EXPECT_EQ(i.client_id, "4024ab25-56a8-4370-aea6-6389221caf29");
    EXPECT_EQ(i.tenant_id, "b6c948ef-f6b5-4384-8354-da3a15eca969");
    EXPECT_EQ(i.tags.at("key1"), "value1");
  };
  c["managed-identity/IdentityCreate.json"] = [identity](const Json& ex) {
    identity(Body(ex, "201"));
    identity(Body(ex, "200"));
    IdentityState desired;
    desired.location = "eastus";
    desired.tags = {{"key1", "value1"}};
    ExpectSameShape(IdentityPutBody(desired), ex["parameters"]["parameters"]);
  };
  c["managed-identity/IdentityGet.json"] = [identity](const Json& ex) { identity(Body(ex)); };

  // ---- Role assignments.
  auto assignment = [](const Json& body, const std::string& id) {
    RoleAssignmentState r = RoleAssignmentFromArm(body);
    EXPECT_EQ(r.id, id);
    EXPECT_EQ(r.role_definition_id, "0b5fe924-9a61-425c-96af-cfe6e287ca2d");
    EXPECT_EQ(r.principal_id, "ce2ce14e-85d7-4629-bdbc-454d0519d987");
    EXPECT_EQ(r.principal_type, "User");
  };
  c["authorization/RoleAssignments_CreateForResource.json"] = [assignment](const Json& ex) {
    assignment(Body(ex, "201"), "05c5a614-a7d6-4502-b150-c2fb455033ff");
    assignment(Body(ex, "200"), "05c5a614-a7d6-4502-b150-c2fb455033ff");
    RoleAssignmentState desired;
    desired.scope = "/" + ex["parameters"]["scope"].get<std::string>();
    desired.role_definition_id = "0b5fe924-9a61-425c-96af-cfe6e287ca2d";
    desired.principal_id = "ce2ce14e-85d7-4629-bdbc-454d0519d987";
    desired.principal_type = "User";
    Json ours = RoleAssignmentPutBody(desired, "a925f2f7-5c63-4b7b-8799-25a5f97bc3b2");
    EXPECT_EQ(ours, ex["parameters"]["parameters"]);
    EXPECT_EQ(RoleAssignmentPath(desired.scope, "05c5a614-a7d6-4502-b150-c2fb455033ff"),
              Body(ex, "201")["id"].get<std::string>());
  };
  c["authorization/RoleAssignments_Get.json"] = [assignment](const Json& ex) {
    assignment(Body(ex), "b0f43c54-e787-4862-89b1-a653fa9cf747");
  };
  c["authorization/RoleAssignments_ListForScope.json"] = [assignment](const Json& ex) {
    ASSERT_EQ(Body(ex)["value"].size(), 1u);
    assignment(Body(ex)["value"][0], "b0f43c54-e787-4862-89b1-a653fa9cf747");
  };

  // ---- Storage.
  const std::string uami = "/subscriptions/{subscription-id}/resourceGroups/res9101/providers/"
                           "Microsoft.ManagedIdentity/userAssignedIdentities/{managed-identity-name}";
  auto storage_uami = [uami](const Json& ex) {
    ConsumerState s = StorageAccountFromArm(Body(ex));
    EXPECT_EQ(s.name, "sto4445");
    EXPECT_EQ(s.resource_group, "res9101");
    EXPECT_EQ(s.system_principal_id, "");
    ASSERT_EQ(s.user_assigned_identities.size(), 1u);
    EXPECT_EQ(s.user_assigned_identities[0], uami);
    EXPECT_EQ(s.encryption.key_source, "Microsoft.Keyvault");
    EXPECT_EQ(s.encryption.key_vault_uri, "https://myvault8569.vault.azure.net");
    EXPECT_EQ(s.encryption.key_name, "wrappingKey");
    EXPECT_EQ(s.encryption.key_version, "");
    EXPECT_EQ(s.encryption.current_versioned_key_id,
              "https://myvault8569.vault.azure.net/keys/wrappingKey/0682afdd9c104f4285df20107e956cad");
    EXPECT_EQ(s.encryption.last_key_rotation_timestamp, "2019-12-13T20:36:23.7023290Z");
    EXPECT_TRUE(EqualsIgnoreCase(s.encryption.user_assigned_identity, uami));
    ConsumerState before;  // no identities yet
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = "https://myvault8569.vault.azure.net";
    e.key_name = "wrappingKey";
    e.user_assigned_identity = uami;
    Json ours = StorageEncryptionPatchBody(before, e);
    ExpectSameShape(ours, ex["parameters"]["parameters"]);
    EXPECT_EQ(ours["identity"], ex["parameters"]["parameters"]["identity"]);
    EXPECT_EQ(ours["properties"]["encryption"], ex["parameters"]["parameters"]["properties"]["encryption"]);
  };
  c["storage/StorageAccountCreateUserAssignedEncryptionIdentityWithCMK.json"] = storage_uami;
  c["storage/StorageAccountUpdateUserAssignedEncryptionIdentityWithCMK.json"] = storage_uami;
  auto storage_system = [](const Json& ex) {
    ConsumerState s = StorageAccountFromArm(Body(ex));
    EXPECT_EQ(s.name, "sto8596");
    EXPECT_EQ(s.system_principal_id, "911871cc-ffd1-4fc4-ac11-7a316433ea66");
    EXPECT_TRUE(s.user_assigned_identities.empty());
    EXPECT_EQ(s.encryption.key_source, "Microsoft.Keyvault");
    EXPECT_EQ(s.encryption.key_name, "wrappingKey");
    EXPECT_EQ(s.encryption.user_assigned_identity, "");
    EXPECT_EQ(s.tags.at("key2"), "value2");
    return s;
  };
  c["storage/StorageAccountEnableCMK.json"] = [storage_system](const Json& ex) {
    ConsumerState s = storage_system(ex);
    EncryptionState e;
    e.key_source = "microsoft.keyvault";  // case-insensitive on input
    e.key_vault_uri = "https://myvault8569.vault.azure.net";
    e.key_name = "wrappingKey";
    Json ours = StorageEncryptionPatchBody(s, e);
    EXPECT_FALSE(ours.contains("identity"));
    EXPECT_EQ(ours, ex["parameters"]["parameters"]);
  };
  c["storage/StorageAccountGetPropertiesCMKVersionExpirationTime.json"] = storage_system;
  AddSqlCheckers(c);
  AddDesCheckers(c);
  return c;
}

TEST(WireExamples, EveryExampleFileIsParsedAndChecked) {
  std::map<std::string, Checker> checkers = Checkers();
  std::set<std::string> files;
  std::string root = ExamplePath("");
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".json") continue;
    std::string f = std::filesystem::relative(e.path(), root).string();
    files.insert(f);
  }
  ASSERT_EQ(files.size(), 47u);
  for (const auto& f : files) {
    SCOPED_TRACE(f);
    ASSERT_TRUE(checkers.count(f)) << "no checker for example " << f;
    Json ex = LoadExample(f);
    ASSERT_TRUE(ex.is_object());
    checkers[f](ex);
  }
  for (const auto& [f, _] : checkers) EXPECT_TRUE(files.count(f)) << "checker for missing file " << f;
}

// The status-code-only examples, through the provider.
TEST(WireExamples, ArmStatusExamples) {
  Json del = LoadExample("keyvault-arm/deleteVault.json");
  for (const auto& [status, _] : del["responses"].items()) {
    FakeWorld w;
    int code = std::stoi(status);
    auto p = w.Make([&](const HttpRequest& r) { return Respond(code); });
    ASSERT_TRUE(p);
    VaultState v;
    v.name = "sample-vault";
    v.subscription = "00000000-0000-0000-0000-000000000000";
    v.resource_group = "sample-resource-group";
    EXPECT_TRUE(p->DeleteVault(DeleteVault{ArmRef{v.subscription, v.resource_group, v.name}}).ok()) << status;
    EXPECT_EQ(w.transport->requests.back().method, "DELETE");
    EXPECT_NE(w.transport->requests.back().url.find("api-version=2026-04-01"), std::string::npos);
  }
  // The purge example's Location is on another host: the ARM token never goes there.
  Json purge = LoadExample("keyvault-arm/purgeDeletedVault.json");
  std::string location = purge["responses"]["202"]["headers"]["Location"];
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) {
    return Respond(202, "", {{"Location", location}});
  });
  ASSERT_TRUE(p);
  EXPECT_FALSE(SameOrigin(location, "https://management.azure.com"));
}

}  // namespace
}  // namespace cmk
