#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/planning.h"
#include "engine/render.h"

namespace cmk {
namespace {

struct PlanArgs {
  std::string format = "text";
  std::string out;
  bool detailed_exitcode = false;
  PlanFlags flags;
};

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
    file << PlanToJsonText(*plan);
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

}  // namespace

CommandSpec PlanCommand() {
  return {"plan", "Diff manifests against the live target and print the plan",
          [](CLI::App& sub, GlobalOptions& global) -> std::function<int()> {
            auto args = std::make_shared<PlanArgs>();
            sub.add_option("-f,--file", global.files, "manifest file or directory (repeatable)")
                ->required();
            sub.add_option("--format", args->format, "text (default), json or markdown")
                ->check(CLI::IsMember({"text", "json", "markdown"}));
            sub.add_option("--out", args->out, "also save the plan as JSON for `apply FILE`");
            sub.add_flag("--detailed-exitcode", args->detailed_exitcode,
                         "exit 0 no changes, 1 error, 2 changes");
            sub.add_flag("--prune", args->flags.prune,
                         "delete cmkctl-owned resources that are gone from the manifests");
            sub.add_flag("--allow-destroy", args->flags.allow_destroy,
                         "allow deleting keys and vaults (with --prune)");
            return [&global, args] { return RunPlan(global, *args); };
          }};
}

}  // namespace cmk
