// SandboxCloud: vaults (ARM Microsoft.KeyVault/vaults) and their soft delete.
#include <algorithm>
#include <regex>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {
namespace {


Status ValidateVault(const VaultState& v) {
  static const std::regex kName("^[a-zA-Z0-9-]{3,24}$");
  if (!std::regex_match(v.name, kName))
    return AzureError(StatusCode::kInvalidArgument, "VaultNameNotValid",
                      "The vault name '" + v.name +
                          "' is invalid. A vault's name must be 3-24 characters long and contain "
                          "only letters, digits and dashes.");
  if (v.subscription.empty() || v.resource_group.empty())
    return AzureError(StatusCode::kInvalidArgument, "InvalidResourceId",
                      "vault '" + v.name + "' needs a subscription and a resource group");
  if (v.location.empty())
    return AzureError(StatusCode::kInvalidArgument, "LocationRequired",
                      "The location property is required for vault '" + v.name + "'.");
  if (!EqualsIgnoreCase(v.sku, "standard") && !EqualsIgnoreCase(v.sku, "premium"))
    return AzureError(StatusCode::kInvalidArgument, "BadRequest",
                      "Invalid sku '" + v.sku + "': expected standard or premium.");
  if (v.soft_delete_retention_days < 7 || v.soft_delete_retention_days > 90)
    return AzureError(StatusCode::kInvalidArgument, "BadRequest",
                      "softDeleteRetentionInDays must be between 7 and 90 (got " +
                          std::to_string(v.soft_delete_retention_days) + ").");
  const NetworkAcls& n = v.network_acls;
  if (n.default_action != "Allow" && n.default_action != "Deny")
    return AzureError(StatusCode::kInvalidArgument, "BadRequest",
                      "networkAcls.defaultAction must be Allow or Deny.");
  if (n.bypass != "AzureServices" && n.bypass != "None")
    return AzureError(StatusCode::kInvalidArgument, "BadRequest",
                      "networkAcls.bypass must be AzureServices or None.");
  return Status::Ok();
}

// The vault URI follows the DNS suffix this instance serves (the CLI and the
// HTTPS server may open one directory with different suffixes).
VaultState FromDoc(const Json& doc, const std::string& dns_suffix) {
  VaultState v = FromJson<VaultState>(DocObject(doc, "vault"));
  v.vault_uri = VaultUri(v.name, dns_suffix);
  return v;
}

std::string OnOff(bool b) { return b ? "on" : "off"; }

}  // namespace

Result<std::optional<Json>> SandboxCloud::LoadVaultDoc(const std::string& name) {
  return store_->Get(StoreTable::kVaults, VaultRowKey(name));
}

Result<Json> SandboxCloud::LiveVaultDoc(const std::string& name) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
  if (!doc || IsDeleted(*doc))
    return AzureError(StatusCode::kNotFound, "VaultNotFound",
                      "Vault '" + name + "' does not exist.");
  return std::move(*doc);
}

// Azure purges soft-deleted objects once their scheduled purge date passes.
Status SandboxCloud::ForgetExpiredVault(const std::string& name) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
  if (!doc || !IsDeleted(*doc) || Now() < ScheduledPurgeDate(*doc))
    return Status::Ok();
  CMK_RETURN_IF_ERROR(PurgeVaultRows(name));
  return Record("vault.purge", "vault/" + name, "purged automatically after the retention period");
}

Status SandboxCloud::PurgeVaultRows(const std::string& name) {
  std::string prefix = KeyRowPrefix(name);
  CMK_RETURN_IF_ERROR(store_->DeletePrefix(StoreTable::kKeyVersions, prefix));
  CMK_RETURN_IF_ERROR(store_->DeletePrefix(StoreTable::kKeys, prefix));
  return store_->Delete(StoreTable::kVaults, VaultRowKey(name));
}

Result<std::optional<VaultState>> SandboxCloud::GetVault(const std::string& subscription,
                                                         const std::string& resource_group,
                                                         const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<VaultState>> {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
    if (!doc || IsDeleted(*doc)) return std::optional<VaultState>();
    VaultState v = FromDoc(*doc, options_.dns_suffix);
    if (!EqualsIgnoreCase(v.subscription, subscription) ||
        !EqualsIgnoreCase(v.resource_group, resource_group))
      return std::optional<VaultState>();
    return std::optional<VaultState>(std::move(v));
  });
}

Result<std::optional<VaultState>> SandboxCloud::GetVaultByNameInTxn(const std::string& name) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
  if (!doc || IsDeleted(*doc)) return std::optional<VaultState>();
  return std::optional<VaultState>(FromDoc(*doc, options_.dns_suffix));
}

Result<std::optional<VaultState>> SandboxCloud::GetVaultByName(const std::string& name) {
  return InReadTransaction([&] { return GetVaultByNameInTxn(name); });
}

