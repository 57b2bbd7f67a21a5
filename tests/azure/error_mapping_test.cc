#include <gtest/gtest.h>

#include "azure/error_mapping.h"
#include "fake_transport.h"

namespace cmk {
namespace {


TEST(ErrorMapping, NestedInnerErrorsAreParsed) {
  AzureError e = ParseAzureError(
      R"({"error":{"code":"Forbidden","message":"outer","innererror":{"code":"ForbiddenByRbac","innererror":{"code":"Deeper"}}}})");
  EXPECT_EQ(e.code, "Forbidden");
  EXPECT_EQ(e.inner_codes, (std::vector<std::string>{"ForbiddenByRbac", "Deeper"}));
  EXPECT_TRUE(e.HasCode("deeper"));
  AzureError arm = ParseAzureError(
      R"({"error":{"code":"BadRequest","message":"m","details":[{"code":"PrincipalNotFound","message":"p"}]}})");
  EXPECT_TRUE(arm.HasCode("PrincipalNotFound"));
  EXPECT_TRUE(ParseAzureError("not json").code.empty());
}

TEST(ErrorMapping, FirewallForbiddenNamesTheVault) {
  Status s = StatusFromResponse(
      Respond(403, R"({"error":{"code":"Forbidden","message":"Client address is not authorized and caller is not a trusted service.\r\nClient address: 203.0.113.9","innererror":{"code":"ForbiddenByFirewall"}}})"),
      "read", "vault bank-kv");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("vault bank-kv"), std::string::npos);
  EXPECT_NE(s.message().find("firewall"), std::string::npos);
  // Detected by message alone too.
  Status by_message = StatusFromResponse(
      Respond(403, R"({"error":{"code":"Forbidden","message":"Client address is not authorized"}})"),
      "read", "vault kv2");
  EXPECT_NE(by_message.message().find("firewall"), std::string::npos);
  // RBAC refusal is not called a firewall problem.
  Status rbac = StatusFromResponse(
      Respond(403, R"({"error":{"code":"Forbidden","message":"Caller is not authorized","innererror":{"code":"ForbiddenByRbac"}}})"),
      "read", "key kv/k");
  EXPECT_EQ(rbac.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(rbac.message().find("firewall"), std::string::npos);
  EXPECT_NE(rbac.message().find("ForbiddenByRbac"), std::string::npos);
}

TEST(ErrorMapping, CodesMapToStatus) {
  EXPECT_EQ(StatusFromResponse(Respond(404, R"({"error":{"code":"KeyNotFound","message":"x"}})"), "read", "key a/b").code(),
            StatusCode::kNotFound);
  Status deleted = StatusFromResponse(
      Respond(409, R"({"error":{"code":"Conflict","message":"Key is deleted","innererror":{"code":"ObjectIsDeletedButRecoverable"}}})"),
      "create", "key kv/cmk");
  EXPECT_EQ(deleted.code(), StatusCode::kConflict);
  EXPECT_NE(deleted.message().find("soft-deleted"), std::string::npos);
  EXPECT_NE(deleted.message().find("key kv/cmk"), std::string::npos);
  EXPECT_EQ(StatusFromResponse(Respond(401), "read", "x").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusFromResponse(Respond(429), "read", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromResponse(Respond(503), "read", "x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(StatusFromResponse(Respond(400, R"({"error":{"code":"BadParameter","message":"bad kty"}})"), "create", "x").code(),
            StatusCode::kInvalidArgument);
  Status with_id = StatusFromResponse(Respond(500, "", {{"x-ms-request-id", "rid-1"}}), "read", "x");
  EXPECT_NE(with_id.message().find("rid-1"), std::string::npos);
}

}  // namespace
}  // namespace cmk
