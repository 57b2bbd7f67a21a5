#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/read_progress.h"
#include "cli/plan_seal.h"
#include "cli/planning.h"
#include "cli/views/sarif_view.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"

namespace cmk {

int RunPlan(const GlobalOptions& global, const PlanArgs& args) {
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
  // The manifests first: with --format sarif their errors are the results.
  std::vector<Diagnostic> diagnostics;
  auto desired = LoadDesired(global, std::cerr, nullptr, &diagnostics);
  if (!desired.ok()) {
    if (args.format == "sarif")
      std::cout << RenderSarif({"plan", RepositoryRoot(), SarifFromDiagnostics(diagnostics)}).dump(2) << "\n";
    return kExitError;
  }
  Result<Plan> plan = Internal("no plan");
  {
    ReadProgressPrinter progress(std::cerr);
    PlanFlags flags = args.flags;
    flags.degrade = true;  // what cannot be read is listed and its changes withheld
    flags.progress = progress.Callback();
    plan = ComputePlan(*desired, flags, provider);
  }
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return kExitError;
  }
  if (args.format == "json") {
    std::cout << PlanToJsonText(*plan);
  } else if (args.format == "sarif") {
    std::cout << RenderSarif({"plan", RepositoryRoot(), SarifFromPlan(*plan)}).dump(2) << "\n";
  } else if (args.format == "markdown") {
    std::cout << RenderMarkdown(*plan);
  } else {
    std::cout << RenderText(*plan);
  }
  if (!args.out.empty()) {
    std::ofstream file(args.out, std::ios::binary | std::ios::trunc);
    file << SealPlan(*plan);
    if (!file) {
      std::cerr << "error: cannot write plan to " << args.out << "\n";
      return kExitError;
    }
    std::cerr << "Saved plan to " << args.out << " (apply it with: cmkctl apply " << args.out
              << ")\n";
  }
  if (plan->HasErrors()) return kExitError;
  if (!plan->unobservable.empty()) {
    std::cerr << "error: " << plan->unobservable.size()
              << " object(s) could not be read; the changes resting on them are withheld "
                 "(listed above): the plan is incomplete\n";
    return kExitError;
  }
  if (args.detailed_exitcode && plan->HasChanges()) return kExitChanges;
  return kExitOk;
}

}  // namespace cmk
