// SandboxCloud: seeded consumers (storage accounts, SQL servers, disk
// encryption sets), their identities, and the checks each service makes
// before it accepts a customer-managed key. One code path for every kind;
// what differs is in Traits(kind) and in the small tables below
// (docs/consumers.md has the facts and their sources).
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

// The Azure error codes a kind answers a refused binding with. SQL's are
// those of the ServerKeys API (docs/consumers.md 2.1); Storage's are what
// the sandbox has always used; Compute documents none for disk encryption
// sets, which get its generic InvalidParameter.
struct BindingErrors {
  const char* key_type;
  const char* disabled;
  const char* expired;
  const char* permissions;       // system-assigned identity without a grant
  const char* uami_permissions;  // user-assigned identity without a grant
};

const BindingErrors& ErrorsOf(ConsumerKind kind) {
  static const BindingErrors kStorageErrors{"InvalidValuesForRequestParameters",
                                            "KeyVaultKeyDisabledOrExpired",
                                            "KeyVaultKeyDisabledOrExpired",
                                            "KeyVaultAuthenticationFailure",
                                            "KeyVaultAuthenticationFailure"};
  static const BindingErrors kSqlErrors{"AzureKeyVaultRsaKeyNotSupported", "AzureKeyVaultKeyDisabled",
                                        "AzureKeyVaultInvalidExpirationDate",
                                        "AzureKeyVaultMissingPermissions", "UmiMissingAkvPermissions"};
  static const BindingErrors kDesErrors{"InvalidParameter", "InvalidParameter", "InvalidParameter",
                                        "KeyVaultAuthenticationFailure",
                                        "KeyVaultAuthenticationFailure"};
  switch (kind) {
    case ConsumerKind::kSqlServer: return kSqlErrors;
    case ConsumerKind::kDiskEncryptionSet: return kDesErrors;
    case ConsumerKind::kStorage: break;
  }
  return kStorageErrors;
}

// Azure's name rules per kind: nullopt when `name` follows them, else the rule.
std::optional<std::string> NameFault(ConsumerKind kind, const std::string& name) {
  static const std::regex kStorageName("^[a-z0-9]{3,24}$");
  static const std::regex kSqlName("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
  static const std::regex kDesName("^[A-Za-z0-9_-]{1,80}$");
  switch (kind) {
    case ConsumerKind::kStorage:
      if (std::regex_match(name, kStorageName)) return std::nullopt;
      return std::string("3-24 lower-case letters and digits");
    case ConsumerKind::kSqlServer:
      if (std::regex_match(name, kSqlName)) return std::nullopt;
      return std::string(
          "1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen");
    case ConsumerKind::kDiskEncryptionSet:
      if (std::regex_match(name, kDesName)) return std::nullopt;
      return std::string("1-80 letters, digits, underscores and hyphens");
  }
  return std::nullopt;
}

const char* NameErrorCode(ConsumerKind kind) {
  switch (kind) {
    case ConsumerKind::kStorage: return "AccountNameInvalid";
    case ConsumerKind::kSqlServer: return "InvalidServerName";
    case ConsumerKind::kDiskEncryptionSet: return "InvalidParameter";
  }
  return "InvalidResourceName";
}

Status ConsumerNotFound(ConsumerKind kind, const std::string& rg, const std::string& name) {
  return AzureError(StatusCode::kNotFound, "ResourceNotFound",
                    std::string("The Resource '") + Traits(kind).arm_type + "/" + name +
                        "' under resource group '" + rg + "' was not found.");
}

Status InvalidEncryption(const std::string& code, const std::string& message) {
  return AzureError(StatusCode::kInvalidArgument, code, message);
}

// "Storage account 'x'", "SQL server 'x'", "Disk encryption set 'x'".
std::string Named(const ConsumerState& c) {
  std::string noun = Traits(c.kind).noun;
  if (!noun.empty() && noun[0] >= 'a' && noun[0] <= 'z') noun[0] = static_cast<char>(noun[0] - 'a' + 'A');
  return noun + " '" + c.name + "'";
}

std::string HoursText(int64_t seconds) {
  if (seconds % 86400 == 0 && seconds >= 86400) return std::to_string(seconds / 86400) + "d";
  if (seconds % 3600 == 0) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds) + "s";
}

