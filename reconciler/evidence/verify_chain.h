// Verifying an evidence directory: every bundle's files against its
// manifest.json, the manifest's signature (against the bundle's own
// signer.pub.pem and, when given, an expected public key), and the chain: each
// bundle names the bundle sorted before it, with the SHA-256 of that bundle's
// manifest.json as it is on disk now; the first names none. Reads only; never
// prints (views render the ChainReport). Thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace cmk {

struct BundleCheck {
  std::string run;                    // the bundle's directory name
  std::vector<std::string> problems;  // empty: it holds
  bool ok() const { return problems.empty(); }
};

struct ChainReport {
  std::string dir;
  std::vector<BundleCheck> runs;  // chain (= name) order
  // Index into runs of the first bundle that does not hold.
  std::optional<size_t> first_broken;
  bool ok() const { return !runs.empty() && !first_broken; }
};

// `expected_public_pem`: "" to trust each bundle's signer.pub.pem alone.
// Errors: `dir` cannot be listed, or the expected key does not parse. An
// empty directory is a report with no runs (not ok: nothing was proven).
[[nodiscard]] Result<ChainReport> VerifyEvidenceDir(const std::string& dir,
                                                    const std::string& expected_public_pem);

std::string RenderChainText(const ChainReport& report);
Json ChainJson(const ChainReport& report);

}  // namespace cmk
