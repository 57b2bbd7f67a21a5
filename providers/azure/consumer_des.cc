// Disk Encryption Sets as consumers (Microsoft.Compute, api-version
// 2025-01-02). The set names its key by a versioned activeKey.keyUrl, with
// rotationToLatestKeyVersionEnabled beside it for "follow the newest
// version"; previousKeys lists the versions a rotation in flight still uses.
// Binding is one PATCH (identity, activeKey, the flag), a long-running
// operation.
#include <algorithm>

#include "azure/arm_client.h"
#include "azure/azure_provider.h"
#include "azure/consumer_wire.h"
#include "azure/error_mapping.h"
#include "azure/wire_mapping.h"
#include "base/json.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"

namespace cmk {
namespace {


// Compute spells the combined identity type with a space.
Json DesIdentityBlock(bool system, std::vector<std::string> users) {
  return ArmIdentityBlock(system, std::move(users), "SystemAssigned, UserAssigned");
}

}  // namespace

std::string DiskEncryptionSetArmId(const std::string& subscription, const std::string& rg,
                                   const std::string& name) {
  return "/subscriptions/" + subscription + "/resourceGroups/" + rg +
         "/providers/Microsoft.Compute/diskEncryptionSets/" + name;
}

ConsumerState DiskEncryptionSetFromArm(const Json& j) {
  ConsumerState s = ConsumerFromArm(ConsumerKind::kDiskEncryptionSet, j);
  const Json& identity = JsonObject(j, "identity");
  const Json& p = JsonObject(j, "properties");
  EncryptionState& e = s.encryption;
  // The set reaches Key Vault as its user-assigned identity when it has one.
  if (ArmIdentityHasType(identity, "userassigned") && !s.user_assigned_identities.empty())
    e.user_assigned_identity = s.user_assigned_identities.front();
  const std::string key_url = JsonString(JsonObject(p, "activeKey"), "keyUrl");
  e.key_source = key_url.empty() ? "" : "Microsoft.Keyvault";
  if (std::optional<KeyId> kid = ParseKeyId(key_url)) {
    e.key_vault_uri = kid->vault_url;
    e.key_name = kid->name;
    e.current_versioned_key_id = kid->version.empty() ? "" : key_url;
    e.key_version = JsonBool(p, "rotationToLatestKeyVersionEnabled", false) ? "" : kid->version;
  }
  e.last_key_rotation_timestamp = JsonString(p, "lastKeyRotationTimestamp");
  if (const Json& previous = JsonMember(p, "previousKeys"); previous.is_array())
    for (const Json& k : previous) {
      std::string url = JsonString(k, "keyUrl");
      if (!url.empty() && !SameUri(url, key_url)) s.retained_key_ids.push_back(url);
    }
  std::sort(s.retained_key_ids.begin(), s.retained_key_ids.end());
  s.retained_key_ids.erase(std::unique(s.retained_key_ids.begin(), s.retained_key_ids.end()),
                           s.retained_key_ids.end());
  return s;
}

Json DesEncryptionPatchBody(const ConsumerState& current, const std::string& versioned_key_url,
                            bool rotation_to_latest, const std::string& user_identity) {
  Json identity = user_identity.empty()
                      ? DesIdentityBlock(true, {})
                      : DesIdentityBlock(!current.system_principal_id.empty(), {user_identity});
  return {{"identity", identity},
          {"properties",
           {{"activeKey", {{"keyUrl", versioned_key_url}}},
            {"rotationToLatestKeyVersionEnabled", rotation_to_latest}}}};
}

Json DesEnableSystemIdentityBody(const ConsumerState& current) {
  return {{"identity", DesIdentityBlock(true, current.user_assigned_identities)}};
}

// ---- The provider's operations.

Result<std::optional<ConsumerState>> AzureProvider::GetDiskEncryptionSet(const ArmRef& set) {
  const auto& [subscription, resource_group, name] = set;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> j,
                       arm_->Get(DiskEncryptionSetArmId(subscription, resource_group, name), kDesApiVersion,
                                 "disk encryption set " + name));
  if (!j) return std::optional<ConsumerState>();
  if (JsonString(*j, "id").empty()) (*j)["id"] = DiskEncryptionSetArmId(subscription, resource_group, name);
  return std::optional<ConsumerState>(DiskEncryptionSetFromArm(*j));
}

Result<std::vector<ConsumerState>> AzureProvider::ListDiskEncryptionSets(const std::string& subscription) {
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       arm_->List("/subscriptions/" + subscription + "/providers/Microsoft.Compute/diskEncryptionSets",
                                  kDesApiVersion, "disk encryption sets of subscription " + subscription));
  std::vector<ConsumerState> out;
  for (const auto& j : items) out.push_back(DiskEncryptionSetFromArm(j));
  std::sort(out.begin(), out.end(),
            [](const ConsumerState& a, const ConsumerState& b) { return Lower(a.id) < Lower(b.id); });
  return out;
}

Result<ConsumerState> AzureProvider::EnableDesSystemIdentity(const ArmRef& set) {
  const auto& [subscription, resource_group, name] = set;
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> current, GetDiskEncryptionSet(set));
  if (!current) return NotFound("disk encryption set " + name + " does not exist");
  if (!current->system_principal_id.empty()) return *current;
  return PatchDiskEncryptionSet(set, DesEnableSystemIdentityBody(*current));
}

// A set stays `Updating` while its disks are re-wrapped (up to an hour,
// previousKeys shows it): the PATCH's operation is waited for, not that.
Result<ConsumerState> AzureProvider::PatchDiskEncryptionSet(const ArmRef& set, const Json& body) {
  const auto& [subscription, resource_group, name] = set;
  const std::string object = "disk encryption set " + name;
  const std::string path = DiskEncryptionSetArmId(subscription, resource_group, name);
  CMK_ASSIGN_OR_RETURN(HttpResponse r, arm_->Call("PATCH", path, kDesApiVersion, body));
  if (r.status != 200 && r.status != 201 && r.status != 202) return StatusFromResponse(r, "update", object);
  CMK_RETURN_IF_ERROR(arm_->FinishLro(r, path, kDesApiVersion, object, /*get_resource_after=*/false).status());
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> after, GetDiskEncryptionSet(set));
  if (!after) return NotFound(object + " disappeared");
  return *after;
}

Result<ConsumerState> AzureProvider::UpdateDesEncryption(const ArmRef& set, const EncryptionState& e) {
  const auto& [subscription, resource_group, name] = set;
  const std::string object = "disk encryption set " + name;
  if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault"))
    return InvalidArgument(object + ": a disk encryption set always encrypts with a Key Vault key (key source " +
                           (e.key_source.empty() ? std::string("none") : e.key_source) + " asked for)");
  CMK_ASSIGN_OR_RETURN(std::optional<ConsumerState> current, GetDiskEncryptionSet(set));
  if (!current) return NotFound(object + " does not exist");
  // activeKey.keyUrl is always versioned, whether or not the set follows the newest.
  CMK_ASSIGN_OR_RETURN(std::string kid, VersionedKeyId(e, object));
  return PatchDiskEncryptionSet(
      set, DesEncryptionPatchBody(*current, kid, e.key_version.empty(), e.user_assigned_identity));
}

}  // namespace cmk
