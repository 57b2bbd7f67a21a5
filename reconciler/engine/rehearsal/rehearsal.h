// Rehearsal: the scheduled pipeline (plan + auto-approved apply) run again
// and again on a Simulation while its clock moves step by step, checking at
// every step that no consumer lost access to its key (a version disabled,
// expired or deleted while in use shows up as an incident: a violation).
// The result is a timeline of rotations, adoptions, retirements, hook and
// apply outcomes, and a verdict. What one pipeline run does (plan with which
// flags, apply with which hooks) is the caller's, as a callback; everything
// else (the steps, injected manual changes, reading the activity log,
// collapsing repeats, the verdict) is here. Nothing here prints.
//
// Not thread-safe.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/world.h"
#include "provider/provider.h"
#include "provider/simulation.h"

namespace cmk {

struct RehearsalEntry {
  int64_t time = 0;
  std::string kind;     // "key.rotate", "apply.update", "hook.pre", "violation", ...
  std::string object;
  std::string message;
  int repeats = 0;      // the same pipeline outcome again at later steps
  int64_t last = 0;     // the last of those
};

// A manual change at a time: "disable key/NAME/versions/PREFIX@DURATION"
// disables the versions of key NAME whose id starts with PREFIX, DURATION
// after the start.
struct Injection {
  int64_t at = 0;
  std::string key;     // key metadata name
  std::string prefix;  // version id prefix
  bool done = false;
};
[[nodiscard]] Result<Injection> ParseInjection(const std::string& text, int64_t start);

struct RehearsalSpec {
  std::string until;                // ISO-8601 duration from the start
  std::string step;                 // ISO-8601 duration per step
  std::vector<std::string> inject;  // see Injection
};

struct RehearsalReport {
  int64_t start = 0, end = 0;
  int steps = 0;
  std::vector<RehearsalEntry> timeline;    // by time (stable)
  std::vector<RehearsalEntry> violations;  // in the order found
};

// What a pipeline run adds to the timeline.
class RehearsalLog {
 public:
  // Pipeline outcomes (kinds "hook.*" and "apply.*") that repeat step after
  // step (a hook refusing the same change every day) are one line with a
  // count; other notes are kept as they come.
  void Note(int64_t time, const std::string& kind, const std::string& object,
            const std::string& message);
  // A note kept only the first time its object and message are seen (plan
  // errors, blocked retirements: the state behind them persists).
  void NoteOnce(int64_t time, const std::string& kind, const std::string& object,
                const std::string& message);

 private:
  friend class Rehearser;
  std::vector<RehearsalEntry> timeline_;
  std::map<std::string, size_t> pipeline_lines_;  // kind/object/message -> timeline_ index
  std::set<std::string> once_;
};

// One pipeline run at the simulation's current time.
using PipelineRun = std::function<void(RehearsalLog& log)>;

// Runs the pipeline at the start, then after each step until `spec.until`
// has passed. Injections act through `provider` (UpdateKeyVersion), finding
// each key's vault in `desired`.
[[nodiscard]] Result<RehearsalReport> Rehearse(const RehearsalSpec& spec, const DesiredState& desired,
                                               Simulation& simulation, Provider& provider,
                                               const PipelineRun& pipeline);

}  // namespace cmk
