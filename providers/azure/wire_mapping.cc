// ARM shapes: vaults, identities, role assignments, storage accounts.
#include "azure/wire_mapping.h"

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "model/arm_id.h"

namespace cmk {
namespace {


}  // namespace

// The ARM tracked-resource envelope (id, name, subscription and resource
// group from the id, location, tags) shared by vaults and identities.
template <typename T>
void FillTrackedResource(const Json& j, T& v) {
  v.id = JsonString(j, "id");
  ArmIdParts id = ParseArmId(v.id);
  v.name = JsonString(j, "name").empty() ? id.name : JsonString(j, "name");
  v.subscription = id.subscription;
  v.resource_group = id.resource_group;
  v.location = JsonString(j, "location");
  v.tags = TagsFromWire(j);
}

VaultState VaultFromArm(const Json& j) {
  VaultState v;
  FillTrackedResource(j, v);
  v.etag = JsonString(j, "etag");
  const Json& p = JsonObject(j, "properties");
  v.sku = Lower(JsonString(JsonObject(p, "sku"), "name"));
  if (v.sku.empty()) v.sku = "standard";
  if (p.contains("softDeleteRetentionInDays") && p["softDeleteRetentionInDays"].is_number_integer())
    v.soft_delete_retention_days = p["softDeleteRetentionInDays"].get<int>();
  v.purge_protection = JsonBool(p, "enablePurgeProtection", false);
  // Absent means false in every api-version before 2026-04-01; we always send it.
  v.rbac_authorization = JsonBool(p, "enableRbacAuthorization", false);
  v.vault_uri = JsonString(p, "vaultUri");
  while (!v.vault_uri.empty() && v.vault_uri.back() == '/') v.vault_uri.pop_back();
  const Json& acls = JsonObject(p, "networkAcls");
  if (!acls.empty()) {
    if (!JsonString(acls, "defaultAction").empty()) v.network_acls.default_action = JsonString(acls, "defaultAction");
    if (!JsonString(acls, "bypass").empty()) v.network_acls.bypass = JsonString(acls, "bypass");
    if (acls.contains("ipRules") && acls["ipRules"].is_array())
      for (const auto& r : acls["ipRules"])
        if (!JsonString(r, "value").empty()) v.network_acls.ip_rules.push_back(JsonString(r, "value"));
    if (acls.contains("virtualNetworkRules") && acls["virtualNetworkRules"].is_array())
      for (const auto& r : acls["virtualNetworkRules"])
        if (!JsonString(r, "id").empty()) v.network_acls.virtual_network_rules.push_back(JsonString(r, "id"));
    std::sort(v.network_acls.ip_rules.begin(), v.network_acls.ip_rules.end());
    std::sort(v.network_acls.virtual_network_rules.begin(), v.network_acls.virtual_network_rules.end());
  }
  // Read so the access analysis can judge an access-policy vault; never
  // planned (the PUT body passes the vault's own policies back unchanged).
  if (const Json& policies = JsonMember(p, "accessPolicies"); policies.is_array())
    for (const Json& e : policies) {
      AccessPolicyState a;
      a.tenant_id = JsonString(e, "tenantId");
      a.object_id = JsonString(e, "objectId");
      a.keys = JsonStrings(JsonObject(e, "permissions"), "keys");
      a.secrets = JsonStrings(JsonObject(e, "permissions"), "secrets");
      a.certificates = JsonStrings(JsonObject(e, "permissions"), "certificates");
      if (!a.object_id.empty()) v.access_policies.push_back(std::move(a));
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
  return {{"location", v.location}, {"tags", TagsToWire(v.tags)}, {"properties", props}};
}

DeletedVaultInfo DeletedVaultFromArm(const Json& j) {
  DeletedVaultInfo d;
  d.name = JsonString(j, "name");
  const Json& p = JsonObject(j, "properties");
  d.location = JsonString(p, "location");
  d.vault_id = JsonString(p, "vaultId");
  d.deletion_date = JsonString(p, "deletionDate");
  d.scheduled_purge_date = JsonString(p, "scheduledPurgeDate");
  d.purge_protection = JsonBool(p, "purgeProtectionEnabled", false);
  return d;
}

IdentityState IdentityFromArm(const Json& j) {
  IdentityState v;
  FillTrackedResource(j, v);
  const Json& p = JsonObject(j, "properties");
  v.principal_id = JsonString(p, "principalId");
  v.client_id = JsonString(p, "clientId");
  v.tenant_id = JsonString(p, "tenantId");
  return v;
}

Json IdentityPutBody(const IdentityState& v) {
  return {{"location", v.location}, {"tags", TagsToWire(v.tags)}};
}

RoleAssignmentState RoleAssignmentFromArm(const Json& j) {
  RoleAssignmentState r;
  r.id = Lower(JsonString(j, "name"));
  if (r.id.empty()) r.id = Lower(TrailingSegment(JsonString(j, "id")));
  const Json& p = JsonObject(j, "properties");
  r.scope = JsonString(p, "scope");
  r.role_definition_id = Lower(TrailingSegment(JsonString(p, "roleDefinitionId")));
  r.principal_id = JsonString(p, "principalId");
  r.principal_type = JsonString(p, "principalType");
  if (r.principal_type.empty()) r.principal_type = "User";
  r.description = JsonString(p, "description");
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

bool ArmIdentityHasType(const Json& identity, const char* type) {
  std::string t = Lower(JsonString(identity, "type"));
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());  // Compute writes "SystemAssigned, UserAssigned"
  return t.find(type) != std::string::npos;
}

ConsumerState ConsumerFromArm(ConsumerKind kind, const Json& j) {
  ConsumerState s;
  s.kind = kind;
  s.id = JsonString(j, "id");
  ArmIdParts id = ParseArmId(s.id);
  s.name = JsonString(j, "name").empty() ? id.name : JsonString(j, "name");
  s.subscription = id.subscription;
  s.resource_group = id.resource_group;
  s.location = JsonString(j, "location");
  s.tags = TagsFromWire(j);
  const Json& identity = JsonObject(j, "identity");
  if (ArmIdentityHasType(identity, "systemassigned")) s.system_principal_id = JsonString(identity, "principalId");
  const Json& uai = JsonObject(identity, "userAssignedIdentities");
  for (auto it = uai.begin(); it != uai.end(); ++it) s.user_assigned_identities.push_back(it.key());
  std::sort(s.user_assigned_identities.begin(), s.user_assigned_identities.end());
  return s;
}

ConsumerState StorageAccountFromArm(const Json& j) {
  ConsumerState s = ConsumerFromArm(ConsumerKind::kStorage, j);
  const Json& enc = JsonObject(JsonObject(j, "properties"), "encryption");
  EncryptionState& e = s.encryption;
  e.key_source = CanonicalKeySource(JsonString(enc, "keySource"));
  const Json& kv = JsonObject(enc, "keyvaultproperties");
  e.key_vault_uri = JsonString(kv, "keyvaulturi");
  while (!e.key_vault_uri.empty() && e.key_vault_uri.back() == '/') e.key_vault_uri.pop_back();
  e.key_name = JsonString(kv, "keyname");
  e.key_version = JsonString(kv, "keyversion");
  e.current_versioned_key_id = JsonString(kv, "currentVersionedKeyIdentifier");
  e.last_key_rotation_timestamp = JsonString(kv, "lastKeyRotationTimestamp");
  e.user_assigned_identity = JsonString(JsonObject(enc, "identity"), "userAssignedIdentity");
  return s;
}

Json ArmIdentityBlock(bool system, std::vector<std::string> users, const char* both) {
  std::vector<std::string> unique;
  std::set<std::string> seen;  // lower case
  for (auto& u : users)
    if (!u.empty() && seen.insert(Lower(u)).second) unique.push_back(std::move(u));
  users = std::move(unique);
  std::sort(users.begin(), users.end());
  Json id;
  if (system && !users.empty()) id["type"] = both;
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

namespace {

Json IdentityBlock(const ConsumerState& current, bool system,
                   const std::vector<std::string>& extra_user) {
  std::vector<std::string> users = current.user_assigned_identities;
  users.insert(users.end(), extra_user.begin(), extra_user.end());
  return ArmIdentityBlock(system, std::move(users), "SystemAssigned,UserAssigned");
}

}  // namespace

Json StorageEncryptionPatchBody(const ConsumerState& current, const EncryptionState& e) {
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

Json StorageEnableSystemIdentityBody(const ConsumerState& current) {
  return {{"identity", IdentityBlock(current, true, {})}};
}

Tags TagsFromWire(const Json& j) {
  Tags t;
  for (auto it = JsonObject(j, "tags").begin(); it != JsonObject(j, "tags").end(); ++it)
    if (it.value().is_string()) t[it.key()] = it.value().get<std::string>();
  return t;
}

Json TagsToWire(const Tags& t) {
  Json j = Json::object();
  for (const auto& [k, v] : t) j[k] = v;
  return j;
}

}  // namespace cmk
