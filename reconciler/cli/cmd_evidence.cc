// `cmkctl evidence ...`: making a signing key for `--evidence`, and checking a
// directory of evidence bundles (every file, signature and chain link; the
// first broken link named). The bundle logic is evidence/'s; this file reads
// the arguments and renders.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "evidence/bundle.h"
#include "evidence/verify_chain.h"

namespace cmk {

int RunEvidenceKeygen(const GlobalOptions&, const std::string& out) {
  if (Status s = WriteNewEvidenceKey(out); !s.ok()) {
    std::cerr << "error: " << s.message() << "\n";
    return kExitError;
  }
  auto signer = LoadEvidenceSigner(out);
  if (!signer.ok()) {
    std::cerr << "error: " << signer.status().message() << "\n";
    return kExitError;
  }
  std::cout << "Wrote a new Ed25519 evidence signing key to " << out
            << " (mode 0600; keep it secret). Its public key, for `evidence verify --key`:\n"
            << signer->public_pem;
  return kExitOk;
}

int RunEvidenceVerify(const GlobalOptions&, const EvidenceVerifyArgs& args) {
  std::string expected;
  if (!args.key.empty()) {
    std::ifstream in(args.key, std::ios::binary);
    if (!in) {
      std::cerr << "error: --key: cannot read " << args.key << "\n";
      return kExitUsage;
    }
    std::ostringstream text;
    text << in.rdbuf();
    expected = text.str();
  }
  auto report = VerifyEvidenceDir(args.dir, expected);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message()
              << (args.key.empty() ? "" : " (--key " + args.key + ")") << "\n";
    return report.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitError;
  }
  if (args.format == "json") std::cout << ChainJson(*report).dump(2) << "\n";
  else std::cout << RenderChainText(*report);
  return report->ok() ? kExitOk : kExitError;
}

}  // namespace cmk
