// SandboxCloud: whether a consumer can use the key versions it needs, the
// incidents when it cannot, automatic version update (adoption), and the end
// of the need for versions it left (release).
//
// Every kind keeps using the version named by its versioned key id (Storage's
// currentVersionedKeyIdentifier, SQL's protector uri, a disk encryption set's
// activeKey.keyUrl). A disk encryption set also needs the versions in its
// previousKeys (retained_key_ids) while it re-wraps its disks; a SQL server's
// retained versions (server keys) only matter for restores, so they do not
// count for its accessibility. If a needed version is disabled, expired,
// deleted (with its key or vault), or out of reach (firewall, identity
// without a role), the consumer is inaccessible until the cause goes away.
// The sandbox records each cause on the consumer's document ("inaccessible",
// and the history in "incidents") and in the activity log
// (<prefix>.inaccessible / <prefix>.recovered, e.g. sql.inaccessible).
//
// Time-driven events per consumer: <prefix>.adopt (one that follows the
// newest version moves to it, its adoption delay after the version appeared
// or it was bound), des.rewrapped (a disk encryption set's previous version
// leaves previousKeys one adoption delay after it changed versions) and
// sql.key-released (a SQL server's previous version is dropped from its
// server keys a backup retention after it stopped using it).
#include <algorithm>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "base/strings.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {


constexpr int kRankAdopt = 4;  // after a key's own events at the same time (time_ops.cc)
constexpr int kRankRelease = 5;  // after an adoption at the same time

// The key version named by a currentVersionedKeyIdentifier, whatever the DNS
// suffix (the CLI and the HTTPS server may open one directory with different
// suffixes); nullopt unless it names a version.
std::optional<KeyId> InUse(const std::string& kid) {
  std::optional<KeyId> id = ParseKeyId(kid);
  if (!id || id->version.empty()) return std::nullopt;
  return id;
}

bool UsesCmk(const ConsumerState& a) {
  return EqualsIgnoreCase(a.encryption.key_source, "Microsoft.Keyvault") &&
         !a.encryption.current_versioned_key_id.empty();
}

bool Usable(const KeyVersionState& v, int64_t now) {
  return v.enabled && (!v.not_before || now >= *v.not_before) && (!v.expires || now < *v.expires);
}

// The versions whose loss makes the consumer inaccessible: the one in use,
// and for a disk encryption set those it is still re-wrapping from.
std::vector<std::string> NeededKeyIds(const ConsumerState& c) {
  std::vector<std::string> out{c.encryption.current_versioned_key_id};
  if (c.kind == ConsumerKind::kDiskEncryptionSet)
    out.insert(out.end(), c.retained_key_ids.begin(), c.retained_key_ids.end());
  return out;
}

std::string SubjectOf(const ConsumerState& c) { return Traits(c.kind).noun; }

}  // namespace

