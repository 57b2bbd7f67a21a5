// Managed identity over IMDS: which answers are retried, how long, and what
// the chain sees when they are not. Sleeps are recorded, never taken.
#include <gtest/gtest.h>

#include <numeric>

#include "azure/credentials.h"
#include "azure/imds_retry.h"
#include "fake_transport.h"

namespace cmk {
namespace {


constexpr const char* kToken =
    R"({"access_token":"imds-token","expires_on":"1700003600","resource":"x","token_type":"Bearer"})";
constexpr const char* kNotFound400 =
    R"({"error":"invalid_request","error_description":"Identity not found"})";

struct Imds {
  std::vector<Result<HttpResponse>> script;  // answers in order; the last one repeats
  std::vector<Millis> sleeps;
  FakeTransport transport{[this](const HttpRequest&) -> Result<HttpResponse> {
    size_t i = std::min(transport.requests.size() - 1, script.size() - 1);
    return script[i];
  }};
  Result<AccessToken> Token(const std::string& named = "managed-identity") {
    CredentialOptions o;
    o.named = named;
    o.sleeper = [this](Millis d) { sleeps.push_back(d); };
    auto cred = MakeCredential(o, [](const std::string&) { return std::optional<std::string>(); },
                               transport, [] { return int64_t{1700000000}; },
                               [](const std::vector<std::string>&) -> Result<std::string> {
                                 return Unavailable("no az");
                               });
    if (!cred.ok()) return cred.status();
    return (*cred)->GetToken("https://management.azure.com/.default");
  }
  Millis Slept() const { return std::accumulate(sleeps.begin(), sleeps.end(), Millis(0)); }
};

TEST(ImdsRetry, GoneThenTokenIsRetriedWithAtLeastThreeSecondSteps) {
  Imds imds;
  imds.script = {Respond(410), Respond(410), Respond(200, kToken)};
  Result<AccessToken> t = imds.Token();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->token, "imds-token");
  EXPECT_EQ(imds.transport.requests.size(), 3u);
  EXPECT_EQ(imds.sleeps, (std::vector<Millis>{Millis(3000), Millis(6000)}));
}

TEST(ImdsRetry, NotFoundThenTokenIsRetriedWithExponentialBackoff) {
  Imds imds;
  imds.script = {Respond(404), Respond(404), Respond(404), Respond(200, kToken)};
  Result<AccessToken> t = imds.Token();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(imds.sleeps, (std::vector<Millis>{Millis(800), Millis(1600), Millis(3200)}));
}

TEST(ImdsRetry, ThrottledAndServerErrorsAreRetriedAndRetryAfterWins) {
  Imds imds;
  imds.script = {Respond(429, "", {{"Retry-After", "5"}}), Respond(503), Respond(200, kToken)};
  Result<AccessToken> t = imds.Token();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(imds.sleeps, (std::vector<Millis>{Millis(5000), Millis(1600)}));
}

TEST(ImdsRetry, GoneIsRetriedForAtLeastSeventySeconds) {
  Imds imds;
  imds.script = {Respond(410)};
  Result<AccessToken> t = imds.Token();
  ASSERT_FALSE(t.ok());
  EXPECT_GE(imds.Slept(), Millis(70000));
  EXPECT_EQ(imds.transport.requests.size(), imds.sleeps.size() + 1);
  EXPECT_NE(t.status().message().find("HTTP 410"), std::string::npos) << t.status().message();
  EXPECT_NE(t.status().message().find("attempts"), std::string::npos) << t.status().message();

  // Even with a short schedule, 410 keeps going until 70 s were waited.
  ImdsRetryOptions o;
  o.max_retries = 1;
  o.gone_base_delay = Millis(10000);
  o.max_delay = Millis(10000);
  std::vector<Millis> sleeps;
  FakeTransport gone([](const HttpRequest&) -> Result<HttpResponse> { return Respond(410); });
  ImdsSendResult r = SendWithImdsRetries(gone, HttpRequest{}, o, [&](Millis d) { sleeps.push_back(d); });
  EXPECT_EQ(r.slept, Millis(70000));
  EXPECT_EQ(r.attempts, 8);
}

TEST(ImdsRetry, ExhaustedRetriesFailClearlyAndStopTheChain) {
  Imds imds;
  imds.script = {Respond(404)};
  Result<AccessToken> t = imds.Token("");  // the whole chain
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(imds.transport.requests.size(), 6u);  // 1 + 5 retries
  EXPECT_EQ(imds.sleeps.size(), 5u);
  std::string m = t.status().message();
  EXPECT_NE(m.find("managed-identity"), std::string::npos) << m;
  EXPECT_NE(m.find("HTTP 404"), std::string::npos) << m;
  EXPECT_NE(m.find("6 attempts"), std::string::npos) << m;
}

TEST(ImdsRetry, IdentityNotFoundIsNotRetriedAndTheChainMovesOn) {
  Imds imds;
  imds.script = {Respond(400, kNotFound400)};
  Result<AccessToken> t = imds.Token("");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(imds.transport.requests.size(), 1u);
  EXPECT_TRUE(imds.sleeps.empty());
  // The chain moved on to the Azure CLI and ended with its summary.
  EXPECT_EQ(t.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(t.status().message().find("Identity not found"), std::string::npos)
      << t.status().message();
  EXPECT_NE(t.status().message().find("azure-cli"), std::string::npos) << t.status().message();
}

TEST(ImdsRetry, NoImdsHostMovesOnAtOnce) {
  Imds imds;
  imds.script = {Result<HttpResponse>(Unavailable("connection failed for GET http://169.254.169.254"))};
  Result<AccessToken> t = imds.Token("");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(imds.transport.requests.size(), 1u);
  EXPECT_TRUE(imds.sleeps.empty());
  EXPECT_NE(t.status().message().find("no managed identity endpoint reachable"), std::string::npos);
}

TEST(ImdsRetry, ConnectionLostAfterImdsAnsweredIsRetried) {
  Imds imds;
  imds.script = {Respond(503), Result<HttpResponse>(Unavailable("connection reset")),
                 Respond(200, kToken)};
  Result<AccessToken> t = imds.Token();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(imds.transport.requests.size(), 3u);
}

TEST(ImdsRetry, StatusClassification) {
  for (int s : {404, 410, 429, 500, 502, 503, 504, 599}) EXPECT_TRUE(IsImdsRetryableStatus(s)) << s;
  for (int s : {200, 400, 401, 403, 408}) EXPECT_FALSE(IsImdsRetryableStatus(s)) << s;
  ImdsRetryOptions o;
  EXPECT_EQ(ImdsRetryDelay(o, 1, 404), Millis(800));
  EXPECT_EQ(ImdsRetryDelay(o, 3, 500), Millis(3200));
  EXPECT_EQ(ImdsRetryDelay(o, 1, 410), Millis(3000));
  EXPECT_EQ(ImdsRetryDelay(o, 10, 410), Millis(64000));
}

}  // namespace
}  // namespace cmk
