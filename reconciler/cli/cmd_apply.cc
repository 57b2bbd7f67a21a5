#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/read_progress.h"
#include "cli/hook_host.h"
#include "cli/plan_seal.h"
#include "cli/planning.h"
#include "engine/access/plan_safety.h"
#include "engine/read/live_reader.h"
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
  CMK_ASSIGN_OR_RETURN(Plan plan, UnsealPlan(text.str(), path));
  CMK_RETURN_IF_ERROR(CheckHookDigests(plan));
  return plan;
}

// A saved plan is re-checked as if it were new: its deletes need the same
// flags on this command line, and no change may cut a consumer off, judged
// against live state read now. Appends to plan.errors.
Status RecheckSavedPlan(Plan& plan, const PlanFlags& flags, Provider& provider) {
  for (PlanMessage& m : DisallowedDeletes(plan.changes, flags.prune, flags.allow_destroy))
    plan.errors.push_back(std::move(m));
  CMK_ASSIGN_OR_RETURN(LiveState live, ReadLive(provider, plan.query, plan.query.include_prune_candidates));
  for (PlanMessage& m : ConsumerCutOffs(live, plan.query, plan.changes, provider.Now()))
    plan.errors.push_back(std::move(m));
  for (PlanMessage& m : BindingRefusals(live, plan.changes, provider.Now()))
    plan.errors.push_back(std::move(m));
  return Status::Ok();
}

}  // namespace

int RunApply(const GlobalOptions& global, const ApplyArgs& args) {
  EvidenceRun* evidence = args.evidence.run;
  if (Status chosen = CheckTargetChosen(global); !chosen.ok()) {
    std::cerr << "error: " << chosen.message() << "\n";
    return kExitError;
  }
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  if (evidence) evidence->SetTarget(provider);
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
    if (Status s = RecheckSavedPlan(*plan, args.flags, provider); !s.ok()) {
      std::cerr << "error: re-checking the plan against live state: " << s.message() << "\n";
      return kExitError;
    }
  } else {
    if (global.files.empty()) {
      std::cerr << "error: apply needs -f manifests or a saved plan file\n";
      return kExitUsage;
    }
    ReadProgressPrinter progress(std::cerr);
    PlanFlags flags = args.flags;
    flags.degrade = true;  // show what can be read; apply refuses below
    flags.progress = progress.Callback();
    plan = ComputePlan(global, flags, provider, std::cerr);
    if (!plan.ok()) {
      std::cerr << "error: " << plan.status().message() << "\n";
      return kExitError;
    }
  }
  std::cout << RenderText(*plan);
  if (evidence) evidence->SetPlan(PlanToJsonText(*plan));
  if (plan->HasErrors()) {
    std::cerr << "error: the plan has errors; nothing was applied\n";
    return kExitError;
  }
  if (!plan->unobservable.empty()) {
    std::cerr << "error: " << plan->unobservable.size()
              << " object(s) could not be read; apply never applies an incomplete plan, "
                 "nothing was applied\n";
    return kExitError;
  }
  if (!plan->HasChanges()) return kExitOk;
  // A saved plan is the approval (as in Terraform): no prompt.
  if (!args.auto_approve && args.plan_file.empty()) {
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
  ApplyObserver* observer = evidence ? evidence->Observe(&printer) : &printer;
  ApplyResult result = ApplyWithHooks(*plan, provider, (*target)->clock(), observer, options);  // the plan's hooks only
  if (evidence) evidence->SetApplyResult(result);
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
