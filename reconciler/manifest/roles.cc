#include "manifest/roles.h"

#include <algorithm>
#include <cctype>

namespace cmk {

const std::vector<std::pair<std::string, std::string>>& BuiltinRoles() {
  static const std::vector<std::pair<std::string, std::string>> kRoles = {
      {"Key Vault Crypto Service Encryption User", "e147488a-f6f5-4113-8e2d-b22465e65bf6"},
      {"Key Vault Crypto Officer", "14b46e9e-c2b7-41b4-b07b-48a6ebf60603"},
      {"Key Vault Administrator", "00482a5a-887f-4fb3-b363-3b7fe8e74483"},
      {"Key Vault Crypto User", "12338af0-0e69-4776-bea7-57ae8d297424"},
      {"Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
  };
  return kRoles;
}

std::optional<std::string> RoleIdForName(const std::string& name) {
  for (const auto& [role, id] : BuiltinRoles())
    if (role == name) return id;
  return std::nullopt;
}

std::string RoleDisplayName(const std::string& id) {
  std::string lower = id;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& [role, role_id] : BuiltinRoles())
    if (role_id == lower) return role;
  return id;
}

}  // namespace cmk
