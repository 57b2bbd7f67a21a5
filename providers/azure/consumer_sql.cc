// Azure SQL logical servers as consumers: TDE with a customer-managed key.
//
// A server is read as three resources (api-version 2023-08-01): the server
// (identities, primaryUserAssignedIdentityId), its encryption protector
// `current` (the server key in use, its versioned uri, autoRotationEnabled)
// and its server keys (every Key Vault key version registered with it, which
// restores of old backups still need). Binding writes, in order: the server's
// identity when a user-assigned one is asked for, the server key
// {vault}_{key}_{version}, then the protector naming it; every write is a
// long-running operation.
#include <algorithm>

#include "azure/arm_client.h"
#include "azure/azure_provider.h"
#include "azure/consumer_wire.h"
#include "azure/wire_mapping.h"
#include "base/json.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

namespace cmk {
namespace {

// SQL spells the combined identity type without a space.
Json SqlIdentityBlock(bool system, std::vector<std::string> users) {
  return ArmIdentityBlock(system, std::move(users), "SystemAssigned,UserAssigned");
}

bool SqlIsKeyVaultKey(const Json& key) {
  const Json& p = JsonObject(key, "properties");
  return EqualsIgnoreCase(JsonString(p, "serverKeyType"), "AzureKeyVault") ||
         EqualsIgnoreCase(JsonString(key, "kind"), "azurekeyvault");
}

}  // namespace

std::string SqlServerArmId(const std::string& subscription, const std::string& rg,
                           const std::string& name) {
  return "/subscriptions/" + subscription + "/resourceGroups/" + rg + "/providers/Microsoft.Sql/servers/" + name;
}

std::string FormatSqlServerKeyName(const std::string& vault, const std::string& key,
                                   const std::string& version) {
  return vault + "_" + key + "_" + version;
}

std::optional<SqlServerKeyName> ParseSqlServerKeyName(const std::string& name) {
  size_t a = name.find('_');
  if (a == std::string::npos) return std::nullopt;
  size_t b = name.find('_', a + 1);
  if (b == std::string::npos || name.find('_', b + 1) != std::string::npos) return std::nullopt;
  SqlServerKeyName k{name.substr(0, a), name.substr(a + 1, b - a - 1), name.substr(b + 1)};
  if (k.vault.empty() || k.key.empty() || k.version.empty()) return std::nullopt;
  return k;
}

ConsumerState SqlServerFromArm(const Json& server, const Json& protector,
                               const std::vector<Json>& server_keys, const AzureEndpoints& endpoints) {
  ConsumerState s = ConsumerFromArm(ConsumerKind::kSqlServer, server);

  EncryptionState& e = s.encryption;
  e.user_assigned_identity = JsonString(JsonObject(server, "properties"), "primaryUserAssignedIdentityId");
  const Json& p = JsonObject(protector, "properties");
  const std::string current_key_name = JsonString(p, "serverKeyName");
  if (!EqualsIgnoreCase(JsonString(p, "serverKeyType"), "AzureKeyVault")) {
    e.key_source = "ServiceManaged";
    return s;
  }
  e.key_source = "Microsoft.Keyvault";
  // The protector's uri is versioned; the answer to its PUT has none, and
  // then the server key's name says the same.
  std::string uri = JsonString(p, "uri");
  if (uri.empty())
    if (auto k = ParseSqlServerKeyName(current_key_name))
      uri = endpoints.VaultUrl(k->vault) + "/keys/" + k->key + "/" + k->version;
  if (std::optional<KeyId> kid = ParseKeyId(uri)) {
    e.key_vault_uri = kid->vault_url;
    e.key_name = kid->name;
    e.current_versioned_key_id = kid->version.empty() ? "" : uri;
    e.key_version = JsonBool(p, "autoRotationEnabled", false) ? "" : kid->version;
  }
  for (const Json& key : server_keys) {
    if (!SqlIsKeyVaultKey(key)) continue;
    // The list's `name` is the key's, but a single key's answer names the
    // server: the id's last segment is the key's name in both.
    std::string name = TrailingSegment(JsonString(key, "id"));
    if (name.empty()) name = JsonString(key, "name");
    if (EqualsIgnoreCase(name, current_key_name)) continue;
    std::string kid = JsonString(JsonObject(key, "properties"), "uri");
    if (kid.empty())
      if (auto k = ParseSqlServerKeyName(name))
        kid = endpoints.VaultUrl(k->vault) + "/keys/" + k->key + "/" + k->version;
    if (kid.empty() || (!e.current_versioned_key_id.empty() && SameUri(kid, e.current_versioned_key_id)))
      continue;
    s.retained_key_ids.push_back(kid);
  }
  std::sort(s.retained_key_ids.begin(), s.retained_key_ids.end());
  s.retained_key_ids.erase(std::unique(s.retained_key_ids.begin(), s.retained_key_ids.end()),
                           s.retained_key_ids.end());
  return s;
}

Json SqlEnableSystemIdentityBody(const ConsumerState& current) {
  return {{"identity", SqlIdentityBlock(true, current.user_assigned_identities)}};
}

Json SqlPrimaryIdentityBody(const ConsumerState& current, const std::string& user_identity) {
  std::vector<std::string> users = current.user_assigned_identities;
  users.push_back(user_identity);
  return {{"identity", SqlIdentityBlock(!current.system_principal_id.empty(), users)},
          {"properties", {{"primaryUserAssignedIdentityId", user_identity}}}};
}

Json SqlServerKeyPutBody(const std::string& versioned_key_id) {
  return {{"properties", {{"serverKeyType", "AzureKeyVault"}, {"uri", versioned_key_id}}}};
}

Json SqlKeyVaultProtectorBody(const std::string& server_key_name, bool auto_rotation) {
  return {{"properties",
           {{"serverKeyType", "AzureKeyVault"},
            {"serverKeyName", server_key_name},
            {"autoRotationEnabled", auto_rotation}}}};
}

Json SqlServiceManagedProtectorBody() {
  return {{"properties", {{"serverKeyType", "ServiceManaged"}, {"serverKeyName", "ServiceManaged"}}}};
}

// ---- The provider's operations.

Result<ConsumerState> AzureProvider::SqlServerWithEncryption(const Json& server) {
  const std::string path = JsonString(server, "id");
  const std::string object = "SQL server " + JsonString(server, "name");
  CMK_ASSIGN_OR_RETURN(std::optional<Json> protector,
                       arm_->Get(path + "/encryptionProtector/current", kSqlApiVersion,
                                 "encryption protector of " + object));
  std::vector<Json> keys;
  // Only a Key Vault protector has server keys worth listing.
  if (protector && EqualsIgnoreCase(JsonString(JsonObject(*protector, "properties"), "serverKeyType"),
                                    "AzureKeyVault")) {
    CMK_ASSIGN_OR_RETURN(keys, arm_->List(path + "/keys", kSqlApiVersion, "server keys of " + object));
  }
  return SqlServerFromArm(server, protector.value_or(Json::object()), keys, options_.endpoints);
}

Result<std::optional<ConsumerState>> AzureProvider::GetSqlServer(const ArmRef& server) {
  const auto& [subscription, resource_group, name] = server;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> j, arm_->Get(SqlServerArmId(subscription, resource_group, name),
                                                        kSqlApiVersion, "SQL server " + name));
  if (!j) return std::optional<ConsumerState>();
  if (JsonString(*j, "id").empty()) (*j)["id"] = SqlServerArmId(subscription, resource_group, name);
  if (JsonString(*j, "name").empty()) (*j)["name"] = name;
  CMK_ASSIGN_OR_RETURN(ConsumerState s, SqlServerWithEncryption(*j));
  return std::optional<ConsumerState>(std::move(s));
}

