#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/hook_host.h"
#include "cli/planning.h"
#include "engine/apply/apply.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"

namespace cmk {
namespace {

// Progress on stdout: one line per change, with its hooks (and their logs)
// and any rollback under it. Without hooks the line is "  create x ... done".
class ProgressPrinter : public ApplyObserver {
 public:
  void OnChangeStart(const Change& change) override {
    std::cout << "  " << ActionName(change.action) << " " << change.address << " ..." << std::flush;
    line_open_ = true;
  }
  void OnChangeDone(const Change&, const Status& status) override {
    std::cout << (line_open_ ? " " : "    ");
    line_open_ = false;
    if (status.ok()) {
      std::cout << "done\n";
    } else {
      std::cout << "FAILED\n    " << status.message() << "\n";
    }
  }
  void OnHook(const Change&, const HookReport& hook) override {
    CloseLine();
    if (hook.phase == "rollback") {
      std::cout << "    rollback script: " << hook.message << "\n";
    } else {
      std::cout << "    " << hook.phase << "-" << hook.message
                << (!hook.ok && hook.on_failure == "warn" ? " (warning only)" : "") << "\n";
    }
    for (const auto& line : hook.logs) std::cout << "      " << line << "\n";
  }
  void OnRevert(const Change&, const RevertResult& revert) override {
    CloseLine();
    std::cout << "    rollback: " << revert.note << "\n";
  }
  void OnChangeOutcome(const Change&, const ChangeReport& report) override {
    CloseLine();
    if (report.outcome == Outcome::kSkippedByHook) std::cout << "    skipped: nothing was changed\n";
  }

 private:
  void CloseLine() {
    if (line_open_) std::cout << "\n";
    line_open_ = false;
  }
  bool line_open_ = false;
};

// The final report: every change with its outcome and reason (docs/hooks.md).
std::string RenderReport(const ApplyResult& result) {
  size_t width = 30;
  for (const auto& r : result.report) width = std::max(width, r.address.size() + 2);
  std::ostringstream out;
  for (const auto& r : result.report) {
    std::string outcome = OutcomeName(r.outcome);
    out << "  " << outcome << std::string(outcome.size() < 16 ? 16 - outcome.size() : 1, ' ')
        << r.address << std::string(width - r.address.size(), ' ')
        << (r.reason.empty() ? ActionName(r.action) : r.reason) << "\n";
    for (const auto& note : r.notes) out << std::string(18 + width, ' ') << note << "\n";
  }
  return out.str();
}

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
  ProgressPrinter printer;
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
  if (result.hooks_ran || !all_applied) std::cout << RenderReport(result);
  if (!result.status.ok()) {
    std::cerr << "error: " << result.status.message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace cmk
