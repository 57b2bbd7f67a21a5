// Azure wire shapes of the consumers besides storage accounts: Azure SQL
// logical servers (TDE protector, server keys) and Disk Encryption Sets.
// Pure functions, no I/O; thread-safe; parsers never throw (missing or
// mistyped members keep the defaults). Request bodies use the member names
// and types of Microsoft's examples (tests/data/azure-wire/sql, compute).
// docs/consumers.md has the facts; "What cmkctl reads and writes" there
// summarises the mapping.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "azure/azure_endpoints.h"
#include "model/state.h"

namespace cmk {

using Json = nlohmann::json;

// ---- Azure SQL (Microsoft.Sql, api-version 2023-08-01).

std::string SqlServerArmId(const std::string& subscription, const std::string& rg,
                           const std::string& name);

// A Key Vault server key is named {vault}_{key}_{version}.
struct SqlServerKeyName {
  std::string vault, key, version;
};
std::string FormatSqlServerKeyName(const std::string& vault, const std::string& key,
                                   const std::string& version);
// nullopt unless `name` has exactly three non-empty '_'-separated parts
// (vault and key names cannot hold '_'), as ServiceManaged does not.
std::optional<SqlServerKeyName> ParseSqlServerKeyName(const std::string& name);

// The consumer from a server, its encryption protector (`current`; null or
// empty when it has none) and its server keys (the list; may be empty when
// the protector is service-managed). `endpoints` gives the vault URL of a
// server key that carries no uri (the name says vault, key and version).
ConsumerState SqlServerFromArm(const Json& server, const Json& protector,
                               const std::vector<Json>& server_keys,
                               const AzureEndpoints& endpoints);
// PATCH body adding the system-assigned identity (keeps the user-assigned ones).
Json SqlEnableSystemIdentityBody(const ConsumerState& current);
// PATCH body making `user_identity` a user-assigned identity of the server
// and its primary one (the one TDE reaches Key Vault as); keeps the others.
Json SqlPrimaryIdentityBody(const ConsumerState& current, const std::string& user_identity);
// PUT body of servers/keys/{vault}_{key}_{version}: the versioned key id.
Json SqlServerKeyPutBody(const std::string& versioned_key_id);
// PUT body of encryptionProtector/current.
Json SqlKeyVaultProtectorBody(const std::string& server_key_name, bool auto_rotation);
Json SqlServiceManagedProtectorBody();

// ---- Disk Encryption Sets (Microsoft.Compute, api-version 2025-01-02).

std::string DiskEncryptionSetArmId(const std::string& subscription, const std::string& rg,
                                   const std::string& name);
ConsumerState DiskEncryptionSetFromArm(const Json& j);
// PATCH body: the identity the set reaches Key Vault as (system-assigned when
// `user_identity` is "", then only that one), the versioned activeKey and the
// auto-rotation flag.
Json DesEncryptionPatchBody(const ConsumerState& current, const std::string& versioned_key_url,
                            bool rotation_to_latest, const std::string& user_identity);
// PATCH body adding the system-assigned identity (keeps the user-assigned ones).
Json DesEnableSystemIdentityBody(const ConsumerState& current);

}  // namespace cmk
