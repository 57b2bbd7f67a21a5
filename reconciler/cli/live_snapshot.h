// A snapshot of a live target for `cmkctl rehearse --target azure`: what the
// manifests reference (BuildQuery/ReadLive, the reads `plan` makes, plus the
// user-assigned identities the storage accounts use) read through the target's
// provider and restored into a new temporary sandbox (SandboxCloud::
// RestoreSnapshot), where simulated time can run. Read-only on the target:
// only Get/List calls are made. Not thread-safe.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include "base/status.h"
#include "cli/context.h"

namespace cmk {

struct LiveSnapshot {
  std::string dir;     // the temporary sandbox; the caller removes it
  std::string target;  // the source, as the "Target:" line names it ("azure: https://...")
  int64_t time = 0;    // the instant the restored clock starts at
};

// A new, empty temporary directory for a rehearsal's sandbox
// ($TMPDIR/cmkctl-rehearse-XXXXXX); the caller removes it.
[[nodiscard]] Result<std::string> NewRehearsalDir();

// Loads the manifests (diagnostics to `err`), opens `global`'s target, reads
// and restores. `at` overrides the snapshot's instant (default: the target's
// clock, real time for Azure). The directory is removed again on failure.
[[nodiscard]] Result<LiveSnapshot> SnapshotToSandbox(const GlobalOptions& global,
                                                     std::optional<int64_t> at, std::ostream& err);

}  // namespace cmk
