// SandboxCloud: whether a storage account can use the key version it is bound
// to, the incidents when it cannot, and automatic version update (adoption).
//
// Azure Storage keeps using the version named by currentVersionedKeyIdentifier.
// If that version is disabled, expired, deleted (with its key or vault), or
// out of reach (firewall, identity without a role), the account's data is
// inaccessible until the cause goes away. The sandbox records each cause on
// the account document ("inaccessible", and the history in "incidents") and in
// the activity log (storage.inaccessible / storage.recovered).
#include <algorithm>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "base/strings.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

using sandbox::AzureError;

constexpr int kRankAdopt = 4;  // after a key's own events at the same time (time_ops.cc)
constexpr int64_t kDefaultAdoptionDelayHours = 24;

// The key version named by a currentVersionedKeyIdentifier, whatever the DNS
// suffix (the CLI and the HTTPS server may open one directory with different
// suffixes); nullopt unless it names a version.
std::optional<KeyId> InUse(const std::string& kid) {
  std::optional<KeyId> id = ParseKeyId(kid);
  if (!id || id->version.empty()) return std::nullopt;
  return id;
}

bool UsesCmk(const StorageAccountState& a) {
  return EqualsIgnoreCase(a.encryption.key_source, "Microsoft.Keyvault") &&
         !a.encryption.current_versioned_key_id.empty();
}

bool Usable(const KeyVersionState& v, int64_t now) {
  return v.enabled && (!v.not_before || now >= *v.not_before) && (!v.expires || now < *v.expires);
}

Json WithExtras(const StorageAccountState& a, const Json& old) {
  Json doc = ToJson(a);
  for (const char* extra : sandbox::kAccountExtras)
    if (old.contains(extra)) doc[extra] = old[extra];
  return doc;
}

}  // namespace

Result<std::optional<std::string>> SandboxCloud::ReachCauseInTxn(const StorageAccountState& a) {
  using Cause = std::optional<std::string>;
  std::optional<cmk::KeyId> in_use = InUse(a.encryption.current_versioned_key_id);
  if (!in_use)
    return Cause("key id '" + a.encryption.current_versioned_key_id +
                 "' names no key of this cloud");
  CMK_ASSIGN_OR_RETURN(std::optional<Json> vault_doc, LoadVaultDoc(in_use->vault));
  if (!vault_doc) return Cause("vault '" + in_use->vault + "' no longer exists (purged)");
  VaultState vault = FromJson<VaultState>(sandbox::DocObject(*vault_doc, "vault"));
  if (sandbox::IsDeleted(*vault_doc)) return Cause("vault '" + vault.name + "' is deleted");
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, sandbox::KeyRowKey(vault.name, in_use->name)));
  if (!key_doc)
    return Cause("key '" + in_use->name + "' no longer exists in vault '" + vault.name +
                 "' (purged)");
  std::string key = sandbox::DocString(*key_doc, "name");
  if (sandbox::IsDeleted(*key_doc))
    return Cause("key '" + key + "' in vault '" + vault.name + "' is deleted");
  if (vault.network_acls.default_action == "Deny" && vault.network_acls.bypass == "None")
    return Cause("vault '" + vault.name +
                 "' denies public access and does not let trusted Azure services through");

  std::string principal;
  const std::string& uami = a.encryption.user_assigned_identity;
  if (!uami.empty()) {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> ident,
                         store_->Get(StoreTable::kIdentities, Lower(uami)));
    if (!ident) return Cause("user-assigned identity '" + uami + "' no longer exists");
    principal = sandbox::DocString(*ident, "principalId");
  } else {
    principal = a.system_principal_id;
    if (principal.empty()) return Cause("the account's system-assigned identity is off");
  }
  Status access = CheckKeyAccess(vault, key, principal);
  if (access.code() == StatusCode::kPermissionDenied)
    return Cause("identity " + principal + " is no longer permitted to use key '" + key +
                 "' in vault '" + vault.name + "' (no role grants get/wrapKey/unwrapKey)");
  CMK_RETURN_IF_ERROR(access);
  return Cause();
}

