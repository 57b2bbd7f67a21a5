// Helpers for engine tests.
#pragma once

#include <string>
#include <vector>

#include "engine/plan/plan.h"

namespace cmk {

inline const TargetInfo kTarget{"sandbox", ".cmkctl/"};

inline const Change* FindChange(const Plan& plan, const std::string& address) {
  for (const auto& c : plan.changes)
    if (c.address == address) return &c;
  return nullptr;
}

inline size_t IndexOf(const Plan& plan, const std::string& address) {
  for (size_t i = 0; i < plan.changes.size(); ++i)
    if (plan.changes[i].address == address) return i;
  return plan.changes.size();
}

inline bool HasMessage(const std::vector<PlanMessage>& messages, const std::string& text) {
  for (const auto& m : messages)
    if (m.message.find(text) != std::string::npos) return true;
  return false;
}

inline std::vector<std::string> Paths(const Change& c) {
  std::vector<std::string> out;
  for (const auto& f : c.fields) out.push_back(f.path);
  return out;
}

}  // namespace cmk
