// Drift: what moved between the manifests, the live estate and the safety
// rules, each difference classified for a scheduled job.
//
//   expected      what cmkctl's own declarations make happen: a rotation the
//                 manifests request, a consumer adopting a new version within
//                 its adoption window, a retirement now due;
//   risky         changed out of band on objects cmkctl owns or relies on (a
//                 field edited, a grant removed, a binding repinned, a version
//                 disabled or created by hand, an object deleted), and every
//                 consumer that cannot use its key now;
//   unobservable  what the read could not see, with the reason, and the
//                 changes withheld because of it.
//
// Computed from a plan (Diff of the manifests against a degraded read) and
// the live state it was computed from: pure, deterministic, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "engine/plan/plan.h"
#include "model/world.h"

namespace cmk {

enum class DriftClass { kExpected, kRisky, kUnobservable };
const char* DriftClassName(DriftClass c);  // "expected", "risky", "unobservable"

struct DriftItem {
  DriftClass klass = DriftClass::kRisky;
  // "differs", "missing", "unbound", "rebound", "identity", "repinned", "grant", "deleted", "inaccessible",
  // "unmanaged-version", "adoption", "adoption-overdue", "rotation-requested",
  // "retirement-due", "not-read", "withheld", "policy" (an error-level posture
  // rule the live estate breaks), "policy-warning".
  std::string kind;
  std::string address;  // plan address ("key/bank-cmk", "storage/x") or read address
  std::string message;  // one human line
  std::string source;   // manifest file:line:col when the item is about a declared object
};

struct DriftReport {
  int format_version = 1;
  std::string tool_version = CMK_VERSION;
  TargetInfo target;
  int64_t now = 0;
  std::vector<std::string> subscriptions;  // what this run covered, sorted
  std::string shard;                       // "i/n", "" when not sharded
  size_t objects = 0;                      // objects queried
  std::vector<DriftItem> items;            // by class, then address, then kind

  size_t Count(DriftClass c) const;
  bool Empty() const { return items.empty(); }
};

// `analysis`: Diff(desired, live) at `now` (no prune); `live`: what was read.
DriftReport ClassifyDrift(const DesiredState& desired, const LiveState& live, const Plan& analysis,
                          int64_t now);

Json DriftToJson(const DriftReport& report);
std::string RenderDriftText(const DriftReport& report);
std::string RenderDriftMarkdown(const DriftReport& report);
// The per-run summary a collector merges: counts by class, subscriptions,
// shard, target, exit code.
Json DriftSummary(const DriftReport& report, int exit_code);

}  // namespace cmk

namespace cmk {

// Which part of an estate one run covers. Subscriptions are compared case-
// insensitively; a shard is a stable hash of the subscription id (FNV-1a 64
// of its lower-case form, modulo n), so n runs with shards 0..n-1 cover every
// subscription exactly once, whatever the order of the manifests.
struct DriftScope {
  std::vector<std::string> subscriptions;  // empty = every one
  int shard = 0;
  int shards = 1;  // 1 = not sharded
};
// "i/n" with 0 <= i < n.
[[nodiscard]] Result<DriftScope> ParseShard(const std::string& text);
int ShardOf(const std::string& subscription, int shards);
bool InScope(const DriftScope& scope, const std::string& subscription);
// The manifests' objects in the scope's subscriptions (a key goes with its
// vault, a role assignment with its scope's subscription); hooks are kept.
DesiredState RestrictDesired(const DesiredState& desired, const DriftScope& scope);

}  // namespace cmk