bool InDate(const KeyVersionState& v, int64_t now) {
  return (!v.not_before || now >= *v.not_before) && (!v.expires || now < *v.expires);
}

}  // namespace

Status SandboxCloud::SeedConsumer(const ConsumerState& consumer, SeedOptions options) {
  const ConsumerKind kind = consumer.kind;
  const ConsumerTraits& traits = Traits(kind);
  if (std::optional<std::string> fault = NameFault(kind, consumer.name))
    return AzureError(StatusCode::kInvalidArgument, NameErrorCode(kind),
                      "'" + consumer.name + "' is not a valid " + traits.noun + " name: " + *fault +
                          ".");
  if (consumer.subscription.empty() || consumer.resource_group.empty() || consumer.location.empty())
    return InvalidArgument(std::string("seed: ") + traits.noun + " '" + consumer.name +
                           "' needs a subscription, a resource group and a location");
  const int delay_hours =
      options.adoption_delay_hours.value_or(static_cast<int>(traits.adoption_seconds / 3600));
  if (delay_hours < 0) return InvalidArgument("seed: adoption delay cannot be negative");
  if (options.backup_retention_seconds && kind != ConsumerKind::kSqlServer)
    return InvalidArgument(std::string("seed: a backup retention is for SQL servers, not ") +
                           traits.noun + "s");
  if (options.backup_retention_seconds && *options.backup_retention_seconds < 0)
    return InvalidArgument("seed: backup retention cannot be negative");
  return InTransaction([&]() -> Status {
    std::string key =
        ConsumerRowKey(kind, consumer.subscription, consumer.resource_group, consumer.name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> old, store_->Get(StoreTable::kConsumers, key));
    ConsumerState a;
    Json doc = old ? *old : Json::object();
    bool want_system = options.system_identity || !consumer.system_principal_id.empty();
    if (old) {
      a = FromJson<ConsumerState>(*old);
      a.location = consumer.location;
      a.tags = consumer.tags;
    } else {
      a = consumer;
      a.id = ConsumerArmId(kind, a.subscription, a.resource_group, a.name);
      // Not on a Key Vault key yet: each kind in Azure's words, as the wire
      // answers it (a SQL server on a ServiceManaged protector, a set
      // without an active key).
      if (!EqualsIgnoreCase(a.encryption.key_source, "Microsoft.Keyvault")) {
        if (kind == ConsumerKind::kSqlServer) a.encryption = EncryptionState{.key_source = "ServiceManaged"};
        if (kind == ConsumerKind::kDiskEncryptionSet) a.encryption = EncryptionState{.key_source = ""};
      }
      std::sort(a.user_assigned_identities.begin(), a.user_assigned_identities.end());
      std::sort(a.retained_key_ids.begin(), a.retained_key_ids.end());
    }
    if (want_system && a.system_principal_id.empty()) {
      a.system_principal_id = !consumer.system_principal_id.empty()
                                  ? consumer.system_principal_id
                                  : DocString(doc, kSavedPrincipal);
      if (a.system_principal_id.empty()) {
        CMK_ASSIGN_OR_RETURN(a.system_principal_id, NewGuid("principal|" + a.id));
      }
    } else if (!want_system && !a.system_principal_id.empty()) {
      doc[kSavedPrincipal] = a.system_principal_id;
      a.system_principal_id.clear();
    }
    doc[kAdoptionDelay] = delay_hours;
    std::string retention;
    if (kind == ConsumerKind::kSqlServer) {
      int64_t seconds = options.backup_retention_seconds.value_or(kDefaultBackupRetentionSeconds);
      doc[kConsumerBackupRetention] = seconds;
      retention = ", backup retention " + HoursText(seconds);
    }
    if (!a.system_principal_id.empty()) doc[kSavedPrincipal] = a.system_principal_id;
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, key, ConsumerDoc(a, doc)));
    CMK_RETURN_IF_ERROR(Record(std::string(traits.prefix) + ".seed", ConsumerAddress(kind, a.name),
                               std::string(old ? "re-seeded" : "seeded") + " (system identity " +
                                   (a.system_principal_id.empty() ? "off" : "on") +
                                   ", adoption delay " + std::to_string(delay_hours) + "h" +
                                   retention + ")"));
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

Result<std::optional<ConsumerState>> SandboxCloud::GetConsumer(ConsumerKind kind,
                                                               const std::string& subscription,
                                                               const std::string& resource_group,
                                                               const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<ConsumerState>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kConsumers,
                                     ConsumerRowKey(kind, subscription, resource_group, name)));
    if (!doc) return std::optional<ConsumerState>();
    return std::optional<ConsumerState>(FromJson<ConsumerState>(*doc));
  });
}

