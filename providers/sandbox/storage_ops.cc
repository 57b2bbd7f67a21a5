// SandboxCloud: seeded storage accounts, their identities, and the checks
// Storage makes before it accepts a customer-managed key.
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


constexpr const char* kSavedPrincipal = kAccountSavedPrincipal;
constexpr const char* kAdoptionDelay = kAccountAdoptionDelay;

Status AccountNotFound(const std::string& rg, const std::string& name) {
  return AzureError(StatusCode::kNotFound, "ResourceNotFound",
                    "The Resource 'Microsoft.Storage/storageAccounts/" + name +
                        "' under resource group '" + rg + "' was not found.");
}

// Keeps the sandbox-only members (saved principal, adoption delay, binding
// time, incidents) of `old`.
Json AccountDoc(const ConsumerState& a, const Json& old) {
  Json doc = ToJson(a);
  for (const char* extra : kAccountExtras)
    if (old.is_object() && old.contains(extra)) doc[extra] = old[extra];
  return doc;
}

Status InvalidEncryption(const std::string& code, const std::string& message) {
  return AzureError(StatusCode::kInvalidArgument, code, message);
}

}  // namespace

Status SandboxCloud::SeedStorageAccount(const ConsumerState& account, SeedOptions options) {
  static const std::regex kName("^[a-z0-9]{3,24}$");
  if (!std::regex_match(account.name, kName))
    return AzureError(StatusCode::kInvalidArgument, "AccountNameInvalid",
                      "'" + account.name +
                          "' is not a valid storage account name: 3-24 lower-case letters and "
                          "digits.");
  if (account.subscription.empty() || account.resource_group.empty() || account.location.empty())
    return InvalidArgument("seed: storage account '" + account.name +
                           "' needs a subscription, a resource group and a location");
  if (options.adoption_delay_hours < 0)
    return InvalidArgument("seed: adoption delay cannot be negative");
  return InTransaction([&]() -> Status {
    std::string key = AccountRowKey(account.subscription, account.resource_group, account.name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> old, store_->Get(StoreTable::kStorageAccounts, key));
    ConsumerState a;
    Json doc = old ? *old : Json::object();
    bool want_system = options.system_identity || !account.system_principal_id.empty();
    if (old) {
      a = FromJson<ConsumerState>(*old);
      a.location = account.location;
      a.tags = account.tags;
    } else {
      a = account;
      a.id = StorageArmId(a.subscription, a.resource_group, a.name);
      std::sort(a.user_assigned_identities.begin(), a.user_assigned_identities.end());
    }
    if (want_system && a.system_principal_id.empty()) {
      a.system_principal_id = !account.system_principal_id.empty()
                                  ? account.system_principal_id
                                  : DocString(doc, kSavedPrincipal);
      if (a.system_principal_id.empty()) {
        CMK_ASSIGN_OR_RETURN(a.system_principal_id, NewGuid("principal|" + a.id));
      }
    } else if (!want_system && !a.system_principal_id.empty()) {
      doc[kSavedPrincipal] = a.system_principal_id;
      a.system_principal_id.clear();
    }
    doc[kAdoptionDelay] = options.adoption_delay_hours;
    if (!a.system_principal_id.empty()) doc[kSavedPrincipal] = a.system_principal_id;
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kStorageAccounts, key, AccountDoc(a, doc)));
    CMK_RETURN_IF_ERROR(Record("storage.seed", "storage/" + a.name,
                               std::string(old ? "re-seeded" : "seeded") + " (system identity " +
                                   (a.system_principal_id.empty() ? "off" : "on") +
                                   ", adoption delay " +
                                   std::to_string(options.adoption_delay_hours) + "h)"));
    return EvaluateAccessInTxn();  // turning the system identity off cuts its key access
  });
}

Status SandboxCloud::SeedPrincipal(const std::string& object_id) {
  if (!LooksLikeGuid(object_id))
    return InvalidArgument("seed: principal '" + object_id + "' is not a GUID");
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> old,
                         store_->Get(StoreTable::kPrincipals, Lower(object_id)));
    if (old) return Status::Ok();
    CMK_RETURN_IF_ERROR(
        store_->Put(StoreTable::kPrincipals, Lower(object_id), Json{{"objectId", object_id}}));
    return Record("principal.seed", "principal/" + Lower(object_id), "registered");
  });
}

Result<std::optional<ConsumerState>> SandboxCloud::GetStorageAccount(
    const std::string& subscription, const std::string& resource_group, const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<ConsumerState>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kStorageAccounts,
                                     AccountRowKey(subscription, resource_group, name)));
    if (!doc) return std::optional<ConsumerState>();
    return std::optional<ConsumerState>(FromJson<ConsumerState>(*doc));
  });
}

