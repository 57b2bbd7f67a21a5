// Live read: everything Diff needs from the cloud, read before Diff runs.
//
// BuildQuery decides what to read from the desired state alone; ReadLive
// performs the reads through a Provider (the only I/O in planning);
// Fingerprints condenses what was read so that a saved plan can later be
// checked against the cloud (CheckFresh). Never decides policy: which live
// objects become changes is Diff's job. Not thread-safe (the provider is not).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>

#include "base/status.h"
#include "engine/read/live_query.h"
#include "engine/plan/plan.h"
#include "provider/provider.h"
#include "model/world.h"

namespace cmk {

LiveQuery BuildQuery(const DesiredState& desired);

// Get* for each queried object; with prune candidates also lists vaults and
// identities per subscription, keys of owned vaults and role assignments at
// owned vaults, keeping only objects that carry the ownership mark. Queried
// role-assignment scopes are kept whole (Diff matches assignments made
// outside cmkctl).
[[nodiscard]] Result<LiveState> ReadLive(Provider& provider, const LiveQuery& query,
                                         bool include_prune_candidates);

// Where a read stands: `done` of `total` objects queried, and what is being
// read now ("keys of 12 vaults", "storage accounts in subscription S").
struct ReadProgress {
  size_t done = 0;
  size_t total = 0;
  std::string reading;
};

struct ReadOptions {
  bool include_prune_candidates = false;
  // Degrade instead of failing: an object (or a list) that cannot be read
  // (kUnavailable: unreachable host, no answer in time, throttling that
  // outlasted the retries; kPermissionDenied: firewall, missing permission)
  // is recorded in LiveState::unobservable with the reason, and the rest is
  // read. Other failures (no credential, a malformed answer) still fail.
  bool degrade = false;
  // Called before each step of the read (never from another thread).
  std::function<void(const ReadProgress&)> progress;
};

[[nodiscard]] Result<LiveState> ReadLive(Provider& provider, const LiveQuery& query,
                                         const ReadOptions& options);

// The objects a query names (its size for ReadProgress::total).
size_t QueriedObjectCount(const LiveQuery& query);

// Addresses of live keys not named by the query (prune candidates), keyed by
// LiveState::keys key ("VAULT/NAME"): "key/NAME", or "key/VAULT/NAME" when
// that address is taken. Diff and Fingerprints agree through this function.
std::map<std::string, std::string> ExtraKeyAddresses(const LiveQuery& query,
                                                     const LiveState& live);

// Address of the fingerprint of role assignments at (and below) `scope`.
std::string RoleAssignmentsAddress(const std::string& scope);

// address -> FNV-1a 64-bit hex of the live object's canonical JSON, or
// "absent". Covers every queried address, the queried role-assignment scopes
// and, when the query includes prune candidates, every extra live object.
std::map<std::string, std::string> Fingerprints(const LiveQuery& query, const LiveState& live);

// ReadLive(plan.query) followed by Fingerprints.
[[nodiscard]] Result<std::map<std::string, std::string>> ReadFingerprints(
    Provider& provider, const LiveQuery& query);

// kFailedPrecondition naming every address whose fingerprint moved.
[[nodiscard]] Status CheckFresh(const Plan& plan, const std::map<std::string, std::string>& now);

}  // namespace cmk
