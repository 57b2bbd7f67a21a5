// ARM Microsoft.Compute/diskEncryptionSets (api-version 2025-01-02) over the
// sandbox's disk encryption sets: GET, the subscription's and resource
// group's lists, PATCH of identity, activeKey and
// rotationToLatestKeyVersionEnabled, and PUT (creates by seeding the set,
// then applies them like PATCH). activeKey.keyUrl must be versioned, as Azure
// requires; previousKeys are the versions the set still re-wraps from, and
// the set is `Updating` while it has any (Azure: "empty if there is no ongoing
// key rotation"). A set that follows the newest version and cannot reach its
// key shows autoKeyRotationError. encryptionType and federatedClientId are
// kept as the set's wire state and shown back; sourceVault and tags on update
// are accepted and not modelled. associatedResources is empty: the sandbox
// has no disks.
#include "base/strings.h"
#include "model/key_id.h"
#include "sandbox/sandbox_util.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"

namespace cmk {

namespace {
constexpr const char* kWireEncryptionType = "encryptionType";
constexpr const char* kWireFederatedClientId = "federatedClientId";
constexpr const char* kWireSourceVault = "sourceVault";  // activeKey.sourceVault.id as last given
}  // namespace

Json ServerCore::DesJson(const ConsumerState& s) {
  const EncryptionState& e = s.encryption;
  auto wire = cloud_->ConsumerWireState(ConsumerKind::kDiskEncryptionSet, s.subscription, s.resource_group, s.name);
  const Json state = wire.ok() ? *wire : Json::object();
  const std::string type = JString(state, kWireEncryptionType);
  Json props{{"encryptionType", type.empty() ? "EncryptionAtRestWithCustomerKey" : type},
             {"rotationToLatestKeyVersionEnabled", e.key_version.empty()},
             {"provisioningState", s.retained_key_ids.empty() ? "Succeeded" : "Updating"}};
  if (std::string fed = JString(state, kWireFederatedClientId); !fed.empty()) props["federatedClientId"] = fed;
  if (e.key_version.empty() && EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault")) {
    auto cause = cloud_->ConsumerInaccessibleCause(ConsumerKind::kDiskEncryptionSet, s.subscription,
                                                   s.resource_group, s.name);
    if (cause.ok() && *cause) {
      // The code Microsoft's example shows for a missing identity; the
      // sandbox's own for every other cause.
      const bool identity_gone = (*cause)->find("identity") != std::string::npos &&
                                 (*cause)->find("no longer exists") != std::string::npos;
      props["autoKeyRotationError"] =
          Json{{"code", identity_gone ? "ManagedServiceIdentityNotFound" : "KeyVaultKeyNotAccessible"},
               {"message", "Auto-key rotation cannot proceed for DiskEncryptionSet '" + s.name + "': " + **cause}};
    }
  }
  std::string key_url = e.current_versioned_key_id;
  if (key_url.empty() && !e.key_name.empty() && !e.key_version.empty())
    key_url = e.key_vault_uri + "/keys/" + e.key_name + "/" + e.key_version;
  if (EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault") && !key_url.empty()) {
    props["activeKey"] = Json{{"keyUrl", key_url}};
    if (std::string vault = JString(state, kWireSourceVault); !vault.empty())
      props["activeKey"]["sourceVault"] = Json{{"id", vault}};
  }
  Json previous = Json::array();
  for (const auto& k : s.retained_key_ids) previous.push_back(Json{{"keyUrl", k}});
  props["previousKeys"] = previous;
  if (!e.last_key_rotation_timestamp.empty()) props["lastKeyRotationTimestamp"] = e.last_key_rotation_timestamp;
  return Json{{"id", s.id.empty() ? ConsumerArmId(ConsumerKind::kDiskEncryptionSet, s.subscription, s.resource_group, s.name)
                                  : s.id},
              {"name", s.name},
              {"type", "Microsoft.Compute/diskEncryptionSets"},
              {"location", s.location},
              {"tags", s.tags},
              {"identity", ConsumerIdentityJson(s, "SystemAssigned, UserAssigned")},
              {"properties", props}};
}

ServerResponse ServerCore::ArmDes(Ctx& c, const std::string& sub, const std::string& rg, const std::string& name,
                                  const std::string& child) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const std::string& m = c.req.method;
  if (name.empty()) {
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "The collection supports only GET.");
    return ArmConsumerList(c, ConsumerKind::kDiskEncryptionSet, sub, rg, &ServerCore::DesJson);
  }

  auto existing = cloud_->GetConsumer(ConsumerKind::kDiskEncryptionSet, sub, rg, name);
  if (!existing.ok()) return ArmError(existing.status());
  auto not_found = [&] {
    return ArmError(404, "ResourceNotFound",
                    "The Resource 'Microsoft.Compute/diskEncryptionSets/" + name + "' under resource group '" + rg +
                        "' was not found.");
  };
  if (!child.empty()) {  // associatedResources
    if (!*existing) return not_found();
    if (m != "GET") return ArmError(405, "MethodNotAllowed", "The collection supports only GET.");
    return JsonResponse(200, Json{{"value", Json::array()}});
  }
  if (m == "GET") return *existing ? JsonResponse(200, DesJson(**existing)) : not_found();
  if (m != "PUT" && m != "PATCH")
    return ArmError(405, "MethodNotAllowed", "The requested resource does not support http method '" + m + "'.");
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return ArmError(body.status());
  static const std::vector<FieldRule> kDesRules = {
      {"location", JType::kString},
      {"tags", JType::kObject},
      {"tags.*", JType::kString},
      {"identity", JType::kObject},
      {"identity.type", JType::kString},
      {"identity.userAssignedIdentities", JType::kObject},
      {"properties", JType::kObject},
      {"properties.activeKey", JType::kObject},
      {"properties.activeKey.keyUrl", JType::kString},
      {"properties.activeKey.sourceVault", JType::kObject},
      {"properties.activeKey.sourceVault.id", JType::kString},
      {"properties.encryptionType", JType::kString},
      {"properties.rotationToLatestKeyVersionEnabled", JType::kBool},
      {"properties.federatedClientId", JType::kString},
  };
  if (auto wrong = CheckFields(*body, kDesRules)) return ArmFieldError(*wrong);
  if (m == "PATCH" && !*existing) return not_found();
  const Json& identity = JObject(*body, "identity");
  std::string type = Lower(JString(identity, "type"));
  bool want_system = type.find("systemassigned") != std::string::npos;
  const Json& props = JObject(*body, "properties");
  const std::string key_url = JString(JObject(props, "activeKey"), "keyUrl");
  std::optional<KeyId> kid;
  if (!key_url.empty()) {
    kid = ParseKeyId(key_url);
    if (!kid || kid->version.empty())
      return ArmError(400, "InvalidParameter",
                      "The keyUrl '" + key_url + "' must be a fully versioned Key Vault key URL.");
  } else if (m == "PUT") {
    return ArmError(400, "InvalidParameter", "activeKey.keyUrl is required.");
  }

  if (!*existing) {
    ConsumerState a;
    a.kind = ConsumerKind::kDiskEncryptionSet;
    a.name = name;
    a.subscription = sub;
    a.resource_group = rg;
    a.location = JString(*body, "location");
    a.tags = JTags(*body, "tags");
    if (a.location.empty()) return ArmError(400, "LocationRequired", "The location property is required.");
    SeedOptions seed;
    seed.system_identity = want_system;
    Status st = cloud_->SeedConsumer(a, seed);
    if (!st.ok()) return ArmError(st);
  } else if (want_system && (*existing)->system_principal_id.empty()) {
    auto enabled = cloud_->EnableSystemIdentity(ConsumerKind::kDiskEncryptionSet, sub, rg, name);
    if (!enabled.ok()) return ArmError(enabled.status());
  }

  {
    auto wire = cloud_->ConsumerWireState(ConsumerKind::kDiskEncryptionSet, sub, rg, name);
    if (!wire.ok()) return ArmError(wire.status());
    Json state = *wire;
    if (props.contains("encryptionType")) state[kWireEncryptionType] = JString(props, "encryptionType");
    if (props.contains("activeKey")) {
      const std::string vault = JString(JObject(JObject(props, "activeKey"), "sourceVault"), "id");
      if (vault.empty()) state.erase(kWireSourceVault);
      else state[kWireSourceVault] = vault;
    }
    if (props.contains("federatedClientId")) {
      // "Setting the value to 'None' will clear the property."
      const std::string fed = JString(props, "federatedClientId");
      if (fed.empty() || EqualsIgnoreCase(fed, "None")) state.erase(kWireFederatedClientId);
      else state[kWireFederatedClientId] = fed;
    }
    if (state != *wire) {
      Status saved = cloud_->SetConsumerWireState(ConsumerKind::kDiskEncryptionSet, sub, rg, name, state);
      if (!saved.ok()) return ArmError(saved);
    }
  }
  auto now = cloud_->GetConsumer(ConsumerKind::kDiskEncryptionSet, sub, rg, name);
  if (!now.ok()) return ArmError(now.status());
  if (!*now) return not_found();
  const bool rotation_given = props.contains("rotationToLatestKeyVersionEnabled");
  if (kid || rotation_given || type.find("userassigned") != std::string::npos) {
    // The set's encryption as this request leaves it: its key, version or
    // "follow the newest", and the identity it reaches Key Vault as.
    EncryptionState e = (*now)->encryption;
    e.current_versioned_key_id.clear();
    e.last_key_rotation_timestamp.clear();
    bool rotate = rotation_given ? JBool(props, "rotationToLatestKeyVersionEnabled").value_or(false)
                                 : e.key_version.empty() && !e.key_name.empty();
    std::optional<KeyId> active = kid ? kid : ParseKeyId((*now)->encryption.current_versioned_key_id);
    if (!active) return ArmError(400, "InvalidParameter", "The disk encryption set has no activeKey.");
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = active->vault_url;
    e.key_name = active->name;
    e.key_version = rotate ? "" : active->version;
    if (!identity.empty()) {
      e.user_assigned_identity.clear();
      const Json& users = JObject(identity, "userAssignedIdentities");
      if (type.find("userassigned") != std::string::npos && !users.empty()) e.user_assigned_identity = users.begin().key();
    }
    auto updated = cloud_->UpdateConsumerEncryption(ConsumerKind::kDiskEncryptionSet, sub, rg, name, e);
    if (!updated.ok()) return ArmError(updated.status());
    return JsonResponse(200, DesJson(*updated));
  }
  return JsonResponse(200, DesJson(**now));
}

}  // namespace cmk
