// The JSON shape of every state struct, written once per struct: the field
// lists base/json_codec.h derives both JSON directions from (ToJson /
// FromJson in model/codec.h). These shapes are the plan's `before` and
// request payloads, the sandbox's stored rows and the fingerprints' input:
// changing one changes all of them. Live-only members are written only when
// set. Header-only templates; no state.
#pragma once

#include <concepts>
#include <type_traits>

#include "base/json_codec.h"
#include "model/state.h"

namespace cmk {

template <typename F, DescribesAs<NetworkAcls> T>
void Describe(F& f, T& v) {
  f("defaultAction", v.default_action);
  f("bypass", v.bypass);
  f("ipRules", v.ip_rules);
  f("virtualNetworkRules", v.virtual_network_rules);
}

template <typename F, DescribesAs<AccessPolicyState> T>
void Describe(F& f, T& v) {
  f("tenantId", v.tenant_id);
  f("objectId", v.object_id);
  f("keys", v.keys);
  f("secrets", v.secrets, Emit::kIfSet);
  f("certificates", v.certificates, Emit::kIfSet);
}

template <typename F, DescribesAs<VaultState> T>
void Describe(F& f, T& v) {
  f("name", v.name);
  f("subscription", v.subscription);
  f("resourceGroup", v.resource_group);
  f("location", v.location);
  f("sku", v.sku);
  f("softDeleteRetentionDays", v.soft_delete_retention_days);
  f("purgeProtection", v.purge_protection);
  f("rbacAuthorization", v.rbac_authorization);
  f("networkAcls", v.network_acls);
  f("tags", v.tags);
  f("id", v.id, Emit::kIfSet);
  f("vaultUri", v.vault_uri, Emit::kIfSet);
  f("etag", v.etag, Emit::kIfSet);
  f("accessPolicies", v.access_policies, Emit::kIfSet);
}

template <typename F, DescribesAs<RotationPolicyState> T>
void Describe(F& f, T& v) {
  f("rotateAfterCreate", v.rotate_after_create, Emit::kIfSet);
  f("rotateBeforeExpiry", v.rotate_before_expiry, Emit::kIfSet);
  f("notifyBeforeExpiry", v.notify_before_expiry, Emit::kIfSet);
  f("expiryTime", v.expiry_time, Emit::kIfSet);
  f("updated", v.updated, Emit::kIfSet);
}

template <typename F, DescribesAs<KeyVersionState> T>
void Describe(F& f, T& v) {
  f("version", v.version);
  f("enabled", v.enabled);
  f("notBefore", v.not_before, Emit::kIfSet);
  f("expires", v.expires, Emit::kIfSet);
  f("created", v.created);
  f("updated", v.updated);
  f("keyOps", v.key_ops);
  f("tags", v.tags);
}

template <typename F, DescribesAs<RetireSpec> T>
void Describe(F& f, T& v) {
  f("adoptionWindow", v.adoption_window);
  f("maxEnabledVersions", v.max_enabled_versions, Emit::kIfSet);
  f("action", v.action);
}

template <typename F, DescribesAs<KeyState> T>
void Describe(F& f, T& v) {
  f("vault", v.vault);
  f("name", v.name);
  f("kty", v.kty);
  f("keySize", v.key_size, Emit::kIfSet);
  f("curve", v.curve, Emit::kIfSet);
  f("keyOps", v.key_ops);
  f("enabled", v.enabled);
  f("notBefore", v.not_before, Emit::kIfSet);
  f("expires", v.expires, Emit::kIfSet);
  f("tags", v.tags);
  f("rotationPolicy", v.rotation_policy, Emit::kIfSet);
  f("rotationGeneration", v.rotation_generation, Emit::kIfSet);
  f("retire", v.retire, Emit::kIfSet);
  f("versions", v.versions, Emit::kIfSet);
  f("kid", v.kid, Emit::kIfSet);
}

template <typename F, DescribesAs<IdentityState> T>
void Describe(F& f, T& v) {
  f("name", v.name);
  f("subscription", v.subscription);
  f("resourceGroup", v.resource_group);
  f("location", v.location);
  f("tags", v.tags);
  f("id", v.id, Emit::kIfSet);
  f("principalId", v.principal_id, Emit::kIfSet);
  f("clientId", v.client_id, Emit::kIfSet);
  f("tenantId", v.tenant_id, Emit::kIfSet);
}

template <typename F, DescribesAs<PrincipalRef> T>
void Describe(F& f, T& v) {
  f("identity", v.identity, Emit::kIfSet);
  f("kind", KindOf(v.consumer_kind), Emit::kIfSet);
  f(ConsumerNameMember(v.consumer_kind), v.consumer, Emit::kIfSet);
  f("objectId", v.object_id, Emit::kIfSet);
}

template <typename F, DescribesAs<RoleAssignmentState> T>
void Describe(F& f, T& v) {
  f("name", v.name);
  f("id", v.id);
  f("scope", v.scope);
  f("roleDefinitionId", v.role_definition_id);
  f("principalId", v.principal_id, Emit::kIfSet);
  f("principalType", v.principal_type);
  f("description", v.description);
  f("principal", v.principal, Emit::kIfSet);
}

template <typename F, DescribesAs<EncryptionState> T>
void Describe(F& f, T& v) {
  f("keySource", v.key_source);
  f("keyVaultUri", v.key_vault_uri, Emit::kIfSet);
  f("keyName", v.key_name, Emit::kIfSet);
  // Microsoft-managed keys have no version; a customer-managed key always
  // says which ("" = automatic).
  f("keyVersion", v.key_version, v.key_source != "Microsoft.Storage" ? Emit::kAlways : Emit::kNever);
  f("userAssignedIdentity", v.user_assigned_identity, Emit::kIfSet);
  f("currentVersionedKeyIdentifier", v.current_versioned_key_id, Emit::kIfSet);
  f("lastKeyRotationTimestamp", v.last_key_rotation_timestamp, Emit::kIfSet);
}

template <typename F, DescribesAs<ConsumerState> T>
void Describe(F& f, T& v) {
  f("kind", KindOf(v.kind), Emit::kIfSet);
  f("name", v.name);
  f("subscription", v.subscription);
  f("resourceGroup", v.resource_group);
  f("location", v.location);
  f("systemPrincipalId", v.system_principal_id, Emit::kIfSet);
  f("userAssignedIdentities", v.user_assigned_identities);
  f("encryption", v.encryption);
  f("retainedKeyIds", v.retained_key_ids, Emit::kIfSet);
  f("tags", v.tags);
  f("id", v.id, Emit::kIfSet);
}

template <typename F, DescribesAs<BindingState> T>
void Describe(F& f, T& v) {
  f("name", v.name);
  f("kind", KindOf(v.consumer_kind), Emit::kIfSet);
  f(ConsumerNameMember(v.consumer_kind), v.consumer);
  f("subscription", v.subscription);
  f("resourceGroup", v.resource_group);
  f("vault", v.vault);
  f("key", v.key);
  f("keyVersion", EmptyAs(v.key_version, "auto"));
  f("identity", EmptyAs(v.identity, "system"));
  f("identityName", v.identity_name);
}

}  // namespace cmk
