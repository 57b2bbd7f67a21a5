#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/views/sarif_view.h"
#include "engine/policy/posture.h"
#include "manifest/diagnostic.h"

namespace cmk {

int RunValidate(const GlobalOptions& global, const ValidateArgs& args) {
  const bool sarif = args.format == "sarif";
  size_t files = 0;
  std::vector<Diagnostic> diagnostics;
  auto desired = LoadDesired(global, std::cerr, &files, &diagnostics);
  auto print_sarif = [&](const std::vector<PolicyFinding>& findings) {
    std::vector<SarifResult> results = SarifFromDiagnostics(diagnostics);
    std::vector<SarifResult> posture = SarifFromPolicy(findings, "desired");
    results.insert(results.end(), posture.begin(), posture.end());
    std::cout << RenderSarif({"validate", RepositoryRoot(), std::move(results)}).dump(2) << "\n";
  };
  if (!desired.ok()) {
    if (sarif) print_sarif({});
    return kExitError;
  }
  const DesiredState& d = *desired;  // hook scripts were checked by LoadDesired
  // Posture rules on the manifests alone (the live state's are `show`'s and `drift`'s).
  std::vector<PolicyFinding> findings = CheckPosture(d, nullptr, 0);
  std::vector<Diagnostic> posture;
  size_t posture_errors = 0;
  for (const PolicyFinding& f : findings) {
    bool error = f.severity == "error";
    posture_errors += error;
    posture.push_back({error ? Severity::kError : Severity::kWarning, f.loc, f.address,
                       f.rule + " (" + f.policy + "): " + f.message, ""});
  }
  SortDiagnostics(posture);
  std::cerr << RenderAll(posture);
  if (sarif) print_sarif(findings);
  if (posture_errors > 0) {
    std::cerr << posture_errors << " policy error(s) in manifests.\n";
    return kExitError;
  }
  if (sarif) return kExitOk;
  std::cout << "Target: none (validate is offline)\n"
            << "Valid: " << files << " file(s); " << d.vaults.size() << " vault(s), "
            << d.keys.size() << " key(s), " << d.identities.size() << " identity(ies), "
            << d.role_assignments.size() << " role assignment(s), " << d.bindings.size()
            << " binding(s), " << d.hooks.size() << " hook(s).\n";
  return kExitOk;
}

}  // namespace cmk
