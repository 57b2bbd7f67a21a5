#include "engine/read/live_reader.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

void SortUnique(std::vector<std::string>& v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

template <typename Ref>  // ArmRef, ConsumerRef
std::string Where(const Ref& r) {
  return " (subscription " + r.subscription + ", resource group " + r.resource_group + ")";
}

// A set of ARM scopes that answers "does one of them cover this id" with a
// dozen hash lookups (ScopesAbove), never a scan of the scopes.
class ScopeSet {
 public:
  ScopeSet() = default;
  explicit ScopeSet(const std::vector<std::string>& scopes) {
    for (const auto& s : scopes) Add(s);
  }
  void Add(const std::string& scope) { scopes_.insert(NormalizedId(scope)); }
  bool Covers(const std::string& id) const {
    if (scopes_.empty()) return false;
    for (const auto& s : ScopesAbove(id))
      if (scopes_.count(s)) return true;
    return false;
  }

 private:
  std::unordered_set<std::string> scopes_;
};

// One read in progress: where failures go (returned, or recorded as
// unobservable when the read degrades) and how far it got.
struct Reader {
  Provider& p;
  const ReadOptions& options;
  LiveState& live;
  size_t done = 0;
  size_t total = 0;

  // `status` (a failed read) for the objects `addresses`: the read's error,
  // or, when degrading, OK after recording each address as unobservable.
  Status Fail(const std::vector<std::string>& addresses, Status status) {
    // Only a failure about these objects degrades; one that stops every read
    // (no credential, a bad request, a bug) fails the read as a whole.
    bool about_them = status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kPermissionDenied;
    if (!options.degrade || !about_them) return status;
    for (const auto& a : addresses) live.unobservable.try_emplace(a, status.message());
    return Status::Ok();
  }
  Status Fail(const std::string& address, Status status) {
    return Fail(std::vector<std::string>{address}, std::move(status));
  }
  void Step(const std::string& reading, size_t objects = 0) {
    if (options.progress) options.progress(ReadProgress{done, total, reading});
    done += objects;
  }
};

// A subscription that names at least this many objects of one kind is read
// with one list call (Azure throttles ARM reads per request: 250, then 25
// a second); fewer are read with one GET each.
constexpr size_t kListAtLeast = 3;

// Reads the objects `refs` names (address -> where), per subscription: a
// list when it pays, else GETs. A list the caller may not run (403) falls
// back to GETs, which resource-scoped permissions may still allow.
template <typename Ref, typename State, typename Get, typename List>
Status ReadArmObjects(Reader& rd, const std::map<std::string, Ref>& refs,
                      std::map<std::string, State>& out, const Get& get, const List& list,
                      const std::string& kind, size_t list_at_least = kListAtLeast) {
  std::map<std::string, std::vector<const std::pair<const std::string, Ref>*>> by_subscription;
  for (const auto& entry : refs) by_subscription[Lower(entry.second.subscription)].push_back(&entry);
  for (const auto& [lower_subscription, entries] : by_subscription) {
    const std::string& subscription = entries.front()->second.subscription;
    rd.Step(kind + " in subscription " + subscription, entries.size());
    if (entries.size() >= list_at_least) {
      auto all = list(subscription);
      if (all.ok()) {
        std::unordered_map<std::string, const State*> by_name;  // "rg/name", lower case
        for (const auto& s : *all) by_name.try_emplace(Lower(s.resource_group) + "/" + Lower(s.name), &s);
        for (const auto* e : entries) {
          auto it = by_name.find(Lower(e->second.resource_group) + "/" + Lower(e->second.name));
          if (it != by_name.end()) out[e->first] = *it->second;
        }
        continue;
      }
      if (all.status().code() != StatusCode::kPermissionDenied) {
        std::vector<std::string> addresses;
        for (const auto* e : entries) addresses.push_back(e->first);
        CMK_RETURN_IF_ERROR(
            rd.Fail(addresses, all.status().WithContext("listing " + kind + " in subscription " + subscription)));
        continue;
      }
    }
    for (const auto* e : entries) {
      auto one = get(e->second);
      if (!one.ok()) {
        CMK_RETURN_IF_ERROR(rd.Fail(e->first, one.status().WithContext("reading " + e->first + Where(e->second))));
        continue;
      }
      if (*one) out[e->first] = **one;
    }
  }
  return Status::Ok();
}

// The subscription an ARM scope lies in ("" for one above every subscription).
std::string SubscriptionOf(const std::string& scope) {
  static constexpr std::string_view kPrefix = "/subscriptions/";
  if (scope.size() <= kPrefix.size() || !EqualsIgnoreCase(scope.substr(0, kPrefix.size()), kPrefix))
    return "";
  size_t end = scope.find('/', kPrefix.size());
  return scope.substr(kPrefix.size(), end == std::string::npos ? std::string::npos : end - kPrefix.size());
}

// The role assignments at or below each scope. A subscription that holds at
// least kListAtLeast of the scopes is listed once (ARM answers a list at a
// scope with every assignment at, above and below it) and filtered; a list
// the caller may not run (403) falls back to one list per scope.
Status ReadRoleAssignments(Reader& rd, const std::vector<std::string>& scopes,
                           const std::vector<std::string>& inherited) {
  Provider& p = rd.p;
  LiveState& live = rd.live;
  // Whether an assignment's scope is at or below a queried one: look its
  // ancestors up (an ARM id has a dozen segments), never scan the scopes.
  const ScopeSet queried(scopes);
  std::unordered_set<std::string> exact;  // NormalizedId of `inherited`
  for (const auto& scope : inherited) exact.insert(NormalizedId(scope));
  auto wanted = [&](const std::string& scope) {
    return queried.Covers(scope) || exact.count(NormalizedId(scope)) > 0;
  };
  std::map<std::string, std::vector<const std::string*>> by_subscription;  // lower-case id
  for (const auto& scope : scopes) by_subscription[Lower(SubscriptionOf(scope))].push_back(&scope);
  for (const auto& scope : inherited) by_subscription[Lower(SubscriptionOf(scope))].push_back(&scope);
  for (const auto& [lower_subscription, group] : by_subscription) {
    rd.Step("role assignments in subscription " + SubscriptionOf(*group.front()));
    if (!lower_subscription.empty() && group.size() >= kListAtLeast) {
      std::string subscription = "/subscriptions/" + SubscriptionOf(*group.front());
      auto all = p.ListRoleAssignments(subscription);
      if (all.ok()) {
        for (auto& ra : *all)
          if (wanted(ra.scope)) live.role_assignments[ra.id] = std::move(ra);
        continue;
      }
      if (all.status().code() != StatusCode::kPermissionDenied) {
        std::vector<std::string> addresses;
        for (const std::string* scope : group) addresses.push_back(RoleAssignmentsAddress(*scope));
        CMK_RETURN_IF_ERROR(
            rd.Fail(addresses, all.status().WithContext("listing role assignments in " + subscription)));
        continue;
      }
    }
    for (const std::string* scope : group) {
      auto list = p.ListRoleAssignments(*scope);
      if (!list.ok()) {
        CMK_RETURN_IF_ERROR(rd.Fail(RoleAssignmentsAddress(*scope),
                                    list.status().WithContext("listing role assignments at " + *scope)));
        continue;
      }
      for (auto& ra : *list)
        if (wanted(ra.scope)) live.role_assignments[ra.id] = std::move(ra);
    }
  }
  return Status::Ok();
}

// The desired vaults and keys that are absent but held in soft delete under
// their names: a plan recovers them rather than collide with them. One list
// of deleted vaults per subscription that misses a vault; one GET per
// missing key of a live vault. A list the caller may not run (403) reads
// nothing: creating then fails with Azure's own conflict.
Status ReadSoftDeleted(Reader& rd, const LiveQuery& q) {
  Provider& p = rd.p;
  LiveState& live = rd.live;
  std::map<std::string, std::vector<std::pair<const std::string*, const ArmRef*>>> missing;  // by subscription
  for (const auto& [address, r] : q.vaults)
    if (!live.vaults.count(address) && !live.unobservable.count(address))
      missing[r.subscription].emplace_back(&address, &r);
  for (const auto& [subscription, vaults] : missing) {
    rd.Step("deleted vaults in subscription " + subscription);
    auto deleted = p.ListDeletedVaults(subscription);
    if (!deleted.ok()) {
      if (deleted.status().code() == StatusCode::kPermissionDenied) continue;
      // A vault that may be in soft delete is not planned as a create.
      std::vector<std::string> addresses;
      for (const auto& [address, r] : vaults) addresses.push_back(*address);
      CMK_RETURN_IF_ERROR(rd.Fail(
          addresses, deleted.status().WithContext("listing deleted vaults in subscription " + subscription)));
      continue;
    }
    std::unordered_map<std::string, const DeletedVaultState*> by_name;
    for (const auto& d : *deleted) by_name.emplace(Lower(d.vault.name), &d);
    for (const auto& [address, r] : vaults)
      if (auto it = by_name.find(Lower(r->name)); it != by_name.end()) live.deleted_vaults[*address] = *it->second;
  }
  std::unordered_set<std::string> live_vaults;
  for (const auto& [address, v] : live.vaults) live_vaults.insert(Lower(v.name));
  for (const auto& [address, r] : q.keys) {
    if (live.keys.count(r.vault + "/" + r.name) || !live_vaults.count(Lower(r.vault)) ||
        live.unobservable.count(address))
      continue;
    auto deleted = p.GetDeletedKey(r);
    if (!deleted.ok()) {
      if (deleted.status().code() == StatusCode::kPermissionDenied) continue;
      CMK_RETURN_IF_ERROR(
          rd.Fail(address, deleted.status().WithContext("reading deleted " + address + " (vault " + r.vault + ")")));
      continue;
    }
    if (*deleted) live.deleted_keys[address] = **deleted;
  }
  return Status::Ok();
}

// Consumers of every kind the target has: every subscription of the
// manifests is listed once per kind, for the consumers the manifests bind and
// for those they do not (a server a team bound by hand still uses the key,
// and a plan must not cut it off). A binding of a kind the target does not
// have fails the read.
Status ReadConsumers(Reader& rd, const LiveQuery& q) {
  Provider& p = rd.p;
  LiveState& live = rd.live;
  std::vector<ConsumerKind> kinds = p.ConsumerKinds();
  for (const auto& [address, r] : q.consumers)
    if (std::find(kinds.begin(), kinds.end(), r.kind) == kinds.end())
      return FailedPrecondition(address + ": " + p.Target().ToString() + " has no " + Traits(r.kind).noun + "s");
  std::unordered_set<std::string> read_vaults;  // lower names
  for (const auto& [address, v] : live.vaults) read_vaults.insert(Lower(v.name));
  for (ConsumerKind kind : kinds) {
    const std::string noun = std::string(Traits(kind).noun) + "s";
    std::map<std::string, ConsumerRef> refs;
    for (const auto& [address, r] : q.consumers)
      if (r.kind == kind) refs.emplace(address, r);
    std::map<std::string, ProviderResult<ConsumerStates>> listed;  // lower subscription
    auto list = [&](const std::string& s) -> const ProviderResult<ConsumerStates>& {
      auto it = listed.find(Lower(s));
      if (it == listed.end()) it = listed.emplace(Lower(s), p.ListConsumers(ConsumerList{kind, s})).first;
      return it->second;
    };
    CMK_RETURN_IF_ERROR(ReadArmObjects(
        rd, refs, live.consumers, [&](const ConsumerRef& r) { return p.GetConsumer(r); }, list, noun,
        /*list_at_least=*/q.vaults.empty() ? kListAtLeast : 1));
    if (q.vaults.empty()) continue;
    std::unordered_set<std::string> known;  // lower names of this kind already read
    for (const auto& [address, c] : live.consumers)
      if (c.kind == kind) known.insert(Lower(c.name));
    for (const auto& subscription : q.subscriptions) {
      rd.Step(noun + " using the keys in subscription " + subscription);
      const auto& all = list(subscription);
      if (!all.ok()) {
        if (all.status().code() == StatusCode::kPermissionDenied) continue;  // cannot discover here
        // Consumers this read cannot see: a plan must not retire a version they may use.
        CMK_RETURN_IF_ERROR(rd.Fail(std::string("consumers:") + Traits(kind).prefix + ":" + subscription,
                                    all.status().WithContext("listing " + noun + " in subscription " +
                                                             subscription)));
        continue;
      }
      for (const auto& c : *all) {
        if (!EqualsIgnoreCase(c.encryption.key_source, "Microsoft.Keyvault") || known.count(Lower(c.name)))
          continue;
        std::string vault = VaultNameOfUri(c.encryption.current_versioned_key_id.empty()
                                               ? c.encryption.key_vault_uri
                                               : c.encryption.current_versioned_key_id);
        if (!read_vaults.count(Lower(vault))) continue;
        known.insert(Lower(c.name));
        live.consumers[ConsumerAddress(kind, c.name)] = c;
      }
    }
  }
  return ReadRoleAssignments(rd, q.role_assignment_scopes, q.inherited_role_scopes);
}

Status ReadQueried(Reader& rd, const LiveQuery& q) {
  Provider& p = rd.p;
  LiveState& live = rd.live;
  CMK_RETURN_IF_ERROR(ReadArmObjects(
      rd, q.vaults, live.vaults, [&](const ArmRef& r) { return p.GetVault(r); },
      [&](const std::string& s) { return p.ListVaults(s); }, "vaults"));
  // Every key in one call, so that a provider can batch all their reads
  // (GetKeys); grouped by vault, so that a vault's reads share connections.
  std::vector<std::pair<const std::string*, const KeyRef*>> keys;  // (address, ref)
  keys.reserve(q.keys.size());
  for (const auto& [address, r] : q.keys) keys.emplace_back(&address, &r);
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.second->vault < b.second->vault; });
  std::vector<KeyRef> refs;
  refs.reserve(keys.size());
  std::unordered_set<std::string> key_vaults;  // lower names
  for (const auto& k : keys) {
    refs.push_back(*k.second);
    key_vaults.insert(Lower(k.second->vault));
  }
  rd.Step("keys of " + std::to_string(key_vaults.size()) + (key_vaults.size() == 1 ? " vault" : " vaults"),
          refs.size());
  std::vector<Result<std::optional<KeyState>>> got = p.GetKeys(refs);
  for (size_t i = 0; i < refs.size(); ++i) {
    if (i >= got.size()) return Internal("the provider answered fewer keys than it was asked");
    if (!got[i].ok()) {
      CMK_RETURN_IF_ERROR(rd.Fail(
          *keys[i].first, got[i].status().WithContext("reading " + *keys[i].first + " (vault " + refs[i].vault + ")")));
      continue;
    }
    if (*got[i]) live.keys[refs[i].vault + "/" + refs[i].name] = std::move(**got[i]);
  }
  CMK_RETURN_IF_ERROR(ReadSoftDeleted(rd, q));
  CMK_RETURN_IF_ERROR(ReadArmObjects(
      rd, q.identities, live.identities, [&](const ArmRef& r) { return p.GetIdentity(r); },
      [&](const std::string& s) { return p.ListIdentities(s); }, "identities"));
  return ReadConsumers(rd, q);
}

