#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/planning.h"
#include "engine/apply.h"
#include "engine/render.h"

namespace cmk {
namespace {

struct ApplyArgs {
  std::string plan_file;
  bool auto_approve = false;
  bool keep_going = false;
  PlanFlags flags;
};

class ProgressPrinter : public ApplyObserver {
 public:
  void OnChangeStart(const Change& change) override {
    std::cout << "  " << ActionName(change.action) << " " << change.address << " ..." << std::flush;
  }
  void OnChangeDone(const Change& change, const Status& status) override {
    if (status.ok()) {
      std::cout << " done\n";
    } else {
      std::cout << " FAILED\n    " << status.message() << "\n";
    }
  }
};

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
  ApplyResult result = Apply(*plan, provider, &printer, options);
  int applied = 0;
  std::ostringstream problems;
  for (const auto& [address, outcome] : result.outcomes) {
    if (outcome == Outcome::kApplied) {
      ++applied;
    } else {
      problems << "  " << address << ": " << OutcomeName(outcome) << "\n";
    }
  }
  std::cout << "\nApply " << (result.status.ok() ? "complete" : "incomplete") << ": " << applied
            << " change(s) applied.\n";
  if (!problems.str().empty()) std::cout << problems.str();
  for (const auto& message : result.messages) std::cout << "  " << message << "\n";
  if (!result.status.ok()) {
    std::cerr << "error: " << result.status.message() << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

CommandSpec ApplyCommand() {
  return {"apply", "Apply the plan (computed now from -f, or a saved plan file)",
          [](CLI::App& sub, GlobalOptions& global) -> std::function<int()> {
            auto args = std::make_shared<ApplyArgs>();
            sub.add_option("plan", args->plan_file, "a plan saved with `plan --out FILE`");
            sub.add_option("-f,--file", global.files, "manifest file or directory (repeatable)");
            sub.add_flag("--auto-approve", args->auto_approve, "do not ask for confirmation");
            sub.add_flag("--keep-going", args->keep_going,
                         "after a failure, continue with changes that do not depend on it");
            sub.add_flag("--prune", args->flags.prune,
                         "delete cmkctl-owned resources that are gone from the manifests");
            sub.add_flag("--allow-destroy", args->flags.allow_destroy,
                         "allow deleting keys and vaults (with --prune)");
            return [&global, args] { return RunApply(global, *args); };
          }};
}

}  // namespace cmk
