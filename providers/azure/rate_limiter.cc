#include "azure/rate_limiter.h"

#include "base/log.h"

#include <algorithm>
#include <chrono>

#include "base/strings.h"

namespace cmk {

TokenBucket::TokenBucket(double capacity, double refill_per_second)
    : capacity_(std::max(1.0, capacity)),
      refill_(std::max(0.001, refill_per_second)),
      tokens_(capacity_) {}

Millis TokenBucket::Take(double now) {
  if (last_ >= 0 && now > last_) tokens_ = std::min(capacity_, tokens_ + (now - last_) * refill_);
  if (last_ < 0 || now > last_) last_ = now;
  tokens_ -= 1.0;  // may go negative: the debt is the caller's wait
  if (tokens_ >= 0) return Millis(0);
  return Millis(static_cast<int64_t>(-tokens_ / refill_ * 1000.0 + 0.999));
}

RateLimiter::RateLimiter(RateBudgets budgets, std::function<double()> now_seconds, Sleeper sleeper)
    : budgets_(budgets), now_(std::move(now_seconds)), sleeper_(std::move(sleeper)) {}

RateLimiter::RateLimiter(RateBudgets budgets)
    : RateLimiter(
          budgets,
          [] {
            return std::chrono::duration<double>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
          },
          RealSleeper()) {}

TokenBucket& RateLimiter::Bucket(RateClass cls, const std::string& key) {
  auto id = std::make_pair(static_cast<int>(cls), Lower(key));
  auto it = buckets_.find(id);
  if (it != buckets_.end()) return it->second;
  double f = budgets_.fraction;
  double capacity = 1, refill = 1;
  switch (cls) {
    case RateClass::kVaultOp:
      capacity = budgets_.vault_ops_per_10s * f;
      refill = capacity / 10.0;
      break;
    case RateClass::kVaultCreate:
      capacity = budgets_.vault_creates_per_10s * f;
      refill = capacity / 10.0;
      break;
    case RateClass::kArmRead:
      capacity = budgets_.arm_read_burst * f;
      refill = budgets_.arm_read_refill * f;
      break;
    case RateClass::kArmWrite:
      capacity = budgets_.arm_write_burst * f;
      refill = budgets_.arm_write_refill * f;
      break;
  }
  return buckets_.emplace(id, TokenBucket(capacity, refill)).first->second;
}

void RateLimiter::Acquire(RateClass cls, const std::string& key) {
  Millis wait = Bucket(cls, key).Take(now_());
  if (cls == RateClass::kVaultCreate)
    wait = std::max(wait, Bucket(RateClass::kVaultOp, key).Take(now_()));
  if (wait.count() > 0) {
    CMK_LOG(kDebug, "rate limit: waiting ", wait.count(), " ms for ", key);
    total_wait_ += wait;
    sleeper_(wait);
  }
}

}  // namespace cmk