Result<std::optional<std::string>> SandboxCloud::ReachCauseInTxn(const ConsumerState& a,
                                                                  const std::string& kid,
                                                                  AccessBasis* basis) {
  using Cause = std::optional<std::string>;
  auto depends = [basis](std::string topic) {
    if (basis) basis->topics.push_back(std::move(topic));
  };
  std::optional<cmk::KeyId> in_use = InUse(kid);
  if (!in_use) return Cause("key id '" + kid + "' names no key of this cloud");
  depends("vault:" + VaultRowKey(in_use->vault));
  CMK_ASSIGN_OR_RETURN(std::optional<Json> vault_doc, LoadVaultDoc(in_use->vault));
  if (!vault_doc) return Cause("vault '" + in_use->vault + "' no longer exists (purged)");
  VaultState vault = FromJson<VaultState>(DocObject(*vault_doc, "vault"));
  if (IsDeleted(*vault_doc)) return Cause("vault '" + vault.name + "' is deleted");
  depends("key:" + KeyRowKey(vault.name, in_use->name));
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, KeyRowKey(vault.name, in_use->name)));
  if (!key_doc)
    return Cause("key '" + in_use->name + "' no longer exists in vault '" + vault.name +
                 "' (purged)");
  std::string key = DocString(*key_doc, "name");
  if (IsDeleted(*key_doc))
    return Cause("key '" + key + "' in vault '" + vault.name + "' is deleted");
  if (vault.network_acls.default_action == "Deny" && vault.network_acls.bypass == "None")
    return Cause("vault '" + vault.name +
                 "' denies public access and does not let trusted Azure services through");

  std::string principal;
  const std::string& uami = a.encryption.user_assigned_identity;
  if (!uami.empty()) {
    depends("identity:" + Lower(uami));
    CMK_ASSIGN_OR_RETURN(std::optional<Json> ident,
                         store_->Get(StoreTable::kIdentities, Lower(uami)));
    if (!ident) return Cause("user-assigned identity '" + uami + "' no longer exists");
    principal = DocString(*ident, "principalId");
  } else {
    principal = a.system_principal_id;
    if (principal.empty())
      return Cause(std::string("the ") + (a.kind == ConsumerKind::kStorage ? "account" : SubjectOf(a)) +
                   "'s system-assigned identity is off");
  }
  depends("principal:" + Lower(principal));
  Status access = CheckKeyAccess(vault, key, principal);
  if (access.code() == StatusCode::kPermissionDenied)
    return Cause("identity " + principal + " is no longer permitted to use key '" + key +
                 "' in vault '" + vault.name + "' (" +
                 (vault.rbac_authorization ? "no role grants get/wrapKey/unwrapKey"
                                           : "no access policy grants get/wrapKey/unwrapKey") +
                 ")");
  CMK_RETURN_IF_ERROR(access);
  return Cause();
}

Result<std::optional<std::string>> SandboxCloud::AccessCauseInTxn(const ConsumerState& a,
                                                                  AccessBasis* basis) {
  using Cause = std::optional<std::string>;
  if (!UsesCmk(a)) return Cause();
  for (const std::string& kid : NeededKeyIds(a)) {
    CMK_ASSIGN_OR_RETURN(Cause cause, VersionCauseInTxn(a, kid, basis));
    if (cause) return cause;
  }
  return Cause();
}

Result<std::optional<std::string>> SandboxCloud::VersionCauseInTxn(const ConsumerState& a,
                                                                   const std::string& kid,
                                                                   AccessBasis* basis) {
  using Cause = std::optional<std::string>;
  CMK_ASSIGN_OR_RETURN(Cause reach, ReachCauseInTxn(a, kid, basis));
  if (reach) return reach;
  cmk::KeyId in_use = *InUse(kid);
  CMK_ASSIGN_OR_RETURN(std::optional<Json> vault_doc, LoadVaultDoc(in_use.vault));
  std::string vault = FromJson<VaultState>(DocObject(*vault_doc, "vault")).name;
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, KeyRowKey(vault, in_use.name)));
  std::string key = DocString(*key_doc, "name");
  std::string what = "key version " + in_use.version + " of key '" + key + "' in vault '" +
                     vault + "'";
  std::string row = VersionRowKey(vault, key, in_use.version);
  if (basis) basis->topics.push_back("version:" + row);
  CMK_ASSIGN_OR_RETURN(std::optional<Json> version_doc,
                       store_->Get(StoreTable::kKeyVersions, row));
  if (!version_doc) return Cause(what + " no longer exists");
  KeyVersionState v = FromJson<KeyVersionState>(*version_doc);
  const int64_t now = Now();
  // The answer below holds until the version's not-before or expiry passes.
  if (basis) {
    std::optional<int64_t> at;
    if (v.not_before && now < *v.not_before) {
      at = *v.not_before;
    } else if (v.expires && now < *v.expires) {
      at = *v.expires;
    }
    if (at && (!basis->recheck_at || *at < *basis->recheck_at)) basis->recheck_at = at;
  }
  if (!v.enabled) return Cause(what + " is disabled");
  if (v.expires && now >= *v.expires)
    return Cause(what + " expired at " + FormatRfc3339(*v.expires));
  if (v.not_before && now < *v.not_before)
    return Cause(what + " is not valid before " + FormatRfc3339(*v.not_before));
  return Cause();
}