Status ReadPruneCandidates(Reader& rd, const LiveQuery& q) {
  Provider& p = rd.p;
  LiveState& live = rd.live;
  std::unordered_set<std::string> known_vaults, known_identities;  // normalised names / ids
  for (const auto& [address, lv] : live.vaults) known_vaults.insert(Lower(lv.name));
  for (const auto& [address, li] : live.identities)
    known_identities.insert(Lower(IdentityArmId(li.subscription, li.resource_group, li.name)));
  for (const auto& sub : q.subscriptions) {
    rd.Step("unmanaged objects in subscription " + sub);
    auto vaults = p.ListVaults(sub);
    if (!vaults.ok()) {
      CMK_RETURN_IF_ERROR(rd.Fail("vaults:" + sub, vaults.status().WithContext("listing vaults in subscription " + sub)));
      vaults = std::vector<VaultState>{};
    }
    for (auto& v : *vaults) {
      if (!IsOwned(v.tags)) continue;
      if (known_vaults.insert(Lower(v.name)).second) live.vaults["vault/" + v.name] = v;
    }
    auto ids = p.ListIdentities(sub);
    if (!ids.ok()) {
      CMK_RETURN_IF_ERROR(
          rd.Fail("identities:" + sub, ids.status().WithContext("listing identities in subscription " + sub)));
      ids = std::vector<IdentityState>{};
    }
    for (auto& i : *ids) {
      if (!IsOwned(i.tags)) continue;
      if (!known_identities.insert(Lower(IdentityArmId(i.subscription, i.resource_group, i.name))).second)
        continue;
      std::string address = "identity/" + i.name;
      if (live.identities.count(address) || q.identities.count(address))
        address = "identity/" + i.resource_group + "/" + i.name;
      live.identities[address] = i;
    }
  }
  std::vector<VaultState> owned;
  for (const auto& [address, v] : live.vaults)
    if (IsOwned(v.tags)) owned.push_back(v);
  std::vector<KeyRef> unread;  // keys of owned vaults the manifests do not name
  for (const auto& v : owned) {
    auto names = p.ListKeys(v.name);
    if (!names.ok()) {
      CMK_RETURN_IF_ERROR(rd.Fail("keys:" + v.name, names.status().WithContext("listing keys of vault/" + v.name)));
      continue;
    }
    for (const auto& name : *names)
      if (!live.keys.count(v.name + "/" + name)) unread.push_back(KeyRef{v.name, name});
  }
  std::vector<Result<std::optional<KeyState>>> got = p.GetKeys(unread);
  for (size_t i = 0; i < unread.size(); ++i) {
    if (i >= got.size()) return Internal("the provider answered fewer keys than it was asked");
    if (!got[i].ok()) {
      CMK_RETURN_IF_ERROR(rd.Fail("keys:" + unread[i].vault, got[i].status().WithContext(
                                                                 "reading key " + unread[i].name + " of vault/" +
                                                                 unread[i].vault)));
      continue;
    }
    if (*got[i] && IsOwned((*got[i])->tags))
      live.keys[unread[i].vault + "/" + unread[i].name] = std::move(**got[i]);
  }
  const ScopeSet queried(q.role_assignment_scopes);
  for (const auto& v : owned) {
    std::string scope = LiveVaultId(v);
    if (queried.Covers(scope)) continue;
    auto list = p.ListRoleAssignments(scope);
    if (!list.ok()) {
      CMK_RETURN_IF_ERROR(rd.Fail(RoleAssignmentsAddress(scope),
                                  list.status().WithContext("listing role assignments at " + scope)));
      continue;
    }
    for (auto& ra : *list)
      if (IsOwned(ra)) live.role_assignments[ra.id] = ra;
  }
  return Status::Ok();
}