Result<Json> SandboxCloud::ConsumerWireState(ConsumerKind kind, const std::string& subscription,
                                             const std::string& resource_group,
                                             const std::string& name) {
  return InReadTransaction([&]() -> Result<Json> {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kConsumers,
                                     ConsumerRowKey(kind, subscription, resource_group, name)));
    if (!doc) return ConsumerNotFound(kind, resource_group, name);
    auto it = doc->find(kConsumerWireState);
    return it != doc->end() && it->is_object() ? *it : Json::object();
  });
}

Status SandboxCloud::SetConsumerWireState(ConsumerKind kind, const std::string& subscription,
                                          const std::string& resource_group, const std::string& name,
                                          const Json& state) {
  if (!state.is_object()) return Status(StatusCode::kInvalidArgument, "wire state must be an object");
  return InTransaction([&]() -> Status {
    std::string key = ConsumerRowKey(kind, subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kConsumers, key));
    if (!doc) return ConsumerNotFound(kind, resource_group, name);
    if (state.empty()) doc->erase(kConsumerWireState);
    else (*doc)[kConsumerWireState] = state;
    return store_->Put(StoreTable::kConsumers, key, *doc);
  });
}

Status SandboxCloud::RevalidateConsumer(ConsumerKind kind, const std::string& subscription,
                                        const std::string& resource_group, const std::string& name) {
  return InTransaction([&]() -> Status {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    std::string key = ConsumerRowKey(kind, subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kConsumers, key));
    if (!doc) return ConsumerNotFound(kind, resource_group, name);
    if (kind != ConsumerKind::kSqlServer)
      return Status(StatusCode::kInvalidArgument, std::string("only SQL servers are revalidated, not ") +
                                                      Traits(kind).noun + "s");
    ConsumerState a = FromJson<ConsumerState>(*doc);
    AccessBasis basis;
    CMK_ASSIGN_OR_RETURN(std::optional<std::string> cause, AccessCauseInTxn(a, &basis));
    if (cause)
      return AzureError(StatusCode::kFailedPrecondition, "AzureKeyVaultKeyInaccessible",
                        "The encryption protector of server '" + name + "' cannot be revalidated: " + *cause + ".");
    if (!doc->contains(kConsumerNeedsRevalidation)) return Status::Ok();  // nothing to do, as Azure
    doc->erase(kConsumerNeedsRevalidation);
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, key, *doc));
    CMK_RETURN_IF_ERROR(Record(std::string(ConsumerPrefix(kind)) + ".revalidated", ConsumerAddress(kind, a.name),
                               "encryption protector revalidated"));
    return EvaluateAccessInTxn();  // ends the outage (sql.recovered)
  });
}

Result<std::vector<ConsumerState>> SandboxCloud::ListConsumers(ConsumerKind kind,
                                                               const std::string& subscription) {
  return InReadTransaction([&]() -> Result<std::vector<ConsumerState>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         subscription.empty()
                             ? store_->List(StoreTable::kConsumers)
                             : store_->FindBy(StoreTable::kConsumers, "subscription", subscription));
    std::vector<ConsumerState> out;
    for (const auto& row : rows) {
      ConsumerState c = FromJson<ConsumerState>(row.doc);
      if (c.kind == kind) out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(),
              [](const ConsumerState& a, const ConsumerState& b) {
                return Lower(a.id) < Lower(b.id);
              });
    return out;
  });
}

