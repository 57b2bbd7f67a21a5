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

inline constexpr size_t kMaxDocuments = 10000;  // across one load
inline constexpr const char* kSandboxSeedFile = "sandbox-seed.yaml";

struct LoadOptions {
  size_t max_file_bytes = 4 << 20;
  size_t max_total_bytes = 16 << 20;
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