std::string Fingerprint(const Json& j) { return Fnv1aHex(j.dump()); }

}  // namespace

LiveQuery BuildQuery(const DesiredState& desired) {
  LiveQuery q;
  q.subscriptions = desired.subscriptions;
  for (const auto& [address, v] : desired.vaults) {
    q.vaults[address] = ArmRef{v.value.subscription, v.value.resource_group, v.value.name};
    q.subscriptions.push_back(v.value.subscription);
    q.role_assignment_scopes.push_back(
        VaultArmId(v.value.subscription, v.value.resource_group, v.value.name));
    // A grant at the vault's resource group or subscription reaches its keys.
    q.inherited_role_scopes.push_back("/subscriptions/" + v.value.subscription + "/resourceGroups/" +
                                      v.value.resource_group);
    q.inherited_role_scopes.push_back("/subscriptions/" + v.value.subscription);
  }
  for (const auto& [address, k] : desired.keys) q.keys[address] = KeyRef{k.value.vault, k.value.name};
  for (const auto& [address, i] : desired.identities) {
    q.identities[address] = ArmRef{i.value.subscription, i.value.resource_group, i.value.name};
    q.subscriptions.push_back(i.value.subscription);
  }
  for (const auto& [address, b] : desired.bindings) {
    q.consumers[ConsumerAddress(b.value.consumer_kind, b.value.consumer)] =
        ConsumerRef{b.value.consumer_kind, b.value.subscription, b.value.resource_group, b.value.consumer};
    q.subscriptions.push_back(b.value.subscription);
  }
  // Principals {storageAccount} (any consumer) resolve through the binding naming it;
  // without one Diff reports an error.
  const ScopeSet vault_scopes(q.role_assignment_scopes);
  for (const auto& [address, ra] : desired.role_assignments) {
    if (!vault_scopes.Covers(ra.value.scope)) q.role_assignment_scopes.push_back(ra.value.scope);
  }
  SortUnique(q.subscriptions);
  q.subscriptions.erase(std::remove(q.subscriptions.begin(), q.subscriptions.end(), ""),
                        q.subscriptions.end());
  SortUnique(q.role_assignment_scopes);
  SortUnique(q.inherited_role_scopes);
  return q;
}