Result<std::vector<ConsumerState>> AzureProvider::ListSqlServers(const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       arm_->List("/subscriptions/" + subscription + "/providers/Microsoft.Sql/servers",
                                  kSqlApiVersion, "SQL servers of subscription " + subscription));
  std::vector<ConsumerState> out;
  for (const auto& j : items) {
    if (JsonString(j, "id").empty()) continue;
    CMK_ASSIGN_OR_RETURN(ConsumerState s, SqlServerWithEncryption(j));
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const ConsumerState& a, const ConsumerState& b) { return Lower(a.id) < Lower(b.id); });
  return out;
}

Result<ConsumerState> AzureProvider::EnableSqlSystemIdentity(const ArmRef& server) {
  const auto& [subscription, resource_group, name] = server;
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> current, GetSqlServer(server));
  if (!current) return NotFound("SQL server " + name + " does not exist");
  if (!current->system_principal_id.empty()) return *current;
  CMK_RETURN_IF_ERROR(arm_->Write("PATCH", SqlServerArmId(subscription, resource_group, name), kSqlApiVersion,
                                  SqlEnableSystemIdentityBody(*current), "SQL server " + name)
                          .status());
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> after, GetSqlServer(server));
  if (!after) return NotFound("SQL server " + name + " disappeared");
  return *after;
}

