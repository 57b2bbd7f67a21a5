// Plan: the value Diff produces, the renderers show and Apply executes.
//
// A plan is plain data: a header (format and tool version, target, the live
// query it was computed from and a fingerprint of every live object read) and
// an ordered list of changes, each with its reason, risk, owner and the
// complete desired object. Apply needs nothing else: it never re-reads
// manifests. The plan also carries the specs of the hooks its changes list
// (scripts are read at apply time, from the absolute paths recorded here).
// Nothing run-dependent (time, host, random ids) belongs here, so
// the same inputs give byte-identical renderings. Plain values; no I/O.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/plan/change.h"
#include "engine/plan/plan_versions.h"
#include "engine/policy/posture.h"
#include "engine/read/live_query.h"
#include "model/state.h"
#include "model/world.h"
#include "provider/provider.h"

namespace cmk {

struct PlanMessage {
  std::string severity;  // "error" | "warning"
  std::string address;
  std::string message;
  std::string source;
  std::string rule;  // a posture rule's id when a Policy raised it, else ""
};

// A change Diff computed but kept out of the plan: it rests on an object the
// read could not see (plan --degrade, drift), so it would be a guess.
struct WithheldChange {
  std::string address;
  Action action = Action::kNoOp;
  std::string reason;  // "vault/x could not be read: ..." or "needs withheld key/x"
  std::string source;
};

struct PlanSummary {
  int create = 0, update = 0, replace = 0, del = 0, no_op = 0;
  int rotate = 0, repin = 0, disable_version = 0;  // version lifecycle steps
  int recover = 0;  // soft-deleted vaults and keys brought back
};

inline constexpr int kPlanFormatVersion = 3;

struct Plan {
  int format_version = kPlanFormatVersion;
  std::string tool_version = CMK_VERSION;
  TargetInfo target;
  LiveQuery query;
  std::map<std::string, std::string> fingerprints;  // address -> hex, or "absent"
  std::vector<Change> changes;  // apply order; no-ops kept
  // Every hook named by a change's `hooks`, sorted by name: apply runs these
  // and never re-reads manifests.
  std::vector<HookSpec> hooks;
  std::vector<PlanMessage> errors;
  std::vector<PlanMessage> warnings;
  // What the read could not see (LiveState::unobservable) and the changes
  // withheld because of it; both empty unless the read degraded.
  std::map<std::string, std::string> unobservable;
  std::vector<WithheldChange> withheld;
  // Per desired key with live versions: versions, consumers, upcoming dates.
  std::vector<KeyVersions> keys;
  // Posture policy findings on the desired and the live state (the desired
  // ones are also in errors / warnings by severity).
  std::vector<PolicyFinding> policy;

  bool HasChanges() const;
  bool HasErrors() const { return !errors.empty(); }
  PlanSummary Summary() const;
  const HookSpec* FindHook(const std::string& name) const;  // nullptr when absent
};

}  // namespace cmk
