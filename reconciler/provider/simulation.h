// Simulation: a target whose time a rehearsal can move, and what it
// reports back: the activity log and the consumers that lost access. The
// sandbox is one (SandboxSimulation); Azure is not (a rehearsal against
// Azure runs on a sandbox restored from a snapshot of it).
//
// Not thread-safe (neither is the target behind it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace cmk {

struct SimulatedEvent {
  int64_t seq = 0;      // increasing; EventsAfter(seq) returns only newer ones
  int64_t time = 0;     // unix seconds, the target's clock
  std::string kind;     // "key.rotate", "storage.adopt", "sql.adopt", ...
  std::string object;   // "key/bank-kv/cmk", ...
  std::string message;  // human line, never secrets
};

// A consumer that could not use its key, from `since` (until recovered).
struct SimulatedIncident {
  std::string consumer;  // its address: "storage/NAME", "sql/NAME", "des/NAME"
  std::string cause;
  int64_t since = 0;
  std::optional<int64_t> until;
};

class Simulation {
 public:
  virtual ~Simulation() = default;
  virtual int64_t Now() = 0;
  // Moves the clock forward by an ISO-8601 duration; everything due in
  // between happens, in order.
  virtual Status AdvanceBy(const std::string& iso_duration) = 0;
  virtual Result<std::vector<SimulatedEvent>> EventsAfter(int64_t seq) = 0;
  virtual Result<std::vector<SimulatedIncident>> Incidents() = 0;
};

}  // namespace cmk