Result<ConsumerState> AzureProvider::UpdateSqlEncryption(const ArmRef& server, const EncryptionState& e) {
  const auto& [subscription, resource_group, name] = server;
  const std::string object = "SQL server " + name;
  const std::string path = SqlServerArmId(subscription, resource_group, name);
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> current, GetSqlServer(server));
  if (!current) return NotFound(object + " does not exist");

  if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault")) {
    CMK_RETURN_IF_ERROR(arm_->Write("PUT", path + "/encryptionProtector/current", kSqlApiVersion,
                                    SqlServiceManagedProtectorBody(), "encryption protector of " + object)
                            .status());
  } else {
    // TDE reaches Key Vault as the primary user-assigned identity when the
    // server has one: binding as the system-assigned identity would mean
    // removing the server's user-assigned identities, which other features
    // of the server may use.
    if (e.user_assigned_identity.empty() && !current->encryption.user_assigned_identity.empty())
      return FailedPrecondition(object + " reaches Key Vault as its primary user-assigned identity " +
                                current->encryption.user_assigned_identity +
                                "; cmkctl does not remove user-assigned identities from a SQL server: "
                                "bind it with that identity, or remove the identity from the server first");
    CMK_ASSIGN_OR_RETURN(std::string kid, VersionedKeyId(e, object));
    std::optional<KeyId> parsed = ParseKeyId(kid);
    if (!parsed) return InvalidArgument(object + ": not a key id: " + kid);
    const std::string key_name = FormatSqlServerKeyName(parsed->vault, parsed->name, parsed->version);
    if (!e.user_assigned_identity.empty()) {
      bool has = std::any_of(current->user_assigned_identities.begin(), current->user_assigned_identities.end(),
                             [&](const std::string& u) { return EqualsIgnoreCase(u, e.user_assigned_identity); });
      if (!has || !EqualsIgnoreCase(current->encryption.user_assigned_identity, e.user_assigned_identity))
        CMK_RETURN_IF_ERROR(arm_->Write("PATCH", path, kSqlApiVersion,
                                        SqlPrimaryIdentityBody(*current, e.user_assigned_identity), object)
                                .status());
    }
    // The server key first (the protector can only name a registered key).
    bool registered = SameUri(current->encryption.current_versioned_key_id, kid) ||
                      std::any_of(current->retained_key_ids.begin(), current->retained_key_ids.end(),
                                  [&](const std::string& r) { return SameUri(r, kid); });
    if (!registered)
      CMK_RETURN_IF_ERROR(arm_->Write("PUT", path + "/keys/" + key_name, kSqlApiVersion,
                                      SqlServerKeyPutBody(kid), "server key " + key_name + " of " + object)
                              .status());
    CMK_RETURN_IF_ERROR(arm_->Write("PUT", path + "/encryptionProtector/current", kSqlApiVersion,
                                    SqlKeyVaultProtectorBody(key_name, e.key_version.empty()),
                                    "encryption protector of " + object)
                            .status());
  }
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> after, GetSqlServer(server));
  if (!after) return NotFound(object + " disappeared");
  return *after;
}

}  // namespace cmk
