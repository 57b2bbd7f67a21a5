#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "azure/azure_endpoints.h"
#include "azure/challenge.h"
#include "azure/credentials.h"
#include "crypto/crypto.h"
#include "fake_transport.h"

namespace cmk {
namespace {


TEST(Challenge, ParsesKeyVaultChallenge) {
  auto c = ParseWwwAuthenticate(
      "Bearer authorization=\"https://login.microsoftonline.com/72f988bf-tenant\", "
      "resource=\"https://vault.azure.net\"");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->scheme, "Bearer");
  EXPECT_EQ(c->tenant, "72f988bf-tenant");
  EXPECT_EQ(c->scope, "https://vault.azure.net/.default");
  EXPECT_TRUE(VerifyChallengeResource(*c, "https://myvault.vault.azure.net/keys/k?api-version=1").ok());
}

TEST(Challenge, AuthorizationUriAndScopeVariants) {
  auto c = ParseWwwAuthenticate(
      "Bearer authorization_uri=\"https://login.windows.net/t1/\",scope=\"https://vault.azure.net/custom\"");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tenant, "t1");
  EXPECT_EQ(c->scope, "https://vault.azure.net/custom");
  EXPECT_FALSE(ParseWwwAuthenticate("Basic realm=\"x\"").ok());
  EXPECT_FALSE(ParseWwwAuthenticate("Bearer resource=\"https://vault.azure.net\"").ok());
}

TEST(Challenge, RefusesResourceOutsideTheVaultDomain) {
  auto evil = ParseWwwAuthenticate(
      "Bearer authorization=\"https://login.microsoftonline.com/t\", resource=\"https://management.azure.com\"");
  ASSERT_TRUE(evil.ok());
  Status s = VerifyChallengeResource(*evil, "https://myvault.vault.azure.net/keys");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("does not match"), std::string::npos);
  // Suffix must be at a label boundary.
  auto tricky = ParseWwwAuthenticate(
      "Bearer authorization=\"https://login/t\", resource=\"https://azure.net\"");
  EXPECT_TRUE(VerifyChallengeResource(*tricky, "https://a.vault.azure.net").ok());
  auto lookalike = ParseWwwAuthenticate(
      "Bearer authorization=\"https://login/t\", resource=\"https://ault.azure.net\"");
  EXPECT_FALSE(VerifyChallengeResource(*lookalike, "https://a.vault.azure.net").ok());
  // The sandbox: vaults on *.vault.localhost with a port.
  auto sandbox = ParseWwwAuthenticate(
      "Bearer authorization=\"https://127.0.0.1:8443/t\", resource=\"https://vault.localhost\"");
  EXPECT_TRUE(VerifyChallengeResource(*sandbox, "https://kv1.vault.localhost:8443/keys").ok());
}

TEST(Endpoints, EnvAndFlagsOverrideDefaults) {
  std::map<std::string, std::string> env = {{"CMKCTL_ARM_ENDPOINT", "https://127.0.0.1:8443/"},
                                            {"CMKCTL_VAULT_DNS_SUFFIX", ".vault.localhost:8443"}};
  AzureEndpoints e = EndpointsFromEnv([&](const std::string& n) -> std::optional<std::string> {
    if (!env.count(n)) return std::nullopt;
    return env[n];
  }).value();
  EXPECT_EQ(e.arm, "https://127.0.0.1:8443");
  EXPECT_EQ(e.ArmScope(), "https://127.0.0.1:8443/.default");
  EXPECT_EQ(e.VaultUrl("kv1"), "https://kv1.vault.localhost:8443");
  EXPECT_EQ(e.DefaultKeyVaultResource(), "https://vault.localhost");
  EXPECT_EQ(e.authority_host, "https://login.microsoftonline.com");
  ApplyEndpointFlags(e, "management.usgovcloudapi.net", "vault.usgovcloudapi.net",
                     "login.microsoftonline.us");
  EXPECT_EQ(e.arm, "https://management.usgovcloudapi.net");
  EXPECT_EQ(e.VaultUrl("x"), "https://x.vault.usgovcloudapi.net");
  EXPECT_EQ(e.authority_host, "https://login.microsoftonline.us");
}

struct CredHarness {
  std::map<std::string, std::string> env;
  int64_t now = 1000;
  std::vector<std::vector<std::string>> commands;
  EnvGetter Env() {
    return [this](const std::string& n) -> std::optional<std::string> {
      if (!env.count(n)) return std::nullopt;
      return env[n];
    };
  }
  UnixClock clock() { return [this] { return now; }; }
  CommandRunner runner(std::string out) {
    return [this, out](const std::vector<std::string>& argv) -> Result<std::string> {
      commands.push_back(argv);
      return out;
    };
  }
};

