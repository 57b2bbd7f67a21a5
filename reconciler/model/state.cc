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
};

template <typename T>
void Get(const Json& j, const char* key, T& out) {
  if (!j.is_object()) return;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_same_v<T, std::string>) {
    if (it->is_string()) out = it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) out = it->template get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (it->is_number_integer()) out = it->template get<T>();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!it->is_array()) return;
    out.clear();
    for (const auto& e : *it)
      if (e.is_string()) out.push_back(e.template get<std::string>());
  } else if constexpr (std::is_same_v<T, Tags>) {
    if (!it->is_object()) return;
    out.clear();
    for (auto e = it->begin(); e != it->end(); ++e)
      if (e.value().is_string()) out[e.key()] = e.value().template get<std::string>();
  }
}

template <typename T>
void GetOpt(const Json& j, const char* key, std::optional<T>& out) {
  if (!j.is_object() || !j.contains(key) || j.at(key).is_null()) return;
  T v{};
  Get(j, key, v);
  out = v;
}

void PutIfSet(Json& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}

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

Json ToJson(const NetworkAcls& v) {
  return Json{{"defaultAction", v.default_action},
              {"bypass", v.bypass},
              {"ipRules", v.ip_rules},
              {"virtualNetworkRules", v.virtual_network_rules}};
}

NetworkAcls NetworkAclsFromJson(const Json& j) {
  NetworkAcls v;
  Get(j, "defaultAction", v.default_action);
  Get(j, "bypass", v.bypass);
  Get(j, "ipRules", v.ip_rules);
  Get(j, "virtualNetworkRules", v.virtual_network_rules);
  return v;
}

Json ToJson(const VaultState& v) {
  Json j{{"name", v.name},
         {"subscription", v.subscription},
         {"resourceGroup", v.resource_group},
         {"location", v.location},
         {"sku", v.sku},
         {"softDeleteRetentionDays", v.soft_delete_retention_days},
         {"purgeProtection", v.purge_protection},
         {"rbacAuthorization", v.rbac_authorization},
         {"networkAcls", ToJson(v.network_acls)},
         {"tags", v.tags}};
  PutIfSet(j, "id", v.id);
  PutIfSet(j, "vaultUri", v.vault_uri);
  PutIfSet(j, "etag", v.etag);
  return j;
}

VaultState VaultFromJson(const Json& j) {
  VaultState v;
  Get(j, "name", v.name);
  Get(j, "subscription", v.subscription);
  Get(j, "resourceGroup", v.resource_group);
  Get(j, "location", v.location);
  Get(j, "sku", v.sku);
  Get(j, "softDeleteRetentionDays", v.soft_delete_retention_days);
  Get(j, "purgeProtection", v.purge_protection);
  Get(j, "rbacAuthorization", v.rbac_authorization);
  if (j.is_object() && j.contains("networkAcls")) v.network_acls = NetworkAclsFromJson(j["networkAcls"]);
  Get(j, "tags", v.tags);
  Get(j, "id", v.id);
  Get(j, "vaultUri", v.vault_uri);
  Get(j, "etag", v.etag);
  return v;
}

Json ToJson(const RotationPolicyState& v) {
  Json j = Json::object();
  if (v.rotate_after_create) j["rotateAfterCreate"] = *v.rotate_after_create;
  if (v.rotate_before_expiry) j["rotateBeforeExpiry"] = *v.rotate_before_expiry;
  if (v.notify_before_expiry) j["notifyBeforeExpiry"] = *v.notify_before_expiry;
  if (v.expiry_time) j["expiryTime"] = *v.expiry_time;
  if (v.updated) j["updated"] = v.updated;
  return j;
}

RotationPolicyState RotationPolicyFromJson(const Json& j) {
  RotationPolicyState v;
  GetOpt(j, "rotateAfterCreate", v.rotate_after_create);
  GetOpt(j, "rotateBeforeExpiry", v.rotate_before_expiry);
  GetOpt(j, "notifyBeforeExpiry", v.notify_before_expiry);
  GetOpt(j, "expiryTime", v.expiry_time);
  Get(j, "updated", v.updated);
  return v;
}

Json ToJson(const KeyVersionState& v) {
  Json j{{"version", v.version},
         {"enabled", v.enabled},
         {"created", v.created},
         {"updated", v.updated},
         {"keyOps", v.key_ops},
         {"tags", v.tags}};
  if (v.not_before) j["notBefore"] = *v.not_before;
  if (v.expires) j["expires"] = *v.expires;
  return j;
}

