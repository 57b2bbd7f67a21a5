#include "engine/apply/apply_run.h"

#include <map>

namespace cmk {
namespace {

// "hook 'x' failed: m" in phase "post" -> "post-hook 'x' failed: m".
std::string PhaseMessage(const HookReport& r) {
  if (r.message.rfind("hook ", 0) == 0) return r.phase + "-" + r.message;
  return r.phase + "-hook '" + r.hook + "': " + r.message;
}

// The report of the hook that decided a non-pass verdict: the last failure.
const HookReport* DecidingFailure(const std::vector<HookReport>& reports, size_t from) {
  for (size_t i = reports.size(); i > from; --i)
    if (!reports[i - 1].ok) return &reports[i - 1];
  return nullptr;
}

}  // namespace

ApplyResult ApplyRun::Run() {
  if (plan_.HasErrors()) {
    result_.status = FailedPrecondition("the plan has " + std::to_string(plan_.errors.size()) +
                                        " error(s); fix them and plan again: apply refuses it");
    return result_;
  }
  for (const Change& c : plan_.changes) {
    if (c.action == Action::kNoOp) continue;
    ChangeReport report;
    report.address = c.address;
    report.action = c.action;
    const Blocker* blocker = nullptr;
    for (const auto& d : c.depends_on) {
      auto it = blocked_.find(d);
      if (it != blocked_.end()) {
        blocker = &it->second;
        break;
      }
    }
    if (blocker != nullptr) {
      Blocker root = *blocker;
      report.outcome = Outcome::kSkipped;
      report.reason = "depends on " + root.root + ", which " + root.what;
      result_.messages.push_back(c.address + ": skipped: " + report.reason);
      blocked_[c.address] = root;
    } else if (!stopped_after_.empty()) {
      report.outcome = Outcome::kNotAttempted;
      report.reason = "apply stopped after " + stopped_after_ + " (use --keep-going)";
    } else {
      Attempt(c, report);
      if (observer_) observer_->OnChangeOutcome(c, report);
    }
    result_.outcomes.emplace_back(c.address, report.outcome);
    result_.report.push_back(std::move(report));
  }
  result_.status = FinalStatus();
  return result_;
}

void ApplyRun::Attempt(const Change& c, ChangeReport& report) {
  if (observer_) observer_->OnChangeStart(c);
  HookVerdict pre = RunHooks(c, "pre", report);
  if (pre != HookVerdict::kPass && pre != HookVerdict::kWarn) {
    const HookReport* failed = DecidingFailure(report.hooks, 0);
    report.outcome = Outcome::kSkippedByHook;
    report.reason = failed ? PhaseMessage(*failed) : "a pre-hook failed";
    result_.messages.push_back(c.address + ": skipped: " + report.reason);
    Block(c, "was skipped by a pre-hook");
    return;
  }
  Status s = ApplyChange(c, provider_, options_.canary);
  if (observer_) observer_->OnChangeDone(c, s);
  if (!s.ok()) {
    report.outcome = Outcome::kFailed;
    report.reason = s.ToString();
    result_.messages.push_back(c.address + ": failed: " + s.ToString());
    Block(c, "failed");
    return;
  }
  report.outcome = Outcome::kApplied;
  HookVerdict post = RunHooks(c, "post", report);
  if (post == HookVerdict::kHalt || post == HookVerdict::kRollback || post == HookVerdict::kSkip)
    AfterPostFailure(c, post, report);
}

HookVerdict ApplyRun::RunHooks(const Change& c, const std::string& phase, ChangeReport& report) {
  if (options_.hooks == nullptr || c.hooks.empty()) return HookVerdict::kPass;
  size_t from = report.hooks.size();
  HookVerdict verdict = phase == "pre" ? options_.hooks->RunPre(plan_, c, &report.hooks)
                                       : options_.hooks->RunPost(plan_, c, &report.hooks);
  if (report.hooks.size() > from) result_.hooks_ran = true;
  for (size_t i = from; i < report.hooks.size(); ++i) {
    if (observer_) observer_->OnHook(c, report.hooks[i]);
    if (!report.hooks[i].ok && report.hooks[i].on_failure == "warn")
      report.notes.push_back("warning: " + PhaseMessage(report.hooks[i]));
  }
  // A pre-hook cannot leave anything applied: halt and rollback mean skip.
  if (phase == "pre" && (verdict == HookVerdict::kHalt || verdict == HookVerdict::kRollback))
    return HookVerdict::kSkip;
  return verdict;
}

void ApplyRun::AfterPostFailure(const Change& c, HookVerdict verdict, ChangeReport& report) {
  const HookReport* failed = DecidingFailure(report.hooks, 0);
  std::string failed_hook = failed ? failed->hook : "";
  report.reason = failed ? PhaseMessage(*failed) : "a post-hook failed";
  if (verdict != HookVerdict::kRollback) {
    report.notes.push_back("onFailure: halt: " + c.address + " stays applied");
    result_.messages.push_back(c.address + ": applied, then " + report.reason +
                               " (halt: it stays applied)");
    Block(c, "stays applied after a failed post-hook");
    return;
  }
  RevertResult revert = Revert(c, provider_);
  if (observer_) observer_->OnRevert(c, revert);
  report.notes.push_back(revert.note);
  std::string what;
  switch (revert.kind) {
    case RevertKind::kReverted:
      report.outcome = Outcome::kRolledBack;
      what = "was rolled back";
      break;
    case RevertKind::kFailed:
      report.outcome = Outcome::kRollbackFailed;
      what = "could not be rolled back";
      break;
    case RevertKind::kNoInverse:
      report.outcome = Outcome::kApplied;
      what = "stays applied after a failed post-hook";
      break;
  }
  result_.messages.push_back(c.address + ": " + OutcomeName(report.outcome) + ": " +
                             report.reason + "; " + revert.note);
  size_t from = report.hooks.size();
  options_.hooks->RunRollbackScript(plan_, c, failed_hook, &report.hooks);
  for (size_t i = from; i < report.hooks.size(); ++i) {
    if (observer_) observer_->OnHook(c, report.hooks[i]);
    report.notes.push_back("rollback script: " + report.hooks[i].message);
  }
  Block(c, what);
}

void ApplyRun::Block(const Change& c, std::string what) {
  blocked_[c.address] = Blocker{c.address, std::move(what)};
  if (!options_.keep_going && stopped_after_.empty()) stopped_after_ = c.address;
}

Status ApplyRun::FinalStatus() const {
  std::map<Outcome, int> counts;
  int kept = 0;  // applied, but a post-hook failed
  for (const auto& r : result_.report) {
    ++counts[r.outcome];
    if (r.outcome == Outcome::kApplied && !r.reason.empty()) ++kept;
  }
  int failed = counts[Outcome::kFailed], rolled_back = counts[Outcome::kRolledBack],
      rollback_failed = counts[Outcome::kRollbackFailed],
      by_hook = counts[Outcome::kSkippedByHook];
  if (failed + rolled_back + rollback_failed + by_hook + kept == 0) return Status::Ok();
  std::string msg = "apply failed: " + std::to_string(failed) + " change(s) failed";
  auto add = [&msg](int n, const char* what) {
    if (n > 0) msg += ", " + std::to_string(n) + " " + what;
  };
  add(rolled_back, "rolled back");
  add(rollback_failed, "could not be rolled back");
  add(kept, "kept after a failed post-hook");
  add(by_hook, "skipped by a pre-hook");
  msg += ", " + std::to_string(counts[Outcome::kSkipped]) + " skipped, " +
         std::to_string(counts[Outcome::kNotAttempted]) + " not attempted";
  for (const auto& m : result_.messages) msg += "; " + m;
  return Unavailable(msg);
}

}  // namespace cmk