Result<HttpResponse> TokenEndpoint(const HttpRequest& r) {
  if (r.url.find("/oauth2/v2.0/token") != std::string::npos)
    return Respond(200, R"({"token_type":"Bearer","expires_in":3600,"access_token":"aad-token"})");
  if (r.url.find("169.254.169.254") != std::string::npos || r.url.find("identity") != std::string::npos)
    return Respond(200, R"({"access_token":"mi-token","expires_on":"999999","resource":"x","token_type":"Bearer"})");
  return Unavailable("unreachable");
}

TEST(Credentials, ClientSecretComesFirst) {
  CredHarness h;
  h.env = {{"AZURE_TENANT_ID", "t1"}, {"AZURE_CLIENT_ID", "c1"}, {"AZURE_CLIENT_SECRET", "sec"},
           {"AZURE_AUTHORITY_HOST", "https://login.example"}, {"IDENTITY_ENDPOINT", "https://id/identity"},
           {"IDENTITY_HEADER", "h"}};
  FakeTransport t(TokenEndpoint);
  auto cred = MakeCredential({}, h.Env(), t, h.clock(), h.runner("{}"));
  ASSERT_TRUE(cred.ok());
  auto tok = (*cred)->GetToken("https://vault.azure.net/.default");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(tok->token, "aad-token");
  EXPECT_EQ(tok->expires_on, 1000 + 3600);
  ASSERT_EQ(t.requests.size(), 1u);
  const HttpRequest& r = t.requests[0];
  EXPECT_EQ(r.url, "https://login.example/t1/oauth2/v2.0/token");
  EXPECT_EQ(r.method, "POST");
  EXPECT_NE(r.body.find("grant_type=client_credentials"), std::string::npos);
  EXPECT_NE(r.body.find("client_secret=sec"), std::string::npos);
  EXPECT_NE(r.body.find("scope=https%3A%2F%2Fvault.azure.net%2F.default"), std::string::npos);
}

TEST(Credentials, WorkloadIdentitySendsTheFederatedTokenAsAssertion) {
  CredHarness h;
  std::string file = ::testing::TempDir() + "/federated-token";
  std::ofstream(file) << "eyJfederated\n";
  h.env = {{"AZURE_TENANT_ID", "t1"}, {"AZURE_CLIENT_ID", "c1"}, {"AZURE_FEDERATED_TOKEN_FILE", file}};
  FakeTransport t(TokenEndpoint);
  auto cred = MakeCredential({}, h.Env(), t, h.clock(), h.runner("{}"));
  ASSERT_TRUE((*cred)->GetToken("https://management.azure.com/.default").ok());
  ASSERT_EQ(t.requests.size(), 1u);
  EXPECT_NE(t.requests[0].body.find("&client_assertion=eyJfederated"), std::string::npos);
  EXPECT_NE(t.requests[0].body.find("client_assertion_type=urn%3Aietf"), std::string::npos);
  EXPECT_EQ(t.requests[0].body.find("client_secret"), std::string::npos);
  std::remove(file.c_str());
}

