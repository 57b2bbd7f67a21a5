#include "engine/plan/plan.h"

#include <iterator>

namespace cmk {
namespace {

constexpr const char* kActionNames[] = {"no-op",   "create", "update",
                                        "replace", "delete", "rotate",
                                        "disable-version", "repin", "recover"};
constexpr const char* kRiskNames[] = {"none", "low", "medium", "high"};
constexpr const char* kReasonNames[] = {"up-to-date",   "missing",          "differs", "adopt",
                                        "replace",      "created-elsewhere", "enable-identity",
                                        "bind",         "rebind",           "repin",
                                        "switch-identity", "rotate",        "retire", "prune",
                                        "recover"};

}  // namespace

const char* ActionName(Action action) { return kActionNames[static_cast<int>(action)]; }

std::optional<Action> ActionFromName(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kActionNames)); ++i)
    if (name == kActionNames[i]) return static_cast<Action>(i);
  return std::nullopt;
}

const char* RiskName(Risk risk) { return kRiskNames[static_cast<int>(risk)]; }

std::optional<Risk> RiskFromName(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kRiskNames)); ++i)
    if (name == kRiskNames[i]) return static_cast<Risk>(i);
  return std::nullopt;
}

const char* ChangeReasonName(ChangeReason reason) { return kReasonNames[static_cast<int>(reason)]; }

std::optional<ChangeReason> ChangeReasonFromName(const std::string& name) {
  for (int i = 0; i < static_cast<int>(std::size(kReasonNames)); ++i)
    if (name == kReasonNames[i]) return static_cast<ChangeReason>(i);
  return std::nullopt;
}

bool Plan::HasChanges() const {
  for (const auto& c : changes)
    if (c.action != Action::kNoOp) return true;
  return false;
}

PlanSummary Plan::Summary() const {
  PlanSummary s;
  for (const auto& c : changes) {
    switch (c.action) {
      case Action::kNoOp: ++s.no_op; break;
      case Action::kCreate: ++s.create; break;
      case Action::kUpdate: ++s.update; break;
      case Action::kReplace: ++s.replace; break;
      case Action::kDelete: ++s.del; break;
      case Action::kRotate: ++s.rotate; break;
      case Action::kDisableVersion: ++s.disable_version; break;
      case Action::kRepin: ++s.repin; break;
      case Action::kRecover: ++s.recover; break;
    }
  }
  return s;
}

const HookSpec* Plan::FindHook(const std::string& name) const {
  for (const auto& h : hooks)
    if (h.name == name) return &h;
  return nullptr;
}

}  // namespace cmk
