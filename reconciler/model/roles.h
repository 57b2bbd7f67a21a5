// The Azure built-in roles, and the access-policy permissions, that let a
// principal use a Key Vault key as a customer-managed key (get, wrapKey,
// unwrapKey on keys): what the sandbox enforces and what cmkctl's access
// analysis checks, in one place.
// https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security
// Pure; thread-safe.
#pragma once

#include <string_view>

namespace cmk {

inline constexpr const char* kRoleCryptoServiceEncryptionUser = "e147488a-f6f5-4113-8e2d-b22465e65bf6";
inline constexpr const char* kRoleCryptoUser = "12338af0-0e69-4776-bea7-57ae8d297424";
inline constexpr const char* kRoleCryptoOfficer = "14b46e9e-c2b7-41b4-b07b-48a6ebf60603";
inline constexpr const char* kRoleKeyVaultAdministrator = "00482a5a-887f-4fb3-b363-3b7fe8e74483";

// Whether a role definition (its GUID, or an ARM id ending in it; any case)
// grants get/wrapKey/unwrapKey on keys.
bool RoleGrantsKeyUse(std::string_view role_definition_id);

struct AccessPolicyState;
// On a vault with RBAC off: whether an access policy lets `principal_id` use
// its keys as a customer-managed key (get, wrapKey and unwrapKey, or all).
bool PolicyGrantsKeyUse(const AccessPolicyState& policy, std::string_view principal_id);

}  // namespace cmk
