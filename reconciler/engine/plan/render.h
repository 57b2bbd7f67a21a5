// Plan views for people: human text and Markdown (PR comments). The JSON
// view is the plan's codec (plan_codec.h).
//
// Renderers only format: they never decide anything about a plan. Output is
// a pure function of the plan (no time, no terminal width), so the same plan
// renders byte-identically.
#pragma once

#include <cstddef>
#include <string>

#include "base/status.h"
#include "engine/plan/plan.h"

namespace cmk {

std::string RenderText(const Plan& plan);
// At most `budget` characters (a PR comment's limit, with room to spare).
inline constexpr size_t kMarkdownBudget = 65000;
std::string RenderMarkdown(const Plan& plan, size_t budget = kMarkdownBudget);

// "Plan: 1 to create, 2 to update, 0 to replace, 0 to delete; 3 unchanged."
// or "No changes. 3 objects up to date."
std::string SummaryLine(const Plan& plan);

}  // namespace cmk
