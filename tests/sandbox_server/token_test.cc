// The identity platform and authentication: client credentials, OIDC
// metadata, the managed-identity endpoint, 401 challenges, audiences,
// api-version, loopback-only binding and the files written beside the sandbox.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "sandbox_server/serve.h"
#include "server_test_util.h"

namespace cmk {
namespace {

class TokenTest : public ServerTest {};

TEST_F(TokenTest, ClientSecretFlowIssuesBearerTokens) {
  Start();
  std::string form = "grant_type=client_credentials&client_id=any-app&client_secret=" +
                     ClientSecret() + "&scope=https%3A%2F%2Fmanagement.azure.com%2F.default";
  Reply r = Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token", form, "",
                 "application/x-www-form-urlencoded");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["token_type"], "Bearer");
  EXPECT_TRUE(r.json["expires_in"].is_number());
  EXPECT_TRUE(r.json["ext_expires_in"].is_number());
  std::string token = r.json["access_token"];
  EXPECT_EQ(std::count(token.begin(), token.end(), '.'), 2);
  Reply list = Send("GET", "", std::string("/subscriptions/") + kSub +
                                   "/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01",
                    "", token);
  EXPECT_EQ(list.status, 200) << list.body;
}

TEST_F(TokenTest, WrongSecretIsInvalidClient) {
  Start();
  std::string form =
      "grant_type=client_credentials&client_id=a&client_secret=nope&scope=https%3A%2F%2Fvault.localhost%2F.default";
  Reply r = Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token", form, "",
                 "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.json["error"], "invalid_client");
  EXPECT_EQ(r.json["error_codes"][0], 7000215);
  EXPECT_EQ(r.body.find("nope"), std::string::npos);
}

TEST_F(TokenTest, ConfiguredClientIdIsEnforced) {
  options_.client_id = "my-app";
  options_.client_secret = "s3cret";
  Start();
  auto token = [&](const std::string& id) {
    return Send("POST", "", "/t/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=" + id +
                    "&client_secret=s3cret&scope=https%3A%2F%2Fvault.localhost%2F.default",
                "", "application/x-www-form-urlencoded");
  };
  EXPECT_EQ(token("my-app").status, 200);
  EXPECT_EQ(token("other-app").status, 400);
  EXPECT_TRUE(server_->endpoints().client_secret_path.empty());
}

TEST_F(TokenTest, ClientAssertionFlow) {
  Start();
  std::string form =
      "grant_type=client_credentials&client_id=wi-app&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
      "&client_assertion=aaa.bbb.ccc&scope=https%3A%2F%2Fvault.azure.net%2F.default";
  Reply r = Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token", form, "",
                 "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.body;
  Reply bad = Send("POST", "", "/x/oauth2/v2.0/token",
                   "grant_type=client_credentials&client_id=wi&client_assertion=notajwt&scope="
                   "https%3A%2F%2Fvault.azure.net%2F.default",
                   "", "application/x-www-form-urlencoded");
  EXPECT_EQ(bad.status, 401);
  Reply scope = Send("POST", "", "/x/oauth2/v2.0/token",
                     "grant_type=client_credentials&client_id=a&client_secret=" + ClientSecret() +
                         "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
                     "", "application/x-www-form-urlencoded");
  EXPECT_EQ(scope.status, 400);
  EXPECT_EQ(scope.json["error"], "invalid_scope");
}

TEST_F(TokenTest, OidcMetadataAndInstanceDiscovery) {
  Start();
  const std::string tenant = server_->endpoints().tenant_id;
  Reply r = Send("GET", "", "/" + tenant + "/v2.0/.well-known/openid-configuration");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["token_endpoint"],
            "https://127.0.0.1:" + std::to_string(server_->port()) + "/" + tenant +
                "/oauth2/v2.0/token");
  EXPECT_TRUE(r.json["issuer"].is_string());
  Reply d = Send("GET", "", "/common/discovery/instance?api-version=1.1&authorization_endpoint=x");
  ASSERT_EQ(d.status, 200);
  EXPECT_TRUE(d.json["tenant_discovery_endpoint"].is_string());
  EXPECT_TRUE(d.json["metadata"].is_array());
}

