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

#include "engine/live_query.h"
#include "engine/plan_versions.h"
#include "engine/provider.h"
#include "model/state.h"
#include "model/world.h"

namespace cmk {

// kRotate and kDisableVersion act on key versions (apply_versions.h); kRepin
// is a binding update that only moves the key version it is pinned to (or
// unpins it), so retirements can be ordered after it.
enum class Action { kNoOp, kCreate, kUpdate, kReplace, kDelete, kRotate, kDisableVersion, kRepin };
enum class Risk { kNone, kLow, kMedium, kHigh };

// "no-op", "create", "update", "replace", "delete", "rotate", "disable-version", "repin".
const char* ActionName(Action action);
std::optional<Action> ActionFromName(const std::string& name);
const char* RiskName(Risk risk);  // "none", "low", "medium", "high"
std::optional<Risk> RiskFromName(const std::string& name);

struct FieldChange {
  std::string path;  // "tags.env", "networkAcls.defaultAction"
  Json before;       // null when the member is absent
  Json after;
};

struct Change {
  // "vault/bank-kv", "key/bank-cmk", "key/bank-cmk/rotation-policy",
  // "identity/x", "role-assignment/x", "binding/x", "storage/acct/identity".
  std::string address;
  Kind kind = Kind::kVault;
  Action action = Action::kNoOp;
  std::string reason;  // one human line
  Risk risk = Risk::kNone;
  std::string owner;
  std::string source;  // "file:line:col" of the manifest document; "" for prune
  Json before;         // live object (null for create)
  Json after;          // complete desired object (null for delete)
  std::vector<FieldChange> fields;        // update/replace, sorted by path
  std::vector<std::string> depends_on;    // addresses, sorted
  std::vector<std::string> hooks;         // names of matching hooks, sorted
};

struct PlanMessage {
  std::string severity;  // "error" | "warning"
  std::string address;
  std::string message;
  std::string source;
};

struct PlanSummary {
  int create = 0, update = 0, replace = 0, del = 0, no_op = 0;
  int rotate = 0, repin = 0, disable_version = 0;  // version lifecycle steps
};

struct Plan {
  int format_version = 1;
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
  // Per desired key with live versions: versions, consumers, upcoming dates.
  std::vector<KeyVersions> keys;

  bool HasChanges() const;
  bool HasErrors() const { return !errors.empty(); }
  PlanSummary Summary() const;
  const HookSpec* FindHook(const std::string& name) const;  // nullptr when absent
};

inline constexpr int kPlanFormatVersion = 1;

}  // namespace cmk