Result<LiveState> ReadLive(Provider& provider, const LiveQuery& query,
                           bool include_prune_candidates) {
  ReadOptions options;
  options.include_prune_candidates = include_prune_candidates;
  return ReadLive(provider, query, options);
}

size_t QueriedObjectCount(const LiveQuery& query) {
  return query.vaults.size() + query.keys.size() + query.identities.size() + query.consumers.size();
}

Result<LiveState> ReadLive(Provider& provider, const LiveQuery& query, const ReadOptions& options) {
  LiveState live;
  Reader rd{provider, options, live, 0, QueriedObjectCount(query)};
  CMK_RETURN_IF_ERROR(ReadQueried(rd, query));
  if (options.include_prune_candidates) CMK_RETURN_IF_ERROR(ReadPruneCandidates(rd, query));
  rd.Step("done");
  return live;
}

std::map<std::string, std::string> ExtraKeyAddresses(const LiveQuery& query,
                                                     const LiveState& live) {
  std::map<std::string, std::string> out;
  std::set<std::string> used;
  std::unordered_set<std::string> queried;  // "vault/key", lower case
  for (const auto& [address, r] : query.keys) {
    used.insert(address);
    queried.insert(NormalizedKeyName(r.vault, r.name));
  }
  for (const auto& [id, k] : live.keys) {
    if (queried.count(NormalizedKeyName(k.vault, k.name))) continue;
    std::string address = "key/" + k.name;
    if (used.count(address)) address = "key/" + k.vault + "/" + k.name;
    used.insert(address);
    out[id] = address;
  }
  return out;
}