Status SandboxCloud::EvaluateAccessInTxn() {
  const int64_t now = Now();
  Dependents::Stale stale = access_.Take(now);
  if (!stale.all && stale.subjects.empty()) return Status::Ok();
  std::vector<StoredDoc> rows;
  if (stale.all) {
    CMK_ASSIGN_OR_RETURN(rows, store_->List(StoreTable::kConsumers));
  } else {
    std::vector<std::string> keys;
    for (const auto& subject : stale.subjects) {
      access_.Forget(subject);  // recorded again below while its row exists
      keys.push_back(subject.substr(subject.find(':') + 1));
    }
    CMK_ASSIGN_OR_RETURN(rows, store_->GetMany(StoreTable::kConsumers, keys));
  }
  for (const auto& row : rows) {  // in insertion order, as the activity log has always had them
    ConsumerState a = FromJson<ConsumerState>(row.doc);
    AccessBasis basis;
    CMK_ASSIGN_OR_RETURN(std::optional<std::string> cause, AccessCauseInTxn(a, &basis));
    std::string previous =
        DocString(DocObject(row.doc, kAccountInaccessible), "cause");
    // SQL: access is back. Within the auto-heal window the databases come
    // back by themselves; after it they stay Inaccessible until revalidated
    // (the outage that ended is the open incident, unless it is that wait).
    Json revalidation;  // set when this evaluation starts the wait
    if (!cause && a.kind == ConsumerKind::kSqlServer) {
      const Json* r = &DocObject(row.doc, kConsumerNeedsRevalidation);
      const Json& open = DocObject(row.doc, kAccountInaccessible);
      if (r->empty() && !previous.empty() && !previous.ends_with(kAwaitingRevalidation) &&
          now - DocInt(open, "since") > kSqlAutoHealSeconds) {
        revalidation = Json{{"since", DocInt(open, "since")}, {"healed", now}};
        r = &revalidation;
      }
      if (!r->empty())
        cause = "its key was out of reach from " + FormatRfc3339(DocInt(*r, "since")) + " to " +
                FormatRfc3339(DocInt(*r, "healed")) +
                ", longer than the 30-minute auto-heal window: " + kAwaitingRevalidation;
    }
    if (cause.value_or("") != previous) {
      Json doc = row.doc;
      if (!revalidation.empty()) doc[kConsumerNeedsRevalidation] = revalidation;
      Json& incidents = doc[kAccountIncidents];
      if (!incidents.is_array()) incidents = Json::array();
      for (auto it = incidents.rbegin(); it != incidents.rend(); ++it) {
        if (!it->is_object() || it->contains("until")) continue;
        (*it)["until"] = now;  // the open incident ends (recovered, or another cause took over)
        break;
      }
      if (cause) {
        Json incident{{"cause", *cause}, {"since", now}};
        doc[kAccountInaccessible] = incident;
        incidents.push_back(incident);
      } else {
        doc.erase(kAccountInaccessible);
      }
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, row.key, doc));
      const std::string prefix = ConsumerPrefix(a.kind);
      if (cause) {
        CMK_RETURN_IF_ERROR(
            Record(prefix + ".inaccessible", ConsumerAddress(a.kind, a.name), *cause));
      } else {
        CMK_RETURN_IF_ERROR(Record(prefix + ".recovered", ConsumerAddress(a.kind, a.name),
                                   "accessible again (was: " + previous + ")"));
      }
    }
    // After the write above, which changes nothing the answer came from.
    access_.Record("consumer:" + row.key, basis.topics, basis.recheck_at);
  }
  return Status::Ok();
}

