// The identity platform and authentication: client credentials (secrets,
// signed assertions, the tenant), OIDC metadata, the managed-identity
// endpoint, 401 challenges, audiences, api-version, loopback-only binding and
// the files written beside the sandbox.
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "sandbox_server/serve.h"
#include "server_test_util.h"

namespace cmk {
namespace {

class TokenTest : public ServerTest {
 protected:
  Reply TokenRequest(const std::string& tenant, const std::string& credential,
                     const std::string& scope = "https%3A%2F%2Fvault.azure.net%2F.default") {
    return Send("POST", "", "/" + tenant + "/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=wi-app&" + credential + "&scope=" + scope,
                "", "application/x-www-form-urlencoded");
  }
  static std::string Assertion(const std::string& jwt) {
    return "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
           "&client_assertion=" + jwt;
  }
  // The claims of a certificate credential for `wi-app`, valid for 10 minutes.
  Json Claims(int64_t exp_offset = 600) const {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    return Json{{"aud", server_->endpoints().authority + "/oauth2/v2.0/token"},
                {"iss", "wi-app"}, {"sub", "wi-app"}, {"jti", "1"},
                {"nbf", now - 60}, {"exp", now + exp_offset}};
  }
  // Registers public keys (PEM) as the sandbox's client certificates.
  void Register(const std::string& pem) {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ + "/server-client-certs.pem") << pem;
  }
  static int64_t Code(const Reply& r) {
    const Json& codes = Member(r.json, {"error_codes"});
    return codes.is_array() && !codes.empty() && codes[0].is_number() ? codes[0].get<int64_t>() : 0;
  }
};

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
    return Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token",
                "grant_type=client_credentials&client_id=" + id +
                    "&client_secret=s3cret&scope=https%3A%2F%2Fvault.localhost%2F.default",
                "", "application/x-www-form-urlencoded");
  };
  EXPECT_EQ(token("my-app").status, 200);
  EXPECT_EQ(token("other-app").status, 400);
  EXPECT_TRUE(server_->endpoints().client_secret_path.empty());
}

TEST_F(TokenTest, AssertionsAreRefusedWhenNoKeyIsRegistered) {
  Start();
  const std::string tenant = server_->endpoints().tenant_id;
  // Any string with two dots used to get working tokens.
  Reply r = TokenRequest(tenant, Assertion("aaa.bbb.ccc"));
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(r.json["error"], "invalid_client");
  // A well-formed, signed assertion too, while nothing is registered.
  TestSigningKey key("RSA");
  Reply signed_one = TokenRequest(tenant, Assertion(key.SignJwt("RS256", Claims())));
  EXPECT_EQ(signed_one.status, 401) << signed_one.body;
  EXPECT_EQ(Code(signed_one), 700027);
  EXPECT_EQ(signed_one.json["error_description"].get<std::string>().rfind("AADSTS700027: ", 0), 0u);
  EXPECT_EQ(signed_one.body.find(key.SignJwt("RS256", Claims())), std::string::npos);
  Reply wrong_type = TokenRequest(tenant, "client_assertion_type=x&client_assertion=a.b.c");
  EXPECT_EQ(wrong_type.status, 401);
  Reply neither = TokenRequest(tenant, "x=1");
  EXPECT_EQ(neither.status, 401);
  EXPECT_EQ(Code(neither), 7000218);
}

TEST_F(TokenTest, AssertionsSignedWithARegisteredKeyGetTokens) {
  TestSigningKey rsa("RSA"), ec("EC"), stranger("RSA");
  Register(rsa.CertificatePem() + ec.PublicKeyPem());
  Start();
  const std::string tenant = server_->endpoints().tenant_id;
  for (const auto& [key, alg] : std::vector<std::pair<const TestSigningKey*, std::string>>{
           {&rsa, "RS256"}, {&rsa, "PS256"}, {&ec, "ES256"}}) {
    Reply r = TokenRequest(tenant, Assertion(key->SignJwt(alg, Claims())));
    ASSERT_EQ(r.status, 200) << alg << ": " << r.body;
    CreateVault("kvwi" + Lower(alg));
    EXPECT_EQ(Send("GET", "kvwi" + Lower(alg), "/keys?api-version=2025-07-01", "",
                   r.json["access_token"])
                  .status,
              200);
  }
  // Signed by a key nobody registered.
  Reply foreign = TokenRequest(tenant, Assertion(stranger.SignJwt("RS256", Claims())));
  EXPECT_EQ(foreign.status, 401);
  EXPECT_EQ(foreign.json["error"], "invalid_client");
  EXPECT_EQ(Code(foreign), 700027);
  // A registered key's signature over other claims.
  std::string jwt = rsa.SignJwt("RS256", Claims());
  std::string other = rsa.SignJwt("RS256", Claims(7200));
  std::string spliced = jwt.substr(0, jwt.rfind('.')) + other.substr(other.rfind('.'));
  EXPECT_EQ(Code(TokenRequest(tenant, Assertion(spliced))), 700027);
  // Unsigned, and expired.
  Reply none = TokenRequest(tenant, Assertion(rsa.SignJwt("none", Claims())));
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(Code(none), 50027);
  Reply expired = TokenRequest(tenant, Assertion(rsa.SignJwt("RS256", Claims(-3600))));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(Code(expired), 700024);
  // The secret still works, and a wrong one still does not.
  EXPECT_EQ(TokenRequest(tenant, "client_secret=" + ClientSecret()).status, 200);
  EXPECT_EQ(Code(TokenRequest(tenant, "client_secret=wrong")), 7000215);
}

