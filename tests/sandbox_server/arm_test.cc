// ARM over HTTPS: vaults (create/update/patch/get/delete/lists/paging,
// deleted vaults, recover, purge, async create), identities, role
// assignments (filters), storage accounts with customer-managed keys.
#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "server_test_util.h"

namespace cmk {
namespace {

const std::string kP = std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg + "/providers";
constexpr const char* kKvApi = "?api-version=2026-04-01";

class ArmTest : public ServerTest {};

TEST_F(ArmTest, VaultLifecycle) {
  Start();
  Json body{{"location", "westeurope"},
            {"tags", {{"env", "t"}}},
            {"properties",
             {{"tenantId", server_->endpoints().tenant_id},
              {"sku", {{"family", "A"}, {"name", "standard"}}},
              {"enableRbacAuthorization", true},
              {"enablePurgeProtection", true},
              {"softDeleteRetentionInDays", 7}}}};
  Reply created = Arm("PUT", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi, body);
  ASSERT_EQ(created.status, 201) << created.body;
  Json& p = created.json["properties"];
  EXPECT_EQ(created.json["type"], "Microsoft.KeyVault/vaults");
  EXPECT_EQ(created.json["id"], kP + "/Microsoft.KeyVault/vaults/kvlife");
  EXPECT_EQ(p["vaultUri"], "https://kvlife.vault.localhost:" + std::to_string(server_->port()));
  EXPECT_EQ(p["provisioningState"], "Succeeded");
  EXPECT_EQ(p["sku"]["family"], "A");
  EXPECT_EQ(p["tenantId"], server_->endpoints().tenant_id);
  EXPECT_EQ(p["enablePurgeProtection"], true);
  Reply again = Arm("PUT", kP + "/microsoft.keyvault/VAULTS/kvlife" + kKvApi, body);
  EXPECT_EQ(again.status, 200) << again.body;
  Reply patch = Arm("PATCH", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi,
                    Json{{"tags", {{"env", "p"}}}, {"properties", {{"networkAcls", {{"defaultAction", "Deny"}, {"bypass", "AzureServices"}, {"ipRules", {{{"value", "1.2.3.4"}}}}}}}}});
  ASSERT_EQ(patch.status, 200) << patch.body;
  EXPECT_EQ(patch.json["tags"]["env"], "p");
  EXPECT_EQ(patch.json["properties"]["networkAcls"]["ipRules"][0]["value"], "1.2.3.4");
  Reply get = Arm("GET", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi);
  EXPECT_EQ(get.json, patch.json);
  Reply off = Arm("PATCH", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi,
                  Json{{"properties", {{"enablePurgeProtection", false}}}});
  EXPECT_EQ(off.status, 400);
  EXPECT_EQ(off.json["error"]["code"], "BadRequest");
  EXPECT_EQ(Arm("GET", kP + "/Microsoft.KeyVault/vaults/nope" + kKvApi).status, 404);

  ASSERT_EQ(Arm("DELETE", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi).status, 200);
  EXPECT_EQ(Arm("DELETE", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi).status, 204);
  Reply conflict = Arm("PUT", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi, body);
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(conflict.json["error"]["code"], "ConflictError");
  std::string sub = std::string("/subscriptions/") + kSub + "/providers/Microsoft.KeyVault";
  Reply deleted = Arm("GET", sub + "/deletedVaults" + kKvApi);
  ASSERT_EQ(deleted.status, 200);
  ASSERT_EQ(deleted.json["value"].size(), 1u);
  EXPECT_EQ(deleted.json["value"][0]["properties"]["purgeProtectionEnabled"], true);
  Reply one = Arm("GET", sub + "/locations/westeurope/deletedVaults/kvlife" + kKvApi);
  ASSERT_EQ(one.status, 200);
  EXPECT_TRUE(one.json["properties"]["deletionDate"].is_string());
  Reply purge = Arm("POST", sub + "/locations/westeurope/deletedVaults/kvlife/purge" + kKvApi);
  EXPECT_EQ(purge.status, 409) << purge.body;  // purge protection
  Json recover = body;
  recover["properties"] = Json{{"createMode", "recover"}};
  Reply rec = Arm("PUT", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi, recover);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(rec.json["tags"]["env"], "t");
  EXPECT_EQ(Arm("GET", kP + "/Microsoft.KeyVault/vaults/kvlife" + kKvApi).status, 200);
}

// Access policies are kept as sent and read back (cmkctl's access analysis
// judges a vault with RBAC off by them); a PUT replaces them.
TEST_F(ArmTest, AccessPoliciesRoundTrip) {
  Start();
  const std::string path = std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                           "/providers/Microsoft.KeyVault/vaults/ap1?api-version=2026-04-01";
  Json policy{{"tenantId", server_->endpoints().tenant_id},
              {"objectId", "11111111-2222-3333-4444-555555555555"},
              {"permissions", {{"keys", {"get", "wrapKey", "unwrapKey"}}}}};
  Json props{{"tenantId", server_->endpoints().tenant_id},
             {"sku", {{"family", "A"}, {"name", "standard"}}},
             {"enableRbacAuthorization", false},
             {"accessPolicies", Json::array({policy})}};
  Reply put = Arm("PUT", path, Json{{"location", "westeurope"}, {"properties", props}});
  ASSERT_TRUE(put.status == 200 || put.status == 201) << put.body;
  Reply got = Arm("GET", path);
  ASSERT_EQ(got.status, 200) << got.body;
  const Json& policies = Member(got.json, {"properties", "accessPolicies"});
  ASSERT_EQ(policies.size(), 1u) << got.body;
  EXPECT_EQ(policies[0]["objectId"], "11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(policies[0]["permissions"]["keys"], Json({"get", "wrapKey", "unwrapKey"}));
  props["accessPolicies"] = Json::array();
  ASSERT_EQ(Arm("PUT", path, Json{{"location", "westeurope"}, {"properties", props}}).status, 200);
  EXPECT_TRUE(Member(Arm("GET", path).json, {"properties", "accessPolicies"}).empty());
}

TEST_F(ArmTest, PurgeWithoutProtection) {
  Start();
  CreateVault("kvpurge", false);
  ASSERT_EQ(Arm("DELETE", kP + "/Microsoft.KeyVault/vaults/kvpurge" + kKvApi).status, 200);
  std::string sub = std::string("/subscriptions/") + kSub + "/providers/Microsoft.KeyVault";
  EXPECT_EQ(Arm("POST", sub + "/locations/westeurope/deletedVaults/kvpurge/purge" + kKvApi).status, 200);
  EXPECT_EQ(Arm("GET", sub + "/locations/westeurope/deletedVaults/kvpurge" + kKvApi).status, 404);
}

TEST_F(ArmTest, VaultListsPageWithNextLink) {
  Start();
  for (const char* n : {"kva", "kvb", "kvc"}) CreateVault(n);
  CreateVault("kvother", true, "rg-other");
  std::string target = kP + "/Microsoft.KeyVault/vaults" + kKvApi + "&$top=2";
  std::vector<std::string> names;
  while (!target.empty()) {
    Reply r = Arm("GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    for (auto& v : r.json["value"]) names.push_back(v["name"]);
    target.clear();
    if (r.json.contains("nextLink")) {
      std::string next = r.json["nextLink"];
      std::string base = server_->endpoints().arm_url;
      ASSERT_EQ(next.rfind(base, 0), 0u) << next;
      target = next.substr(base.size());
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"kva", "kvb", "kvc"}));
  Reply all = Arm("GET", std::string("/subscriptions/") + kSub + "/providers/Microsoft.KeyVault/vaults" + kKvApi);
  EXPECT_EQ(all.json["value"].size(), 4u);
  EXPECT_FALSE(all.json.contains("nextLink"));
}

TEST_F(ArmTest, AsyncCreateIsPollable) {
  options_.async_vault_create = true;
  options_.async_polls = 1;
  Start();
  Json body{{"location", "westeurope"},
            {"properties", {{"tenantId", "t"}, {"sku", {{"family", "A"}, {"name", "standard"}}}}}};
  Reply r = Arm("PUT", kP + "/Microsoft.KeyVault/vaults/kvasync" + kKvApi, body);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["properties"]["provisioningState"], "RegisteringDns");
  EXPECT_EQ(r.Header("retry-after"), "1");
  std::string base = server_->endpoints().arm_url;
  std::string async = r.Header("azure-asyncoperation");
  std::string location = r.Header("location");
  ASSERT_EQ(async.rfind(base, 0), 0u);
  Reply s1 = Arm("GET", async.substr(base.size()));
  EXPECT_EQ(s1.json["status"], "InProgress");
  Reply s2 = Arm("GET", async.substr(base.size()));
  EXPECT_EQ(s2.json["status"], "Succeeded");
  Reply loc = Arm("GET", location.substr(base.size()));
  ASSERT_EQ(loc.status, 200) << loc.body;
  EXPECT_EQ(loc.json["properties"]["provisioningState"], "Succeeded");
}

TEST_F(ArmTest, Identities) {
  Start();
  std::string path = kP + "/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2026-05-31";
  Reply c = Arm("PUT", path, Json{{"location", "westeurope"}, {"tags", {{"a", "b"}}}});
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(c.json["type"], "Microsoft.ManagedIdentity/userAssignedIdentities");
  EXPECT_EQ(c.json["properties"]["tenantId"], server_->endpoints().tenant_id);
  EXPECT_TRUE(c.json["properties"]["principalId"].is_string());
  EXPECT_TRUE(c.json["properties"]["clientId"].is_string());
  EXPECT_EQ(c.json["properties"]["isolationScope"], "None");
  EXPECT_EQ(Arm("PUT", path, Json{{"location", "westeurope"}}).status, 200);
  Reply patch = Arm("PATCH", path, Json{{"tags", {{"x", "y"}}}});
  ASSERT_EQ(patch.status, 200);
  EXPECT_EQ(patch.json["tags"], Json({{"x", "y"}}));
  EXPECT_EQ(patch.json["properties"]["principalId"], c.json["properties"]["principalId"]);
  Reply old = Arm("GET", kP + "/Microsoft.ManagedIdentity/userAssignedIdentities/id1?api-version=2023-01-31");
  EXPECT_FALSE(old.json["properties"].contains("isolationScope"));
  Reply list = Arm("GET", std::string("/subscriptions/") + kSub +
                              "/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2026-05-31");
  EXPECT_EQ(list.json["value"].size(), 1u);
  EXPECT_EQ(Arm("DELETE", path).status, 200);
  EXPECT_EQ(Arm("GET", path).status, 404);
  EXPECT_EQ(Arm("DELETE", path).status, 204);
}

TEST_F(ArmTest, RoleAssignments) {
  Start();
  CreateVault("kvrole");
  Json ident = CreateIdentity("idrole");
  std::string principal = ident["properties"]["principalId"];
  std::string scope = kP + "/Microsoft.KeyVault/vaults/kvrole";
  std::string name = "0b5fe924-9a61-425c-96af-cfe6e287ca2d";
  std::string path = scope + "/providers/Microsoft.Authorization/roleAssignments/" + name + "?api-version=2022-04-01";
  Json body{{"properties",
             {{"roleDefinitionId", std::string("/subscriptions/") + kSub +
                                       "/providers/Microsoft.Authorization/roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6"},
              {"principalId", principal},
              {"principalType", "ServicePrincipal"}}}};
  Reply c = Arm("PUT", path, body);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(c.json["name"], name);
  EXPECT_EQ(c.json["properties"]["scope"], scope);
  EXPECT_EQ(c.json["id"], scope + "/providers/Microsoft.Authorization/roleAssignments/" + name);
  EXPECT_EQ(Arm("PUT", path, body).status, 200);
  Reply dup = Arm("PUT", scope + "/providers/Microsoft.Authorization/roleAssignments/11111111-2222-4333-8444-555555555555?api-version=2022-04-01", body);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.json["error"]["code"], "RoleAssignmentExists");
  Json unknown = body;
  unknown["properties"]["principalId"] = "99999999-9999-4999-8999-999999999999";
  Reply pnf = Arm("PUT", scope + "/providers/Microsoft.Authorization/roleAssignments/21111111-2222-4333-8444-555555555555?api-version=2022-04-01", unknown);
  EXPECT_EQ(pnf.status, 400);
  EXPECT_EQ(pnf.json["error"]["code"], "PrincipalNotFound");
  EXPECT_EQ(Arm("GET", path).json["properties"]["principalId"], principal);
  // Listing: at the subscription (below), with atScope() (not above the sub), by principal.
  std::string sub = std::string("/subscriptions/") + kSub + "/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01";
  EXPECT_EQ(Arm("GET", sub).json["value"].size(), 1u);
  EXPECT_EQ(Arm("GET", sub + "&$filter=atScope()").json["value"].size(), 0u);
  EXPECT_EQ(Arm("GET", sub + "&$filter=principalId%20eq%20'" + principal + "'").json["value"].size(), 1u);
  EXPECT_EQ(Arm("GET", sub + "&$filter=principalId%20eq%20'00000000-0000-0000-0000-000000000009'").json["value"].size(), 0u);
  std::string key_scope = scope + "/keys/k1/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter=atScope()";
  EXPECT_EQ(Arm("GET", key_scope).json["value"].size(), 1u);
  Reply del = Arm("DELETE", path);
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(del.json["name"], name);
  EXPECT_EQ(Arm("DELETE", path).status, 204);
  EXPECT_EQ(Arm("GET", path).status, 404);
}

TEST_F(ArmTest, StorageCustomerManagedKey) {
  Start();
  CreateVault("kvst");
  Json key = CreateKey("kvst", "wrap", Json{{"kty", "RSA"}, {"attributes", {{"exp", 4102444800}}}});
  Json ident = CreateIdentity("idst");
  std::string ident_id = ident["id"];
  std::string account = kP + "/Microsoft.Storage/storageAccounts/st1?api-version=2026-09-01";
  Reply created = Arm("PUT", account, Json{{"location", "westeurope"}, {"kind", "StorageV2"}, {"sku", {{"name", "Standard_LRS"}}}});
  ASSERT_EQ(created.status, 200) << created.body;
  EXPECT_EQ(created.json["properties"]["encryption"]["keySource"], "Microsoft.Storage");
  EXPECT_EQ(created.json["identity"]["type"], "None");
  std::string vault_uri = "https://kvst.vault.localhost:" + std::to_string(server_->port());
  Json enc{{"keySource", "Microsoft.Keyvault"},
           {"keyvaultproperties", {{"keyname", "wrap"}, {"keyvaulturi", vault_uri}, {"keyversion", ""}}},
           {"identity", {{"userAssignedIdentity", ident_id}}}};
  Json patch{{"identity", {{"type", "UserAssigned"}, {"userAssignedIdentities", {{ident_id, Json::object()}}}}},
             {"properties", {{"encryption", enc}}}};
  Reply denied = Arm("PATCH", account, patch);
  EXPECT_EQ(denied.status, 403) << denied.body;  // no role yet
  Reply role = Arm("PUT", kP + "/Microsoft.KeyVault/vaults/kvst/providers/Microsoft.Authorization/roleAssignments/31111111-2222-4333-8444-555555555555?api-version=2022-04-01",
                   Json{{"properties", {{"roleDefinitionId", "e147488a-f6f5-4113-8e2d-b22465e65bf6"},
                                         {"principalId", ident["properties"]["principalId"]},
                                         {"principalType", "ServicePrincipal"}}}});
  ASSERT_EQ(role.status, 201) << role.body;
  Reply ok = Arm("PATCH", account, patch);
  ASSERT_EQ(ok.status, 200) << ok.body;
  Json& kvp = ok.json["properties"]["encryption"]["keyvaultproperties"];
  EXPECT_EQ(kvp["keyname"], "wrap");
  EXPECT_EQ(kvp["keyversion"], "");
  EXPECT_EQ(kvp["currentVersionedKeyIdentifier"], key["key"]["kid"]);
  EXPECT_TRUE(kvp["lastKeyRotationTimestamp"].is_string());
  EXPECT_EQ(kvp["currentVersionedKeyExpirationTimestamp"], "2100-01-01T00:00:00Z");
  EXPECT_EQ(ok.json["properties"]["encryption"]["identity"]["userAssignedIdentity"], ident_id);
  EXPECT_EQ(ok.json["identity"]["type"], "UserAssigned");
  EXPECT_EQ(ok.json["identity"]["userAssignedIdentities"][ident_id]["principalId"],
            ident["properties"]["principalId"]);
  Reply sys = Arm("PATCH", account, Json{{"identity", {{"type", "SystemAssigned,UserAssigned"}}}});
  ASSERT_EQ(sys.status, 200);
  EXPECT_TRUE(sys.json["identity"]["principalId"].is_string());
  EXPECT_EQ(sys.json["identity"]["type"], "SystemAssigned,UserAssigned");
  Reply list = Arm("GET", std::string("/subscriptions/") + kSub + "/providers/Microsoft.Storage/storageAccounts?api-version=2026-09-01");
  EXPECT_EQ(list.json["value"].size(), 1u);
  EXPECT_EQ(Arm("GET", kP + "/Microsoft.Storage/storageAccounts/nope?api-version=2026-09-01").status, 404);
  EXPECT_EQ(Arm("PATCH", kP + "/Microsoft.Storage/storageAccounts/nope?api-version=2026-09-01", Json::object()).status, 404);
}

// Azure stamps every response with a Date; the sandbox stamps its own clock
// there (simulated when set), which is what --target azure takes as "now".
TEST_F(ArmTest, EveryAnswerCarriesTheSandboxClockInDate) {
  {
    auto cloud = SandboxCloud::Open(dir_);
    ASSERT_TRUE(cloud.ok()) << cloud.status().ToString();
    ASSERT_TRUE((*cloud)->SetClock(*ParseRfc3339("2026-11-23T00:00:00Z")).ok());
  }
  Start();
  const std::string want = "Mon, 23 Nov 2026 00:00:00 GMT";
  CreateVault("kvdate");
  std::vector<Reply> replies = {
      Arm("GET", kP + "/Microsoft.KeyVault/vaults/kvdate" + kKvApi),
      Arm("GET", kP + "/Microsoft.KeyVault/vaults/nope" + kKvApi),  // 404
      Send("GET", "", kP + "/Microsoft.KeyVault/vaults/kvdate" + kKvApi),  // 401, no token
      Kv("kvdate", "GET", "/keys?api-version=2025-07-01"),
      Kv("kvdate", "GET", "/keys/missing?api-version=2025-07-01"),  // 404
  };
  for (const Reply& r : replies) {
    ASSERT_TRUE(r.connected);
    EXPECT_EQ(r.Header("date"), want) << r.status << " " << r.body;
  }
  EXPECT_EQ(replies[1].status, 404);
  EXPECT_EQ(replies[2].status, 401);
  EXPECT_EQ(replies[4].status, 404);
}

}  // namespace
}  // namespace cmk
