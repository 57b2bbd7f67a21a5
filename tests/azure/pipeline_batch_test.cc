// Pipeline::SendAll and AzureProvider::GetKeys over a fake transport: one
// batch per round, results in request order, per-request retries and auth.
#include <gtest/gtest.h>

#include "azure/azure_provider.h"
#include "azure/pipeline.h"
#include "fake_transport.h"
#include "model/codec.h"

namespace cmk {
namespace {


struct Stack : PipelineStack {
  using PipelineStack::PipelineStack;
  std::vector<BatchRequest> Gets(const std::vector<std::string>& paths,
                                 const std::string& scope = "https://arm.example/.default") {
    std::vector<BatchRequest> b;
    for (const auto& p : paths) {
      BatchRequest r;
      r.request.url = "https://arm.example" + p;
      r.scope = scope;
      r.rate_key = "p";
      b.push_back(r);
    }
    return b;
  }
  // Requests to the service (token requests left out), by path.
  std::vector<std::string> Paths() const {
    std::vector<std::string> out;
    for (const auto& r : transport.requests)
      if (r.url.find("/oauth2/") == std::string::npos) out.push_back(r.url.substr(19));
    return out;
  }
};

TEST(PipelineBatch, OneBatchResultsInRequestOrderWithAuth) {
  Stack s([](const HttpRequest& r) { return Respond(200, r.url.substr(19)); });
  auto got = s.pipeline->SendAll(s.Gets({"/c", "/a", "/b"}));
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0]->body, "/c");
  EXPECT_EQ(got[1]->body, "/a");
  EXPECT_EQ(got[2]->body, "/b");
  EXPECT_EQ(s.transport.batch_sizes, (std::vector<size_t>{3}));
  for (const auto& r : s.transport.requests) {
    if (r.url.find("/oauth2/") != std::string::npos) continue;
    EXPECT_EQ(r.headers.at("Authorization"), "Bearer tok1");
    EXPECT_EQ(r.headers.at("Accept"), "application/json");
  }
  EXPECT_EQ(s.token_requests, 1);
  EXPECT_TRUE(s.sleeps.empty());
}

TEST(PipelineBatch, PartialFailuresStayWithTheirRequest) {
  Stack s([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/missing") != std::string::npos) return Respond(404);
    if (r.url.find("/bad") != std::string::npos) return InvalidArgument("bad URL");
    return Respond(200, "ok");
  });
  auto got = s.pipeline->SendAll(s.Gets({"/missing", "/fine", "/bad"}));
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0].ok());
  EXPECT_EQ(got[0]->status, 404);
  ASSERT_TRUE(got[1].ok());
  EXPECT_EQ(got[1]->body, "ok");
  ASSERT_FALSE(got[2].ok());
  EXPECT_EQ(got[2].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.transport.batch_sizes.size(), 1u);  // nothing retryable: one round
}

TEST(PipelineBatch, RetryableRequestsGoInTheNextRoundAfterTheLongestWait) {
  std::map<std::string, int> calls;
  Stack s([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string p = r.url.substr(19);
    int n = ++calls[p];
    if (p == "/throttled" && n == 1) return Respond(429, "", {{"Retry-After", "7"}});
    if (p == "/flaky" && n <= 2) return Respond(503);
    if (p == "/down") return Unavailable("connection refused");
    return Respond(200, p);
  });
  auto got = s.pipeline->SendAll(s.Gets({"/throttled", "/flaky", "/fine", "/down"}));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0]->body, "/throttled");
  EXPECT_EQ(got[1]->body, "/flaky");
  EXPECT_EQ(got[2]->body, "/fine");
  ASSERT_FALSE(got[3].ok());
  EXPECT_EQ(got[3].status().code(), StatusCode::kUnavailable);
  // Round 1: all four; round 2: throttled, flaky, down; then flaky and down;
  // then down alone until its 4 attempts are used.
  EXPECT_EQ(s.transport.batch_sizes, (std::vector<size_t>{4, 3, 2, 1}));
  EXPECT_EQ(calls["/fine"], 1);
  EXPECT_EQ(calls["/down"], 4);
  ASSERT_EQ(s.sleeps.size(), 3u);
  EXPECT_EQ(s.sleeps[0], Millis(7000));  // the server's Retry-After beats the 0.8 s backoff
  EXPECT_EQ(s.sleeps[1], Millis(1600));
  EXPECT_EQ(s.sleeps[2], Millis(3200));
}