Result<std::optional<std::string>> SandboxCloud::AccessCauseInTxn(const StorageAccountState& a) {
  using Cause = std::optional<std::string>;
  if (!UsesCmk(a)) return Cause();
  CMK_ASSIGN_OR_RETURN(Cause reach, ReachCauseInTxn(a));
  if (reach) return reach;
  cmk::KeyId in_use = *InUse(a.encryption.current_versioned_key_id);
  CMK_ASSIGN_OR_RETURN(std::optional<Json> vault_doc, LoadVaultDoc(in_use.vault));
  std::string vault = FromJson<VaultState>(sandbox::DocObject(*vault_doc, "vault")).name;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, sandbox::KeyRowKey(vault, in_use.name)));
  std::string key = sandbox::DocString(*key_doc, "name");
  std::string what = "key version " + in_use.version + " of key '" + key + "' in vault '" +
                     vault + "'";
  CMK_ASSIGN_OR_RETURN(std::optional<Json> version_doc,
                       store_->Get(StoreTable::kKeyVersions,
                                   sandbox::VersionRowKey(vault, key, in_use.version)));
  if (!version_doc) return Cause(what + " no longer exists");
  KeyVersionState v = FromJson<KeyVersionState>(*version_doc);
  const int64_t now = Now();
  if (!v.enabled) return Cause(what + " is disabled");
  if (v.expires && now >= *v.expires)
    return Cause(what + " expired at " + FormatRfc3339(*v.expires));
  if (v.not_before && now < *v.not_before)
    return Cause(what + " is not valid before " + FormatRfc3339(*v.not_before));
  return Cause();
}

Status SandboxCloud::EvaluateAccessInTxn() {
  const int64_t now = Now();
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows, store_->List(StoreTable::kStorageAccounts));
  for (const auto& row : rows) {
    StorageAccountState a = FromJson<StorageAccountState>(row.doc);
    CMK_ASSIGN_OR_RETURN(std::optional<std::string> cause, AccessCauseInTxn(a));
    std::string previous =
        sandbox::DocString(sandbox::DocObject(row.doc, sandbox::kAccountInaccessible), "cause");
    if (cause.value_or("") == previous) continue;

    Json doc = row.doc;
    Json& incidents = doc[sandbox::kAccountIncidents];
    if (!incidents.is_array()) incidents = Json::array();
    for (auto it = incidents.rbegin(); it != incidents.rend(); ++it) {
      if (!it->is_object() || it->contains("until")) continue;
      (*it)["until"] = now;  // the open incident ends (recovered, or another cause took over)
      break;
    }
    if (cause) {
      Json incident{{"cause", *cause}, {"since", now}};
      doc[sandbox::kAccountInaccessible] = incident;
      incidents.push_back(incident);
    } else {
      doc.erase(sandbox::kAccountInaccessible);
    }
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kStorageAccounts, row.key, doc));
    if (cause) {
      CMK_RETURN_IF_ERROR(Record("storage.inaccessible", "storage/" + a.name, *cause));
    } else {
      CMK_RETURN_IF_ERROR(Record("storage.recovered", "storage/" + a.name,
                                 "accessible again (was: " + previous + ")"));
    }
  }
  return Status::Ok();
}

Result<std::vector<AccessIncident>> SandboxCloud::ListIncidents() {
  return InTransaction([&]() -> Result<std::vector<AccessIncident>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         store_->List(StoreTable::kStorageAccounts));
    std::vector<AccessIncident> out;
    for (const auto& row : rows) {
      StorageAccountState a = FromJson<StorageAccountState>(row.doc);
      auto it = row.doc.find(sandbox::kAccountIncidents);
      if (it == row.doc.end() || !it->is_array()) continue;
      for (const auto& j : *it) {
        AccessIncident incident;
        incident.account = a.name;
        incident.account_id = a.id;
        incident.cause = sandbox::DocString(j, "cause");
        incident.since = sandbox::DocInt(j, "since");
        if (j.is_object() && j.contains("until")) incident.until = sandbox::DocInt(j, "until");
        out.push_back(std::move(incident));
      }
    }
    std::stable_sort(out.begin(), out.end(), [](const AccessIncident& x, const AccessIncident& y) {
      if (x.since != y.since) return x.since < y.since;
      return Lower(x.account_id) < Lower(y.account_id);
    });
    return out;
  });
}

