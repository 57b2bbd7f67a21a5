// Apply: executes a plan's changes, in the plan's order, through a Provider.
//
// Apply uses only the plan (each change's `after`/`before` JSON and the hook
// specs it carries) and provider calls; it never reads manifests and never
// decides policy. It refuses a plan with errors. A failed change skips
// everything that depends on it; other changes continue only with
// keep_going. Hooks are an interface (ChangeHooks) implemented outside the
// engine, so the engine never links Lua: a failed pre-hook skips the change
// and its dependents; a failed post-hook warns, halts or rolls the change
// back (rollback.h) as docs/hooks.md describes. The engine never prints:
// progress goes to an ApplyObserver, and ApplyResult::report lists every
// change with its outcome and reason. Not thread-safe (one provider, one call
// at a time).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/apply/apply_versions.h"
#include "engine/plan/plan.h"
#include "provider/provider.h"
#include "engine/apply/rollback.h"

namespace cmk {

// What the hooks of one phase of one change decided.
enum class HookVerdict {
  kPass,      // every hook passed (or none ran)
  kWarn,      // a hook with onFailure: warn failed; nothing else happens
  kSkip,      // a pre-hook failed: skip the change and its dependents
  kHalt,      // a post-hook failed with halt: keep the change, skip dependents, stop
  kRollback,  // a post-hook failed with rollback: revert, skip dependents, stop
};

// One hook run, as the views show it.
struct HookReport {
  std::string hook;
  std::string phase;       // "pre" | "post" | "rollback"
  bool ok = false;
  std::string on_failure;  // "warn" | "halt" | "rollback"
  // "hook 'x' passed", "hook 'x' failed: ...", "hook 'x' stopped: ...".
  std::string message;
  std::vector<std::string> logs;  // "info: ..." / "warn: ..."
};

// The hooks around each change. Implementations run the plan's hook specs
// named by change.hooks; a null ChangeHooks means no hooks. Each Run*
// appends one HookReport per hook run to `out` and, on a failure that is not
// `warn`, stops at that hook (its report is the last one).
class ChangeHooks {
 public:
  virtual ~ChangeHooks() = default;
  virtual HookVerdict RunPre(const Plan& plan, const Change& change,
                             std::vector<HookReport>* out) = 0;
  virtual HookVerdict RunPost(const Plan& plan, const Change& change,
                              std::vector<HookReport>* out) = 0;
  // After `change` was reverted because `failed_hook` failed: runs that
  // hook's rollback script, if it has one.
  virtual void RunRollbackScript(const Plan& plan, const Change& change,
                                 const std::string& failed_hook, std::vector<HookReport>* out) = 0;
};

enum class Outcome {
  kApplied,
  kFailed,          // the provider refused the change
  kSkipped,         // a dependency failed, was skipped or rolled back, or its post-hook halted
  kNotAttempted,    // apply stopped before reaching it
  kRolledBack,      // applied, its post-hook failed, and the inverse was applied
  kRollbackFailed,  // applied, its post-hook failed, and the inverse failed
  kSkippedByHook,   // a pre-hook failed; nothing was changed
};
// "applied", "failed", "skipped", "not attempted", "rolled back",
// "rollback failed", "skipped".
const char* OutcomeName(Outcome outcome);

// One line of the final report: every non-no-op change of the plan.
struct ChangeReport {
  std::string address;
  Action action = Action::kNoOp;
  Outcome outcome = Outcome::kNotAttempted;
  // Why it is not simply applied: "post-hook 'x' failed: ...", "depends on
  // binding/x (rolled back)", "apply stopped after key/k (use --keep-going)".
  // Also set for an applied change whose post-hook halted or had no inverse.
  std::string reason;
  // Details: "reverted keyVersion 9c1d… → 3f2a…", "no safe inverse: ...",
  // "warning: pre-hook 'x' failed: ...", "rollback script: hook 'x' passed".
  std::vector<std::string> notes;
  std::vector<HookReport> hooks;  // every hook run for this change, in order
};

class ApplyObserver {
 public:
  virtual ~ApplyObserver() = default;
  virtual void OnChangeStart(const Change&) {}
  virtual void OnChangeDone(const Change&, const Status&) {}
  virtual void OnHook(const Change&, const HookReport&) {}
  virtual void OnRevert(const Change&, const RevertResult&) {}
  // Once per change that was started, after its hooks and any revert.
  virtual void OnChangeOutcome(const Change&, const ChangeReport&) {}
};

struct ApplyOptions {
  bool keep_going = false;       // continue with changes independent of a failure
  ChangeHooks* hooks = nullptr;  // null: no hooks run
  // Run on the consumers' versions before a version is retired; null: a
  // fixed-probe wrap/unwrap through the provider (apply_versions.h).
  VersionCanary canary;
};

struct ApplyResult {
  std::vector<std::pair<std::string, Outcome>> outcomes;  // plan order, no-ops left out
  std::vector<std::string> messages;  // one line per failed / skipped / rolled back change
  std::vector<ChangeReport> report;   // plan order, no-ops left out
  bool hooks_ran = false;             // at least one hook ran
  Status status;                      // ok when every change applied and no hook stopped apply
};

ApplyResult Apply(const Plan& plan, Provider& provider, ApplyObserver* observer,
                  const ApplyOptions& options = {});

// One change through the provider (exposed for tests and `apply --only`).
[[nodiscard]] Status ApplyChange(const Change& change, Provider& provider,
                                 const VersionCanary& canary = nullptr);

}  // namespace cmk
