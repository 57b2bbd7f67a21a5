// Plan views: human text, Markdown (PR comments) and versioned JSON.
//
// Renderers only format: they never decide anything about a plan. Output is
// a pure function of the plan (no time, no terminal width), so the same plan
// renders byte-identically. PlanFromJson is the one place plan JSON is
// parsed; it never throws. docs/plan-format.md is the JSON contract.
#pragma once

#include <string>

#include "base/status.h"
#include "engine/plan.h"

namespace cmk {

std::string RenderText(const Plan& plan);
std::string RenderMarkdown(const Plan& plan);

Json PlanToJson(const Plan& plan);
// The canonical saved form: PlanToJson(plan).dump(2) plus a newline.
std::string PlanToJsonText(const Plan& plan);
// One change as it appears in the plan JSON's `changes` (also what a hook
// sees as cmk.change).
Json ChangeToJson(const Change& change);
// Parses a saved plan; kInvalidArgument for malformed JSON, a missing member
// or an unknown format_version. PlanToJson(*PlanFromJson(t)) dumps as `t`.
[[nodiscard]] Result<Plan> PlanFromJson(const std::string& text);

// "Plan: 1 to create, 2 to update, 0 to replace, 0 to delete; 3 unchanged."
// or "No changes. 3 objects up to date."
std::string SummaryLine(const Plan& plan);

}  // namespace cmk
