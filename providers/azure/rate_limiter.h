// Client-side token buckets so that large plans stay under Azure's budgets.
//
// Buckets per vault (Key Vault: all operations, and key creates separately)
// and per ARM principal (reads; writes incl. deletes), each at `fraction` of
// the documented budget (DOMAIN.md, azure-wire README D.1/D.2). Acquire blocks
// (through the injectable sleeper) until a token is available. Clock and
// sleeper are injectable; not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "azure/retry_policy.h"

namespace cmk {

class TokenBucket {
 public:
  TokenBucket(double capacity, double refill_per_second);
  // Takes one token at time `now` (seconds); returns how long the caller
  // must wait before its token is valid (0 when one was available).
  Millis Take(double now);
  double capacity() const { return capacity_; }
  double refill_per_second() const { return refill_; }

 private:
  double capacity_;
  double refill_;
  double tokens_;
  double last_ = -1;
};

struct RateBudgets {
  double fraction = 0.5;
  double vault_ops_per_10s = 4000;     // software RSA-2048/EC keys
  double vault_creates_per_10s = 20;   // software key creates
  double arm_read_burst = 250, arm_read_refill = 25;
  double arm_write_burst = 200, arm_write_refill = 10;
};

enum class RateClass { kVaultOp, kVaultCreate, kArmRead, kArmWrite };

class RateLimiter {
 public:
  // `now_seconds`: a monotonic clock in seconds.
  RateLimiter(RateBudgets budgets, std::function<double()> now_seconds, Sleeper sleeper);
  explicit RateLimiter(RateBudgets budgets = {});

  // `key`: the vault name, or the ARM principal. A create also takes a
  // general vault operation token.
  void Acquire(RateClass cls, const std::string& key);
  // Total time this limiter made callers wait (for diagnostics and tests).
  Millis total_wait() const { return total_wait_; }

 private:
  TokenBucket& Bucket(RateClass cls, const std::string& key);

  RateBudgets budgets_;
  std::function<double()> now_;
  Sleeper sleeper_;
  std::map<std::pair<int, std::string>, TokenBucket> buckets_;
  Millis total_wait_{0};
};

}  // namespace cmk