std::string RoleAssignmentsAddress(const std::string& scope) {
  return "role-assignments:" + scope;
}

std::map<std::string, std::string> Fingerprints(const LiveQuery& query, const LiveState& live) {
  std::map<std::string, std::string> fp;
  auto put = [&fp, &live](const std::string& address, const Json* j) {
    // What could not be read is neither present nor absent: a later read that
    // sees it (either way) has moved.
    if (live.unobservable.count(address)) fp[address] = "unobservable";
    else fp[address] = j ? Fingerprint(*j) : "absent";
  };
  for (const auto& [address, r] : query.vaults) {
    auto it = live.vaults.find(address);
    Json j = it == live.vaults.end() ? Json() : ToJson(it->second);
    put(address, it == live.vaults.end() ? nullptr : &j);
  }
  for (const auto& [address, r] : query.keys) {
    auto it = live.keys.find(r.vault + "/" + r.name);
    Json j = it == live.keys.end() ? Json() : ToJson(it->second);
    put(address, it == live.keys.end() ? nullptr : &j);
  }
  for (const auto& [address, r] : query.identities) {
    auto it = live.identities.find(address);
    Json j = it == live.identities.end() ? Json() : ToJson(it->second);
    put(address, it == live.identities.end() ? nullptr : &j);
  }
  for (const auto& [address, r] : query.consumers) {
    auto it = live.consumers.find(address);
    Json j = it == live.consumers.end() ? Json() : ToJson(it->second);
    put(address, it == live.consumers.end() ? nullptr : &j);
  }
  std::vector<std::string> scopes = query.role_assignment_scopes;
  const ScopeSet queried(query.role_assignment_scopes);
  if (query.include_prune_candidates) {
    for (const auto& [address, v] : live.vaults) {
      if (query.vaults.count(address)) continue;
      Json j = ToJson(v);
      put(address, &j);
      if (!queried.Covers(LiveVaultId(v)))
        scopes.push_back(LiveVaultId(v));
    }
    for (const auto& [address, i] : live.identities) {
      if (query.identities.count(address)) continue;
      Json j = ToJson(i);
      put(address, &j);
    }
    for (const auto& [id, address] : ExtraKeyAddresses(query, live)) {
      Json j = ToJson(live.keys.at(id));
      put(address, &j);
    }
  }
  // Each assignment joins the list of every fingerprinted scope above it:
  // one pass over the assignments (in id order, so each list is too), its
  // ancestors looked up by NormalizedId, never assignments x scopes.
  std::unordered_map<std::string, std::vector<size_t>> scope_index;  // NormalizedId -> scopes[i]
  for (size_t i = 0; i < scopes.size(); ++i) scope_index[NormalizedId(scopes[i])].push_back(i);
  std::vector<Json> lists(scopes.size(), Json::array());
  for (const auto& [id, ra] : live.role_assignments) {
    std::optional<Json> j;
    for (const auto& above : ScopesAbove(ra.scope)) {
      auto it = scope_index.find(above);
      if (it == scope_index.end()) continue;
      if (!j) j = ToJson(ra);
      for (size_t i : it->second) lists[i].push_back(*j);
    }
  }
  for (size_t i = 0; i < scopes.size(); ++i) put(RoleAssignmentsAddress(scopes[i]), &lists[i]);
  return fp;
}

