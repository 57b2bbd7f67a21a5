// Azure wire shapes <-> cmkctl's state structs. Pure functions, no I/O;
// thread-safe. Parsers never throw: missing or mistyped members keep the
// struct's defaults. Request bodies use exactly the member names and types of
// Microsoft's published examples (azure-wire/examples/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "provider/provider.h"
#include "model/state.h"

namespace cmk {

using Json = nlohmann::json;

// Vaults (Microsoft.KeyVault/vaults).
VaultState VaultFromArm(const Json& j);
// PUT body. `existing_access_policies` are kept on update (RBAC vaults ignore them).
Json VaultPutBody(const VaultState& v, const std::string& tenant_id,
                  const Json& existing_access_policies = Json::array());
struct DeletedVaultInfo {
  std::string name, location, vault_id, deletion_date, scheduled_purge_date;
  bool purge_protection = false;
};
DeletedVaultInfo DeletedVaultFromArm(const Json& j);

// Keys (data plane).
// ARM's and Key Vault's "tags" member, read (string values only) and written.
Tags TagsFromWire(const Json& j);
Json TagsToWire(const Tags& t);
// A KeyBundle (create/get/update/rotate/import/recover/deleted) as a key with one version.
KeyState KeyFromBundle(const Json& bundle, const std::string& vault);
KeyVersionState KeyVersionFromBundle(const Json& bundle);
// A KeyItem (lists): version from kid, attributes, tags.
KeyVersionState KeyVersionFromItem(const Json& item);
PublicKey PublicKeyFromJwk(const Json& jwk);
// RSA modulus size in bits from base64url `n` (0 when absent).
int RsaBitsFromModulus(const std::string& n_b64url);
Json KeyCreateBody(const KeyState& k);
Json KeyUpdateBody(const KeyState& k);                     // newest version
Json KeyVersionUpdateBody(const KeyVersionState& v);       // enabled, exp
std::optional<RotationPolicyState> RotationPolicyFromWire(const Json& j);  // nullopt: no actions, no expiry
Json RotationPolicyToWire(const RotationPolicyState& p);
Json KeyOperationBody(const std::string& alg, const Bytes& value);
struct DeletedKeyInfo {
  std::string recovery_id;
  int64_t deleted_date = 0;
  int64_t scheduled_purge_date = 0;
};
DeletedKeyInfo DeletedKeyFromBundle(const Json& bundle);

// User-assigned identities.
IdentityState IdentityFromArm(const Json& j);
Json IdentityPutBody(const IdentityState& v);

// Role assignments.
RoleAssignmentState RoleAssignmentFromArm(const Json& j);
// `subscription` makes the role definition id subscription-scoped.
Json RoleAssignmentPutBody(const RoleAssignmentState& v, const std::string& subscription);
std::string RoleAssignmentPath(const std::string& scope, const std::string& id);

// Storage accounts.
ConsumerState StorageAccountFromArm(const Json& j);
// PATCH body for the encryption settings; keeps the account's other identities.
// ARM's `identity` block: SystemAssigned and/or the user-assigned ids
// (deduplicated case-insensitively, sorted); `both` is how the resource
// provider spells the combination ("SystemAssigned,UserAssigned" for Storage
// and SQL, "SystemAssigned, UserAssigned" for Compute).
Json ArmIdentityBlock(bool system, std::vector<std::string> users, const char* both);
// What every consumer's ARM resource says alike: kind, id, name,
// subscription, resource group, location, tags and identities.
ConsumerState ConsumerFromArm(ConsumerKind kind, const Json& j);
// Whether ARM's identity.type includes `type` ("systemassigned"), however
// the resource provider spells the combination.
bool ArmIdentityHasType(const Json& identity, const char* type);
Json StorageEncryptionPatchBody(const ConsumerState& current, const EncryptionState& e);
Json StorageEnableSystemIdentityBody(const ConsumerState& current);
// "microsoft.keyvault" -> "Microsoft.Keyvault", anything else Storage.
std::string CanonicalKeySource(const std::string& s);

}  // namespace cmk