// A certificate credential names its certificate (x5t#S256, or the older
// x5t): only that registered certificate may verify the signature, an x5c
// chain must start with it, and the claims are Entra ID's: aud this token
// endpoint, iss = sub = the client id.
TEST_F(TokenTest, CertificateAssertionsAreCheckedAgainstTheCertificateTheyName) {
  TestSigningKey a("RSA"), b("RSA"), stranger("RSA");
  Register(a.CertificatePem() + b.CertificatePem());
  Start();
  const std::string tenant = server_->endpoints().tenant_id;
  const Json by_a{{"x5t#S256", a.ThumbprintS256()}};
  auto request = [&](const TestSigningKey& key, const Json& claims, const Json& header,
                     const std::string& alg = "PS256") {
    return TokenRequest(tenant, Assertion(key.SignJwt(alg, claims, header)));
  };
  for (const char* alg : {"PS256", "RS256"}) {
    Reply ok = request(a, Claims(), by_a, alg);
    ASSERT_EQ(ok.status, 200) << alg << ": " << ok.body;
  }
  EXPECT_EQ(request(a, Claims(), Json{{"x5t", a.ThumbprintSha1()}}).status, 200);
  const Json with_chain{{"x5t#S256", a.ThumbprintS256()}, {"x5c", Json::array({a.X5c(), b.X5c()})}};
  EXPECT_EQ(request(a, Claims(), with_chain).status, 200);
  // Signed by another registered key than the one named: refused (any
  // registered key used to do).
  Reply other = request(b, Claims(), by_a);
  EXPECT_EQ(other.status, 401) << other.body;
  EXPECT_EQ(Code(other), 700027);
  // A thumbprint nobody registered.
  Reply unknown = request(stranger, Claims(), Json{{"x5t#S256", stranger.ThumbprintS256()}});
  EXPECT_EQ(Code(unknown), 700027);
  EXPECT_NE(unknown.body.find("Thumbprint of key used by client: '" + stranger.ThumbprintS256()),
            std::string::npos)
      << unknown.body;
  // A chain that starts elsewhere.
  const Json wrong_chain{{"x5t#S256", a.ThumbprintS256()}, {"x5c", Json::array({b.X5c()})}};
  EXPECT_EQ(Code(request(a, Claims(), wrong_chain)), 50027);
  // The audience: this token endpoint (v2.0 or v1, 127.0.0.1 or localhost).
  const std::string port = std::to_string(server_->port());
  for (const std::string& aud : {"https://localhost:" + port + "/" + tenant + "/oauth2/v2.0/token",
                                 server_->endpoints().authority + "/oauth2/token/"}) {
    Json claims = Claims();
    claims["aud"] = aud;
    EXPECT_EQ(request(a, claims, by_a).status, 200) << aud;
  }
  for (const std::string& aud : {"https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token",
                                 server_->endpoints().authority, std::string("wi-app")}) {
    Json claims = Claims();
    claims["aud"] = aud;
    EXPECT_EQ(Code(request(a, claims, by_a)), 700023) << aud;
  }
  // iss and sub: the client id of the request.
  for (const char* claim : {"iss", "sub"}) {
    Json claims = Claims();
    claims[claim] = "another-app";
    EXPECT_EQ(Code(request(a, claims, by_a)), 700021) << claim;
    claims.erase(claim);
    EXPECT_EQ(Code(request(a, claims, by_a)), 700021) << claim;
  }
}

TEST_F(TokenTest, UnknownTenantIsRefusedAsEntraIdRefusesIt) {
  Start();
  // The right secret under another tenant used to get tokens.
  Reply r = TokenRequest("00000000-0000-0000-0000-0000000000ff", "client_secret=" + ClientSecret());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["error"], "invalid_request");
  EXPECT_EQ(Code(r), 90002);
  EXPECT_NE(r.json["error_description"].get<std::string>().find("Tenant '00000000-0000-0000-0000-0000000000ff' not found"),
            std::string::npos);
  EXPECT_EQ(TokenRequest("x", "client_secret=" + ClientSecret()).status, 400);
  // The tenant id in any case is this directory.
  std::string upper = server_->endpoints().tenant_id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(TokenRequest(upper, "client_secret=" + ClientSecret()).status, 200);
  Reply scope = TokenRequest(server_->endpoints().tenant_id, "client_secret=" + ClientSecret(),
                             "https%3A%2F%2Fgraph.microsoft.com%2F.default");
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