Result<std::optional<std::string>> SandboxCloud::StorageInaccessibleCause(
    const std::string& subscription, const std::string& resource_group, const std::string& name) {
  return InTransaction([&]() -> Result<std::optional<std::string>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kStorageAccounts,
                                     sandbox::AccountRowKey(subscription, resource_group, name)));
    if (!doc)
      return AzureError(StatusCode::kNotFound, "ResourceNotFound",
                        "The Resource 'Microsoft.Storage/storageAccounts/" + name +
                            "' under resource group '" + resource_group + "' was not found.");
    std::string cause =
        sandbox::DocString(sandbox::DocObject(*doc, sandbox::kAccountInaccessible), "cause");
    if (cause.empty()) return std::optional<std::string>();
    return std::optional<std::string>(cause);
  });
}

Status SandboxCloud::CollectAdoptionsInTxn(std::vector<DueEvent>& out) {
  const int64_t now = Now();
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows, store_->List(StoreTable::kStorageAccounts));
  for (const auto& row : rows) {
    StorageAccountState a = FromJson<StorageAccountState>(row.doc);
    if (!UsesCmk(a) || !a.encryption.key_version.empty()) continue;  // pinned: never moves
    CMK_ASSIGN_OR_RETURN(std::optional<std::string> unreachable, ReachCauseInTxn(a));
    if (unreachable) continue;  // Storage cannot even read the key's versions
    cmk::KeyId in_use = *InUse(a.encryption.current_versioned_key_id);
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> versions,
                         store_->List(StoreTable::kKeyVersions,
                                      sandbox::VersionRowPrefix(in_use.vault, in_use.name)));
    std::optional<KeyVersionState> target;
    for (auto it = versions.rbegin(); it != versions.rend() && !target; ++it) {
      KeyVersionState v = FromJson<KeyVersionState>(it->doc);
      if (Usable(v, now)) target = v;
    }
    if (!target || EqualsIgnoreCase(target->version, in_use.version)) continue;
    int64_t delay_hours = row.doc.contains(sandbox::kAccountAdoptionDelay)
                              ? sandbox::DocInt(row.doc, sandbox::kAccountAdoptionDelay)
                              : kDefaultAdoptionDelayHours;
    int64_t from = std::max(target->created, sandbox::DocInt(row.doc, sandbox::kAccountBindingTime));
    DueEvent e;
    e.time = from + delay_hours * 3600;
    e.object = "storage/" + a.name;
    e.rank = kRankAdopt;
    e.kind = "storage.adopt";
    e.vault = in_use.vault;
    e.key = in_use.name;
    e.version = target->version;
    e.account_row = row.key;
    e.detail = "automatic version update to version " + target->version + " (adoption delay " +
               std::to_string(delay_hours) + "h)";
    out.push_back(std::move(e));
  }
  return Status::Ok();
}

Status SandboxCloud::AdoptInTxn(const DueEvent& e) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                       store_->Get(StoreTable::kStorageAccounts, e.account_row));
  CMK_ASSIGN_OR_RETURN(std::optional<VaultState> vault, GetVaultByNameInTxn(e.vault));
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, sandbox::KeyRowKey(e.vault, e.key)));
  if (!doc || !vault || !key_doc)
    return Internal("sandbox: adoption by " + e.object + " lost its account, vault or key");
  StorageAccountState a = FromJson<StorageAccountState>(*doc);
  std::string key = sandbox::DocString(*key_doc, "name");
  std::optional<cmk::KeyId> was = InUse(a.encryption.current_versioned_key_id);
  a.encryption.current_versioned_key_id = vault->vault_uri + "/keys/" + key + "/" + e.version;
  a.encryption.last_key_rotation_timestamp = FormatRfc3339(Now());
  CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kStorageAccounts, e.account_row, WithExtras(a, *doc)));
  return Record("storage.adopt", e.object,
                "adopted version " + e.version + " of key '" + key + "' in vault '" + vault->name +
                    "' (automatic version update" +
                    (was ? "; was " + was->version : std::string()) + ")");
}

}  // namespace cmk
