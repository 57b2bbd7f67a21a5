#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace cmk {

int RunValidate(const GlobalOptions& global) {
  size_t files = 0;
  auto desired = LoadDesired(global, std::cerr, &files);
  if (!desired.ok()) return kExitError;
  const DesiredState& d = *desired;  // hook scripts were checked by LoadDesired
  std::cout << "Target: none (validate is offline)\n"
            << "Valid: " << files << " file(s); " << d.vaults.size() << " vault(s), "
            << d.keys.size() << " key(s), " << d.identities.size() << " identity(ies), "
            << d.role_assignments.size() << " role assignment(s), " << d.bindings.size()
            << " binding(s), " << d.hooks.size() << " hook(s).\n";
  return kExitOk;
}

}  // namespace cmk