Result<std::vector<VaultState>> SandboxCloud::ListVaults(const std::string& subscription) {
  return InReadTransaction([&]() -> Result<std::vector<VaultState>> {
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows, store_->List(StoreTable::kVaults));
    std::vector<VaultState> out;
    for (const auto& row : rows) {
      if (IsDeleted(row.doc)) continue;
      VaultState v = FromDoc(row.doc, options_.dns_suffix);
      if (subscription.empty() || EqualsIgnoreCase(v.subscription, subscription))
        out.push_back(std::move(v));
    }
    std::sort(out.begin(), out.end(), [](const VaultState& a, const VaultState& b) {
      return Lower(a.name) < Lower(b.name);
    });
    return out;
  });
}

Result<VaultState> SandboxCloud::PutVault(const VaultState& desired) {
  CMK_RETURN_IF_ERROR(ValidateVault(desired));
  return InTransaction([&]() -> Result<VaultState> {
    CMK_RETURN_IF_ERROR(ForgetExpiredVault(desired.name));
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(desired.name));
    CMK_ASSIGN_OR_RETURN(std::string etag, NewVersionId("etag"));
    if (doc && IsDeleted(*doc))
      return AzureError(StatusCode::kConflict, "ConflictError",
                        "A vault with the same name already exists in deleted state. You need to "
                        "either recover or purge existing key vault.");
    if (!doc) {
      VaultState v = desired;
      v.sku = Lower(v.sku);
      v.id = VaultArmId(v.subscription, v.resource_group, v.name);
      v.vault_uri = VaultUri(v.name, options_.dns_suffix);
      v.etag = etag;
      Json row{{"vault", ToJson(v)}, {"created", Now()}};
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kVaults, VaultRowKey(v.name), row));
      CMK_RETURN_IF_ERROR(Record("vault.create", "vault/" + v.name,
                                 "created (sku " + v.sku + ", retention " +
                                     std::to_string(v.soft_delete_retention_days) +
                                     " days, purge protection " + OnOff(v.purge_protection) +
                                     ", rbac " + OnOff(v.rbac_authorization) + ")"));
      return v;
    }

    VaultState v = FromDoc(*doc, options_.dns_suffix);
    if (!EqualsIgnoreCase(v.subscription, desired.subscription) ||
        !EqualsIgnoreCase(v.resource_group, desired.resource_group))
      return AzureError(StatusCode::kConflict, "VaultAlreadyExists",
                        "The vault name '" + desired.name + "' is already in use.");
    if (!EqualsIgnoreCase(v.location, desired.location))
      return AzureError(StatusCode::kInvalidArgument, "InvalidResourceLocation",
                        "The resource '" + v.name + "' already exists in location '" + v.location +
                            "'. A resource with the same name cannot be created in location '" +
                            desired.location + "'.");
    if (v.soft_delete_retention_days != desired.soft_delete_retention_days)
      return AzureError(StatusCode::kInvalidArgument, "BadRequest",
                        "softDeleteRetentionDays cannot be changed after creation (vault '" +
                            v.name + "' keeps " + std::to_string(v.soft_delete_retention_days) +
                            " days).");
    if (v.purge_protection && !desired.purge_protection)
      return AzureError(StatusCode::kInvalidArgument, "BadRequest",
                        "The property \"enablePurgeProtection\" cannot be set to false. Enabling "
                        "the purge protection for a vault is an irreversible action.");

    std::vector<std::string> changed;
    std::string sku = Lower(desired.sku);
    if (v.sku != sku) changed.push_back("sku " + v.sku + "->" + sku);
    if (v.purge_protection != desired.purge_protection) changed.push_back("purge protection on");
    if (v.rbac_authorization != desired.rbac_authorization)
      changed.push_back("rbac " + OnOff(desired.rbac_authorization));
    if (!(v.network_acls == desired.network_acls)) changed.push_back("network rules");
    if (v.access_policies != desired.access_policies) changed.push_back("access policies");
    if (v.tags != desired.tags) changed.push_back("tags");
    v.sku = sku;
    v.purge_protection = desired.purge_protection;
    v.rbac_authorization = desired.rbac_authorization;
    v.network_acls = desired.network_acls;
    v.access_policies = desired.access_policies;  // a PUT replaces them, as in ARM
    v.tags = desired.tags;
    v.etag = etag;
    (*doc)["vault"] = ToJson(v);
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kVaults, VaultRowKey(v.name), *doc));
    std::string what;
    for (const auto& c : changed) what += (what.empty() ? "" : ", ") + c;
    CMK_RETURN_IF_ERROR(
        Record("vault.update", "vault/" + v.name, "updated" + (what.empty() ? "" : ": " + what)));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());  // network rules can lock Storage out
    return v;
  });
}

