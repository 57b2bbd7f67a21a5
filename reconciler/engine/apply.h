// Apply: executes a plan's changes, in the plan's order, through a Provider.
//
// Apply uses only the plan (each change's `after`/`before` JSON) and provider
// calls; it never reads manifests and never decides policy. It refuses a plan
// with errors. A failed change skips everything that depends on it; other
// changes continue only with keep_going. The engine never prints: progress
// goes to an ApplyObserver. Not thread-safe (one provider, one call at a time).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/plan.h"
#include "engine/provider.h"

namespace cmk {

class ApplyObserver {
 public:
  virtual ~ApplyObserver() = default;
  virtual void OnChangeStart(const Change&) {}
  virtual void OnChangeDone(const Change&, const Status&) {}
};

enum class Outcome { kApplied, kFailed, kSkipped /* a dependency failed */, kNotAttempted };
const char* OutcomeName(Outcome outcome);  // "applied", "failed", "skipped", "not attempted"

struct ApplyOptions {
  bool keep_going = false;  // continue with changes independent of a failure
};

struct ApplyResult {
  std::vector<std::pair<std::string, Outcome>> outcomes;  // plan order, no-ops left out
  std::vector<std::string> messages;  // one line per failed / skipped change
  Status status;                      // ok when every change applied
};

ApplyResult Apply(const Plan& plan, Provider& provider, ApplyObserver* observer,
                  const ApplyOptions& options = {});

// One change through the provider (exposed for tests and `apply --only`).
[[nodiscard]] Status ApplyChange(const Change& change, Provider& provider);

}  // namespace cmk
