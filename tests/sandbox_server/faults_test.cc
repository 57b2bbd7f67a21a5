// Fault injection (counted over 200 requests with a seeded RNG) and
// Azure-like throttling (429 + Retry-After, x-ms-ratelimit headers).
#include "server_test_util.h"

namespace cmk {
namespace {

class FaultsTest : public ServerTest {};

TEST_F(FaultsTest, InjectedOutcomesFollowTheRates) {
  options_.faults.seed = 42;
  options_.faults.throttle_rate = 0.1;
  options_.faults.error_rate = 0.1;
  options_.faults.drop_rate = 0.1;
  options_.faults.retry_after_seconds = 3;
  Start();
  std::string token = ArmToken();  // the token endpoint is never faulted
  ASSERT_FALSE(token.empty());
  int ok = 0, throttled = 0, errors = 0, dropped = 0;
  for (int i = 0; i < 200; ++i) {
    Reply r = Send("GET", "", std::string("/subscriptions/") + kSub +
                                  "/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01",
                   "", token);
    if (!r.connected) {
      ++dropped;
    } else if (r.status == 429) {
      ++throttled;
      EXPECT_EQ(r.Header("retry-after"), "3");
      EXPECT_TRUE(r.json["error"]["code"].is_string());
    } else if (r.status == 503) {
      ++errors;
    } else {
      EXPECT_EQ(r.status, 200);
      ++ok;
    }
  }
  EXPECT_EQ(ok + throttled + errors + dropped, 200);
  for (int n : {throttled, errors, dropped}) {
    EXPECT_GE(n, 8);
    EXPECT_LE(n, 40);
  }
  EXPECT_GE(ok, 100);
}

TEST_F(FaultsTest, LostResponsesCarryOutWritesThenCloseWithoutAnAnswer) {
  options_.faults.lost_response_rate = 1.0;
  Start();
  const std::string vault = std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                            "/providers/Microsoft.KeyVault/vaults/kvlost?api-version=2026-04-01";
  Json props{{"tenantId", server_->endpoints().tenant_id},
             {"sku", {{"family", "A"}, {"name", "standard"}}},
             {"enableRbacAuthorization", true}};
  Reply put = Arm("PUT", vault, Json{{"location", "westeurope"}, {"properties", props}});
  EXPECT_FALSE(put.connected);
  // The write happened; reads are never lost.
  Reply got = Arm("GET", vault);
  ASSERT_TRUE(got.connected);
  EXPECT_EQ(got.status, 200) << got.body;
  Reply create = Kv("kvlost", "POST", std::string("/keys/k1/create") + kV, Json{{"kty", "RSA"}});
  EXPECT_FALSE(create.connected);
  Reply versions = Kv("kvlost", "GET", std::string("/keys/k1/versions") + kV);
  ASSERT_EQ(versions.status, 200) << versions.body;
  EXPECT_EQ(versions.json["value"].size(), 1u);
}

TEST_F(FaultsTest, VaultThrottlingReturns429WithRetryAfter) {
  options_.throttle.enabled = true;
  options_.throttle.vault_ops_per_10s = 3;
  Start();
  CreateVault("kvthr");
  int throttled = 0;
  std::string retry_after;
  for (int i = 0; i < 10; ++i) {
    Reply r = Kv("kvthr", "GET", "/keys?api-version=2025-07-01");
    if (r.status == 429) {
      ++throttled;
      retry_after = r.Header("retry-after");
      EXPECT_EQ(r.json["error"]["code"], "Throttled");
    }
  }
  EXPECT_GE(throttled, 4);
  EXPECT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
}

TEST_F(FaultsTest, ArmThrottlingPerPrincipalWithRemainingHeaders) {
  options_.throttle.enabled = true;
  options_.throttle.arm_read_capacity = 3;
  options_.throttle.arm_read_refill = 0.01;
  Start();
  std::string target = std::string("/subscriptions/") + kSub +
                       "/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01";
  Reply first = Arm("GET", target);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.Header("x-ms-ratelimit-remaining-subscription-reads"), "2");
  Arm("GET", target);
  Arm("GET", target);
  Reply r = Arm("GET", target);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.json["error"]["code"], "TooManyRequests");
  EXPECT_GE(std::stoi(r.Header("retry-after")), 1);
  // Writes have their own bucket.
  CreateVault("kvwrite");
}

}  // namespace
}  // namespace cmk