Result<std::map<std::string, std::string>> ReadFingerprints(Provider& provider,
                                                            const LiveQuery& query) {
  CMK_ASSIGN_OR_RETURN(LiveState live, ReadLive(provider, query, query.include_prune_candidates));
  return Fingerprints(query, live);
}

Status CheckFresh(const Plan& plan, const std::map<std::string, std::string>& now) {
  std::set<std::string> addresses;
  for (const auto& [a, f] : plan.fingerprints) addresses.insert(a);
  for (const auto& [a, f] : now) addresses.insert(a);
  std::vector<std::string> moved;
  for (const auto& a : addresses) {
    auto p = plan.fingerprints.find(a);
    auto n = now.find(a);
    std::string before = p == plan.fingerprints.end() ? "absent" : p->second;
    std::string after = n == now.end() ? "absent" : n->second;
    if (before == after) continue;
    if (before == "absent") moved.push_back(a + " appeared");
    else if (after == "absent") moved.push_back(a + " was deleted");
    else moved.push_back(a + " changed since the plan was computed");
  }
  if (moved.empty()) return Status::Ok();
  std::string msg = "saved plan is stale: ";
  for (size_t i = 0; i < moved.size(); ++i) msg += (i ? "; " : "") + moved[i];
  return FailedPrecondition(msg + ". Run plan again.");
}

}  // namespace cmk
