#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/hook_host.h"
#include "cli/planning.h"
#include "cli/views/apply_view.h"
#include "engine/apply/apply.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"

namespace cmk {
namespace {

bool Confirm(const Plan& plan) {
  std::cout << "\nApply these changes to " << plan.target.ToString()
            << "? Only 'yes' is accepted: " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "yes";
}

Result<Plan> LoadSavedPlan(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound("cannot read plan file " + path);
  std::ostringstream text;
  text << file.rdbuf();
  auto plan = PlanFromJson(text.str());
  if (!plan.ok()) return plan.status().WithContext(path);
  return plan;
}

}  // namespace

int RunApply(const GlobalOptions& global, const ApplyArgs& args) {
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  Result<Plan> plan = Internal("no plan");
  if (!args.plan_file.empty()) {
    if (!global.files.empty()) {
      std::cerr << "error: apply PLANFILE takes no -f: a saved plan is applied as approved, "
                   "without re-reading manifests\n";
      return kExitUsage;
    }
    plan = LoadSavedPlan(args.plan_file);
    if (!plan.ok()) {
      std::cerr << "error: " << plan.status().message() << "\n";
      return kExitError;
    }
    if (plan->target.ToString() != provider.Target().ToString()) {
      std::cerr << "error: the plan was computed for " << plan->target.ToString()
                << " but the target is " << provider.Target().ToString() << "\n";
      return kExitError;
    }
    Status fresh = CheckPlanIsFresh(*plan, provider);
    if (!fresh.ok()) {
      std::cerr << "error: " << fresh.message() << "\n";
      return kExitError;
    }
  } else {
    if (global.files.empty()) {
      std::cerr << "error: apply needs -f manifests or a saved plan file\n";
      return kExitUsage;
    }
    plan = ComputePlan(global, args.flags, provider, std::cerr);
    if (!plan.ok()) {
      std::cerr << "error: " << plan.status().message() << "\n";
      return kExitError;
    }
  }
  std::cout << RenderText(*plan);
  if (plan->HasErrors()) {
    std::cerr << "error: the plan has errors; nothing was applied\n";
    return kExitError;
  }
  if (!plan->HasChanges()) return kExitOk;
  if (!args.auto_approve) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "error: apply needs confirmation but standard input is not a terminal; "
                   "review the plan and pass --auto-approve (or apply a saved plan file)\n";
      return kExitError;
    }
    if (!Confirm(*plan)) {
      std::cerr << "Apply cancelled; nothing was changed.\n";
      return kExitError;
    }
  }
  std::cout << "\nApplying to " << plan->target.ToString() << ":\n";
  ProgressPrinter printer(std::cout);
  ApplyOptions options;
  options.keep_going = args.keep_going;
  ApplyResult result = ApplyWithHooks(*plan, provider, (*target)->clock(), &printer, options);  // the plan's hooks only
  int applied = 0;
  bool all_applied = true;
  for (const auto& r : result.report) {
    if (r.outcome == Outcome::kApplied) ++applied;
    all_applied &= r.outcome == Outcome::kApplied && r.reason.empty() && r.notes.empty();
  }
  std::cout << "\nApply " << (result.status.ok() ? "complete" : "incomplete") << ": " << applied
            << " change(s) applied.\n";
  if (result.hooks_ran || !all_applied) std::cout << RenderApplyReport(result);
  if (!result.status.ok()) {
    std::cerr << "error: " << result.status.message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace cmk
