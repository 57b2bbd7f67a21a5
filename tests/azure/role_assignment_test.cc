// PutRoleAssignment over a fake transport: a 409 RoleAssignmentExists is
// resolved to the assignment that already grants the role, never a phantom.
#include <gtest/gtest.h>

#include "azure/azure_provider.h"
#include "fake_transport.h"

namespace cmk {
namespace {


constexpr const char* kScope =
    "/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1";
constexpr const char* kRole = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
constexpr const char* kOtherRole = "12338af0-0e69-4776-bea7-57ae8d297424";
constexpr const char* kPrincipal = "11111111-2222-3333-4444-555555555555";

RoleAssignmentState Desired() {
  RoleAssignmentState d;
  d.name = "storage-can-use-cmk";
  d.id = "aaaaaaaa-0000-0000-0000-000000000001";
  d.scope = kScope;
  d.role_definition_id = kRole;
  d.principal_id = kPrincipal;
  return d;
}

nlohmann::json Assignment(const std::string& name, const std::string& scope,
                          const std::string& role, const std::string& principal) {
  return {{"id", scope + "/providers/Microsoft.Authorization/roleAssignments/" + name},
          {"name", name},
          {"type", "Microsoft.Authorization/roleAssignments"},
          {"properties",
           {{"roleDefinitionId",
             "/subscriptions/sub-1/providers/Microsoft.Authorization/roleDefinitions/" + role},
            {"principalId", principal},
            {"principalType", "ServicePrincipal"},
            {"scope", scope}}}};
}

const char* kExists =
    R"({"error":{"code":"RoleAssignmentExists","message":"The role assignment already exists."}})";

TEST(RoleAssignments, ExistsUnderAnotherGuidReturnsThatAssignment) {
  FakeWorld w;
  std::vector<std::string> list_urls;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT") return Respond(409, kExists);
    list_urls.push_back(r.url);
    nlohmann::json value = nlohmann::json::array();
    // Above the scope, same role: not the one (ARM returns at, above and below).
    value.push_back(Assignment("bbbbbbbb-0000-0000-0000-00000000000a",
                               "/subscriptions/sub-1/resourceGroups/rg", kRole, kPrincipal));
    // At the scope, another role.
    value.push_back(Assignment("bbbbbbbb-0000-0000-0000-00000000000b", kScope, kOtherRole, kPrincipal));
    // The grant.
    value.push_back(Assignment("CCCCCCCC-0000-0000-0000-00000000000C", kScope, kRole, kPrincipal));
    return Respond(200, nlohmann::json{{"value", value}}.dump());
  });
  ASSERT_NE(p, nullptr);
  Result<RoleAssignmentState> r = p->PutRoleAssignment(PutRoleAssignment{Desired()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "cccccccc-0000-0000-0000-00000000000c");
  EXPECT_EQ(r->scope, kScope);
  EXPECT_EQ(r->role_definition_id, kRole);
  EXPECT_EQ(r->principal_id, kPrincipal);
  EXPECT_EQ(r->name, "storage-can-use-cmk");
  ASSERT_EQ(list_urls.size(), 1u);
  EXPECT_NE(list_urls[0].find(std::string(kScope) +
                              "/providers/Microsoft.Authorization/roleAssignments?$filter="
                              "principalId%20eq%20%27" + kPrincipal + "%27&api-version=2022-04-01"),
            std::string::npos)
      << list_urls[0];
}

TEST(RoleAssignments, ExistsButNoMatchingAssignmentIsAConflictNamingTheGrant) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT") return Respond(409, kExists);
    nlohmann::json value = nlohmann::json::array();
    value.push_back(Assignment("bbbbbbbb-0000-0000-0000-00000000000b", kScope, kOtherRole, kPrincipal));
    return Respond(200, nlohmann::json{{"value", value}}.dump());
  });
  ASSERT_NE(p, nullptr);
  Result<RoleAssignmentState> r = p->PutRoleAssignment(PutRoleAssignment{Desired()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kConflict);
  std::string m = r.status().message();
  EXPECT_NE(m.find(kScope), std::string::npos) << m;
  EXPECT_NE(m.find(kPrincipal), std::string::npos) << m;
  EXPECT_NE(m.find(kRole), std::string::npos) << m;
}

TEST(RoleAssignments, ListFailureAfterExistsIsReported) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT") return Respond(409, kExists);
    return Respond(403, R"({"error":{"code":"AuthorizationFailed","message":"no read"}})");
  });
  ASSERT_NE(p, nullptr);
  Result<RoleAssignmentState> r = p->PutRoleAssignment(PutRoleAssignment{Desired()});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
}

TEST(RoleAssignments, CreatedAssignmentIsReturnedAsIs) {
  FakeWorld w;
  int lists = 0;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT")
      return Respond(201, Assignment("aaaaaaaa-0000-0000-0000-000000000001", kScope, kRole, kPrincipal).dump());
    ++lists;
    return Respond(200, R"({"value":[]})");
  });
  ASSERT_NE(p, nullptr);
  Result<RoleAssignmentState> r = p->PutRoleAssignment(PutRoleAssignment{Desired()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "aaaaaaaa-0000-0000-0000-000000000001");
  EXPECT_EQ(lists, 0);
}

}  // namespace
}  // namespace cmk
