// Projection: the live state as it will be after a plan's changes, computed
// from the changes' requests alone (no target is asked), so that the access
// analysis can judge a plan before anything is applied. Objects the target
// creates carry what is known at plan time: a new key version has the id
// "(new version)", a new principal id "(new principal)".
//
// Not thread-safe (one projection per thread); no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "engine/plan/change.h"
#include "model/world.h"

namespace cmk {

class Projection {
 public:
  Projection(LiveState live, int64_t now);

  // Applies one change (no-ops leave the state as it is).
  void Apply(const Change& change);
  const LiveState& state() const { return live_; }

 private:
  KeyState* FindKey(const std::string& vault, const std::string& name);
  IdentityState* FindIdentity(const ArmRef& ref);
  ConsumerState* FindConsumer(const ConsumerRef& ref);
  void EraseVault(const std::string& name);

  LiveState live_;
  int64_t now_;
  std::unordered_map<std::string, std::string> key_slot_;  // NormalizedKeyName -> live_.keys key
  std::unordered_map<std::string, std::string> identity_slot_;  // NormalizedId -> address
  std::unordered_map<std::string, std::string> consumer_slot_;  // lower address -> address
};

}  // namespace cmk