TEST(PipelineBatch, UnauthorizedRefreshesTheTokenOnce) {
  Stack s([](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = r.url.substr(19);
    if (r.headers.at("Authorization") == "Bearer tok1" && path == "/stale") return Respond(401);
    if (path == "/always401") return Respond(401);
    return Respond(200, r.headers.at("Authorization"));
  });
  auto got = s.pipeline->SendAll(s.Gets({"/stale", "/fresh", "/always401"}));
  EXPECT_EQ(got[0]->body, "Bearer tok2");
  EXPECT_EQ(got[1]->body, "Bearer tok1");
  EXPECT_EQ(got[2]->status, 401);
  EXPECT_EQ(s.token_requests, 2);
  EXPECT_EQ(s.transport.batch_sizes, (std::vector<size_t>{3, 2}));
  EXPECT_TRUE(s.sleeps.empty());
}

TEST(PipelineBatch, RefusesNonIdempotentAndInsecureRequestsWithoutSending) {
  Stack s([](const HttpRequest&) { return Respond(200); });
  auto batch = s.Gets({"/post", "/ok"});
  batch[0].request.method = "POST";
  BatchRequest insecure = batch[1];
  insecure.request.url = "http://arm.example/x";
  batch.push_back(insecure);
  auto got = s.pipeline->SendAll(batch);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(got[1].ok());
  EXPECT_EQ(got[2].status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.Paths(), (std::vector<std::string>{"/ok"}));
  EXPECT_TRUE(s.pipeline->SendAll({}).empty());
}

constexpr const char* kV1 = "0000000000000000000000000000aaaa";
constexpr const char* kV2 = "0000000000000000000000000000bbbb";

std::string Bundle(const std::string& name, const std::string& version, int64_t created = 1700000002,
                   std::vector<std::string> ops = {"wrapKey", "unwrapKey"}) {
  return nlohmann::json{
      {"key",
       {{"kid", "https://kv1.vault.azure.net/keys/" + name + "/" + version},
        {"kty", "RSA"},
        {"key_ops", ops},
        {"n", std::string(342, 'A') + "Q"},
        {"e", "AQAB"}}},
      {"attributes", {{"enabled", true}, {"created", created}, {"updated", created}}},
      {"tags", {{"managed-by", "cmkctl"}}}}
      .dump();
}

std::string Versions(const std::string& name) {
  nlohmann::json v = nlohmann::json::array();
  v.push_back({{"kid", "https://kv1.vault.azure.net/keys/" + name + "/" + kV1},
               {"attributes", {{"enabled", true}, {"created", 1700000001}, {"updated", 1700000001}}}});
  v.push_back({{"kid", "https://kv1.vault.azure.net/keys/" + name + "/" + kV2},
               {"attributes", {{"enabled", true}, {"created", 1700000002}, {"updated", 1700000002}}}});
  return nlohmann::json{{"value", v}}.dump();
}