Result<std::vector<AccessIncident>> SandboxCloud::ListIncidents() {
  return InReadTransaction([&]() -> Result<std::vector<AccessIncident>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         store_->List(StoreTable::kConsumers));
    std::vector<AccessIncident> out;
    for (const auto& row : rows) {
      ConsumerState a = FromJson<ConsumerState>(row.doc);
      auto it = row.doc.find(kAccountIncidents);
      if (it == row.doc.end() || !it->is_array()) continue;
      for (const auto& j : *it) {
        AccessIncident incident;
        incident.kind = a.kind;
        incident.account = a.name;
        incident.account_id = a.id;
        incident.cause = DocString(j, "cause");
        incident.since = DocInt(j, "since");
        if (j.is_object() && j.contains("until")) incident.until = DocInt(j, "until");
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

Result<std::optional<std::string>> SandboxCloud::ConsumerInaccessibleCause(
    ConsumerKind kind, const std::string& subscription, const std::string& resource_group,
    const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<std::string>> {
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kConsumers,
                                     ConsumerRowKey(kind, subscription, resource_group, name)));
    if (!doc)
      return AzureError(StatusCode::kNotFound, "ResourceNotFound",
                        std::string("The Resource '") + Traits(kind).arm_type + "/" + name +
                            "' under resource group '" + resource_group + "' was not found.");
    std::string cause =
        DocString(DocObject(*doc, kAccountInaccessible), "cause");
    if (cause.empty()) return std::optional<std::string>();
    return std::optional<std::string>(cause);
  });
}

Result<std::optional<SandboxCloud::DueEvent>> SandboxCloud::AdoptionOfInTxn(const StoredDoc& row,
                                                                           AccessBasis& basis) {
  using Due = std::optional<DueEvent>;
  const int64_t now = Now();
  ConsumerState a = FromJson<ConsumerState>(row.doc);
  if (!UsesCmk(a) || !a.encryption.key_version.empty()) return Due();  // pinned: never moves
  CMK_ASSIGN_OR_RETURN(std::optional<std::string> unreachable,
                       ReachCauseInTxn(a, a.encryption.current_versioned_key_id, &basis));
  if (unreachable) return Due();  // the service cannot even read the key's versions
  cmk::KeyId in_use = *InUse(a.encryption.current_versioned_key_id);
  std::string prefix = VersionRowPrefix(in_use.vault, in_use.name);
  basis.topics.push_back("versions:" + prefix.substr(0, prefix.size() - 1));
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> versions,
                       store_->List(StoreTable::kKeyVersions, prefix));
  std::optional<KeyVersionState> target;
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    KeyVersionState v = FromJson<KeyVersionState>(it->doc);
    // Which version is usable changes when a not-before or an expiry passes.
    for (const auto& t : {v.not_before, v.expires})
      if (t && *t > now && (!basis.recheck_at || *t < *basis.recheck_at)) basis.recheck_at = *t;
    if (!target && Usable(v, now)) target = v;
  }
  if (!target || EqualsIgnoreCase(target->version, in_use.version)) return Due();
  int64_t delay_hours = AdoptionDelayHours(row.doc, a.kind);
  int64_t from = std::max(target->created, DocInt(row.doc, kAccountBindingTime));
  DueEvent e;
  e.time = from + delay_hours * 3600;
  e.object = ConsumerAddress(a.kind, a.name);
  e.rank = kRankAdopt;
  e.kind = std::string(ConsumerPrefix(a.kind)) + ".adopt";
  e.vault = in_use.vault;
  e.key = in_use.name;
  e.version = target->version;
  e.account_row = row.key;
  e.detail = "automatic version update to version " + target->version + " (adoption delay " +
             std::to_string(delay_hours) + "h)";
  return Due(std::move(e));
}

