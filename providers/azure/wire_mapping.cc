// ARM shapes: vaults, identities, role assignments, storage accounts.
#include "azure/wire_mapping.h"

#include <algorithm>

#include "engine/names.h"

namespace cmk::azure {
namespace {

std::string Str(const Json& j, const char* name) {
  if (j.is_object() && j.contains(name) && j[name].is_string()) return j[name].get<std::string>();
  return "";
}
bool Bool(const Json& j, const char* name, bool def) {
  if (j.is_object() && j.contains(name) && j[name].is_boolean()) return j[name].get<bool>();
  return def;
}
const Json& Obj(const Json& j, const char* name) {
  static const Json kEmpty = Json::object();
  if (j.is_object() && j.contains(name) && j[name].is_object()) return j[name];
  return kEmpty;
}
Tags TagsFrom(const Json& j) {
  Tags t;
  for (auto it = Obj(j, "tags").begin(); it != Obj(j, "tags").end(); ++it)
    if (it.value().is_string()) t[it.key()] = it.value().get<std::string>();
  return t;
}
Json TagsTo(const Tags& t) {
  Json j = Json::object();
  for (const auto& [k, v] : t) j[k] = v;
  return j;
}

}  // namespace

// The ARM tracked-resource envelope (id, name, subscription and resource
// group from the id, location, tags) shared by vaults and identities.
template <typename T>
void FillTrackedResource(const Json& j, T& v) {
  v.id = Str(j, "id");
  ArmIdParts id = ParseArmId(v.id);
  v.name = Str(j, "name").empty() ? id.name : Str(j, "name");
  v.subscription = id.subscription;
  v.resource_group = id.resource_group;
  v.location = Str(j, "location");
  v.tags = TagsFrom(j);
}

VaultState VaultFromArm(const Json& j) {
  VaultState v;
  FillTrackedResource(j, v);
  v.etag = Str(j, "etag");
  const Json& p = Obj(j, "properties");
  v.sku = Lower(Str(Obj(p, "sku"), "name"));
  if (v.sku.empty()) v.sku = "standard";
  if (p.contains("softDeleteRetentionInDays") && p["softDeleteRetentionInDays"].is_number_integer())
    v.soft_delete_retention_days = p["softDeleteRetentionInDays"].get<int>();
  v.purge_protection = Bool(p, "enablePurgeProtection", false);
  // Absent means false in every api-version before 2026-04-01; we always send it.
  v.rbac_authorization = Bool(p, "enableRbacAuthorization", false);
  v.vault_uri = Str(p, "vaultUri");
  while (!v.vault_uri.empty() && v.vault_uri.back() == '/') v.vault_uri.pop_back();
  const Json& acls = Obj(p, "networkAcls");
  if (!acls.empty()) {
    if (!Str(acls, "defaultAction").empty()) v.network_acls.default_action = Str(acls, "defaultAction");
    if (!Str(acls, "bypass").empty()) v.network_acls.bypass = Str(acls, "bypass");
    if (acls.contains("ipRules") && acls["ipRules"].is_array())
      for (const auto& r : acls["ipRules"])
        if (!Str(r, "value").empty()) v.network_acls.ip_rules.push_back(Str(r, "value"));
    if (acls.contains("virtualNetworkRules") && acls["virtualNetworkRules"].is_array())
      for (const auto& r : acls["virtualNetworkRules"])
        if (!Str(r, "id").empty()) v.network_acls.virtual_network_rules.push_back(Str(r, "id"));
    std::sort(v.network_acls.ip_rules.begin(), v.network_acls.ip_rules.end());
    std::sort(v.network_acls.virtual_network_rules.begin(), v.network_acls.virtual_network_rules.end());
  }
  return v;
}

Json VaultPutBody(const VaultState& v, const std::string& tenant_id,
                  const Json& existing_access_policies) {
  Json ip = Json::array();
  for (const auto& r : v.network_acls.ip_rules) ip.push_back({{"value", r}});
  Json vnet = Json::array();
  for (const auto& r : v.network_acls.virtual_network_rules)
    vnet.push_back({{"id", r}, {"ignoreMissingVnetServiceEndpoint", false}});
  Json props = {
      {"tenantId", tenant_id},
      {"sku", {{"family", "A"}, {"name", v.sku}}},
      {"accessPolicies", existing_access_policies.is_array() ? existing_access_policies : Json::array()},
      {"enableRbacAuthorization", v.rbac_authorization},
      {"enableSoftDelete", true},
      {"softDeleteRetentionInDays", v.soft_delete_retention_days},
      {"networkAcls",
       {{"bypass", v.network_acls.bypass},
        {"defaultAction", v.network_acls.default_action},
        {"ipRules", ip},
        {"virtualNetworkRules", vnet}}},
  };
  // Only `true` is accepted (purge protection is irreversible).
  if (v.purge_protection) props["enablePurgeProtection"] = true;
  return {{"location", v.location}, {"tags", TagsTo(v.tags)}, {"properties", props}};
}

DeletedVaultInfo DeletedVaultFromArm(const Json& j) {
  DeletedVaultInfo d;
  d.name = Str(j, "name");
  const Json& p = Obj(j, "properties");
  d.location = Str(p, "location");
  d.vault_id = Str(p, "vaultId");
  d.deletion_date = Str(p, "deletionDate");
  d.scheduled_purge_date = Str(p, "scheduledPurgeDate");
  d.purge_protection = Bool(p, "purgeProtectionEnabled", false);
  return d;
}

IdentityState IdentityFromArm(const Json& j) {
  IdentityState v;
  FillTrackedResource(j, v);
  const Json& p = Obj(j, "properties");
  v.principal_id = Str(p, "principalId");
  v.client_id = Str(p, "clientId");
  v.tenant_id = Str(p, "tenantId");
  return v;
}

Json IdentityPutBody(const IdentityState& v) {
  return {{"location", v.location}, {"tags", TagsTo(v.tags)}};
}

RoleAssignmentState RoleAssignmentFromArm(const Json& j) {
  RoleAssignmentState r;
  r.id = Lower(Str(j, "name"));
  if (r.id.empty()) r.id = Lower(TrailingSegment(Str(j, "id")));
  const Json& p = Obj(j, "properties");
  r.scope = Str(p, "scope");
  r.role_definition_id = Lower(TrailingSegment(Str(p, "roleDefinitionId")));
  r.principal_id = Str(p, "principalId");
  r.principal_type = Str(p, "principalType");
  if (r.principal_type.empty()) r.principal_type = "User";
  r.description = Str(p, "description");
  r.name = ManagedNameFromDescription(r.description);
  return r;
}

Json RoleAssignmentPutBody(const RoleAssignmentState& v, const std::string& subscription) {
  std::string guid = TrailingSegment(v.role_definition_id);
  Json props = {
      {"roleDefinitionId", "/subscriptions/" + subscription +
                               "/providers/Microsoft.Authorization/roleDefinitions/" + guid},
      {"principalId", v.principal_id},
      {"principalType", v.principal_type.empty() ? "ServicePrincipal" : v.principal_type}};
  if (!v.description.empty()) props["description"] = v.description;
  return {{"properties", props}};
}

std::string RoleAssignmentPath(const std::string& scope, const std::string& id) {
  std::string s = scope;
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (s.empty() || s[0] != '/') s = "/" + s;
  return s + "/providers/Microsoft.Authorization/roleAssignments/" + id;
}

std::string CanonicalKeySource(const std::string& s) {
  return EqualsIgnoreCase(s, "Microsoft.Keyvault") ? "Microsoft.Keyvault" : "Microsoft.Storage";
}

StorageAccountState StorageAccountFromArm(const Json& j) {
  StorageAccountState s;
  s.id = Str(j, "id");
  ArmIdParts id = ParseArmId(s.id);
  s.name = Str(j, "name").empty() ? id.name : Str(j, "name");
  s.subscription = id.subscription;
  s.resource_group = id.resource_group;
  s.location = Str(j, "location");
  s.tags = TagsFrom(j);
  const Json& identity = Obj(j, "identity");
  if (Lower(Str(identity, "type")).find("systemassigned") != std::string::npos)
    s.system_principal_id = Str(identity, "principalId");
  const Json& uai = Obj(identity, "userAssignedIdentities");
  for (auto it = uai.begin(); it != uai.end(); ++it) s.user_assigned_identities.push_back(it.key());
  std::sort(s.user_assigned_identities.begin(), s.user_assigned_identities.end());
  const Json& enc = Obj(Obj(j, "properties"), "encryption");
  EncryptionState& e = s.encryption;
  e.key_source = CanonicalKeySource(Str(enc, "keySource"));
  const Json& kv = Obj(enc, "keyvaultproperties");
  e.key_vault_uri = Str(kv, "keyvaulturi");
  while (!e.key_vault_uri.empty() && e.key_vault_uri.back() == '/') e.key_vault_uri.pop_back();
  e.key_name = Str(kv, "keyname");
  e.key_version = Str(kv, "keyversion");
  e.current_versioned_key_id = Str(kv, "currentVersionedKeyIdentifier");
  e.last_key_rotation_timestamp = Str(kv, "lastKeyRotationTimestamp");
  e.user_assigned_identity = Str(Obj(enc, "identity"), "userAssignedIdentity");
  return s;
}

namespace {

Json IdentityBlock(const StorageAccountState& current, bool system,
                   const std::vector<std::string>& extra_user) {
  std::vector<std::string> users = current.user_assigned_identities;
  for (const auto& u : extra_user) {
    bool known = std::any_of(users.begin(), users.end(),
                             [&](const std::string& x) { return EqualsIgnoreCase(x, u); });
    if (!known && !u.empty()) users.push_back(u);
  }
  std::sort(users.begin(), users.end());
  Json id;
  if (system && !users.empty()) id["type"] = "SystemAssigned,UserAssigned";
  else if (system) id["type"] = "SystemAssigned";
  else if (!users.empty()) id["type"] = "UserAssigned";
  else id["type"] = "None";
  if (!users.empty()) {
    Json m = Json::object();
    for (const auto& u : users) m[u] = Json::object();
    id["userAssignedIdentities"] = m;
  }
  return id;
}

}  // namespace

Json StorageEncryptionPatchBody(const StorageAccountState& current, const EncryptionState& e) {
  Json enc;
  enc["keySource"] = CanonicalKeySource(e.key_source);
  if (enc["keySource"] == "Microsoft.Keyvault") {
    enc["keyvaultproperties"] = {{"keyname", e.key_name},
                                 {"keyversion", e.key_version},
                                 {"keyvaulturi", e.key_vault_uri}};
  }
  enc["services"] = {{"blob", {{"enabled", true}, {"keyType", "Account"}}},
                     {"file", {{"enabled", true}, {"keyType", "Account"}}}};
  Json body;
  if (!e.user_assigned_identity.empty()) {
    enc["identity"] = {{"userAssignedIdentity", e.user_assigned_identity}};
    body["identity"] = IdentityBlock(current, !current.system_principal_id.empty(),
                                     {e.user_assigned_identity});
  }
  body["properties"] = {{"encryption", enc}};
  return body;
}

Json StorageEnableSystemIdentityBody(const StorageAccountState& current) {
  return {{"identity", IdentityBlock(current, true, {})}};
}

}  // namespace cmk::azure
