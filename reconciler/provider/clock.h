// Clock: the time a target runs on, and how to wait in it.
//
// Hooks wait through a Clock (cmk.sleep): against Azure, or a sandbox on the
// real clock, a wait blocks; against a sandbox whose clock is simulated, it
// advances that clock instead, so a hook that waits a day for consumers to
// adopt a version takes no real time. The CLI picks the clock with the target.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "provider/provider.h"

namespace cmk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t Now() = 0;                // Unix seconds, the target's time
  virtual void Sleep(double seconds) = 0;  // non-positive: returns at once
};

// The provider's time; waits block for real.
class ProviderClock : public Clock {
 public:
  explicit ProviderClock(const Provider& provider) : provider_(provider) {}
  int64_t Now() override { return provider_.Now(); }
  void Sleep(double seconds) override {
    if (seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  }

 private:
  const Provider& provider_;
};

}  // namespace cmk
