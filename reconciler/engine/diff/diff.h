// Diff: (desired state, live state) -> plan. A pure function.
//
// All I/O happens before Diff (ReadLive). Diff decides every change, its
// reason, risk, dependencies and the hooks that select it; it also records
// refusals (replacing a vault or key, removing an expiry, destructive prune
// without consent, ...) as plan errors, so that a plan always shows the whole
// picture and apply refuses a plan with errors. Deterministic: the same
// inputs give the same plan. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>

#include "engine/plan/plan.h"
#include "provider/provider.h"
#include "model/world.h"

namespace cmk {

struct DiffOptions {
  bool prune = false;          // plan deletes of owned objects absent from manifests
  bool allow_destroy = false;  // also allow deleting vaults/keys and replacing identities
  std::string vault_dns_suffix = "vault.azure.net";
  // The provider's clock (unix seconds): adoption windows, expiry warnings and
  // upcoming dates are judged against it. 0 = unknown (no time-based rules).
  int64_t now = 0;
};

Plan Diff(const DesiredState& desired, const LiveState& live, const DiffOptions& options,
          const TargetInfo& target);

}  // namespace cmk
