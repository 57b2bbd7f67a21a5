// Internal to Apply: one walk over a plan's changes, with the bookkeeping of
// what blocks what (failed, skipped or rolled-back changes and their
// dependents), hooks around each change and the final report. Not part of
// the engine's API; use Apply (apply.h). Not thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/apply/apply.h"

namespace cmk {

class ApplyRun {
 public:
  ApplyRun(const Plan& plan, Provider& provider, ApplyObserver* observer,
           const ApplyOptions& options)
      : plan_(plan), provider_(provider), observer_(observer), options_(options) {}

  ApplyResult Run();

 private:
  // Why a change blocks its dependents: the root change and what happened.
  struct Blocker {
    std::string root;
    std::string what;  // "failed", "was rolled back", ...
  };

  // Runs `change` and its hooks, filling `report`.
  void Attempt(const Change& change, ChangeReport& report);
  HookVerdict RunHooks(const Change& change, const std::string& phase, ChangeReport& report);
  void AfterPostFailure(const Change& change, HookVerdict verdict, ChangeReport& report);
  // Marks `change` as blocking its dependents and stops unless keep_going.
  void Block(const Change& change, std::string what);
  Status FinalStatus() const;

  const Plan& plan_;
  Provider& provider_;
  ApplyObserver* observer_;
  const ApplyOptions& options_;
  ApplyResult result_;
  std::map<std::string, Blocker> blocked_;  // address -> its root blocker
  std::string stopped_after_;               // "" while apply goes on
};

}  // namespace cmk
