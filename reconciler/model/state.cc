#include "model/state.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace cmk {
namespace {

struct KindInfo {
  Kind kind;
  const char* name;
  const char* prefix;
};
constexpr KindInfo kKinds[] = {
    {Kind::kVault, "Vault", "vault"},
    {Kind::kRotationPolicy, "RotationPolicy", "rotation-policy"},
    {Kind::kKey, "Key", "key"},
    {Kind::kIdentity, "Identity", "identity"},
    {Kind::kRoleAssignment, "RoleAssignment", "role-assignment"},
    {Kind::kStorageCmkBinding, "StorageCmkBinding", "binding"},
    {Kind::kHook, "Hook", "hook"},
    {Kind::kPolicy, "Policy", "policy"},
};

}  // namespace

const char* KindName(Kind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.name;
  return "?";
}

std::optional<Kind> KindFromName(const std::string& name) {
  for (const auto& k : kKinds)
    if (name == k.name) return k.kind;
  return std::nullopt;
}

const char* KindAddressPrefix(Kind kind) {
  for (const auto& k : kKinds)
    if (k.kind == kind) return k.prefix;
  return "?";
}

std::string MakeAddress(Kind kind, const std::string& name) {
  return std::string(KindAddressPrefix(kind)) + "/" + name;
}

std::string SourceLoc::ToString() const {
  if (!valid()) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace cmk