Result<std::vector<ConsumerState>> SandboxCloud::ListStorageAccounts(
    const std::string& subscription) {
  return InReadTransaction([&]() -> Result<std::vector<ConsumerState>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         subscription.empty()
                             ? store_->List(StoreTable::kStorageAccounts)
                             : store_->FindBy(StoreTable::kStorageAccounts, "subscription", subscription));
    std::vector<ConsumerState> out;
    for (const auto& row : rows) out.push_back(FromJson<ConsumerState>(row.doc));
    std::sort(out.begin(), out.end(),
              [](const ConsumerState& a, const ConsumerState& b) {
                return Lower(a.id) < Lower(b.id);
              });
    return out;
  });
}

Result<ConsumerState> SandboxCloud::EnableSystemIdentity(const std::string& subscription,
                                                               const std::string& resource_group,
                                                               const std::string& name) {
  return InTransaction([&]() -> Result<ConsumerState> {
    std::string key = AccountRowKey(subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kStorageAccounts, key));
    if (!doc) return AccountNotFound(resource_group, name);
    ConsumerState a = FromJson<ConsumerState>(*doc);
    if (!a.system_principal_id.empty()) return a;
    a.system_principal_id = DocString(*doc, kSavedPrincipal);
    if (a.system_principal_id.empty()) {
      CMK_ASSIGN_OR_RETURN(a.system_principal_id, NewGuid("principal|" + a.id));
    }
    (*doc)[kSavedPrincipal] = a.system_principal_id;
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kStorageAccounts, key, AccountDoc(a, *doc)));
    CMK_RETURN_IF_ERROR(Record("storage.identity", "storage/" + a.name,
                               "system-assigned identity enabled (principal " +
                                   a.system_principal_id + ")"));
    return a;
  });
}

Status SandboxCloud::CheckKeyAccess(const VaultState& vault, const std::string& key_name,
                                    const std::string& principal_id) {
  if (!vault.rbac_authorization) {
    // An access-policy vault: its policies decide; role assignments do not count.
    for (const AccessPolicyState& p : vault.access_policies)
      if (PolicyGrantsKeyUse(p, principal_id)) return Status::Ok();
    return AzureError(StatusCode::kPermissionDenied, "KeyVaultAuthenticationFailure",
                      "The operation failed because access is not granted to the key vault: "
                      "principal " + principal_id + " has no access policy granting get/wrapKey/"
                      "unwrapKey on vault '" + vault.name + "'.");
  }
  std::string key_id = KeyArmId(vault.subscription, vault.resource_group, vault.name, key_name);
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                       store_->FindBy(StoreTable::kRoleAssignments, "principalId", principal_id));
  for (const auto& row : rows) {
    RoleAssignmentState r = FromJson<RoleAssignmentState>(row.doc);
    if (RoleGrantsKeyUse(r.role_definition_id) &&
        UnderScope(key_id, r.scope))
      return Status::Ok();
  }
  return AzureError(StatusCode::kPermissionDenied, "KeyVaultAuthenticationFailure",
                    "The operation failed because access is not granted to the key vault: "
                    "principal " + principal_id + " holds no role granting get/wrapKey/unwrapKey on "
                    "key '" + key_name + "' in vault '" + vault.name + "'.");
}

