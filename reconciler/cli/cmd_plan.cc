#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/plan_seal.h"
#include "cli/planning.h"
#include "engine/plan/plan_codec.h"
#include "engine/plan/render.h"

namespace cmk {

int RunPlan(const GlobalOptions& global, const PlanArgs& args) {
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  auto plan = ComputePlan(global, args.flags, provider, std::cerr);
  if (!plan.ok()) {
    std::cerr << "error: " << plan.status().message() << "\n";
    return kExitError;
  }
  if (args.format == "json") {
    std::cout << PlanToJsonText(*plan);
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
  if (args.detailed_exitcode && plan->HasChanges()) return kExitChanges;
  return kExitOk;
}

}  // namespace cmk
