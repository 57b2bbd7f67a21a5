#include "model/marks.h"

#include "model/state.h"

namespace cmk {

bool IsOwned(const Tags& tags) {
  auto it = tags.find(kOwnershipTagKey);
  return it != tags.end() && it->second == kOwnershipTagValue;
}

bool IsOwned(const RoleAssignmentState& ra) {
  const std::string prefix = kOwnershipDescriptionPrefix;
  return ra.description.compare(0, prefix.size(), prefix) == 0;
}

Tags WithOwnership(Tags tags) {
  tags[kOwnershipTagKey] = kOwnershipTagValue;
  return tags;
}

std::string ManagedNameFromDescription(const std::string& description) {
  const std::string prefix = kOwnershipDescriptionPrefix;
  if (description.compare(0, prefix.size(), prefix) != 0) return "";
  const std::string key = " name=";
  auto at = description.find(key, prefix.size());
  if (at == std::string::npos) return "";
  at += key.size();
  return description.substr(at, description.find(' ', at) - at);
}

int64_t GenerationOf(const Tags& tags) {
  auto it = tags.find(kGenerationTagKey);
  if (it == tags.end() || it->second.empty() || it->second.size() > 18) return 0;
  int64_t g = 0;
  for (char ch : it->second) {
    if (ch < '0' || ch > '9') return 0;
    g = g * 10 + (ch - '0');
  }
  return g;
}

}  // namespace cmk
