// Computing a plan from manifests and the live target: shared by `plan` and
// `apply` so both always see exactly the same plan.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>

#include "base/status.h"
#include "cli/context.h"
#include "engine/inventory/inventory.h"
#include "engine/plan/plan.h"
#include "engine/read/live_reader.h"

namespace cmk {

struct PlanFlags {
  bool prune = false;
  bool allow_destroy = false;
  // Read what can be read: objects that cannot be read are listed in the
  // plan (Plan::unobservable) and the changes resting on them withheld.
  bool degrade = false;
  std::function<void(const ReadProgress&)> progress;  // optional
};

// Loads manifests (diagnostics to `err`), reads live state through `provider`
// and diffs. Fingerprints of everything read are in the returned plan.
[[nodiscard]] Result<Plan> ComputePlan(const GlobalOptions& global, const PlanFlags& flags,
                                       Provider& provider, std::ostream& err);
// The same from manifests already loaded (a rehearsal plans them at every step).
[[nodiscard]] Result<Plan> ComputePlan(const DesiredState& desired, const PlanFlags& flags,
                                       Provider& provider);

// Reads the live objects a saved plan was computed from and checks that none
// moved (kFailedPrecondition naming each one that did).
[[nodiscard]] Status CheckPlanIsFresh(const Plan& plan, Provider& provider);

// What `show` and `report` read: the target named by `global` opened, and
// the inventory of `desired` on it. Errors are already printed to `err`.
[[nodiscard]] std::optional<Inventory> ReadInventory(const GlobalOptions& global, const DesiredState& desired,
                                                     std::ostream& err);

}  // namespace cmk
