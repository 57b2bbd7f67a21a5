// VerifyEstate: which canaries `verify` runs, and running them. For every
// key the manifests declare, its newest enabled version (or every enabled
// version); for every binding, the consumer canary on the version the
// storage account really uses. Objects the manifests name but the target
// lacks become failed results that say so. Uses only the Provider
// interface; not thread-safe (the provider is not).
#pragma once

#include <string>
#include <vector>

#include "model/world.h"
#include "provider/provider.h"
#include "verify/canary.h"

namespace cmk {

struct VerifyOptions {
  std::string key;            // only this key (a Key's metadata name); "" = all
  bool all_versions = false;  // every enabled version, not only the newest
  CanaryOptions canary;
};

struct CanaryTally {
  int passed = 0, failed = 0, skipped = 0;
};

// Key canaries first (manifest address order, each key's versions oldest
// first), then consumer canaries (binding address order).
std::vector<CanaryResult> VerifyEstate(const DesiredState& desired, const LiveState& live,
                                       Provider& provider, const VerifyOptions& options = {});
CanaryTally Tally(const std::vector<CanaryResult>& results);

}  // namespace cmk
