// ArmClient and KeyVaultClient over a fake transport: where tokens may go.
#include <gtest/gtest.h>

#include "azure/arm_client.h"
#include "azure/keyvault_client.h"
#include "fake_transport.h"

namespace cmk {
namespace {


struct Stack : PipelineStack {
  using PipelineStack::PipelineStack;
  int AuthorizedRequestsTo(const std::string& host) {
    int n = 0;
    for (const auto& r : transport.requests)
      if (r.url.find(host) != std::string::npos && r.headers.count("Authorization")) ++n;
    return n;
  }
};

TEST(ArmClient, PurgeExampleLocationOnAnotherHostIsNotPolledWithTheToken) {
  Json ex = LoadExample("keyvault-arm/purgeDeletedVault.json");
  std::string location = ex["responses"]["202"]["headers"]["Location"];
  Stack s([&](const HttpRequest& r) { return Respond(202, "", {{"Location", location}}); });
  ArmClient arm(*s.pipeline, AzureEndpoints{});
  Status st = arm.PostAction("/subscriptions/x/providers/Microsoft.KeyVault/locations/westus/"
                             "deletedVaults/sample-vault/purge",
                             kVaultsApiVersion, "vault sample-vault");
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.AuthorizedRequestsTo("some.endpoint.com"), 0);
  // A 200 purge is done at once.
  Stack ok([](const HttpRequest&) { return Respond(200); });
  ArmClient arm2(*ok.pipeline, AzureEndpoints{});
  EXPECT_TRUE(arm2.PostAction("/p/purge", kVaultsApiVersion, "vault v").ok());
}

TEST(ArmClient, AzureAsyncOperationPollingThenFinalGet) {
  int polls = 0;
  Stack s([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT")
      return Respond(201, R"({"properties":{"provisioningState":"Creating"}})",
                     {{"Azure-AsyncOperation", "https://management.azure.com/ops/1?api-version=x"}});
    if (r.url.find("/ops/1") != std::string::npos)
      return Respond(200, ++polls < 3 ? R"({"status":"InProgress"})" : R"({"status":"Succeeded"})");
    return Respond(200, R"({"id":"/subscriptions/s/resourceGroups/r/providers/P/t/n","properties":{"provisioningState":"Succeeded"}})");
  });
  ArmClient arm(*s.pipeline, AzureEndpoints{}, LroOptions{10, Millis(1)});
  auto out = arm.Write("PUT", "/subscriptions/s/resourceGroups/r/providers/P/t/n", "v", Json::object(), "thing n");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(polls, 3);
  EXPECT_EQ((*out)["id"], "/subscriptions/s/resourceGroups/r/providers/P/t/n");
  // Failed operations surface their error.
  Stack f([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method == "PUT") return Respond(202, "", {{"Azure-AsyncOperation", "https://management.azure.com/ops/2"}});
    return Respond(200, R"({"status":"Failed","error":{"code":"QuotaExceeded","message":"no room"}})");
  });
  ArmClient arm2(*f.pipeline, AzureEndpoints{}, LroOptions{10, Millis(1)});
  auto failed = arm2.Write("PUT", "/x", "v", Json::object(), "thing x");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("QuotaExceeded"), std::string::npos);
}

TEST(KeyVaultClient, RefusesAChallengeForAnotherAudienceAndNeverSendsAToken) {
  Stack s([](const HttpRequest& r) {
    return Respond(401, "", {{"WWW-Authenticate",
                              "Bearer authorization=\"https://login.microsoftonline.com/t\", "
                              "resource=\"https://management.azure.com\""}});
  });
  KeyVaultClient kv(*s.pipeline, AzureEndpoints{});
  auto r = kv.Get("myvault", "/keys/k", "key myvault/k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("does not match"), std::string::npos);
  EXPECT_EQ(s.AuthorizedRequestsTo("vault.azure.net"), 0);
  EXPECT_EQ(kv.challenge("myvault"), nullptr);
}

TEST(KeyVaultClient, ChallengeCachedPerVaultAndNextLinkStaysOnTheVault) {
  Stack s([](const HttpRequest& r) -> Result<HttpResponse> {
    if (!r.headers.count("Authorization"))
      return Respond(401, "", {{"WWW-Authenticate",
                                "Bearer authorization=\"https://login.microsoftonline.com/t\", "
                                "resource=\"https://vault.azure.net\""}});
    if (r.url.find("evil") != std::string::npos) return Respond(200, R"({"value":[]})");
    if (r.url.find("skiptoken") == std::string::npos)
      return Respond(200, R"({"value":[{"kid":"https://myvault.vault.azure.net/keys/a"}],
        "nextLink":"https://myvault.vault.azure.net:443/keys?api-version=7.2&$skiptoken=x"})");
    return Respond(200, R"({"value":[{"kid":"https://myvault.vault.azure.net/keys/b"}],
        "nextLink":"https://evil.example/keys?$skiptoken=y"})");
  });
  KeyVaultClient kv(*s.pipeline, AzureEndpoints{});
  auto r = kv.List("myvault", "/keys?maxresults=25", "keys of vault myvault");
  ASSERT_FALSE(r.ok());  // the second nextLink leaves the vault: refused
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  ASSERT_NE(kv.challenge("MyVault"), nullptr);
  EXPECT_EQ(kv.challenge("myvault")->scope, "https://vault.azure.net/.default");
  int probes = 0;
  for (const auto& req : s.transport.requests)
    if (req.url.find("vault.azure.net") != std::string::npos && !req.headers.count("Authorization")) ++probes;
  EXPECT_EQ(probes, 1);  // one challenge per vault
  EXPECT_EQ(s.AuthorizedRequestsTo("evil.example"), 0);
  // The nextLink was followed verbatim (its own api-version).
  EXPECT_NE(s.transport.requests.back().url.find("api-version=7.2&$skiptoken=x"), std::string::npos);
}

}  // namespace
}  // namespace cmk