KeyVersionState KeyVersionFromJson(const Json& j) {
  KeyVersionState v;
  Get(j, "version", v.version);
  Get(j, "enabled", v.enabled);
  GetOpt(j, "notBefore", v.not_before);
  GetOpt(j, "expires", v.expires);
  Get(j, "created", v.created);
  Get(j, "updated", v.updated);
  Get(j, "keyOps", v.key_ops);
  Get(j, "tags", v.tags);
  return v;
}

Json ToJson(const RetireSpec& v) {
  Json j{{"adoptionWindow", v.adoption_window}, {"action", v.action}};
  if (v.max_enabled_versions) j["maxEnabledVersions"] = *v.max_enabled_versions;
  return j;
}

RetireSpec RetireFromJson(const Json& j) {
  RetireSpec v;
  Get(j, "adoptionWindow", v.adoption_window);
  Get(j, "action", v.action);
  std::optional<int64_t> max;
  GetOpt(j, "maxEnabledVersions", max);
  if (max) v.max_enabled_versions = static_cast<int>(*max);
  return v;
}

Json ToJson(const KeyState& v) {
  Json j{{"vault", v.vault},   {"name", v.name},        {"kty", v.kty},
         {"keyOps", v.key_ops}, {"enabled", v.enabled}, {"tags", v.tags}};
  if (v.key_size) j["keySize"] = v.key_size;
  if (!v.curve.empty()) j["curve"] = v.curve;
  if (v.not_before) j["notBefore"] = *v.not_before;
  if (v.expires) j["expires"] = *v.expires;
  if (v.rotation_policy) j["rotationPolicy"] = ToJson(*v.rotation_policy);
  if (v.rotation_generation) j["rotationGeneration"] = *v.rotation_generation;
  if (v.retire) j["retire"] = ToJson(*v.retire);
  if (!v.versions.empty()) {
    Json versions = Json::array();
    for (const auto& ver : v.versions) versions.push_back(ToJson(ver));
    j["versions"] = versions;
  }
  PutIfSet(j, "kid", v.kid);
  return j;
}

KeyState KeyFromJson(const Json& j) {
  KeyState v;
  Get(j, "vault", v.vault);
  Get(j, "name", v.name);
  Get(j, "kty", v.kty);
  Get(j, "keySize", v.key_size);
  Get(j, "curve", v.curve);
  Get(j, "keyOps", v.key_ops);
  Get(j, "enabled", v.enabled);
  GetOpt(j, "notBefore", v.not_before);
  GetOpt(j, "expires", v.expires);
  Get(j, "tags", v.tags);
  if (j.is_object() && j.contains("rotationPolicy") && j["rotationPolicy"].is_object())
    v.rotation_policy = RotationPolicyFromJson(j["rotationPolicy"]);
  GetOpt(j, "rotationGeneration", v.rotation_generation);
  if (j.is_object() && j.contains("retire") && j["retire"].is_object())
    v.retire = RetireFromJson(j["retire"]);
  if (j.is_object() && j.contains("versions") && j["versions"].is_array())
    for (const auto& e : j["versions"]) v.versions.push_back(KeyVersionFromJson(e));
  Get(j, "kid", v.kid);
  return v;
}

Json ToJson(const IdentityState& v) {
  Json j{{"name", v.name},
         {"subscription", v.subscription},
         {"resourceGroup", v.resource_group},
         {"location", v.location},
         {"tags", v.tags}};
  PutIfSet(j, "id", v.id);
  PutIfSet(j, "principalId", v.principal_id);
  PutIfSet(j, "clientId", v.client_id);
  PutIfSet(j, "tenantId", v.tenant_id);
  return j;
}

IdentityState IdentityFromJson(const Json& j) {
  IdentityState v;
  Get(j, "name", v.name);
  Get(j, "subscription", v.subscription);
  Get(j, "resourceGroup", v.resource_group);
  Get(j, "location", v.location);
  Get(j, "tags", v.tags);
  Get(j, "id", v.id);
  Get(j, "principalId", v.principal_id);
  Get(j, "clientId", v.client_id);
  Get(j, "tenantId", v.tenant_id);
  return v;
}

Json ToJson(const PrincipalRef& v) {
  Json j = Json::object();
  PutIfSet(j, "identity", v.identity);
  PutIfSet(j, "storageAccount", v.storage_account);
  PutIfSet(j, "objectId", v.object_id);
  return j;
}

