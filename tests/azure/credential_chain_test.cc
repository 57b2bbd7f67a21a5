// The default chain as the SDKs' DefaultAzureCredential runs it: each source
// in order, moving on when one cannot work here (IMDS refusing with 403 or
// unreachable, the CLI not logged in), one error listing every attempt, and
// the source that worked kept. Nothing sleeps; `az` is a script on a PATH the
// test makes, run through a fake runner.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "azure/credentials.h"
#include "fake_transport.h"

namespace cmk {
namespace {

constexpr const char* kForbidden =
    R"({"error":"forbidden","error_description":"A socket operation was attempted to an unreachable network."})";

struct Chain {
  std::map<std::string, std::string> env;
  std::vector<std::vector<std::string>> az_calls;
  Result<std::string> az_answer = std::string(R"({"accessToken":"cli-token","expires_on":1700009999})");
  FakeTransport transport{[](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/metadata/identity/oauth2/token") != std::string::npos) return Respond(403, kForbidden);
    return Unavailable("unexpected request");
  }};
  std::unique_ptr<CachingCredential> credential;

  Chain() {
    std::string bin = ::testing::TempDir() + "/chain-bin";
    std::filesystem::create_directories(bin);
    std::ofstream(bin + "/az") << "#!/bin/sh\n";
    std::filesystem::permissions(bin + "/az", std::filesystem::perms::owner_all);
    env["PATH"] = bin;
  }
  Result<AccessToken> Token(const std::string& scope = "https://management.azure.com/.default") {
    if (!credential) {
      CredentialOptions o;
      o.sleeper = [](Millis) { ADD_FAILURE() << "IMDS was retried"; };
      auto made = MakeCredential(
          o,
          [this](const std::string& n) -> std::optional<std::string> {
            auto it = env.find(n);
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
          },
          transport, [] { return int64_t{1700000000}; },
          [this](const std::vector<std::string>& argv) -> Result<std::string> {
            az_calls.push_back(argv);
            return az_answer;
          });
      if (!made.ok()) return made.status();
      credential = std::move(*made);
    }
    return credential->GetToken(scope);
  }
};

TEST(CredentialChain, ImdsAnswering403MovesOnToTheAzureCli) {
  Chain chain;
  Result<AccessToken> token = chain.Token();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->token, "cli-token");
  ASSERT_EQ(chain.transport.requests.size(), 1u);  // one IMDS request, not retried
  EXPECT_EQ(chain.transport.requests[0].headers.at("Metadata"), "true");
  ASSERT_EQ(chain.az_calls.size(), 1u);
  EXPECT_EQ(chain.az_calls[0][1], "account");
}

TEST(CredentialChain, OneErrorListsEverySourceInOrder) {
  Chain chain;
  chain.az_answer = Unavailable("/tmp/chain-bin/az exited with status 1");
  Result<AccessToken> token = chain.Token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kPermissionDenied);
  const std::string m = token.status().message();
  const std::vector<std::string> lines = {
      "no Azure credential gave a token; credentials in order:",
      "\n  client-secret: unavailable: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set",
      "\n  client-certificate: unavailable: AZURE_TENANT_ID, AZURE_CLIENT_ID, "
      "AZURE_CLIENT_CERTIFICATE_PATH not set",
      "\n  workload-identity: unavailable: AZURE_TENANT_ID, AZURE_CLIENT_ID, "
      "AZURE_FEDERATED_TOKEN_FILE not set",
      "\n  managed-identity: unavailable: the managed identity endpoint refused the request (HTTP "
      "403: forbidden: A socket operation was attempted to an unreachable network.)",
      "\n  azure-cli: unavailable: az account get-access-token failed (run `az login`)",
  };
  size_t at = 0;
  for (const std::string& line : lines) {
    size_t found = m.find(line, at);
    ASSERT_NE(found, std::string::npos) << "missing, or out of order: " << line << "\nin:\n" << m;
    at = found + line.size();
  }
}

TEST(CredentialChain, TheSourceThatWorkedIsKept) {
  Chain chain;
  ASSERT_TRUE(chain.Token("https://management.azure.com/.default").ok());
  ASSERT_TRUE(chain.Token("https://vault.azure.net/.default").ok());
  EXPECT_EQ(chain.transport.requests.size(), 1u);  // IMDS was not asked again
  ASSERT_EQ(chain.az_calls.size(), 2u);
  EXPECT_EQ(chain.az_calls[1][4], "https://vault.azure.net");
}

TEST(CredentialChain, ImdsAtThePodIdentityHost) {
  Chain chain;
  chain.env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = "http://127.0.0.1:2377/";
  ASSERT_TRUE(chain.Token().ok());
  ASSERT_EQ(chain.transport.requests.size(), 1u);
  EXPECT_EQ(chain.transport.requests[0].url.rfind(
                "http://127.0.0.1:2377/metadata/identity/oauth2/token?api-version=2018-02-01&", 0),
            0u)
      << chain.transport.requests[0].url;
}

// The Azure App Service endpoint refusing is a real failure: it stops the
// chain (only IMDS's 403 comes from something in between).
TEST(CredentialChain, AppServiceEndpointRefusingStopsTheChain) {
  Chain chain;
  chain.env["IDENTITY_ENDPOINT"] = "https://id.local/msi/token";
  chain.env["IDENTITY_HEADER"] = "hdr-secret-value";
  FakeTransport refusing([](const HttpRequest&) -> Result<HttpResponse> {
    return Respond(403, R"({"error":"forbidden","error_description":"header mismatch"})");
  });
  CredentialOptions o;
  auto cred = MakeCredential(
      o,
      [&](const std::string& n) -> std::optional<std::string> {
        auto it = chain.env.find(n);
        return it == chain.env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      refusing, [] { return int64_t{0}; },
      [](const std::vector<std::string>&) -> Result<std::string> { return std::string("{}"); });
  Result<AccessToken> token = (*cred)->GetToken("https://vault.azure.net/.default");
  ASSERT_FALSE(token.ok());
  EXPECT_NE(token.status().message().find("azure-cli: not tried"), std::string::npos)
      << token.status().message();
  EXPECT_EQ(token.status().message().find("hdr-secret-value"), std::string::npos);
}

}  // namespace
}  // namespace cmk