Result<ConsumerState> SandboxCloud::UpdateStorageEncryption(
    const std::string& subscription, const std::string& resource_group, const std::string& name,
    const EncryptionState& encryption) {
  return InTransaction([&]() -> Result<ConsumerState> {
    std::string key = AccountRowKey(subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kStorageAccounts, key));
    if (!doc) return AccountNotFound(resource_group, name);
    ConsumerState a = FromJson<ConsumerState>(*doc);

    if (EqualsIgnoreCase(encryption.key_source, "Microsoft.Storage")) {
      a.encryption = EncryptionState{};
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kStorageAccounts, key, AccountDoc(a, *doc)));
      CMK_RETURN_IF_ERROR(Record("storage.encryption", "storage/" + a.name,
                                 "encryption set to Microsoft-managed keys"));
      CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
      return a;
    }
    if (!EqualsIgnoreCase(encryption.key_source, "Microsoft.Keyvault"))
      return InvalidEncryption("InvalidValuesForRequestParameters",
                               "keySource must be Microsoft.Storage or Microsoft.Keyvault, not '" +
                                   encryption.key_source + "'.");

    // The vault, by the host of its URI.
    std::string uri = encryption.key_vault_uri;
    while (!uri.empty() && uri.back() == '/') uri.pop_back();
    const std::string scheme = "https://", suffix = "." + options_.dns_suffix;
    std::string host = Lower(uri).rfind(scheme, 0) == 0 ? Lower(uri.substr(scheme.size())) : "";
    if (host.size() <= suffix.size() ||
        host.compare(host.size() - suffix.size(), suffix.size(), Lower(suffix)) != 0)
      return InvalidEncryption("KeyVaultNotFound",
                               "The key vault URI '" + encryption.key_vault_uri +
                                   "' does not name a vault of this cloud (*" + suffix + ").");
    std::string vault_name = host.substr(0, host.size() - suffix.size());
    CMK_ASSIGN_OR_RETURN(std::optional<VaultState> vault, GetVaultByNameInTxn(vault_name));
    if (!vault)
      return InvalidEncryption("KeyVaultNotFound",
                               "The key vault '" + encryption.key_vault_uri + "' was not found.");
    if (!vault->purge_protection)
      return InvalidEncryption("KeyVaultPurgeProtectionRequired",
                               "Key vault '" + vault->name +
                                   "' must have soft delete and purge protection enabled to be "
                                   "used for customer-managed keys.");
    if (vault->network_acls.default_action == "Deny" && vault->network_acls.bypass == "None")
      return AzureError(StatusCode::kPermissionDenied, "KeyVaultAccessDenied",
                        "Key vault '" + vault->name +
                            "' denies public access and does not let trusted Azure services "
                            "bypass its firewall.");

    // The key version Storage will use.
    CMK_ASSIGN_OR_RETURN(std::optional<KeyState> k, GetKeyInTxn(vault->name, encryption.key_name));
    if (!k)
      return InvalidEncryption("KeyVaultKeyNotFound", "Key '" + encryption.key_name +
                                                          "' was not found in vault '" +
                                                          vault->name + "'.");
    int64_t now = Now();
    auto usable = [now](const KeyVersionState& v) {
      return v.enabled && (!v.not_before || now >= *v.not_before) && (!v.expires || now < *v.expires);
    };
    const KeyVersionState* used = nullptr;
    for (auto it = k->versions.rbegin(); it != k->versions.rend(); ++it) {
      if (encryption.key_version.empty() ? usable(*it)
                                         : EqualsIgnoreCase(it->version, encryption.key_version)) {
        used = &*it;
        break;
      }
    }
    if (!used)
      return InvalidEncryption("KeyVaultKeyNotFound",
                               encryption.key_version.empty()
                                   ? "Key '" + k->name + "' has no enabled, unexpired version."
                                   : "Version " + encryption.key_version + " of key '" + k->name +
                                         "' was not found.");
    if (!usable(*used))
      return InvalidEncryption("KeyVaultKeyDisabledOrExpired",
                               "Version " + used->version + " of key '" + k->name +
                                   "' is disabled, not yet valid or expired.");

    // The identity Storage reaches the vault with.
    std::string principal;
    std::string uami_id;
    if (!encryption.user_assigned_identity.empty()) {
      CMK_ASSIGN_OR_RETURN(std::optional<Json> ident,
                           store_->Get(StoreTable::kIdentities,
                                       Lower(encryption.user_assigned_identity)));
      if (!ident)
        return InvalidEncryption("UserAssignedIdentityNotFound",
                                 "The user-assigned identity '" +
                                     encryption.user_assigned_identity + "' was not found.");
      principal = DocString(*ident, "principalId");
      uami_id = DocString(*ident, "id");
    } else {
      principal = a.system_principal_id;
      if (principal.empty())
        return InvalidEncryption("SystemAssignedIdentityNotEnabled",
                                 "Storage account '" + a.name +
                                     "' has no system-assigned identity to reach the key vault.");
    }
    CMK_RETURN_IF_ERROR(CheckKeyAccess(*vault, k->name, principal));

    if (!uami_id.empty()) {
      auto& uamis = a.user_assigned_identities;
      bool listed = std::any_of(uamis.begin(), uamis.end(),
                                [&](const std::string& s) { return EqualsIgnoreCase(s, uami_id); });
      if (!listed) uamis.push_back(uami_id);
      std::sort(uamis.begin(), uamis.end());
    }
    std::string kid = vault->vault_uri + "/keys/" + k->name + "/" + used->version;
    EncryptionState e;
    e.key_source = "Microsoft.Keyvault";
    e.key_vault_uri = uri;
    e.key_name = encryption.key_name;
    e.key_version = encryption.key_version;
    e.user_assigned_identity = uami_id;
    e.current_versioned_key_id = kid;
    e.last_key_rotation_timestamp = a.encryption.last_key_rotation_timestamp;
    if (kid != a.encryption.current_versioned_key_id)
      e.last_key_rotation_timestamp = FormatRfc3339(now);
    a.encryption = e;
    (*doc)[kAccountBindingTime] = now;
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kStorageAccounts, key, AccountDoc(a, *doc)));
    CMK_RETURN_IF_ERROR(Record("storage.encryption", "storage/" + a.name,
                               "customer-managed key " + kid +
                                   (e.key_version.empty() ? " (automatic version update)"
                                                          : " (pinned)") +
                                   " via " + (uami_id.empty() ? "system identity" : uami_id)));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());  // a rebinding can end an outage
    return a;
  });
}

}  // namespace cmk
