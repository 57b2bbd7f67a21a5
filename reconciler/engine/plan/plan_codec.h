// The plan's JSON: the one place a plan is written to and read from JSON
// (docs/plan-format.md is the contract). Format version 2: each change
// carries its `request` as {"op": ..., members} and its `reason_code`.
//
// Writing is canonical (keys sorted, two-space indentation, final newline).
// Reading is strict: a saved plan is what apply acts on, so every member it
// writes must be there with its type, every request's op and every enum
// must be known, and every hook a change names must be carried; each
// problem is reported with its JSON path. A plan of another format version
// is refused with both versions named. Never throws.
#pragma once

#include <string>

#include "base/status.h"
#include "engine/plan/plan.h"

namespace cmk {

Json PlanToJson(const Plan& plan);
// The canonical saved form: PlanToJson(plan).dump(2) plus a newline.
std::string PlanToJsonText(const Plan& plan);
[[nodiscard]] Result<Plan> PlanFromJson(const std::string& text);

// One change as the plan's `changes` hold it.
Json ChangeToJson(const Change& change);

}  // namespace cmk
