// RateGate: the server's fault injection and Azure-like throttling.
//
// Faults: one uniform draw per request from a seeded generator (so a test
// sees the same outcomes for the same seed and request order); lost
// responses: a second seeded draw, for writes that got through only. Throttling:
// token buckets refilled continuously (real time), per vault for Key Vault
// (creates and other operations apart) and per principal for ARM (reads,
// writes, deletes). A refused request takes no token.
//
// Thread-safe (internal mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "sandbox_server/server_options.h"

namespace cmk {

// kLoseResponse: serve, then close the connection without the answer.
enum class FaultOutcome { kServe, kDrop, kThrottle, kError, kLoseResponse };
enum class ArmOp { kRead, kWrite, kDelete };

struct ThrottleDecision {
  bool allowed = true;
  int retry_after_seconds = 0;  // when refused
  int64_t remaining = -1;       // tokens left after this request; -1 = unlimited
};

class RateGate {
 public:
  RateGate(FaultOptions faults, ThrottleOptions throttle);

  // `changes_state`: PUT/PATCH/POST/DELETE (only those lose responses).
  FaultOutcome DrawFault(bool changes_state = false);
  int latency_ms() const { return faults_.latency_ms; }
  int fault_retry_after() const { return faults_.retry_after_seconds; }

  ThrottleDecision TakeVault(const std::string& vault, bool create);
  ThrottleDecision TakeArm(const std::string& principal, ArmOp op);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point last;
    bool primed = false;
  };
  ThrottleDecision Take(const std::string& key, double capacity, double refill_per_second);

  FaultOptions faults_;
  ThrottleOptions throttle_;
  std::mutex mu_;
  std::mt19937_64 rng_;
  std::mt19937_64 write_rng_;  // lost responses: drawn for writes only
  std::map<std::string, Bucket> buckets_;
};

}  // namespace cmk