Status SandboxCloud::DeleteVault(const std::string& subscription,
                                 const std::string& resource_group, const std::string& name) {
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
    VaultState v = doc ? FromDoc(*doc, options_.dns_suffix) : VaultState{};
    if (!doc || IsDeleted(*doc) || !EqualsIgnoreCase(v.subscription, subscription) ||
        !EqualsIgnoreCase(v.resource_group, resource_group))
      return AzureError(StatusCode::kNotFound, "ResourceNotFound",
                        "The Resource 'Microsoft.KeyVault/vaults/" + name +
                            "' under resource group '" + resource_group + "' was not found.");
    MarkDeleted(*doc, Now(), v.soft_delete_retention_days);
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kVaults, VaultRowKey(name), *doc));
    CMK_RETURN_IF_ERROR(Record("vault.delete", "vault/" + v.name,
                               "soft-deleted; scheduled purge " +
                                   FormatRfc3339(ScheduledPurgeDate(*doc))));
    // As in Azure, role assignments at the vault's scope and below go with
    // it, and recovering the vault does not bring them back.
    const std::string scope = VaultArmId(v.subscription, v.resource_group, v.name);
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> grants,
                         store_->FindByPrefix(StoreTable::kRoleAssignments, "scope", NormalizedId(scope)));
    for (const auto& row : grants) {
      RoleAssignmentState r = FromJson<RoleAssignmentState>(row.doc);
      if (!UnderScope(r.scope, scope)) continue;
      CMK_RETURN_IF_ERROR(store_->Delete(StoreTable::kRoleAssignments, row.key));
      CMK_RETURN_IF_ERROR(Record("role-assignment.delete", "role-assignment/" + r.id,
                                 "removed with vault " + v.name + ": role " + r.role_definition_id +
                                     " for principal " + r.principal_id + " at " + r.scope));
    }
    return EvaluateAccessInTxn();
  });
}

Result<std::vector<DeletedVault>> SandboxCloud::ListDeletedVaults(
    const std::string& subscription) {
  return InReadTransaction([&]() -> Result<std::vector<DeletedVault>> {
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows, store_->List(StoreTable::kVaults));
    int64_t now = Now();
    std::vector<DeletedVault> out;
    for (const auto& row : rows) {
      if (!IsDeleted(row.doc) || now >= ScheduledPurgeDate(row.doc)) continue;
      DeletedVault d{FromDoc(row.doc, options_.dns_suffix), DeletionDate(row.doc),
                     ScheduledPurgeDate(row.doc)};
      if (subscription.empty() || EqualsIgnoreCase(d.vault.subscription, subscription))
        out.push_back(std::move(d));
    }
    std::sort(out.begin(), out.end(), [](const DeletedVault& a, const DeletedVault& b) {
      return Lower(a.vault.name) < Lower(b.vault.name);
    });
    return out;
  });
}

Result<VaultState> SandboxCloud::RecoverVault(const std::string& name) {
  return InTransaction([&]() -> Result<VaultState> {
    CMK_RETURN_IF_ERROR(ForgetExpiredVault(name));
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
    if (!doc || !IsDeleted(*doc))
      return AzureError(StatusCode::kNotFound, "DeletedVaultNotFound",
                        "There is no deleted vault named '" + name + "'.");
    ClearDeleted(*doc);
    VaultState v = FromDoc(*doc, options_.dns_suffix);
    CMK_ASSIGN_OR_RETURN(v.etag, NewVersionId("etag"));
    (*doc)["vault"] = ToJson(v);
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kVaults, VaultRowKey(name), *doc));
    CMK_RETURN_IF_ERROR(Record("vault.recover", "vault/" + v.name, "recovered from soft delete"));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    return v;
  });
}

Status SandboxCloud::PurgeVault(const std::string& name) {
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, LoadVaultDoc(name));
    if (!doc || !IsDeleted(*doc))
      return AzureError(StatusCode::kNotFound, "DeletedVaultNotFound",
                        "There is no deleted vault named '" + name + "'.");
    VaultState v = FromDoc(*doc, options_.dns_suffix);
    int64_t purge_date = ScheduledPurgeDate(*doc);
    if (v.purge_protection && Now() < purge_date)
      return AzureError(StatusCode::kFailedPrecondition, "PurgeProtectionEnabled",
                        "Vault '" + v.name +
                            "' has purge protection enabled and cannot be purged before its "
                            "scheduled purge date " + FormatRfc3339(purge_date) + ".");
    CMK_RETURN_IF_ERROR(PurgeVaultRows(name));
    CMK_RETURN_IF_ERROR(Record("vault.purge", "vault/" + v.name, "purged"));
    return EvaluateAccessInTxn();
  });
}

}  // namespace cmk
