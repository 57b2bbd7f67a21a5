// LoadManifests: files -> checked, resolved DesiredState plus diagnostics.
//
// The single entry point the CLI calls. Reads the named files and
// directories (a directory: every *.yaml / *.yml in it, sorted by name, not
// recursive, skipping sandbox-seed.yaml), enforces the input guards (file
// and total size, nesting depth, document count), parses and checks every
// document, then resolves references across all of them. Every problem is
// collected; nothing stops at the first error. Only reads files, never
// writes; never talks to Azure. Thread-compatible (no shared state).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "manifest/diagnostic.h"
#include "model/world.h"

namespace cmk {

inline constexpr const char* kSandboxSeedFile = "sandbox-seed.yaml";

// Limits guard against hostile or runaway input (a YAML bomb, a generator
// loop) per file; the per-load byte limit bounds memory. A plan holds about
// 50 times the manifest text (2.4 MiB of text, 200 vaults: 126 MiB peak), so
// 32 MiB of manifests (about 2,700 vaults, 125,000 documents) plan in under
// 2 GiB.
struct LoadOptions {
  size_t max_file_bytes = 4 << 20;
  size_t max_file_documents = 10000;
  size_t max_total_bytes = 32 << 20;
  size_t max_entries = 100000;  // per mapping and per list (labels, tags, operations)
  int max_depth = 32;
};

struct LoadResult {
  DesiredState desired;
  std::vector<Diagnostic> diagnostics;  // sorted by file, line, column
  std::vector<std::string> files;       // files read, sorted
  bool ok() const;                      // no errors (warnings allowed)
};

LoadResult LoadManifests(const std::vector<std::string>& paths, const LoadOptions& options = {});

}  // namespace cmk
