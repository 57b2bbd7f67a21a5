#include <gtest/gtest.h>

#include "azure/rate_limiter.h"
#include "azure/retry_policy.h"
#include "base/duration.h"
#include "fake_transport.h"

namespace cmk {
namespace {


struct Harness {
  std::vector<Millis> sleeps;
  double random = 0.5;
  Retrier Make(RetryOptions o = {}) {
    return Retrier(o, [this](Millis d) { sleeps.push_back(d); }, [this] { return random; },
                   [] { return int64_t{1700000000}; });
  }
};

TEST(RetryPolicy, ServerRetryAfterHeaders) {
  EXPECT_EQ(ServerRetryAfter(Respond(429, "", {{"Retry-After", "7"}}), 0), Millis(7000));
  EXPECT_EQ(ServerRetryAfter(Respond(429, "", {{"retry-after-ms", "250"}}), 0), Millis(250));
  EXPECT_EQ(ServerRetryAfter(Respond(429, "", {{"x-ms-retry-after-ms", "1500"}}), 0), Millis(1500));
  // The -ms headers win over Retry-After.
  EXPECT_EQ(ServerRetryAfter(Respond(429, "", {{"Retry-After", "9"}, {"x-ms-retry-after-ms", "10"}}), 0),
            Millis(10));
  // HTTP date, relative to now.
  auto when = ParseHttpDate("Wed, 15 Nov 2023 00:00:10 GMT");
  ASSERT_TRUE(when);
  EXPECT_EQ(ServerRetryAfter(Respond(503, "", {{"Retry-After", "Wed, 15 Nov 2023 00:00:10 GMT"}}),
                             *when - 4),
            Millis(4000));
  // An HTTP date is measured against the response's Date, whatever this machine's clock says.
  EXPECT_EQ(ServerRetryAfter(Respond(503, "", {{"Retry-After", "Wed, 15 Nov 2023 00:00:10 GMT"},
                                               {"Date", "Wed, 15 Nov 2023 00:00:07 GMT"}}),
                             *when + 86400 * 365),
            Millis(3000));
  EXPECT_FALSE(ServerRetryAfter(Respond(503), 0));
  EXPECT_FALSE(ServerRetryAfter(Respond(503, "", {{"Retry-After", "soon"}}), 0));
}

TEST(RetryPolicy, BackoffIsExponentialWithinJitterBounds) {
  RetryOptions o;
  o.base_delay = Millis(1000);
  o.jitter = 0.2;
  for (int retry = 1; retry <= 4; ++retry) {
    double base = 1000.0 * (1 << (retry - 1));
    EXPECT_EQ(BackoffDelay(o, retry, 0.0).count(), static_cast<int64_t>(base * 0.8));
    EXPECT_EQ(BackoffDelay(o, retry, 0.5).count(), static_cast<int64_t>(base));
    EXPECT_LE(BackoffDelay(o, retry, 0.999999).count(), static_cast<int64_t>(base * 1.2));
    EXPECT_GE(BackoffDelay(o, retry, 0.999999).count(), static_cast<int64_t>(base * 1.19));
  }
  o.max_delay = Millis(3000);
  EXPECT_EQ(BackoffDelay(o, 10, 0.5), Millis(3000));
}

TEST(RetryPolicy, RetriesIdempotentRequestsHonouringRetryAfter) {
  Harness h;
  int n = 0;
  FakeTransport t([&](const HttpRequest&) -> Result<HttpResponse> {
    ++n;
    if (n == 1) return Respond(429, "", {{"Retry-After", "3"}});
    if (n == 2) return Unavailable("connection reset");
    return Respond(200, "ok");
  });
  Retrier r = h.Make();
  HttpRequest req;
  req.method = "PUT";
  auto res = r.Send(t, req);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(n, 3);
  ASSERT_EQ(h.sleeps.size(), 2u);
  EXPECT_EQ(h.sleeps[0], Millis(3000));
  EXPECT_EQ(h.sleeps[1], Millis(1600));  // second retry: 800 * 2, jitter centred
}

TEST(RetryPolicy, StopsAtMaxAttemptsAndTotalDelay) {
  Harness h;
  FakeTransport t([](const HttpRequest&) { return Respond(503); });
  RetryOptions o;
  o.max_attempts = 3;
  Retrier r = h.Make(o);
  auto res = r.Send(t, HttpRequest{});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(t.requests.size(), 3u);

  Harness h2;
  FakeTransport t2([](const HttpRequest&) { return Respond(429, "", {{"Retry-After", "50"}}); });
  RetryOptions o2;
  o2.max_attempts = 10;
  o2.max_total_delay = Millis(120000);
  Retrier r2 = h2.Make(o2);
  ASSERT_TRUE(r2.Send(t2, HttpRequest{}).ok());
  EXPECT_EQ(h2.sleeps.size(), 2u);  // 50 + 50 <= 120, a third 50 would exceed it
}

TEST(RetryPolicy, NonRetryableStatusIsReturnedAtOnce) {
  Harness h;
  FakeTransport t([](const HttpRequest&) { return Respond(404); });
  Retrier r = h.Make();
  auto res = r.Send(t, HttpRequest{});
  EXPECT_EQ(res->status, 404);
  EXPECT_EQ(t.requests.size(), 1u);
  EXPECT_TRUE(h.sleeps.empty());
}

TEST(RetryPolicy, PostIsNeverRetriedBlindly) {
  Harness h;
  FakeTransport t([](const HttpRequest&) { return Respond(503); });
  Retrier r = h.Make();
  HttpRequest req;
  req.method = "POST";
  auto res = r.Send(t, req);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(t.requests.size(), 1u);
}

TEST(RetryPolicy, PostRetriedOnlyWhenReReadProvesItDidNotHappen) {
  Harness h;
  int n = 0;
  FakeTransport t([&](const HttpRequest&) -> Result<HttpResponse> {
    return ++n == 1 ? Result<HttpResponse>(Unavailable("timeout")) : Respond(200, "created");
  });
  Retrier r = h.Make();
  HttpRequest req;
  req.method = "POST";
  int rereads = 0;
  SendOptions o;
  o.reread = [&]() -> Result<bool> { ++rereads; return false; };
  bool applied = true;
  auto res = r.Send(t, req, o, &applied);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(rereads, 1);
  EXPECT_FALSE(applied);
  EXPECT_EQ(t.requests.size(), 2u);
}

TEST(RetryPolicy, PostNotResentWhenReReadShowsItHappened) {
  Harness h;
  FakeTransport t([](const HttpRequest&) { return Respond(500); });
  Retrier r = h.Make();
  HttpRequest req;
  req.method = "POST";
  SendOptions o;
  o.reread = []() -> Result<bool> { return true; };
  bool applied = false;
  auto res = r.Send(t, req, o, &applied);
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(applied);
  EXPECT_EQ(t.requests.size(), 1u);
}

TEST(RetryPolicy, PostNotResentWhenReReadFails) {
  Harness h;
  FakeTransport t([](const HttpRequest&) { return Respond(500); });
  Retrier r = h.Make();
  HttpRequest req;
  req.method = "POST";
  SendOptions o;
  o.reread = []() -> Result<bool> { return Unavailable("still down"); };
  auto res = r.Send(t, req, o);
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(t.requests.size(), 1u);
}

TEST(RateLimiter, BucketRefillsAndMakesCallersWait) {
  double now = 100;
  std::vector<Millis> sleeps;
  RateBudgets b;
  b.fraction = 0.5;
  b.vault_creates_per_10s = 20;  // -> 10 tokens, refilled 1/s
  RateLimiter l(b, [&] { return now; }, [&](Millis d) { sleeps.push_back(d); now += d.count() / 1000.0; });
  for (int i = 0; i < 10; ++i) l.Acquire(RateClass::kVaultCreate, "kv1");
  EXPECT_TRUE(sleeps.empty());
  l.Acquire(RateClass::kVaultCreate, "kv1");
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_EQ(sleeps[0], Millis(1000));
  // Another vault has its own bucket.
  l.Acquire(RateClass::kVaultCreate, "kv2");
  EXPECT_EQ(sleeps.size(), 1u);
  // Time refills.
  now += 10;
  for (int i = 0; i < 10; ++i) l.Acquire(RateClass::kVaultCreate, "KV1");
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST(RateLimiter, ArmBudgetsAtTheConfiguredFraction) {
  double now = 0;
  int waits = 0;
  RateBudgets b;
  b.fraction = 0.5;  // reads: 125 burst, 12.5/s
  RateLimiter l(b, [&] { return now; }, [&](Millis d) { ++waits; now += d.count() / 1000.0; });
  for (int i = 0; i < 125; ++i) l.Acquire(RateClass::kArmRead, "p");
  EXPECT_EQ(waits, 0);
  l.Acquire(RateClass::kArmRead, "p");
  EXPECT_EQ(waits, 1);
  TokenBucket writes(200 * 0.5, 10 * 0.5);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(writes.Take(0), Millis(0));
  EXPECT_EQ(writes.Take(0), Millis(200));  // 1 token at 5/s
}

}  // namespace
}  // namespace cmk