TEST_F(TokenTest, ManagedIdentityEndpointNeedsTheHeader) {
  Start();
  std::ifstream in(server_->endpoints().identity_header_path);
  std::string header;
  in >> header;
  ASSERT_FALSE(header.empty());
  std::string target = "/msi/token?resource=https%3A%2F%2Fvault.localhost&api-version=2019-08-01";
  EXPECT_EQ(Send("GET", "", target).status, 401);
  EXPECT_EQ(Send("GET", "", target, "", "", "", {{"X-IDENTITY-HEADER", "wrong"}}).status, 401);
  Reply r = Send("GET", "", target, "", "", "", {{"X-IDENTITY-HEADER", header}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json["expires_on"].is_string());
  EXPECT_EQ(r.json["resource"], "https://vault.localhost");
  EXPECT_EQ(r.json["token_type"], "Bearer");
  CreateVault("kvmsi");
  EXPECT_EQ(Send("GET", "kvmsi", "/keys?api-version=2025-07-01", "", r.json["access_token"]).status,
            200);
}

TEST_F(TokenTest, KeyVaultChallengeFormat) {
  Start();
  CreateVault("kvchal");
  Reply r = Send("GET", "kvchal", "/keys?api-version=2025-07-01");
  ASSERT_EQ(r.status, 401);
  EXPECT_EQ(r.Header("www-authenticate"),
            "Bearer authorization=\"https://127.0.0.1:" + std::to_string(server_->port()) + "/" +
                server_->endpoints().tenant_id + "\", resource=\"https://vault.localhost\"");
  EXPECT_EQ(r.json["error"]["code"], "Unauthorized");
  EXPECT_TRUE(r.json["error"]["message"].is_string());
  // An ARM token is the wrong audience for Key Vault, and a made-up token is invalid.
  EXPECT_EQ(Send("GET", "kvchal", "/keys?api-version=2025-07-01", "", ArmToken()).status, 401);
  EXPECT_EQ(Send("GET", "kvchal", "/keys?api-version=2025-07-01", "", "abc.def.ghi").status, 401);
  EXPECT_EQ(Send("GET", "kvchal", "/keys?api-version=2025-07-01", "", KvToken()).status, 200);
}

TEST_F(TokenTest, ArmUnauthorizedEnvelope) {
  Start();
  Reply r = Send("GET", "", std::string("/subscriptions/") + kSub +
                                "/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01");
  ASSERT_EQ(r.status, 401);
  EXPECT_EQ(r.json["error"]["code"], "AuthenticationFailed");
  EXPECT_FALSE(r.Header("www-authenticate").empty());
  EXPECT_EQ(Send("GET", "", std::string("/subscriptions/") + kSub +
                                "/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01",
                 "", KvToken())
                .status,
            401);
}

TEST_F(TokenTest, ApiVersionIsRequired) {
  Start();
  CreateVault("kvapi");
  Reply arm = Arm("GET", std::string("/subscriptions/") + kSub + "/providers/Microsoft.KeyVault/vaults");
  EXPECT_EQ(arm.status, 400);
  EXPECT_EQ(arm.json["error"]["code"], "MissingApiVersionParameter");
  Reply kv = Kv("kvapi", "GET", "/keys");
  EXPECT_EQ(kv.status, 400);
  EXPECT_EQ(kv.json["error"]["code"], "MissingApiVersionParameter");
  for (const char* v : {"7.4", "7.5", "7.6", "2025-06-01", "2025-07-01"})
    EXPECT_EQ(Kv("kvapi", "GET", std::string("/keys?api-version=") + v).status, 200) << v;
}

TEST_F(TokenTest, RefusesNonLoopbackAndHalfTls) {
  SandboxServer s(dir_);
  ServeOptions o;
  o.bind_address = "0.0.0.0";
  EXPECT_EQ(s.Start(o).code(), StatusCode::kInvalidArgument);
  o.bind_address = "127.0.0.1";
  o.tls_cert_path = "/tmp/x.pem";
  EXPECT_EQ(s.Start(o).code(), StatusCode::kInvalidArgument);
}

TEST_F(TokenTest, SecretFilesAreOwnerOnlyAndNeverPrinted) {
  Start();
  for (const char* f : {"server-key.pem", "server-client-secret", "server-identity-header"}) {
    struct stat st;
    ASSERT_EQ(::stat((dir_ + "/" + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  std::ostringstream out;
  PrintEndpoints(server_->endpoints(), out);
  EXPECT_NE(out.str().find("vault.localhost:" + std::to_string(server_->port())), std::string::npos);
  EXPECT_NE(out.str().find("server-ca.pem"), std::string::npos);
  EXPECT_EQ(out.str().find(ClientSecret()), std::string::npos);
}

}  // namespace
}  // namespace cmk
