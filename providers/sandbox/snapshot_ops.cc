// SandboxCloud: restoring a snapshot of another cloud's live state (what a
// Provider read: vaults, keys with every version and rotation policy,
// identities, role assignments, consumers of every kind) into an empty sandbox, so
// that time can be simulated on it (`cmkctl rehearse --target azure`).
//
// The public operations cannot express that state (they generate version ids
// and stamp dates with Now()), so the documents are written directly, in one
// transaction, in the shapes the other operation files write: ToJson of the
// state structs plus the sandbox-only members (sandbox_util.h, key_ops.cc).
// What Azure does not expose is chosen so that simulated time continues as it
// would have: a notice or expiry already due counts as reported, a consumer
// on automatic update counts as bound when its key last changed, with its
// kind's default adoption delay, and the versions it retains count as left
// at the snapshot's time (released a re-wrap or backup retention later).
#include <algorithm>
#include <map>
#include <set>

#include "base/duration.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {


Status Invalid(const std::string& what) {
  return InvalidArgument("snapshot: " + what);
}

}  // namespace

Status SandboxCloud::RestoreSnapshot(const LiveState& live, int64_t now) {
  if (now < 0) return Invalid("the snapshot time is before 1970");
  return InTransaction([&]() -> Status {
    for (StoreTable t : {StoreTable::kVaults, StoreTable::kKeys, StoreTable::kIdentities,
                         StoreTable::kRoleAssignments, StoreTable::kConsumers}) {
      CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows, store_->List(t));
      if (!rows.empty())
        return FailedPrecondition("sandbox " + dir() + " is not empty: a snapshot is restored " +
                                  "only into a fresh sandbox");
    }
    CMK_RETURN_IF_ERROR(store_->SetMeta(kMetaClock, std::to_string(now)));

    // Vault names as the snapshot spells them, by lower-case name.
    std::map<std::string, std::string> vault_names;
    for (const auto& [address, v] : live.vaults) {
      if (v.name.empty() || v.subscription.empty() || v.resource_group.empty())
        return Invalid(address + " has no name, subscription or resource group");
      VaultState copy = v;
      copy.sku = Lower(copy.sku);
      copy.vault_uri = VaultUri(copy.name, options_.dns_suffix);
      if (copy.id.empty()) copy.id = VaultArmId(copy.subscription, copy.resource_group, copy.name);
      vault_names[Lower(copy.name)] = copy.name;
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kVaults, VaultRowKey(copy.name),
                                      Json{{"vault", ToJson(copy)}, {"created", now}}));
    }
    // A URI of any vault host, on this sandbox's suffix (consumers are
    // matched to keys by VaultUri(vault, suffix)).
    auto rewrite = [&](const std::string& uri) {
      std::string name = VaultNameOfUri(uri);
      if (name.empty()) return uri;
      auto known = vault_names.find(Lower(name));
      std::string rest = uri.substr(std::string("https://").size());
      size_t slash = rest.find('/');
      std::string out = VaultUri(known == vault_names.end() ? name : known->second,
                                 options_.dns_suffix) +
                        (slash == std::string::npos ? "" : rest.substr(slash));
      while (!out.empty() && out.back() == '/') out.pop_back();
      return out;
    };

    int version_count = 0;
    for (const auto& [id, k] : live.keys) {
      auto vault = vault_names.find(Lower(k.vault));
      if (vault == vault_names.end())
        return Invalid("key " + id + " is in vault '" + k.vault + "', which the snapshot lacks");
      if (k.versions.empty()) return Invalid("key " + id + " has no versions");
      std::string kty = k.kty, curve = k.curve;
      int size = k.key_size;
      CMK_RETURN_IF_ERROR(ValidateKeyType(kty, size, curve));
      Json key_doc{{"vault", vault->second}, {"name", k.name}};
      std::optional<IsoDuration> notify;
      if (k.rotation_policy) {
        key_doc["rotationPolicy"] = ToJson(*k.rotation_policy);
        if (k.rotation_policy->notify_before_expiry) {
          auto d = ParseIsoDuration(*k.rotation_policy->notify_before_expiry);
          if (d.ok()) notify = *d;
        }
      }
      CMK_RETURN_IF_ERROR(
          store_->Put(StoreTable::kKeys, KeyRowKey(vault->second, k.name), key_doc));
      std::set<std::string> seen;
      for (const auto& v : k.versions) {
        if (v.version.empty() || !seen.insert(Lower(v.version)).second)
          return Invalid("key " + id + " has an empty or repeated version id");
        KeyVersionState attrs = v;
        std::sort(attrs.key_ops.begin(), attrs.key_ops.end());
        CMK_ASSIGN_OR_RETURN(KeyVersionState made,
                             NewVersion(vault->second, k.name, kty, size, curve, attrs));
        ++version_count;
        // What the clock would already have reported on the source (the
        // members time_ops.cc keeps). The notice is due when exp - lead has
        // passed, taken here as now + lead >= exp.
        bool expired = made.expires && *made.expires <= now;
        bool notified = notify && made.enabled && made.expires &&
                        AddDuration(now, *notify) >= *made.expires;
        if (!expired && !notified) continue;
        std::string row = VersionRowKey(vault->second, k.name, made.version);
        CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kKeyVersions, row));
        if (!doc) return Internal("sandbox: restored version " + made.version + " vanished");
        if (expired) (*doc)["expiredReported"] = *made.expires;
        if (notified) (*doc)["notifiedFor"] = *made.expires;
        CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeyVersions, row, *doc));
      }
    }

    for (const auto& [address, i] : live.identities) {
      if (i.name.empty() || i.subscription.empty() || i.resource_group.empty())
        return Invalid(address + " has no name, subscription or resource group");
      IdentityState copy = i;
      std::string arm_id = IdentityArmId(i.subscription, i.resource_group, i.name);
      if (copy.id.empty()) copy.id = arm_id;
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kIdentities, Lower(arm_id), ToJson(copy)));
    }

    for (const auto& [address, a] : live.consumers) {
      if (a.name.empty() || a.subscription.empty() || a.resource_group.empty())
        return Invalid(address + " has no name, subscription or resource group");
      ConsumerState copy = a;
      if (copy.id.empty()) copy.id = ConsumerArmId(a.kind, a.subscription, a.resource_group, a.name);
      std::sort(copy.user_assigned_identities.begin(), copy.user_assigned_identities.end());
      EncryptionState& e = copy.encryption;
      if (!e.key_vault_uri.empty()) e.key_vault_uri = rewrite(e.key_vault_uri);
      if (!e.current_versioned_key_id.empty())
        e.current_versioned_key_id = rewrite(e.current_versioned_key_id);
      Json doc = Json::object();
      std::vector<std::string> retained = std::move(copy.retained_key_ids);
      copy.retained_key_ids.clear();
      for (const auto& kid : retained) RetainKeyId(copy, doc, rewrite(kid), now);
      if (!copy.system_principal_id.empty())
        doc[kAccountSavedPrincipal] = copy.system_principal_id;
      doc[kAccountAdoptionDelay] = Traits(a.kind).adoption_seconds / 3600;
      if (a.kind == ConsumerKind::kSqlServer)
        doc[kConsumerBackupRetention] = kDefaultBackupRetentionSeconds;
      // Storage's adoption clock starts at the later of the version's creation
      // and the binding; the binding time is not exposed, the last key change is.
      if (auto changed = ParseRfc3339(e.last_key_rotation_timestamp); changed.ok())
        doc[kAccountBindingTime] = *changed;
      CMK_RETURN_IF_ERROR(store_->Put(
          StoreTable::kConsumers,
          ConsumerRowKey(a.kind, a.subscription, a.resource_group, a.name), ConsumerDoc(copy, doc)));
    }

    for (const auto& [id, ra] : live.role_assignments) {
      if (!LooksLikeGuid(ra.id)) return Invalid("role assignment id '" + ra.id + "'");
      RoleAssignmentState r = ra;
      r.id = Lower(r.id);
      r.role_definition_id = Lower(TrailingSegment(r.role_definition_id));
      r.principal = PrincipalRef{};
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kRoleAssignments, r.id, ToJson(r)));
      // Users, groups and apps outside the snapshot, as SeedPrincipal registers them.
      CMK_ASSIGN_OR_RETURN(bool known, PrincipalExists(r.principal_id));
      if (!known && LooksLikeGuid(r.principal_id))
        CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kPrincipals, Lower(r.principal_id),
                                        Json{{"objectId", r.principal_id}}));
    }

    auto n = [](size_t count, const char* one, const char* many) {
      return std::to_string(count) + " " + (count == 1 ? one : many);
    };
    CMK_RETURN_IF_ERROR(Record(
        "sandbox.restore", "snapshot",
        "restored a snapshot taken at " + FormatRfc3339(now) + ": " +
            n(live.vaults.size(), "vault", "vaults") + ", " + n(live.keys.size(), "key", "keys") +
            " (" +
            n(static_cast<size_t>(version_count), "version", "versions") + "), " +
            n(live.identities.size(), "identity", "identities") + ", " +
            n(live.role_assignments.size(), "role assignment", "role assignments") + ", " +
            n(live.consumers.size(), "consumer", "consumers")));
    return EvaluateAccessInTxn();  // a consumer already cut off is an incident from now on
  });
}

}  // namespace cmk
