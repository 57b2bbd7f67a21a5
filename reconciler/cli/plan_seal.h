// The saved plan as an approval: `plan --out FILE` seals the plan with a
// SHA-256 of its canonical JSON and of each hook script it will run; `apply
// FILE` refuses a plan whose digest or hook scripts changed, naming what
// changed. A digest catches accidents and tampering with the file alone;
// apply also re-checks every safety rule against live state (plan_safety.h).
// Files only; not thread-safe.
#pragma once

#include <string>

#include "base/status.h"
#include "engine/plan/plan.h"

namespace cmk {

// Records the SHA-256 of every hook script (and rollback script) the plan
// carries; an unreadable script is an error naming the hook.
[[nodiscard]] Status RecordHookDigests(Plan& plan);
// The plan file's text: the canonical plan JSON plus "digest": "sha256:HEX".
std::string SealPlan(const Plan& plan);
// Reads a sealed plan: refuses one without a digest, or whose content no
// longer matches it. `path` is for messages.
[[nodiscard]] Result<Plan> UnsealPlan(const std::string& text, const std::string& path);
// Each hook script still has the content the plan recorded.
[[nodiscard]] Status CheckHookDigests(const Plan& plan);

}  // namespace cmk