TEST(ProviderGetKeys, ReadsEveryKeyOfAVaultInOneBatch) {
  FakeWorld w;
  int versions_calls = 0;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string path = r.url.substr(r.url.find("/keys"));
    path = path.substr(0, path.find('?'));
    for (std::string name : {"alpha", "beta"}) {
      if (path == "/keys/" + name) return Respond(200, Bundle(name, kV2));
      // The older version's own bundle: the only place its key_ops are.
      if (path == "/keys/" + name + "/" + kV1)
        return Respond(200, Bundle(name, kV1, 1700000001, {"unwrapKey"}));
      if (path == "/keys/" + name + "/versions") {
        ++versions_calls;
        return Respond(200, Versions(name));
      }
    }
    if (path == "/keys/beta/rotationpolicy")
      return Respond(200, R"({"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Rotate"}}],"attributes":{"expiryTime":"P1Y"}})");
    return Respond(404, R"({"error":{"code":"KeyNotFound","message":"not found"}})");
  });
  ASSERT_NE(p, nullptr);
  std::vector<Result<std::optional<KeyState>>> got =
      p->GetKeys({{"kv1", "beta"}, {"kv1", "gone"}, {"kv1", "alpha"}});
  ASSERT_EQ(got.size(), 3u);
  std::vector<std::optional<KeyState>> values;
  for (auto& k : got) {
    ASSERT_TRUE(k.ok()) << k.status().ToString();
    values.push_back(*k);
  }
  auto* keys = &values;
  ASSERT_TRUE((*keys)[0].has_value());
  EXPECT_EQ((*keys)[0]->name, "beta");
  EXPECT_TRUE((*keys)[0]->rotation_policy.has_value());
  ASSERT_EQ((*keys)[0]->versions.size(), 2u);
  EXPECT_EQ((*keys)[0]->versions.back().version, kV2);
  EXPECT_EQ((*keys)[0]->versions.front().version, kV1);
  EXPECT_EQ((*keys)[0]->versions.front().created, 1700000001);
  EXPECT_EQ((*keys)[0]->versions.front().key_ops, (std::vector<std::string>{"unwrapKey"}));
  EXPECT_EQ((*keys)[0]->versions.back().key_ops, (std::vector<std::string>{"unwrapKey", "wrapKey"}));
  EXPECT_FALSE((*keys)[1].has_value());
  ASSERT_TRUE((*keys)[2].has_value());
  EXPECT_EQ((*keys)[2]->name, "alpha");
  EXPECT_FALSE((*keys)[2]->rotation_policy.has_value());
  EXPECT_EQ(versions_calls, 2);
  // The first GET goes alone, unauthenticated (it fetches the vault's
  // challenge), then all nine with a token in one batch, then the two older
  // versions' bundles in another.
  EXPECT_EQ(w.transport->batch_sizes, (std::vector<size_t>{1, 9, 2}));

  // GetKey is the one-key case and agrees.
  auto one = p->GetKey(KeyRef{"kv1", "beta"});
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ(ToJson(**one).dump(), ToJson(*(*keys)[0]).dump());
}

TEST(ProviderGetKeys, AnErrorNamesTheKey) {
  FakeWorld w;
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/keys/locked?") != std::string::npos)
      return Respond(403, R"({"error":{"code":"Forbidden","message":"no get permission"}})");
    return Respond(404, R"({"error":{"code":"KeyNotFound","message":"not found"}})");
  });
  ASSERT_NE(p, nullptr);
  std::vector<Result<std::optional<KeyState>>> keys = p->GetKeys({{"kv1", "a"}, {"kv1", "locked"}});
  ASSERT_EQ(keys.size(), 2u);
  ASSERT_TRUE(keys[0].ok()) << keys[0].status().ToString();  // its own outcome: not found
  EXPECT_FALSE(keys[0]->has_value());
  ASSERT_FALSE(keys[1].ok());
  EXPECT_EQ(keys[1].status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(keys[1].status().message().find("kv1/locked"), std::string::npos)
      << keys[1].status().message();
}

TEST(ProviderGetKeys, ManyVaultsCostTwoRoundsNotOnePerVault) {
  FakeWorld w;
  std::vector<std::string> order;  // authenticated GETs, as sent
  auto p = w.Make([&](const HttpRequest& r) -> Result<HttpResponse> {
    std::string host = r.url.substr(8, r.url.find('.') - 8);
    std::string path = r.url.substr(r.url.find("/keys"));
    path = path.substr(0, path.find('?'));
    order.push_back(host + path);
    std::string name = path.substr(6, path.find('/', 6) == std::string::npos ? std::string::npos
                                                                              : path.find('/', 6) - 6);
    if (path == "/keys/" + name) return Respond(200, Bundle(name, kV2));
    if (path == "/keys/" + name + "/versions") return Respond(200, R"({"value":[]})");
    return Respond(404, R"({"error":{"code":"KeyNotFound","message":"not found"}})");
  });
  ASSERT_NE(p, nullptr);
  std::vector<KeyRef> refs = {{"kv1", "a"}, {"kv1", "b"}, {"kv2", "c"}, {"kv3", "d"}};
  std::vector<Result<std::optional<KeyState>>> keys = p->GetKeys(refs);
  ASSERT_EQ(keys.size(), 4u);
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(keys[i].ok()) << keys[i].status().ToString();
    ASSERT_TRUE(keys[i]->has_value());
    EXPECT_EQ((*keys[i])->name, refs[i].name);
    EXPECT_EQ((*keys[i])->vault, refs[i].vault);
  }
  // One probe per vault, all at once; then all twelve GETs in one batch, a
  // vault's together and in the order asked; nothing else.
  EXPECT_EQ(w.transport->batch_sizes, (std::vector<size_t>{3, 12}));
  ASSERT_EQ(order.size(), 12u);
  EXPECT_EQ(order.front(), "kv1/keys/a");
  EXPECT_EQ(order.back(), "kv3/keys/d/rotationpolicy");
  ASSERT_TRUE(p->GetKeys({{"kv2", "c"}}).front().ok());
  // The challenges are remembered: a second read needs no probe.
  EXPECT_EQ(w.transport->batch_sizes.back(), 3u);
}

}  // namespace
}  // namespace cmk