PrincipalRef PrincipalRefFromJson(const Json& j) {
  PrincipalRef v;
  Get(j, "identity", v.identity);
  Get(j, "storageAccount", v.storage_account);
  Get(j, "objectId", v.object_id);
  return v;
}

Json ToJson(const RoleAssignmentState& v) {
  Json j{{"name", v.name},
         {"id", v.id},
         {"scope", v.scope},
         {"roleDefinitionId", v.role_definition_id},
         {"principalType", v.principal_type},
         {"description", v.description}};
  PutIfSet(j, "principalId", v.principal_id);
  Json p = ToJson(v.principal);
  if (!p.empty()) j["principal"] = p;
  return j;
}

RoleAssignmentState RoleAssignmentFromJson(const Json& j) {
  RoleAssignmentState v;
  Get(j, "name", v.name);
  Get(j, "id", v.id);
  Get(j, "scope", v.scope);
  Get(j, "roleDefinitionId", v.role_definition_id);
  Get(j, "principalId", v.principal_id);
  Get(j, "principalType", v.principal_type);
  Get(j, "description", v.description);
  if (j.is_object() && j.contains("principal")) v.principal = PrincipalRefFromJson(j["principal"]);
  return v;
}

Json ToJson(const EncryptionState& v) {
  Json j{{"keySource", v.key_source}};
  PutIfSet(j, "keyVaultUri", v.key_vault_uri);
  PutIfSet(j, "keyName", v.key_name);
  if (v.key_source != "Microsoft.Storage") j["keyVersion"] = v.key_version;
  PutIfSet(j, "userAssignedIdentity", v.user_assigned_identity);
  PutIfSet(j, "currentVersionedKeyIdentifier", v.current_versioned_key_id);
  PutIfSet(j, "lastKeyRotationTimestamp", v.last_key_rotation_timestamp);
  return j;
}

EncryptionState EncryptionFromJson(const Json& j) {
  EncryptionState v;
  Get(j, "keySource", v.key_source);
  Get(j, "keyVaultUri", v.key_vault_uri);
  Get(j, "keyName", v.key_name);
  Get(j, "keyVersion", v.key_version);
  Get(j, "userAssignedIdentity", v.user_assigned_identity);
  Get(j, "currentVersionedKeyIdentifier", v.current_versioned_key_id);
  Get(j, "lastKeyRotationTimestamp", v.last_key_rotation_timestamp);
  return v;
}

Json ToJson(const StorageAccountState& v) {
  Json j{{"name", v.name},
         {"subscription", v.subscription},
         {"resourceGroup", v.resource_group},
         {"location", v.location},
         {"userAssignedIdentities", v.user_assigned_identities},
         {"encryption", ToJson(v.encryption)},
         {"tags", v.tags}};
  PutIfSet(j, "systemPrincipalId", v.system_principal_id);
  PutIfSet(j, "id", v.id);
  return j;
}

StorageAccountState StorageAccountFromJson(const Json& j) {
  StorageAccountState v;
  Get(j, "name", v.name);
  Get(j, "subscription", v.subscription);
  Get(j, "resourceGroup", v.resource_group);
  Get(j, "location", v.location);
  Get(j, "systemPrincipalId", v.system_principal_id);
  Get(j, "userAssignedIdentities", v.user_assigned_identities);
  if (j.is_object() && j.contains("encryption")) v.encryption = EncryptionFromJson(j["encryption"]);
  Get(j, "tags", v.tags);
  Get(j, "id", v.id);
  return v;
}

Json ToJson(const BindingState& v) {
  return Json{{"name", v.name},
              {"storageAccount", v.storage_account},
              {"subscription", v.subscription},
              {"resourceGroup", v.resource_group},
              {"vault", v.vault},
              {"key", v.key},
              {"keyVersion", v.key_version.empty() ? std::string("auto") : v.key_version},
              {"identity", v.identity.empty() ? std::string("system") : v.identity},
              {"identityName", v.identity_name}};
}

BindingState BindingFromJson(const Json& j) {
  BindingState v;
  Get(j, "name", v.name);
  Get(j, "storageAccount", v.storage_account);
  Get(j, "subscription", v.subscription);
  Get(j, "resourceGroup", v.resource_group);
  Get(j, "vault", v.vault);
  Get(j, "key", v.key);
  Get(j, "keyVersion", v.key_version);
  if (v.key_version == "auto") v.key_version.clear();
  Get(j, "identity", v.identity);
  if (v.identity == "system") v.identity.clear();
  Get(j, "identityName", v.identity_name);
  return v;
}

}  // namespace cmk
