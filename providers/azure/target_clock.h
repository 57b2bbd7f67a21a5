// TargetClock: the target's time, as the Date headers of its answers state it.
//
// Every "now" a plan, finding, retirement or rehearsal uses must be the
// target's, not this machine's: ARM and Key Vault stamp every response with
// a Date header, and `cmkctl sandbox serve` stamps its simulated time there.
// The clock keeps the latest Date seen (time never runs backwards here);
// before any response carried one it falls back to the local clock and says
// so once at -v. It never extrapolates between responses: "now" is the
// target's clock as of its last answer, a few seconds old at most during a
// run. Thread-safe.
//
// ClockObservingTransport wraps the transport the pipeline (ARM and Key
// Vault calls) uses and shows every response to the clock; token endpoints
// go around it, since their clock is not the target's.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "azure/credentials.h"
#include "azure/http_transport.h"

namespace cmk {

class TargetClock {
 public:
  explicit TargetClock(UnixClock local) : local_(std::move(local)) {}

  void Observe(const HttpResponse& response);
  // The latest Date seen, else the local clock.
  int64_t Now() const;
  bool observed() const { return latest_.load() != kNone; }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  UnixClock local_;
  std::atomic<int64_t> latest_{kNone};
  mutable std::atomic<bool> told_fallback_{false};
};

class ClockObservingTransport : public HttpTransport {
 public:
  ClockObservingTransport(HttpTransport& inner, TargetClock& clock) : inner_(inner), clock_(clock) {}
  Result<HttpResponse> Send(const HttpRequest& request) override;
  std::vector<Result<HttpResponse>> SendAll(const std::vector<HttpRequest>& requests) override;

 private:
  HttpTransport& inner_;
  TargetClock& clock_;
};

}  // namespace cmk