TEST(Credentials, ManagedIdentityAppServiceThenImds) {
  CredHarness h;
  h.env = {{"IDENTITY_ENDPOINT", "https://id.local/identity/token"}, {"IDENTITY_HEADER", "hdr"}};
  FakeTransport t(TokenEndpoint);
  auto cred = MakeCredential({}, h.Env(), t, h.clock(), h.runner("{}"));
  auto tok = (*cred)->GetToken("https://vault.azure.net/.default");
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ(tok->token, "mi-token");
  EXPECT_EQ(tok->expires_on, 999999);
  EXPECT_EQ(t.requests[0].headers.at("X-IDENTITY-HEADER"), "hdr");
  EXPECT_NE(t.requests[0].url.find("resource=https%3A%2F%2Fvault.azure.net"), std::string::npos);

  CredHarness h2;  // nothing set: IMDS, with Metadata: true and a short connect timeout
  FakeTransport t2(TokenEndpoint);
  auto cred2 = MakeCredential({}, h2.Env(), t2, h2.clock(), h2.runner("{}"));
  ASSERT_TRUE((*cred2)->GetToken("https://management.azure.com/.default").ok());
  EXPECT_EQ(t2.requests[0].headers.at("Metadata"), "true");
  EXPECT_EQ(t2.requests[0].connect_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(t2.requests[0].url.rfind("http://169.254.169.254/metadata/identity/oauth2/token?", 0), 0u);
}

TEST(Credentials, AzureCliLastAndOnlyWhenOnPath) {
  CredHarness h;
  std::string dir = ::testing::TempDir() + "/azbin";
  std::filesystem::create_directories(dir);
  std::string az = dir + "/az";
  std::ofstream(az) << "#!/bin/sh\n";
  std::filesystem::permissions(az, std::filesystem::perms::owner_all);
  h.env = {{"PATH", dir}};
  FakeTransport t([](const HttpRequest&) -> Result<HttpResponse> { return Unavailable("no IMDS"); });
  auto cred = MakeCredential({}, h.Env(), t, h.clock(),
                             h.runner(R"({"accessToken":"cli-token","expires_on":5000,"tokenType":"Bearer"})"));
  auto tok = (*cred)->GetToken("https://vault.azure.net/.default");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ(tok->token, "cli-token");
  EXPECT_EQ(tok->expires_on, 5000);
  ASSERT_EQ(h.commands.size(), 1u);
  EXPECT_EQ(h.commands[0], (std::vector<std::string>{az, "account", "get-access-token", "--resource",
                                                     "https://vault.azure.net", "-o", "json"}));
  // Without az on PATH, nothing is available.
  CredHarness none;
  FakeTransport t2([](const HttpRequest&) -> Result<HttpResponse> { return Unavailable("no IMDS"); });
  auto cred2 = MakeCredential({}, none.Env(), t2, none.clock(), none.runner("{}"));
  auto fail = (*cred2)->GetToken("https://vault.azure.net/.default");
  ASSERT_FALSE(fail.ok());
  EXPECT_EQ(fail.status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(none.commands.empty());
}

TEST(Credentials, NamedCredentialAndFailuresStopTheChain) {
  CredHarness h;
  h.env = {{"AZURE_TENANT_ID", "t1"}, {"AZURE_CLIENT_ID", "c1"}, {"AZURE_CLIENT_SECRET", "wrong"}};
  FakeTransport t([](const HttpRequest&) {
    return Respond(401, R"({"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."})");
  });
  auto cred = MakeCredential({}, h.Env(), t, h.clock(), h.runner("{}"));
  auto tok = (*cred)->GetToken("s/.default");
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(tok.status().message().find("AADSTS7000215"), std::string::npos);
  EXPECT_EQ(tok.status().message().find("wrong"), std::string::npos);  // the secret is never echoed
  EXPECT_EQ(t.requests.size(), 1u);  // managed identity was not tried

  CredentialOptions named;
  named.named = "managed-identity";
  FakeTransport t2(TokenEndpoint);
  auto only_mi = MakeCredential(named, h.Env(), t2, h.clock(), h.runner("{}"));
  ASSERT_TRUE((*only_mi)->GetToken("https://vault.azure.net/.default").ok());
  EXPECT_EQ(t2.requests[0].url.find("oauth2/v2.0"), std::string::npos);
  named.named = "bogus";
  EXPECT_FALSE(MakeCredential(named, h.Env(), t2, h.clock(), h.runner("{}")).ok());
}

TEST(Credentials, TokensCachedPerScopeAndRefreshed300sBeforeExpiry) {
  CredHarness h;
  h.env = {{"AZURE_TENANT_ID", "t1"}, {"AZURE_CLIENT_ID", "c1"}, {"AZURE_CLIENT_SECRET", "sec"}};
  FakeTransport t(TokenEndpoint);  // expires_in 3600
  auto cred = MakeCredential({}, h.Env(), t, h.clock(), h.runner("{}"));
  ASSERT_TRUE((*cred)->GetToken("a/.default").ok());
  ASSERT_TRUE((*cred)->GetToken("a/.default").ok());
  EXPECT_EQ(t.requests.size(), 1u);
  ASSERT_TRUE((*cred)->GetToken("b/.default").ok());
  EXPECT_EQ(t.requests.size(), 2u);  // per scope
  h.now += 3600 - 301;
  ASSERT_TRUE((*cred)->GetToken("a/.default").ok());
  EXPECT_EQ(t.requests.size(), 2u);  // still 301 s left
  h.now += 2;
  ASSERT_TRUE((*cred)->GetToken("a/.default").ok());
  EXPECT_EQ(t.requests.size(), 3u);  // inside the 300 s margin: refreshed
  (*cred)->Invalidate("b/.default");
  ASSERT_TRUE((*cred)->GetToken("b/.default").ok());
  EXPECT_EQ(t.requests.size(), 4u);
}

TEST(Credentials, RefusesSecretsOverPlainHttpAuthority) {
  CredHarness h;
  h.env = {{"AZURE_TENANT_ID", "t1"}, {"AZURE_CLIENT_ID", "c1"}, {"AZURE_CLIENT_SECRET", "sec"},
           {"AZURE_AUTHORITY_HOST", "http://login.example"}};
  FakeTransport t(TokenEndpoint);
  auto cred = MakeCredential({}, h.Env(), t, h.clock(), h.runner("{}"));
  auto tok = (*cred)->GetToken("a/.default");
  ASSERT_FALSE(tok.ok());
  EXPECT_TRUE(t.requests.empty());
}

TEST(Credentials, TenantFromJwt) {
  std::string payload = R"({"tid":"tenant-xyz","aud":"a"})";
  std::string jwt = "eyJhbGciOiJub25lIn0." +
                    Base64UrlEncode(Bytes(payload.begin(), payload.end())) + ".sig";
  EXPECT_EQ(TenantFromJwt(jwt), "tenant-xyz");
  EXPECT_EQ(TenantFromJwt("opaque"), "");
  EXPECT_EQ(ScopeToResource("https://vault.azure.net/.default"), "https://vault.azure.net");
}

}  // namespace
}  // namespace cmk
