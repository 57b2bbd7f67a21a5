// `cmkctl verify`: envelope-encryption canaries for every managed key's
// enabled versions and for every binding's version in use, run as the
// consumer (verify/verify_estate.h). Exit 0 when all pass,
// kExitVerifyFailed when any fails.
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/views/verify_view.h"
#include "engine/read/live_reader.h"
#include "verify/verify_estate.h"

namespace cmk {

int RunVerify(const GlobalOptions& global, const VerifyArgs& args) {
  EvidenceRun* evidence = args.evidence.run;
  auto desired = LoadDesired(global, std::cerr);
  if (!desired.ok()) return kExitError;
  if (!args.key.empty() && !desired->keys.count(MakeAddress(Kind::kKey, args.key))) {
    std::cerr << "error: --key " << args.key << ": no such Key in the manifests\n";
    return kExitUsage;
  }
  auto target = OpenTarget(global);
  if (!target.ok()) {
    std::cerr << "error: " << target.status().message() << "\n";
    return kExitError;
  }
  Provider& provider = (*target)->provider();
  if (evidence) evidence->SetTarget(provider);
  auto live = ReadLive(provider, BuildQuery(*desired), false);
  if (!live.ok()) {
    std::cerr << "error: " << live.status().message() << "\n";
    return kExitError;
  }
  VerifyOptions options;
  options.key = args.key;
  options.all_versions = args.all_versions;
  std::vector<CanaryResult> results = VerifyEstate(*desired, *live, provider, options);
  if (evidence) evidence->SetOutput(VerifyJson(provider.Target(), results));
  if (args.format == "json") {
    std::cout << VerifyJson(provider.Target(), results).dump(2) << "\n";
  } else {
    RenderVerifyText(provider.Target(), results, std::cout);
  }
  return Tally(results).failed > 0 ? kExitVerifyFailed : kExitOk;
}

}  // namespace cmk
