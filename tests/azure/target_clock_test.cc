// The REST provider's "now" is the target's: the latest Date header of an
// ARM or Key Vault response, never this machine's clock once one arrived,
// never moved back by an older Date, and never taken from a token endpoint.
#include <gtest/gtest.h>

#include "azure/target_clock.h"
#include "base/duration.h"
#include "fake_transport.h"

namespace cmk {
namespace {


constexpr const char* kVaultBody =
    R"({"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv","name":"kv",)"
    R"("location":"westeurope","properties":{"vaultUri":"https://kv.vault.azure.net/"}})";

int64_t At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

TEST(TargetClock, ProviderNowIsTheLatestDateOfTheTarget) {
  FakeWorld w;
  std::string date;  // what the next ARM answer carries
  auto p = w.Make([&](const HttpRequest&) {
    HeaderMap h;
    if (!date.empty()) h["Date"] = date;
    return Respond(200, kVaultBody, h);
  });
  ASSERT_TRUE(p);
  // No answer yet: this machine's clock.
  EXPECT_EQ(p->Now(), w.now);

  date = FormatHttpDate(At("2026-11-23T00:00:00Z"));
  ASSERT_TRUE(p->GetVault(ArmRef{"s", "rg", "kv"}).ok());
  EXPECT_EQ(p->Now(), At("2026-11-23T00:00:00Z"));
  w.now += 400 * 86400;  // this machine's clock moves on; the target's does not
  EXPECT_EQ(p->Now(), At("2026-11-23T00:00:00Z"));

  date = FormatHttpDate(At("2026-11-24T00:00:00Z"));
  ASSERT_TRUE(p->GetVault(ArmRef{"s", "rg", "kv"}).ok());
  EXPECT_EQ(p->Now(), At("2026-11-24T00:00:00Z"));

  // An older Date (a slow answer of a batch) and garbage leave it alone.
  for (const char* d : {"Mon, 23 Nov 2026 00:00:00 GMT", "yesterday", ""}) {
    date = d;
    ASSERT_TRUE(p->GetVault(ArmRef{"s", "rg", "kv"}).ok());
    EXPECT_EQ(p->Now(), At("2026-11-24T00:00:00Z")) << d;
  }
}

TEST(TargetClock, TokenEndpointsDoNotSetTheTargetsTime) {
  // The identity platform is not the target: a token answer dated 2099 must
  // not become "now" for a plan.
  auto transport = std::make_unique<FakeTransport>([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth2/v2.0/token") != std::string::npos)
      return Respond(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ.t.s"})",
                     {{"Date", "Thu, 01 Jan 2099 00:00:00 GMT"}});
    return Respond(200, kVaultBody, {{"Date", "Mon, 23 Nov 2026 00:00:00 GMT"}});
  });
  FakeTransport* raw = transport.get();
  std::map<std::string, std::string> env = {
      {"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "s"}};
  AzureTestHooks hooks;
  hooks.sleeper = [](Millis) {};
  hooks.clock = [] { return int64_t{1700000000}; };
  AzureProviderOptions options;
  options.tenant_id = "t";
  auto p = AzureProvider::Create(
      options, std::move(transport),
      [&](const std::string& n) -> std::optional<std::string> {
        auto it = env.find(n);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      hooks);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_TRUE((*p)->GetVault(ArmRef{"s", "rg", "kv"}).ok());
  bool token_asked = false;
  for (const auto& r : raw->requests) token_asked |= r.url.find("/oauth2/v2.0/token") != std::string::npos;
  ASSERT_TRUE(token_asked);
  EXPECT_EQ((*p)->Now(), At("2026-11-23T00:00:00Z"));
}

TEST(TargetClock, BatchesAreObservedToo) {
  FakeTransport inner([](const HttpRequest& r) {
    return Respond(200, "{}", {{"Date", r.url == "a" ? "Tue, 24 Nov 2026 00:00:00 GMT"
                                                     : "Mon, 23 Nov 2026 00:00:00 GMT"}});
  });
  TargetClock clock([] { return int64_t{0}; });
  ClockObservingTransport t(inner, clock);
  HttpRequest a, b;
  a.url = "a";
  b.url = "b";
  auto out = t.SendAll({a, b});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(clock.observed());
  EXPECT_EQ(clock.Now(), At("2026-11-24T00:00:00Z"));
}

}  // namespace
}  // namespace cmk
