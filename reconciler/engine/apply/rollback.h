// Rollback: the inverse of one applied change, where a safe one exists.
//
// Used by Apply when a post-hook fails with `onFailure: rollback`. The
// inverse is computed from the change's `before` in the plan (never from
// manifests): a binding goes back to its previous encryption (key, version,
// identity, or Microsoft-managed keys), a key update to the previous
// attributes, a rotation policy update to the previous policy, a vault or
// identity update to the previous object, a new role assignment is removed.
// Creates of vaults, keys and identities, deletes and replaces have no safe
// inverse (nothing is ever deleted or purged to undo them): Revert says so
// and changes nothing. Not thread-safe (one provider call at a time).
#pragma once

#include <string>

#include "base/status.h"
#include "engine/plan/plan.h"
#include "provider/provider.h"

namespace cmk {

enum class RevertKind {
  kReverted,   // the inverse was applied
  kNoInverse,  // none is safe; the resource is left as it is
  kFailed,     // the inverse was attempted and the provider refused it
};

struct RevertResult {
  RevertKind kind = RevertKind::kNoInverse;
  // "reverted keyVersion 9c1d… → 3f2a…", "no safe inverse: ...", or the
  // attempted inverse when it failed.
  std::string note;
  Status status;  // the provider's answer when kind == kFailed
};

RevertResult Revert(const Change& change, Provider& provider);

}  // namespace cmk
