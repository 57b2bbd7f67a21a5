// What the Azure provider reads from its environment besides the AZURE_*
// names: Terraform azurerm's ARM_* aliases (which lose to AZURE_*), and
// clouds by name (--cloud, AZURE_CLOUD, ARM_ENVIRONMENT), which set the ARM
// endpoint, the authority and the vault suffix together while the single
// overrides still win.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "azure/azure_provider.h"
#include "fake_transport.h"
#include "test_certificates.h"

namespace cmk {
namespace {

using Vars = std::map<std::string, std::string>;

EnvGetter EnvOf(const Vars& vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// The first token request a client-credentials chain sends with `vars`.
HttpRequest FirstTokenRequest(const Vars& vars) {
  FakeTransport t([](const HttpRequest&) -> Result<HttpResponse> {
    return Respond(200, R"({"access_token":"tok","expires_in":3600})");
  });
  auto cred = MakeCredential({}, EnvOf(vars), t, [] { return int64_t{1700000000}; },
                             [](const std::vector<std::string>&) -> Result<std::string> {
                               return Unavailable("no az");
                             });
  EXPECT_TRUE(cred.ok());
  Result<AccessToken> token = (*cred)->GetToken("https://management.azure.com/.default");
  EXPECT_TRUE(token.ok()) << token.status().ToString();
  return t.requests.empty() ? HttpRequest{} : t.requests.front();
}

bool Has(const std::string& body, const std::string& member) {
  return ("&" + body + "&").find("&" + member + "&") != std::string::npos;
}

TEST(ArmAliases, StandInForTheAzureNames) {
  HttpRequest r = FirstTokenRequest(
      {{"ARM_TENANT_ID", "arm-tenant"}, {"ARM_CLIENT_ID", "arm-client"}, {"ARM_CLIENT_SECRET", "arm-secret"}});
  EXPECT_EQ(r.url, "https://login.microsoftonline.com/arm-tenant/oauth2/v2.0/token");
  EXPECT_TRUE(Has(r.body, "client_id=arm-client")) << r.body;
  EXPECT_TRUE(Has(r.body, "client_secret=arm-secret")) << r.body;
}

TEST(ArmAliases, LoseToTheAzureNames) {
  HttpRequest r = FirstTokenRequest({{"ARM_TENANT_ID", "arm-tenant"},
                                     {"ARM_CLIENT_ID", "arm-client"},
                                     {"ARM_CLIENT_SECRET", "arm-secret"},
                                     {"AZURE_TENANT_ID", "az-tenant"},
                                     {"AZURE_CLIENT_ID", "az-client"},
                                     {"AZURE_CLIENT_SECRET", "az-secret"}});
  EXPECT_EQ(r.url, "https://login.microsoftonline.com/az-tenant/oauth2/v2.0/token");
  EXPECT_TRUE(Has(r.body, "client_id=az-client")) << r.body;
  EXPECT_TRUE(Has(r.body, "client_secret=az-secret")) << r.body;
  // One name at a time: an AZURE_* secret with azurerm's ids.
  HttpRequest mixed = FirstTokenRequest(
      {{"ARM_TENANT_ID", "arm-tenant"}, {"ARM_CLIENT_ID", "arm-client"}, {"AZURE_CLIENT_SECRET", "az-secret"},
       {"ARM_CLIENT_SECRET", "arm-secret"}});
  EXPECT_EQ(mixed.url, "https://login.microsoftonline.com/arm-tenant/oauth2/v2.0/token");
  EXPECT_TRUE(Has(mixed.body, "client_secret=az-secret")) << mixed.body;
}

TEST(ArmAliases, OidcTokenFileNeedsUseOidc) {
  std::string file = WriteTestFile("arm-oidc-token", "eyJarm.oidc.token\n");
  Vars vars = {{"ARM_TENANT_ID", "t"}, {"ARM_CLIENT_ID", "c"}, {"ARM_OIDC_TOKEN_FILE_PATH", file}};
  EnvGetter without = WithArmAliases(EnvOf(vars));
  EXPECT_FALSE(without("AZURE_FEDERATED_TOKEN_FILE").has_value());
  vars["ARM_USE_OIDC"] = "true";
  EXPECT_EQ(WithArmAliases(EnvOf(vars))("AZURE_FEDERATED_TOKEN_FILE"), file);
  HttpRequest r = FirstTokenRequest(vars);
  EXPECT_TRUE(Has(r.body, "client_assertion=eyJarm.oidc.token")) << r.body;
}

TEST(ArmAliases, CertificatePathAndPassword) {
  TestCertificate cert("cmkctl-arm-app");
  HttpRequest r = FirstTokenRequest(
      {{"ARM_TENANT_ID", "t"},
       {"ARM_CLIENT_ID", "c"},
       {"ARM_CLIENT_CERTIFICATE_PATH", WriteTestFile("arm.pfx", cert.Pkcs12("arm-pass"))},
       {"ARM_CLIENT_CERTIFICATE_PASSWORD", "arm-pass"}});
  EXPECT_NE(r.body.find("client_assertion=ey"), std::string::npos) << r.body;
}

TEST(ArmAliases, TheTable) {
  Vars vars = {{"ARM_CLIENT_ID", "1"},
               {"ARM_TENANT_ID", "2"},
               {"ARM_CLIENT_SECRET", "3"},
               {"ARM_CLIENT_CERTIFICATE_PATH", "4"},
               {"ARM_CLIENT_CERTIFICATE_PASSWORD", "5"},
               {"ARM_ENVIRONMENT", "6"},
               {"AZURE_AUTHORITY_HOST", "7"}};
  EnvGetter env = WithArmAliases(WithArmAliases(EnvOf(vars)));
  EXPECT_EQ(env("AZURE_CLIENT_ID"), "1");
  EXPECT_EQ(env("AZURE_TENANT_ID"), "2");
  EXPECT_EQ(env("AZURE_CLIENT_SECRET"), "3");
  EXPECT_EQ(env("AZURE_CLIENT_CERTIFICATE_PATH"), "4");
  EXPECT_EQ(env("AZURE_CLIENT_CERTIFICATE_PASSWORD"), "5");
  EXPECT_EQ(env("AZURE_CLOUD"), "6");
  EXPECT_EQ(env("AZURE_AUTHORITY_HOST"), "7");
  EXPECT_EQ(env("ARM_CLIENT_ID"), "1");
  EXPECT_FALSE(env("AZURE_FEDERATED_TOKEN_FILE").has_value());
  EXPECT_FALSE(env("AZURE_USERNAME").has_value());
}

TEST(Clouds, NamesSetAllThreeEndpoints) {
  struct Want {
    std::vector<std::string> names;
    std::string arm, authority, suffix;
  };
  for (const Want& w : std::vector<Want>{
           {{"AzurePublicCloud", "AzureCloud", "public", "PUBLIC"},
            "https://management.azure.com", "https://login.microsoftonline.com", "vault.azure.net"},
           {{"AzureUSGovernment", "usgovernment", "azureusgovernment"},
            "https://management.usgovcloudapi.net", "https://login.microsoftonline.us",
            "vault.usgovcloudapi.net"},
           {{"AzureChinaCloud", "china", "azurechinacloud"},
            "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn", "vault.azure.cn"}}) {
    for (const std::string& name : w.names) {
      SCOPED_TRACE(name);
      Result<AzureEndpoints> e = CloudEndpoints(name);
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      EXPECT_EQ(e->arm, w.arm);
      EXPECT_EQ(e->authority_host, w.authority);
      EXPECT_EQ(e->vault_dns_suffix, w.suffix);
      EXPECT_EQ(e->ArmScope(), w.arm + "/.default");
      EXPECT_EQ(e->DefaultKeyVaultResource(), "https://" + w.suffix);
    }
  }
  Result<AzureEndpoints> german = CloudEndpoints("AzureGermanCloud");
  ASSERT_FALSE(german.ok());
  EXPECT_NE(german.status().message().find("AzureChinaCloud"), std::string::npos);
}

TEST(Clouds, WhichNameWinsAndSingleOverrides) {
  auto endpoints = [](const Vars& vars, const std::string& flag = "") {
    return EndpointsFromEnv(EnvOf(vars), flag);
  };
  EXPECT_EQ(endpoints({})->arm, "https://management.azure.com");
  EXPECT_EQ(endpoints({{"ARM_ENVIRONMENT", "usgovernment"}})->arm,
            "https://management.usgovcloudapi.net");
  EXPECT_EQ(endpoints({{"ARM_ENVIRONMENT", "usgovernment"}, {"AZURE_CLOUD", "china"}})->arm,
            "https://management.chinacloudapi.cn");
  EXPECT_EQ(endpoints({{"AZURE_CLOUD", "china"}}, "AzureUSGovernment")->arm,
            "https://management.usgovcloudapi.net");
  // A cloud sets three; CMKCTL_ARM_ENDPOINT and the others override one each.
  Result<AzureEndpoints> e = endpoints(
      {{"AZURE_CLOUD", "AzureChinaCloud"}, {"CMKCTL_VAULT_DNS_SUFFIX", "vault.localhost:8443"}});
  EXPECT_EQ(e->arm, "https://management.chinacloudapi.cn");
  EXPECT_EQ(e->authority_host, "https://login.chinacloudapi.cn");
  EXPECT_EQ(e->vault_dns_suffix, "vault.localhost:8443");
  ApplyEndpointFlags(*e, "https://127.0.0.1:8443", "", "");
  EXPECT_EQ(e->arm, "https://127.0.0.1:8443");
  EXPECT_EQ(e->authority_host, "https://login.chinacloudapi.cn");
  // An unknown name is an error naming where it came from, never the public cloud.
  Result<AzureEndpoints> bad = endpoints({{"ARM_ENVIRONMENT", "german"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ARM_ENVIRONMENT"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(AzureOptionsFromEnv(EnvOf({{"AZURE_CLOUD", "mars"}})).ok());
}

// --cloud AzureChinaCloud: the provider asks login.chinacloudapi.cn for
// tokens, ARM at management.chinacloudapi.cn and vaults at *.vault.azure.cn.
TEST(Clouds, ChinaCloudReachesAllThreeHosts) {
  Vars vars = {{"AZURE_TENANT_ID", "tenant-1"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "s"}};
  Result<AzureProviderOptions> options = AzureOptionsFromEnv(EnvOf(vars), "AzureChinaCloud");
  ASSERT_TRUE(options.ok()) << options.status().ToString();
  auto transport = std::make_unique<FakeTransport>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth2/v2.0/token") != std::string::npos)
      return Respond(200, R"({"access_token":"eyJ.cn-token.sig","expires_in":3600})");
    if (r.url.find(".vault.azure.cn/") != std::string::npos && !r.headers.count("Authorization"))
      return Respond(401, R"({"error":{"code":"Unauthorized","message":"no token"}})",
                     {{"WWW-Authenticate", "Bearer authorization=\"https://login.chinacloudapi.cn/"
                                           "tenant-1\", resource=\"https://vault.azure.cn\""}});
    if (r.url.find(".vault.azure.cn/") != std::string::npos)
      return Respond(404, R"({"error":{"code":"KeyNotFound","message":"no key"}})");
    return Respond(200, R"({"value":[]})");
  });
  FakeTransport* t = transport.get();
  AzureTestHooks hooks;
  hooks.sleeper = [](Millis) {};
  hooks.clock = [] { return int64_t{1700000000}; };
  hooks.command_runner = [](const std::vector<std::string>&) -> Result<std::string> {
    return Unavailable("no az");
  };
  auto provider = AzureProvider::Create(std::move(*options), std::move(transport), EnvOf(vars), hooks);
  ASSERT_TRUE(provider.ok()) << provider.status().ToString();
  ASSERT_TRUE((*provider)->ListVaults("sub-1").ok());
  ASSERT_TRUE((*provider)->GetKey(KeyRef{"kv1", "cmk"}).ok());
  std::vector<std::string> hosts;
  for (const HttpRequest& r : t->requests) {
    std::string host = r.url.substr(0, r.url.find('/', 8));
    if (hosts.empty() || hosts.back() != host) hosts.push_back(host);
    if (r.url.find("/oauth2/") != std::string::npos) {
      EXPECT_EQ(r.url, "https://login.chinacloudapi.cn/tenant-1/oauth2/v2.0/token");
    }
  }
  EXPECT_EQ(hosts, (std::vector<std::string>{"https://login.chinacloudapi.cn",
                                             "https://management.chinacloudapi.cn",
                                             "https://kv1.vault.azure.cn",
                                             "https://login.chinacloudapi.cn",
                                             "https://kv1.vault.azure.cn"}));
  EXPECT_NE(t->requests[0].body.find("scope=https%3A%2F%2Fmanagement.chinacloudapi.cn%2F.default"),
            std::string::npos);
  EXPECT_NE(t->requests[3].body.find("scope=https%3A%2F%2Fvault.azure.cn%2F.default"),
            std::string::npos);
}

// --authority-host reaches the credential (it used to stop at the endpoints).
TEST(Clouds, AuthorityFlagReachesTheCredential) {
  Vars vars = {{"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "s"}};
  AzureProviderOptions options = AzureOptionsFromEnv(EnvOf(vars)).value();
  ApplyEndpointFlags(options.endpoints, "", "", "https://login.flag.example");
  auto transport = std::make_unique<FakeTransport>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth2/v2.0/token") != std::string::npos)
      return Respond(200, R"({"access_token":"eyJ.t.sig","expires_in":3600})");
    return Respond(200, R"({"value":[]})");
  });
  FakeTransport* t = transport.get();
  AzureTestHooks hooks;
  hooks.sleeper = [](Millis) {};
  auto provider = AzureProvider::Create(std::move(options), std::move(transport), EnvOf(vars), hooks);
  ASSERT_TRUE(provider.ok());
  // Before a token, the chain names its members; after, the one in use (what
  // evidence bundles record as the principal's credential).
  EXPECT_EQ((*provider)->CredentialName().rfind("chain(client-secret", 0), 0u) << (*provider)->CredentialName();
  ASSERT_TRUE((*provider)->ListVaults("sub-1").ok());
  EXPECT_EQ(t->requests.front().url, "https://login.flag.example/t/oauth2/v2.0/token");
  EXPECT_EQ((*provider)->CredentialName(), "client-secret (from the default chain)");
}

}  // namespace
}  // namespace cmk
