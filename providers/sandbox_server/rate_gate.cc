#include "sandbox_server/rate_gate.h"

#include <algorithm>
#include <cmath>

#include "sandbox_server/wire_util.h"
#include "base/strings.h"

namespace cmk {

RateGate::RateGate(FaultOptions faults, ThrottleOptions throttle)
    : faults_(faults),
      throttle_(throttle),
      rng_(faults.seed),
      write_rng_(faults.seed ^ 0x9e3779b97f4a7c15ULL) {}

FaultOutcome RateGate::DrawFault(bool changes_state) {
  FaultOutcome out = FaultOutcome::kServe;
  if (faults_.drop_rate > 0 || faults_.throttle_rate > 0 || faults_.error_rate > 0) {
    double r;
    {
      std::lock_guard<std::mutex> lock(mu_);
      r = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
    }
    if (r < faults_.drop_rate) return FaultOutcome::kDrop;
    r -= faults_.drop_rate;
    if (r < faults_.throttle_rate) return FaultOutcome::kThrottle;
    r -= faults_.throttle_rate;
    if (r < faults_.error_rate) return FaultOutcome::kError;
  }
  if (changes_state && faults_.lost_response_rate > 0) {
    // A stream of its own, drawn only for writes: a client's writes come one
    // at a time, so the same seed loses the same writes whatever its
    // concurrent reads do.
    std::lock_guard<std::mutex> lock(mu_);
    if (std::uniform_real_distribution<double>(0.0, 1.0)(write_rng_) < faults_.lost_response_rate)
      out = FaultOutcome::kLoseResponse;
  }
  return out;
}

ThrottleDecision RateGate::Take(const std::string& key, double capacity,
                                double refill_per_second) {
  if (!throttle_.enabled || capacity <= 0 || refill_per_second <= 0) return ThrottleDecision{};
  auto now = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket& b = buckets_[key];
  if (!b.primed) {
    b.tokens = capacity;
    b.primed = true;
  } else {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(capacity, b.tokens + elapsed * refill_per_second);
  }
  b.last = now;
  ThrottleDecision d;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    d.remaining = static_cast<int64_t>(std::floor(b.tokens));
    return d;
  }
  d.allowed = false;
  d.remaining = 0;
  d.retry_after_seconds =
      std::max(1, static_cast<int>(std::ceil((1 - b.tokens) / refill_per_second)));
  return d;
}

ThrottleDecision RateGate::TakeVault(const std::string& vault, bool create) {
  double budget = create ? throttle_.vault_creates_per_10s : throttle_.vault_ops_per_10s;
  return Take(std::string("kv|") + (create ? "create|" : "other|") + Lower(vault), budget,
              budget / 10.0);
}

ThrottleDecision RateGate::TakeArm(const std::string& principal, ArmOp op) {
  switch (op) {
    case ArmOp::kRead:
      return Take("arm|read|" + principal, throttle_.arm_read_capacity, throttle_.arm_read_refill);
    case ArmOp::kWrite:
      return Take("arm|write|" + principal, throttle_.arm_write_capacity,
                  throttle_.arm_write_refill);
    case ArmOp::kDelete:
      return Take("arm|delete|" + principal, throttle_.arm_delete_capacity,
                  throttle_.arm_delete_refill);
  }
  return ThrottleDecision{};
}

}  // namespace cmk