Result<ConsumerState> SandboxCloud::EnableSystemIdentity(ConsumerKind kind,
                                                         const std::string& subscription,
                                                         const std::string& resource_group,
                                                         const std::string& name) {
  return InTransaction([&]() -> Result<ConsumerState> {
    std::string key = ConsumerRowKey(kind, subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kConsumers, key));
    if (!doc) return ConsumerNotFound(kind, resource_group, name);
    ConsumerState a = FromJson<ConsumerState>(*doc);
    if (!a.system_principal_id.empty()) return a;
    a.system_principal_id = DocString(*doc, kSavedPrincipal);
    if (a.system_principal_id.empty()) {
      CMK_ASSIGN_OR_RETURN(a.system_principal_id, NewGuid("principal|" + a.id));
    }
    (*doc)[kSavedPrincipal] = a.system_principal_id;
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, key, ConsumerDoc(a, *doc)));
    CMK_RETURN_IF_ERROR(Record(std::string(ConsumerPrefix(kind)) + ".identity",
                               ConsumerAddress(kind, a.name),
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

Result<ConsumerState> SandboxCloud::UpdateConsumerEncryption(ConsumerKind kind,
                                                             const std::string& subscription,
                                                             const std::string& resource_group,
                                                             const std::string& name,
                                                             const EncryptionState& encryption) {
  const ConsumerTraits& traits = Traits(kind);
  const BindingErrors& errors = ErrorsOf(kind);
  const std::string event_kind = std::string(traits.prefix) + ".encryption";
  return InTransaction([&]() -> Result<ConsumerState> {
    std::string key = ConsumerRowKey(kind, subscription, resource_group, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kConsumers, key));
    if (!doc) return ConsumerNotFound(kind, resource_group, name);
    ConsumerState a = FromJson<ConsumerState>(*doc);
    const std::string address = ConsumerAddress(kind, a.name);
    const int64_t now = Now();
    // A SQL server keeps the versions it leaves registered (backups need
    // them); a disk encryption set keeps them while it re-wraps its disks.
    const bool retains = kind != ConsumerKind::kStorage;
    const std::string was = EqualsIgnoreCase(a.encryption.key_source, "Microsoft.Keyvault")
                                ? a.encryption.current_versioned_key_id
                                : std::string();

    bool platform = EqualsIgnoreCase(encryption.key_source, "Microsoft.Storage") ||
                    (kind == ConsumerKind::kSqlServer &&
                     EqualsIgnoreCase(encryption.key_source, "ServiceManaged"));
    if (platform && kind == ConsumerKind::kDiskEncryptionSet)
      return InvalidEncryption("InvalidParameter",
                               "A disk encryption set always encrypts with a customer-managed key.");
    if (platform) {
      a.encryption = EncryptionState{};
      if (retains && !was.empty()) RetainKeyId(a, *doc, was, now);
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, key, ConsumerDoc(a, *doc)));
      CMK_RETURN_IF_ERROR(Record(event_kind, address, "encryption set to Microsoft-managed keys"));
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
    if (traits.needs_purge_protection && !vault->purge_protection)
      return InvalidEncryption("KeyVaultPurgeProtectionRequired",
                               "Key vault '" + vault->name +
                                   "' must have soft delete and purge protection enabled to be "
                                   "used for customer-managed keys.");
    if (vault->network_acls.default_action == "Deny" && vault->network_acls.bypass == "None")
      return AzureError(StatusCode::kPermissionDenied, "KeyVaultAccessDenied",
                        "Key vault '" + vault->name +
                            "' denies public access and does not let trusted Azure services "
                            "bypass its firewall.");
    // A disk encryption set needs its vault in its own region (docs/consumers.md 3.3).
    if (kind == ConsumerKind::kDiskEncryptionSet && !vault->location.empty() &&
        !EqualsIgnoreCase(vault->location, a.location))
      return InvalidEncryption("InvalidParameter",
                               "Key vault '" + vault->name + "' is in region '" + vault->location +
                                   "', not in the disk encryption set's region '" + a.location +
                                   "'.");

    // The key and the version the consumer will use.
    CMK_ASSIGN_OR_RETURN(std::optional<KeyState> k, GetKeyInTxn(vault->name, encryption.key_name));
    if (!k)
      return InvalidEncryption("KeyVaultKeyNotFound", "Key '" + encryption.key_name +
                                                          "' was not found in vault '" +
                                                          vault->name + "'.");
    // SQL: "The combined length for the key vault name and key name cannot
    // exceed 94 characters" (docs/consumers.md 2.1).
    if (traits.max_vault_and_key_name &&
        vault->name.size() + k->name.size() > traits.max_vault_and_key_name)
      return InvalidEncryption("InvalidParameter",  // Azure's code is not documented
                               "The combined length of the key vault name '" + vault->name +
                                   "' and the key name '" + k->name + "' exceeds " +
                                   std::to_string(traits.max_vault_and_key_name) + " characters.");
    // The key's type and size, as each service checks them.
    const bool rsa = k->kty == "RSA" || k->kty == "RSA-HSM";
    const auto& sizes = traits.rsa_sizes;
    if (!rsa || std::find(sizes.begin(), sizes.end(), k->key_size) == sizes.end()) {
      std::string allowed;
      for (int s : sizes) allowed += (allowed.empty() ? "" : ", ") + std::to_string(s);
      const std::string why = "Key '" + k->name + "' is " + k->kty +
                              (rsa ? " " + std::to_string(k->key_size) : std::string()) + ": " +
                              traits.service + " supports RSA or RSA-HSM keys of " + allowed + " bits.";
      // Storage names the parameter, not the reason (Azure/azure-cli#10242).
      if (kind == ConsumerKind::kStorage)
        return InvalidEncryption(errors.key_type,
                                 "Values for request parameters are invalid: "
                                 "encryption.keyvaultproperties.keyname. " + why);
      return InvalidEncryption(errors.key_type, why);
    }
    auto usable = [now](const KeyVersionState& v) { return v.enabled && InDate(v, now); };
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
    if (!used->enabled)
      return InvalidEncryption(errors.disabled,
                               std::string("Version ") + used->version + " of key '" + k->name +
                                   "' is disabled" +
                                   (kind == ConsumerKind::kStorage ? ", not yet valid or expired"
                                                                   : "") +
                                   ".");
    if (!InDate(*used, now))
      return InvalidEncryption(errors.expired, "Version " + used->version + " of key '" + k->name +
                                                   "' is " +
                                                   (kind == ConsumerKind::kStorage
                                                        ? "disabled, not yet valid or expired."
                                                        : "not yet valid or expired."));

    // The identity the consumer reaches the vault with.
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
                                 Named(a) + " has no system-assigned identity to reach the key vault.");
    }
    if (Status access = CheckKeyAccess(*vault, k->name, principal); !access.ok()) {
      if (access.code() != StatusCode::kPermissionDenied) return access;
      const std::string& m = access.message();
      size_t colon = m.find(": ");
      return AzureError(StatusCode::kPermissionDenied,
                        uami_id.empty() ? errors.permissions : errors.uami_permissions,
                        colon == std::string::npos ? m : m.substr(colon + 2));
    }

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
    if (retains) {
      if (!was.empty() && !SameUri(was, kid)) RetainKeyId(a, *doc, was, now);
      ReleaseKeyId(a, *doc, kid);  // in use again
    }
    (*doc)[kAccountBindingTime] = now;
    doc->erase(kConsumerNeedsRevalidation);  // a new protector that passed the checks above
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, key, ConsumerDoc(a, *doc)));
    CMK_RETURN_IF_ERROR(Record(event_kind, address,
                               "customer-managed key " + kid +
                                   (e.key_version.empty() ? " (automatic version update)"
                                                          : " (pinned)") +
                                   " via " + (uami_id.empty() ? "system identity" : uami_id)));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());  // a rebinding can end an outage
    return a;
  });
}

}  // namespace cmk
