#include "model/state.h"

#include "model/arm_id.h"

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
    {Kind::kSqlTdeBinding, "SqlTdeBinding", "binding"},
    {Kind::kDiskEncryptionSetBinding, "DiskEncryptionSetBinding", "binding"},
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

std::string ConsumerVersion(const ConsumerState& c, const std::string& newest) {
  const EncryptionState& e = c.encryption;
  if (!e.current_versioned_key_id.empty()) return TrailingSegment(e.current_versioned_key_id);
  return e.key_version.empty() ? newest : e.key_version;
}

std::vector<std::string> ConsumerVersions(const ConsumerState& c, const std::string& newest) {
  std::vector<std::string> out{ConsumerVersion(c, newest)};
  for (const std::string& id : c.retained_key_ids) out.push_back(TrailingSegment(id));
  return out;
}

Kind BindingKind(ConsumerKind consumer) {
  switch (consumer) {
    case ConsumerKind::kStorage: return Kind::kStorageCmkBinding;
    case ConsumerKind::kSqlServer: return Kind::kSqlTdeBinding;
    case ConsumerKind::kDiskEncryptionSet: return Kind::kDiskEncryptionSetBinding;
  }
  return Kind::kStorageCmkBinding;
}

std::optional<ConsumerKind> ConsumerKindOfBinding(Kind kind) {
  for (ConsumerKind c : AllConsumerKinds())
    if (BindingKind(c) == kind) return c;
  return std::nullopt;
}

std::string SourceLoc::ToString() const {
  if (!valid()) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col);
}

}  // namespace cmk