Status SandboxCloud::AdoptInTxn(const DueEvent& e) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                       store_->Get(StoreTable::kConsumers, e.account_row));
  CMK_ASSIGN_OR_RETURN(std::optional<VaultState> vault, GetVaultByNameInTxn(e.vault));
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, KeyRowKey(e.vault, e.key)));
  if (!doc || !vault || !key_doc)
    return Internal("sandbox: adoption by " + e.object + " lost its account, vault or key");
  ConsumerState a = FromJson<ConsumerState>(*doc);
  std::string key = DocString(*key_doc, "name");
  std::optional<cmk::KeyId> was = InUse(a.encryption.current_versioned_key_id);
  const std::string left = a.encryption.current_versioned_key_id;
  // On the vault URI the consumer was bound with: a sandbox served over
  // HTTPS and moved by the command line knows its vaults under two host
  // names, and the consumer keeps the one its binding named.
  std::string base = a.encryption.key_vault_uri.empty() ? vault->vault_uri : a.encryption.key_vault_uri;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string kid = base + "/keys/" + key + "/" + e.version;
  a.encryption.current_versioned_key_id = kid;
  a.encryption.last_key_rotation_timestamp = FormatRfc3339(Now());
  if (a.kind != ConsumerKind::kStorage) {
    // SQL registers the version it leaves as a server key (backups need
    // it); a disk encryption set lists it in previousKeys while it re-wraps.
    if (!left.empty()) RetainKeyId(a, *doc, left, Now());
    ReleaseKeyId(a, *doc, kid);
  }
  CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, e.account_row, ConsumerDoc(a, *doc)));
  return Record(e.kind, e.object,
                "adopted version " + e.version + " of key '" + key + "' in vault '" + vault->name +
                    "' (automatic version update" +
                    (was ? "; was " + was->version : std::string()) + ")");
}

}  // namespace cmk

namespace cmk {

std::vector<SandboxCloud::DueEvent> SandboxCloud::ReleasesOf(const StoredDoc& row) {
  std::vector<DueEvent> out;
  ConsumerState c = FromJson<ConsumerState>(row.doc);
  if (c.kind == ConsumerKind::kStorage) return out;
  const bool sql = c.kind == ConsumerKind::kSqlServer;
  const int64_t period =
      sql ? BackupRetentionSeconds(row.doc) : AdoptionDelayHours(row.doc, c.kind) * 3600;
  const Json& since = DocObject(row.doc, kConsumerRetainedSince);
  for (const std::string& kid : c.retained_key_ids) {
    DueEvent e;
    // A retained id without a time (written by hand) is released a period after 1970.
    auto at = since.find(kid);
    e.time = (at != since.end() && at->is_number_integer() ? at->get<int64_t>() : 0) + period;
    e.object = ConsumerAddress(c.kind, c.name);
    e.rank = kRankRelease;
    e.kind = sql ? "sql.key-released" : "des.rewrapped";
    std::optional<cmk::KeyId> id = InUse(kid);
    e.version = id ? id->version : kid;
    e.key_id = kid;
    e.account_row = row.key;
    e.detail = sql ? "server key " + kid + " released (backup retention " +
                         std::to_string(period / 3600) + "h after it stopped being the protector)"
                   : "disks re-wrapped: " + kid + " leaves previousKeys";
    out.push_back(std::move(e));
  }
  return out;
}

Status SandboxCloud::ReleaseInTxn(const DueEvent& e) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kConsumers, e.account_row));
  if (!doc) return Internal("sandbox: " + e.kind + " of " + e.object + " lost its consumer");
  ConsumerState c = FromJson<ConsumerState>(*doc);
  ReleaseKeyId(c, *doc, e.key_id);
  CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kConsumers, e.account_row, ConsumerDoc(c, *doc)));
  return Record(e.kind, e.object,
                e.kind == "sql.key-released"
                    ? "server key " + e.key_id + " no longer needed for restores (backup retention over)"
                    : "disks re-wrapped; previous key " + e.key_id + " no longer needed");
}

}  // namespace cmk
