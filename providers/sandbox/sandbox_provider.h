// SandboxProvider: the reconciler's Provider over a SandboxCloud.
//
// A thin adapter: every call forwards to the cloud, which owns every Azure
// rule. It adds nothing but the TargetInfo ("sandbox: DIR"). The cloud's
// extra operations (clock, events, seeding, recover/purge) stay on
// SandboxCloud; reach them with cloud().
//
// Thread-compatible, like the cloud it wraps.
#pragma once

#include <memory>
#include <string>

#include "provider/clock.h"
#include "provider/provider.h"
#include "provider/simulation.h"
#include "sandbox/sandbox_cloud.h"

namespace cmk {

class SandboxProvider : public Provider {
 public:
  // `dir` is kept as given (e.g. ".cmkctl/") for Target().
  static Result<std::unique_ptr<SandboxProvider>> Open(const std::string& dir,
                                                       SandboxOptions options = {});
  explicit SandboxProvider(std::unique_ptr<SandboxCloud> cloud) : cloud_(std::move(cloud)) {}

  SandboxCloud& cloud() { return *cloud_; }

  TargetInfo Target() const override { return {"sandbox", cloud_->dir()}; }
  int64_t Now() const override { return cloud_->Now(); }
  std::string VaultDnsSuffix() const override { return cloud_->dns_suffix(); }
  std::vector<ConsumerKind> ConsumerKinds() const override;

  CMK_PROVIDER_OVERRIDES

 private:
  std::unique_ptr<SandboxCloud> cloud_;
};

// The sandbox's clock: a wait advances a simulated clock (whole seconds;
// fractions add up across waits) and blocks on the real one.
class SandboxClock : public Clock {
 public:
  explicit SandboxClock(SandboxCloud& cloud) : cloud_(cloud) {}
  int64_t Now() override { return cloud_.Now(); }
  void Sleep(double seconds) override;

 private:
  SandboxCloud& cloud_;
  double unslept_ = 0;  // fractions of a simulated second not yet advanced
};

// The sandbox as a Simulation: its simulated clock, activity log and access
// incidents.
class SandboxSimulation : public Simulation {
 public:
  explicit SandboxSimulation(SandboxCloud& cloud) : cloud_(cloud) {}
  int64_t Now() override { return cloud_.Now(); }
  Status AdvanceBy(const std::string& iso_duration) override {
    return cloud_.AdvanceClockBy(iso_duration);
  }
  Result<std::vector<SimulatedEvent>> EventsAfter(int64_t seq) override;
  Result<std::vector<SimulatedIncident>> Incidents() override;

 private:
  SandboxCloud& cloud_;
};

}  // namespace cmk
