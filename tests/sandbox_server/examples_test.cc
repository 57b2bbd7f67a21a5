// Every file in tests/data/azure-wire (Microsoft's examples): replay the example's request
// against the server (names and ids adapted to the sandbox) and check that
// the answer has the example's status class and the same member names and
// JSON types, recursively. Members the sandbox leaves out are listed per
// example (all documented optional / read-only in the specs: systemData,
// hsmPoolResourceId, privateEndpointConnections, creationTime, ...), and so
// are the documented optional members it adds.
#include <filesystem>
#include <fstream>
#include <functional>

#include "crypto/crypto.h"
#include "sandbox/sandbox_cloud.h"
#include "server_test_util.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

const std::string kExamples = std::string(CMK_TEST_DATA_DIR) + "/azure-wire";

struct Outcome {
  Reply reply;
  std::string example_status;  // which response of the example to compare with
  std::set<std::string> may_miss;
  std::set<std::string> may_add;
};

Json LoadExample(const std::string& rel) {
  std::ifstream in(kExamples + "/" + rel);
  return Json::parse(in, nullptr, false);
}

// Renames the keys of identity.userAssignedIdentities (ARM ids) to "ID".
void NormalizeUamis(Json& j) {
  if (!j.is_object() || !j.contains("identity") || !j["identity"].is_object()) return;
  Json& ident = j["identity"];
  if (!ident.contains("userAssignedIdentities")) return;
  Json out = Json::object();
  for (auto& [k, v] : ident["userAssignedIdentities"].items()) out["ID"] = v;
  ident["userAssignedIdentities"] = out;
}

const std::set<std::string> kKeyAdds = {"recoverableDays", "tags"};
const std::set<std::string> kVaultAdds = {"enableSoftDelete", "softDeleteRetentionInDays",
                                          "enableRbacAuthorization", "enablePurgeProtection",
                                          "networkAcls", "publicNetworkAccess", "tags"};
const std::set<std::string> kVaultMiss = {"systemData", "properties.hsmPoolResourceId",
                                          "properties.privateEndpointConnections",
                                          "properties.accessPolicies[]",
                                          "value[].systemData", "value[].properties.hsmPoolResourceId",
                                          "value[].properties.accessPolicies[]",
                                          // empty unless the request sets firewall rules
                                          "properties.networkAcls.ipRules[]",
                                          "properties.networkAcls.virtualNetworkRules[]"};
const std::set<std::string> kStorageAdds = {"requireInfrastructureEncryption", "accessTier",
                                            "networkAcls", "privateEndpointConnections",
                                            "currentVersionedKeyExpirationTimestamp"};
std::set<std::string> StorageMiss(std::set<std::string> more) {
  more.insert({"properties.creationTime", "properties.encryption.services.blob.lastEnabledTime",
               "properties.encryption.services.file.lastEnabledTime",
               "properties.secondaryLocation", "properties.statusOfSecondary"});
  return more;
}

class ExamplesTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Start();
  }
  // Safe on a failed reply (no key.kid).
  std::string Kid(const Json& bundle) {
    const Json& kid = Member(bundle, {"key", "kid"});
    EXPECT_TRUE(kid.is_string()) << "no key.kid in " << bundle.dump();
    return kid.is_string() ? kid.get<std::string>() : "";
  }
  std::string Version(const Json& bundle) {
    std::string kid = Kid(bundle);
    return kid.substr(kid.rfind('/') + 1);
  }
  std::string VaultUri(const std::string& v) {
    return "https://" + v + ".vault.localhost:" + std::to_string(server_->port());
  }
  // Const documents are read only through Member(): const operator[] on a
  // missing member is undefined behaviour (examples without a request body
  // have no parameters.parameters).
  Json Params(const Json& ex) { return Member(ex, {"parameters", "parameters"}); }
  static std::string Str(const Json& j) { return j.is_string() ? j.get<std::string>() : ""; }
  std::string Rg(const std::string& rg) {
    return std::string("/subscriptions/") + kSub + "/resourceGroups/" + rg + "/providers";
  }
  std::string Grant(const std::string& scope, const std::string& principal) {
    std::string name = DeterministicGuid(scope + principal);
    Reply r = Arm("PUT", scope + "/providers/Microsoft.Authorization/roleAssignments/" + name +
                             "?api-version=2022-04-01",
                  Json{{"properties", {{"roleDefinitionId", "e147488a-f6f5-4113-8e2d-b22465e65bf6"},
                                        {"principalId", principal},
                                        {"principalType", "ServicePrincipal"}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return name;
  }
  // A vault + key + identity with the key role, for the storage examples.
  Json StorageSetup(const std::string& account, bool system, int64_t exp = 0) {
    CreateVault("myvault8569");
    Json key_body{{"kty", "RSA"}};
    if (exp) key_body["attributes"] = Json{{"exp", exp}};
    CreateKey("myvault8569", "wrappingKey", key_body);
    Json ident = CreateIdentity("uami1");
    Grant(Rg(kRg) + "/Microsoft.KeyVault/vaults/myvault8569",
          Str(Member(ident, {"properties", "principalId"})));
    Json put{{"location", "eastus"}, {"kind", "StorageV2"}, {"sku", {{"name", "Standard_LRS"}}}};
    // The GRS examples show an account that already carries these tags.
    if (system) put["tags"] = Json{{"key1", "value1"}, {"key2", "value2"}};
    if (system) put["identity"] = Json{{"type", "SystemAssigned"}};
    Reply r = Arm("PUT", Rg(kRg) + "/Microsoft.Storage/storageAccounts/" + account + "?api-version=2026-09-01", put);
    EXPECT_EQ(r.status, 200) << r.body;
    if (system)
      Grant(Rg(kRg) + "/Microsoft.KeyVault/vaults/myvault8569",
            Str(Member(r.json, {"identity", "principalId"})));
    return ident;
  }
  // Replaces the example's placeholder ids and vault URI in a request body.
  Json AdaptStorage(Json body, const std::string& ident_id) {
    std::string text = body.dump();
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
        text.replace(p, from.size(), to);
    };
    replace("/subscriptions/{subscription-id}/resourceGroups/res9101/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{managed-identity-name}", ident_id);
    replace("https://myvault8569.vault.azure.net", VaultUri("myvault8569"));
    return Json::parse(text);
  }

  // A SQL server or disk encryption set seeded in the sandbox (owned by
  // another team: cmkctl never creates them), with a system-assigned
  // identity granted the key role on `vault`; returns its principal id.
  std::string SeedConsumer(ConsumerKind kind, const std::string& rg, const std::string& name,
                           const std::string& location, const std::string& vault) {
    SandboxOptions so;
    so.dns_suffix = server_->endpoints().vault_dns_suffix;
    auto cloud = SandboxCloud::Open(dir_, so);
    EXPECT_TRUE(cloud.ok()) << cloud.status().ToString();
    if (!cloud.ok()) return "";
    ConsumerState c;
    c.kind = kind;
    c.name = name;
    c.subscription = kSub;
    c.resource_group = rg;
    c.location = location;
    c.tags = {{"department", "Development"}, {"project", "Encryption"}};
    SeedOptions seed;
    seed.system_identity = true;
    Status st = (*cloud)->SeedConsumer(c, seed);
    EXPECT_TRUE(st.ok()) << st.ToString();
    auto got = (*cloud)->GetConsumer(kind, kSub, rg, name);
    if (!got.ok() || !*got) return "";
    Grant(Rg(kRg) + "/Microsoft.KeyVault/vaults/" + vault, (*got)->system_principal_id);
    return (*got)->system_principal_id;
  }
  std::string Kid(const std::string& vault, const std::string& key, const std::string& version) {
    return VaultUri(vault) + "/keys/" + key + "/" + version;
  }

  Outcome Replay(const std::string& rel, const Json& ex);
};

Outcome ExamplesTest::Replay(const std::string& rel, const Json& ex) {
  const Json& p = Member(ex, {"parameters"});
  const std::string api = Str(Member(p, {"api-version"}));
  const std::string q = "?api-version=" + api;
  Outcome o;
  // ---- Key Vault keys (vault "myvault") ----
  if (rel.rfind("keyvault-keys/", 0) == 0) {
    CreateVault("myvault", rel != "keyvault-keys/PurgeDeletedKey-example.json");
    std::string name = p.contains("key-name") ? Str(Member(p, {"key-name"})) : "k";
    o.example_status = "200";
    o.may_add = kKeyAdds;
    const Json& example_tags = Member(ex, {"responses", "200", "body", "tags"});
    if (rel == "keyvault-keys/CreateKey-example.json") {
      o.reply = Kv("myvault", "POST", "/keys/" + name + "/create" + q, Params(ex));
    } else if (rel == "keyvault-keys/GetKey-example.json") {
      Json k = CreateKey("myvault", name, Json{{"kty", "RSA"}, {"tags", example_tags}});
      o.reply = Kv("myvault", "GET", "/keys/" + name + "/" + Version(k) + q);
    } else if (rel == "keyvault-keys/DeleteKey-example.json" || rel == "keyvault-keys/GetDeletedKey-example.json") {
      CreateKey("myvault", name, Json{{"kty", "RSA"}, {"tags", example_tags}});
      o.reply = Kv("myvault", "DELETE", "/keys/" + name + q);
      if (rel == "keyvault-keys/GetDeletedKey-example.json") o.reply = Kv("myvault", "GET", "/deletedkeys/" + name + q);
    } else if (rel == "keyvault-keys/RecoverDeletedKey-example.json") {
      CreateKey("myvault", name, Json{{"kty", "RSA"}, {"tags", example_tags}});
      Kv("myvault", "DELETE", "/keys/" + name + q);
      o.reply = Kv("myvault", "POST", "/deletedkeys/" + name + "/recover" + q);
    } else if (rel == "keyvault-keys/PurgeDeletedKey-example.json") {
      CreateKey("myvault", name);
      Kv("myvault", "DELETE", "/keys/" + name + q);
      o.reply = Kv("myvault", "DELETE", "/deletedkeys/" + name + q);
      o.example_status = "204";
    } else if (rel == "keyvault-keys/RotateKey-example.json") {
      CreateKey("myvault", name, Json{{"kty", "RSA"}, {"tags", example_tags}});
      o.reply = Kv("myvault", "POST", "/keys/" + name + "/rotate" + q);
      o.may_miss = {"tags"};  // a rotated version starts without the old version's tags
    } else if (rel == "keyvault-keys/UpdateKey-example.json") {
      Json k = CreateKey("myvault", name);
      o.reply = Kv("myvault", "PATCH", "/keys/" + name + "/" + Version(k) + q, Params(ex));
    } else if (rel == "keyvault-keys/GetKeyVersions-example.json") {
      CreateKey("myvault", name);
      CreateKey("myvault", name);
      o.reply = Kv("myvault", "GET", "/keys/" + name + "/versions" + q + "&maxresults=1");
    } else if (rel == "keyvault-keys/GetKeys-example.json") {
      CreateKey("myvault", "sdktestkey");
      CreateKey("myvault", "zzkey");
      o.reply = Kv("myvault", "GET", "/keys" + q + "&maxresults=1");
    } else if (rel == "keyvault-keys/GetKeyRotationPolicy-example.json" ||
               rel == "keyvault-keys/UpdateKeyRotationPolicy-example.json") {
      CreateKey("myvault", name);
      Json policy = Member(LoadExample("keyvault-keys/UpdateKeyRotationPolicy-example.json"),
                           {"parameters", "keyRotationPolicy"});
      o.reply = Kv("myvault", "PUT", "/keys/" + name + "/rotationpolicy" + q, policy);
      if (rel == "keyvault-keys/GetKeyRotationPolicy-example.json")
        o.reply = Kv("myvault", "GET", "/keys/" + name + "/rotationpolicy" + q);
    } else if (rel == "keyvault-keys/wrapKey-example.json") {
      Json k = CreateKey("myvault", name);
      o.reply = Kv("myvault", "POST", "/keys/" + name + "/" + Version(k) + "/wrapkey" + q, Params(ex));
    } else if (rel == "keyvault-keys/unwrapKey-example.json") {
      // The example's ciphertext belongs to Azure's key: wrap our own first.
      // RSA1_5 wrapping is refused by the crypto core, so RSA-OAEP is used.
      Json k = CreateKey("myvault", name);
      Reply w = Kv("myvault", "POST", "/keys/" + name + "/" + Version(k) + "/wrapkey" + q,
                   Json{{"alg", "RSA-OAEP"}, {"value", "ovQIlbB0DgWhZA7sgkPxbg9H-Ly-VlNGPSgGrrZvlIo"}});
      o.reply = Kv("myvault", "POST", "/keys/" + name + "/" + Version(k) + "/unwrapkey" + q,
                   Json{{"alg", "RSA-OAEP"}, {"value", w.json["value"]}});
      EXPECT_EQ(o.reply.json["value"], "ovQIlbB0DgWhZA7sgkPxbg9H-Ly-VlNGPSgGrrZvlIo");
    } else if (rel == "keyvault-keys/ImportKey-example.json") {
      o.reply = Kv("myvault", "PUT", "/keys/" + name + q, Params(ex));
    }
    return o;
  }
  // ---- Key Vault ARM ----
  if (rel.rfind("keyvault-arm/", 0) == 0) {
    std::string rg = p.contains("resourceGroupName") ? Str(Member(p, {"resourceGroupName"})) : kRg;
    std::string vaults = Rg(rg) + "/Microsoft.KeyVault/vaults/";
    std::string sub = std::string("/subscriptions/") + kSub + "/providers/Microsoft.KeyVault";
    o.may_add = kVaultAdds;
    o.may_miss = kVaultMiss;
    if (rel == "keyvault-arm/createVault.json") {
      o.reply = Arm("PUT", vaults + "sample-vault" + q, Params(ex));
      o.example_status = "201";
    } else if (rel == "keyvault-arm/updateVault.json") {
      CreateVault("sample-vault", false, rg);
      Json body = Params(ex);
      body["location"] = "westeurope";
      o.reply = Arm("PUT", vaults + "sample-vault" + q, body);
      o.example_status = "200";
    } else if (rel == "keyvault-arm/getVault.json") {
      CreateVault("sample-vault", false, rg);
      o.reply = Arm("GET", vaults + "sample-vault" + q);
      o.example_status = "200";
    } else if (rel == "keyvault-arm/deleteVault.json") {
      CreateVault("sample-vault", false, rg);
      o.reply = Arm("DELETE", vaults + "sample-vault" + q);
      o.example_status = "200";
    } else if (rel == "keyvault-arm/listVaultByResourceGroup.json") {
      CreateVault("sample-vault", false, rg);
      CreateVault("sample-vault2", false, rg);
      o.reply = Arm("GET", Rg(rg) + "/Microsoft.KeyVault/vaults" + q + "&$top=1");
      o.example_status = "200";
    } else if (rel == "keyvault-arm/getDeletedVault.json" || rel == "keyvault-arm/listDeletedVaults.json" ||
               rel == "keyvault-arm/purgeDeletedVault.json") {
      for (const char* n : {"sample-vault", "sample-vault2"}) {
        CreateVault(n, false);
        EXPECT_EQ(Arm("DELETE", Rg(kRg) + "/Microsoft.KeyVault/vaults/" + n + q).status, 200);
      }
      o.example_status = "200";
      if (rel == "keyvault-arm/getDeletedVault.json")
        o.reply = Arm("GET", sub + "/locations/westeurope/deletedVaults/sample-vault" + q);
      else if (rel == "keyvault-arm/listDeletedVaults.json")
        o.reply = Arm("GET", sub + "/deletedVaults" + q + "&$top=1");
      else
        o.reply = Arm("POST", sub + "/locations/westeurope/deletedVaults/sample-vault/purge" + q);
    }
    return o;
  }
  // ---- Role assignments ----
  if (rel.rfind("authorization/", 0) == 0) {
    Json ident = CreateIdentity("ra-principal");
    std::string principal = Str(Member(ident, {"properties", "principalId"}));
    std::string scope = "/" + Str(Member(p, {"scope"}));
    std::string name = p.contains("roleAssignmentName") ? Str(Member(p, {"roleAssignmentName"}))
                                                        : "b0f43c54-e787-4862-89b1-a653fa9cf747";
    Json body{{"properties",
               {{"roleDefinitionId", "/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/roleDefinitions/0b5fe924-9a61-425c-96af-cfe6e287ca2d"},
                {"principalId", principal},
                {"principalType", "User"}}}};
    std::string path = scope + "/providers/Microsoft.Authorization/roleAssignments/";
    o.reply = Arm("PUT", path + name + q, body);
    o.example_status = "201";
    o.may_add = {"description"};
    if (rel == "authorization/RoleAssignments_Get.json") {
      o.reply = Arm("GET", path + name + q);
      o.example_status = "200";
    } else if (rel == "authorization/RoleAssignments_ListForScope.json") {
      o.reply = Arm("GET", path.substr(0, path.size() - 1) + q);
      o.example_status = "200";
      o.may_add.insert("nextLink");
    }
    return o;
  }
  // ---- Managed identity ----
  if (rel.rfind("managed-identity/", 0) == 0) {
    std::string path = Rg(kRg) + "/Microsoft.ManagedIdentity/userAssignedIdentities/identityName" + q;
    o.reply = Arm("PUT", path, Json{{"location", "eastus"}, {"tags", {{"key1", "value1"}, {"key2", "value2"}}}});
    o.example_status = "201";
    if (rel == "managed-identity/IdentityGet.json") {
      o.reply = Arm("GET", path);
      o.example_status = "200";
    }
    return o;
  }
  // ---- Storage ----
  if (rel.rfind("storage/", 0) == 0) {
    o.may_add = kStorageAdds;
    o.example_status = "200";
    std::string account = Rg(kRg) + "/Microsoft.Storage/storageAccounts/";
    if (rel == "storage/StorageAccountCreateUserAssignedEncryptionIdentityWithCMK.json" ||
        rel == "storage/StorageAccountUpdateUserAssignedEncryptionIdentityWithCMK.json") {
      Json ident = StorageSetup("sto4445", false);
      Json body = AdaptStorage(Params(ex), Str(Member(ident, {"id"})));
      o.reply = Arm(rel.find("Create") != std::string::npos ? "PUT" : "PATCH", account + "sto4445" + q, body);
      o.may_miss = StorageMiss({});
    } else if (rel == "storage/StorageAccountEnableCMK.json") {
      StorageSetup("sto8596", true);
      o.reply = Arm("PATCH", account + "sto8596" + q, AdaptStorage(Params(ex), ""));
      o.may_miss = StorageMiss({});
    } else if (rel == "storage/StorageAccountGetPropertiesCMKVersionExpirationTime.json") {
      StorageSetup("sto8596", true, 4102444800);
      Json enable = AdaptStorage(Params(LoadExample("storage/StorageAccountEnableCMK.json")), "");
      EXPECT_EQ(Arm("PATCH", account + "sto8596" + q, enable).status, 200);
      o.reply = Arm("GET", account + "sto8596" + q);
      o.may_miss = StorageMiss({"properties.geoReplicationStats", "properties.isHnsEnabled",
                                "properties.routingPreference",
                                "properties.primaryEndpoints.internetEndpoints",
                                "properties.primaryEndpoints.microsoftEndpoints",
                                "properties.networkAcls.resourceAccessRules"});
    }
    return o;
  }
  // ---- SQL TDE: a seeded server, vault "somevault", key "someKey" ----
  if (rel.rfind("sql/", 0) == 0) {
    const std::string rg = Str(Member(p, {"resourceGroupName"}));
    const std::string server = Rg(rg) + "/Microsoft.Sql/servers/" + Str(Member(p, {"serverName"}));
    CreateVault("somevault");
    std::string v1 = Version(CreateKey("somevault", "someKey", Json{{"kty", "RSA"}, {"key_size", 2048}}));
    std::string v2 = Version(CreateKey("somevault", "someKey", Json{{"kty", "RSA"}, {"key_size", 3072}}));
    SeedConsumer(ConsumerKind::kSqlServer, rg, Str(Member(p, {"serverName"})), "Japan East", "somevault");
    const std::string name1 = "somevault_someKey_" + v1, name2 = "somevault_someKey_" + v2;
    auto put_key = [&](const std::string& name, const std::string& version) {
      return Arm("PUT", server + "/keys/" + name + q,
                 Json{{"properties", {{"serverKeyType", "AzureKeyVault"}, {"uri", Kid("somevault", "someKey", version)}}}});
    };
    // The example's protector body, naming our server key.
    Json protector = Params(ex);
    if (protector.is_object() && protector.contains("properties"))
      protector["properties"]["serverKeyName"] = name1;
    else
      protector = Json{{"properties", {{"serverKeyType", "AzureKeyVault"}, {"serverKeyName", name1},
                                       {"autoRotationEnabled", false}}}};
    o.example_status = "200";
    // Azure does not echo a server key's type and uri; the sandbox does (the
    // spec lists both in ServerKeyProperties).
    o.may_add = {"serverKeyType", "uri"};
    if (rel == "sql/ServerKeyCreateOrUpdate.json") {
      o.reply = put_key(name1, v1);
      o.example_status = "201";
    } else if (rel == "sql/ServerKeyGet.json") {
      EXPECT_EQ(put_key(name1, v1).status, 201);
      o.reply = Arm("GET", server + "/keys/" + name1 + q);
    } else if (rel == "sql/ServerKeyList.json") {
      EXPECT_EQ(put_key(name1, v1).status, 201);
      EXPECT_EQ(put_key(name2, v2).status, 201);
      o.reply = Arm("GET", server + "/keys" + q);
      EXPECT_EQ(o.reply.json["value"].size(), 3u) << o.reply.body;
    } else {
      EXPECT_EQ(put_key(name1, v1).status, 201);
      Reply put = Arm("PUT", server + "/encryptionProtector/current" + q, protector);
      o.reply = put;
      if (rel == "sql/EncryptionProtectorGet.json") o.reply = Arm("GET", server + "/encryptionProtector/current" + q);
      if (rel == "sql/EncryptionProtectorList.json") {
        o.reply = Arm("GET", server + "/encryptionProtector" + q);
        // The listed protector carries autoRotationEnabled; the example's does not.
        o.may_add.insert("autoRotationEnabled");
      }
      EXPECT_EQ(Member(put.json, {"properties", "uri"}), Kid("somevault", "someKey", v1)) << put.body;
    }
    return o;
  }
  // ---- Disk encryption sets: vault "myvmvault", key "cmk" ----
  if (rel.rfind("compute/", 0) == 0) {
    const std::string rg = Str(Member(p, {"resourceGroupName"}));
    const std::string set_name = "myDiskEncryptionSet";
    const std::string path = Rg(rg) + "/Microsoft.Compute/diskEncryptionSets/";
    CreateVault("myvmvault");
    std::string v1 = Version(CreateKey("myvmvault", "cmk", Json{{"kty", "RSA"}, {"key_size", 2048}}));
    std::string v2 = Version(CreateKey("myvmvault", "cmk", Json{{"kty", "RSA"}, {"key_size", 2048}}));
    const std::string vault_id = Rg(kRg) + "/Microsoft.KeyVault/vaults/myvmvault";
    // The example's request with our vault, key version and identity.
    // The vault is in westeurope, and a set must be in its vault's region.
    auto adapt = [&](Json body, const std::string& version, const std::string& uami) {
      if (body.contains("location")) body["location"] = "westeurope";
      Json& props = body["properties"];
      if (props.contains("activeKey")) {
        props["activeKey"]["keyUrl"] = Kid("myvmvault", "cmk", version);
        if (props["activeKey"].contains("sourceVault")) props["activeKey"]["sourceVault"]["id"] = vault_id;
      }
      if (body.contains("identity") && body["identity"].contains("userAssignedIdentities"))
        body["identity"]["userAssignedIdentities"] = Json{{uami, Json::object()}};
      return body;
    };
    Json request = Member(p, {"diskEncryptionSet"});
    o.example_status = "200";
    // Documented read-only members the examples leave out: the system
    // identity's principalId/tenantId, when the key last changed, the flag
    // and state of every set, its type, id and tags.
    const std::set<std::string> kDesAdds = {"principalId", "tenantId", "clientId", "lastKeyRotationTimestamp",
                                            "rotationToLatestKeyVersionEnabled", "provisioningState",
                                            "type", "tags", "id", "previousKeys"};
    if (rel == "compute/DiskEncryptionSet_Create.json") {
      // A set created with a system-assigned identity, granted afterwards
      // (Azure's documented order): here the grant comes first through a
      // seeded set of the same name, as cmkctl adopts sets it did not create.
      SeedConsumer(ConsumerKind::kDiskEncryptionSet, rg, set_name, "westeurope", "myvmvault");
      o.reply = Arm("PUT", path + set_name + q, adapt(request, v1, ""));
      o.may_add = kDesAdds;
    } else if (rel == "compute/DiskEncryptionSet_Create_WithKeyVaultFromADifferentTenant.json") {
      Json ident = CreateIdentity("des-uami");
      Grant(vault_id, Str(Member(ident, {"properties", "principalId"})));
      o.reply = Arm("PUT", path + set_name + q, adapt(request, v1, Str(Member(ident, {"id"}))));
      o.may_add = kDesAdds;
      EXPECT_EQ(Member(o.reply.json, {"properties", "federatedClientId"}), Member(request, {"properties", "federatedClientId"}));
    } else if (rel == "compute/DiskEncryptionSet_ListAssociatedResources.json") {
      SeedConsumer(ConsumerKind::kDiskEncryptionSet, rg, set_name, "westeurope", "myvmvault");
      o.reply = Arm("GET", path + set_name + "/associatedResources" + q);
      o.may_miss = {"value[]", "nextLink"};  // the sandbox has no disks
    } else {
      SeedConsumer(ConsumerKind::kDiskEncryptionSet, rg, set_name, "westeurope", "myvmvault");
      Json bind{{"identity", {{"type", "SystemAssigned"}}},
                {"properties", {{"activeKey", {{"sourceVault", {{"id", vault_id}}}, {"keyUrl", Kid("myvmvault", "cmk", v1)}}},
                                {"encryptionType", "EncryptionAtRestWithCustomerKey"}}}};
      const bool rotation_error = rel == "compute/DiskEncryptionSet_Get_WithAutoKeyRotationError.json";
      if (rotation_error) bind["properties"]["rotationToLatestKeyVersionEnabled"] = true;
      Reply bound = Arm("PUT", path + set_name + q, bind);
      EXPECT_EQ(bound.status, 200) << bound.body;
      o.may_add = kDesAdds;
      if (rel == "compute/DiskEncryptionSet_Get.json" || rotation_error) {
        if (rotation_error) {
          // The set's grant is taken away: it can no longer follow its key.
          Reply grants = Arm("GET", vault_id + "/providers/Microsoft.Authorization/roleAssignments" + q.substr(0, 13) + "2022-04-01");
          for (const auto& g : grants.json["value"])
            EXPECT_EQ(Arm("DELETE", Str(g["id"]) + "?api-version=2022-04-01").status, 200);
        }
        o.reply = Arm("GET", path + set_name + q);
        if (rotation_error) {
          EXPECT_EQ(Member(o.reply.json, {"properties", "autoKeyRotationError", "code"}), "KeyVaultKeyNotAccessible")
              << o.reply.body;
        }
      } else if (rel == "compute/DiskEncryptionSet_ListByResourceGroup.json") {
        SeedConsumer(ConsumerKind::kDiskEncryptionSet, rg, "myDiskEncryptionSet2", "westeurope", "myvmvault");
        EXPECT_EQ(Arm("PUT", path + "myDiskEncryptionSet2" + q, bind).status, 200);
        o.reply = Arm("GET", Rg(rg) + "/Microsoft.Compute/diskEncryptionSets" + q);
        EXPECT_EQ(o.reply.json["value"].size(), 2u) << o.reply.body;
        o.may_miss = {"nextLink"};  // one page
      } else {  // the three updates: to the second version
        o.reply = Arm("PATCH", path + set_name + q, adapt(request, v2, ""));
        const bool in_progress = rel.find("InProgress") != std::string::npos;
        if (in_progress) {
          // Re-wrapping from the first version: Updating, previousKeys = [it].
          EXPECT_EQ(Member(o.reply.json, {"properties", "provisioningState"}), "Updating") << o.reply.body;
        }
        o.may_miss = {"properties.previousKeys[]"};
      }
    }
    return o;
  }
  return o;
}

TEST_F(ExamplesTest, EveryExampleIsReplayedWithTheSameShape) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(kExamples)) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    std::string rel = fs::relative(e.path(), kExamples).string();
    files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 47u);
  for (const auto& rel : files) {
    SCOPED_TRACE(rel);
    // A fresh sandbox per example.
    server_->Stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    arm_token_.clear();
    kv_token_.clear();
    Start();
    Json ex = LoadExample(rel);
    ASSERT_TRUE(ex.is_object());
    Outcome o = Replay(rel, ex);
    ASSERT_TRUE(o.reply.connected) << "no handler or no answer";
    ASSERT_TRUE(ex["responses"].contains(o.example_status));
    EXPECT_EQ(o.reply.status / 100, std::stoi(o.example_status) / 100) << o.reply.body;
    EXPECT_EQ(o.reply.status, std::stoi(o.example_status)) << o.reply.body;
    Json expected = ex["responses"][o.example_status].contains("body")
                        ? ex["responses"][o.example_status]["body"]
                        : Json();
    if (expected.is_null()) {
      EXPECT_TRUE(o.reply.body.empty() || o.reply.json.is_null()) << o.reply.body;
      continue;
    }
    Json actual = o.reply.json;
    NormalizeUamis(expected);
    NormalizeUamis(actual);
    for (const auto& err : CompareShape(expected, actual, o.may_miss, o.may_add))
      ADD_FAILURE() << rel << ": " << err << "\n  answer: " << o.reply.body;
  }
}

}  // namespace
}  // namespace cmk
