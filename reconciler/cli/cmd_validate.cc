#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "engine/policy/posture.h"
#include "manifest/diagnostic.h"

namespace cmk {

int RunValidate(const GlobalOptions& global) {
  size_t files = 0;
  auto desired = LoadDesired(global, std::cerr, &files);
  if (!desired.ok()) return kExitError;
  const DesiredState& d = *desired;  // hook scripts were checked by LoadDesired
  // Posture rules on the manifests alone (the live state's are `show`'s and `drift`'s).
  std::vector<Diagnostic> posture;
  size_t posture_errors = 0;
  for (const PolicyFinding& f : CheckPosture(d, nullptr, 0)) {
    bool error = f.severity == "error";
    posture_errors += error;
    posture.push_back({error ? Severity::kError : Severity::kWarning, f.loc, f.address,
                       f.rule + " (" + f.policy + "): " + f.message, ""});
  }
  SortDiagnostics(posture);
  std::cerr << RenderAll(posture);
  if (posture_errors > 0) {
    std::cerr << posture_errors << " policy error(s) in manifests.\n";
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