namespace cmk {
namespace {

TEST(AzureOptionsFromEnv, ConnectionsAndRateFraction) {
  std::map<std::string, std::string> vars;
  EnvGetter env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  AzureProviderOptions defaults = AzureOptionsFromEnv(env).value();
  EXPECT_EQ(defaults.max_connections, 8);
  EXPECT_DOUBLE_EQ(defaults.rate.fraction, 0.5);
  vars["CMKCTL_MAX_CONNECTIONS"] = "1";
  vars["CMKCTL_RATE_FRACTION"] = "0.25";
  AzureProviderOptions set = AzureOptionsFromEnv(env).value();
  EXPECT_EQ(set.max_connections, 1);
  EXPECT_DOUBLE_EQ(set.rate.fraction, 0.25);
  // Out of range or not a number: the default stays.
  for (const char* bad : {"0", "65", "8x", "", "many"}) {
    vars["CMKCTL_MAX_CONNECTIONS"] = bad;
    EXPECT_EQ(AzureOptionsFromEnv(env)->max_connections, 8) << bad;
  }
}

// A host that did not answer after every retry is not asked again in the same
// run (one unreachable vault costs one timeout, not one per object); other
// hosts are unaffected, and every attempt carries the configured timeout.
TEST(PipelineBatch, AHostThatNeverAnsweredIsNotAskedAgain) {
  Stack s([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("https://dead.example") == 0) return Unavailable("Connection timed out after 5000 ms");
    return Respond(200, "ok");
  });
  s.pipeline->set_request_timeout(std::chrono::milliseconds(1500));
  std::vector<BatchRequest> batch = s.Gets({"/a", "/b"});
  for (auto& b : batch) b.request.url = "https://dead.example" + b.request.url.substr(19);
  auto first = s.pipeline->SendAll(batch);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].status().code(), StatusCode::kUnavailable);
  size_t sent = s.transport.requests.size();
  EXPECT_GT(sent, 2u) << "retried first";
  for (const auto& r : s.transport.requests)
    if (r.url.find("/oauth2/") == std::string::npos) EXPECT_EQ(r.timeout, std::chrono::milliseconds(1500));

  auto again = s.pipeline->SendAll(batch);
  EXPECT_EQ(s.transport.requests.size(), sent) << "not sent again";
  ASSERT_FALSE(again[1].ok());
  EXPECT_NE(again[1].status().message().find("dead.example did not answer earlier in this run"), std::string::npos)
      << again[1].status().message();
  EXPECT_NE(again[1].status().message().find("Connection timed out"), std::string::npos);
  HttpRequest one;
  one.url = "https://dead.example/c";
  EXPECT_EQ(s.pipeline->Send(one, "https://arm.example/.default", RateClass::kArmRead, "p").status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(s.transport.requests.size(), sent);

  auto other = s.pipeline->SendAll(s.Gets({"/fine"}));  // arm.example still answers
  ASSERT_TRUE(other[0].ok());
  EXPECT_EQ(other[0]->body, "ok");
}

}  // namespace
}  // namespace cmk
