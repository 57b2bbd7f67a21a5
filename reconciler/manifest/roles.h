// The built-in Key Vault roles cmkctl knows by name.
//
// Manifests may name a role ("Key Vault Crypto Service Encryption User") or
// give its definition GUID; plans display names where known. A fixed table;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cmk {

// The role definition GUID of a built-in role name (exact spelling).
std::optional<std::string> RoleIdForName(const std::string& name);
// The built-in name for a GUID (case-insensitive), else the GUID itself.
std::string RoleDisplayName(const std::string& id);
// Every (name, GUID) pair, in table order.
const std::vector<std::pair<std::string, std::string>>& BuiltinRoles();

}  // namespace cmk
