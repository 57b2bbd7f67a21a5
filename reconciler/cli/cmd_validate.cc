#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/hook_host.h"

namespace cmk {

int RunValidate(const GlobalOptions& global) {
  size_t files = 0;
  auto desired = LoadDesired(global, std::cerr, &files);
  if (!desired.ok()) return kExitError;
  const DesiredState& d = *desired;
  // Every hook script must load (never run): syntax errors as file:line.
  std::vector<HookSpec> hooks;
  for (const auto& [address, h] : d.hooks) hooks.push_back(h.value);
  std::vector<std::string> problems = CheckHookScripts(hooks);
  for (const auto& p : problems) std::cerr << p << "\n";
  if (!problems.empty()) {
    std::cerr << problems.size() << " hook script(s) do not load.\n";
    return kExitError;
  }
  std::cout << "Target: none (validate is offline)\n"
            << "Valid: " << files << " file(s); " << d.vaults.size() << " vault(s), "
            << d.keys.size() << " key(s), " << d.identities.size() << " identity(ies), "
            << d.role_assignments.size() << " role assignment(s), " << d.bindings.size()
            << " binding(s), " << d.hooks.size() << " hook(s).\n";
  return kExitOk;
}

}  // namespace cmk
