// Diff's last steps: prune candidates, apply order and hook selection.
#include <algorithm>
#include <map>
#include <set>

#include "engine/diff/diff_context.h"
#include "engine/read/live_reader.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {
namespace {

void Prune(DiffContext& ctx, const std::string& address, Kind kind, LiveObject before,
           Request request, std::vector<std::string> depends_on) {
  // A vault or key takes data with it once purged; a role assignment may be
  // what a consumer reaches its key with. Both need an explicit decision.
  const bool destructive = kind == Kind::kVault || kind == Kind::kKey || kind == Kind::kRoleAssignment;
  if (!ctx.options.prune) {
    ctx.Warning(address,
                address + " is managed by cmkctl but absent from the manifests (use --prune to "
                          "delete it)",
                "");
    return;
  }
  if (destructive && !ctx.options.allow_destroy)
    ctx.Error(address,
              kind == Kind::kRoleAssignment
                  ? "deleting " + address + " takes a grant away from its principal (a consumer may "
                                            "reach its key with it); pass --allow-destroy to plan it"
                  : "deleting " + address + " is destructive: it makes data wrapped with " +
                        (kind == Kind::kKey ? "its versions" : "its keys") +
                        " unreadable once purged; pass --allow-destroy to plan it",
              "");
  Change c;
  c.address = address;
  c.kind = kind;
  c.action = Action::kDelete;
  c.risk = Risk::kHigh;
  c.owner = "unknown";
  c.reason_code = ChangeReason::kPrune;
  c.reason = kind == Kind::kVault || kind == Kind::kKey
                 ? "managed by cmkctl, absent from the manifests (soft delete, never purged)"
                 : "managed by cmkctl, absent from the manifests";
  c.before = std::move(before);
  c.request = std::move(request);
  c.depends_on = std::move(depends_on);
  ctx.Add(std::move(c), AddressName(address));
}

std::string AssignmentAddress(const RoleAssignmentState& ra) {
  return "role-assignment/" + (ra.name.empty() ? ra.id : ra.name);
}

// Tiers break ties between independent changes; deletes run in reverse.
int Tier(const Change& c) {
  int tier = 0;
  switch (c.kind) {
    case Kind::kVault: tier = 0; break;
    case Kind::kIdentity: tier = 1; break;
    case Kind::kKey: tier = 3; break;
    case Kind::kRotationPolicy: tier = 4; break;
    case Kind::kRoleAssignment: tier = 5; break;
    case Kind::kStorageCmkBinding:
    case Kind::kSqlTdeBinding:
    case Kind::kDiskEncryptionSetBinding:
      tier = std::holds_alternative<EnableSystemIdentity>(c.request) ? 2 : 6;
      break;
    case Kind::kHook: tier = 7; break;
    case Kind::kPolicy: tier = 7; break;
  }
  return c.action == Action::kDelete ? 100 + (7 - tier) : tier;
}

}  // namespace

void DiffPrune(DiffContext& ctx) {
  const LiveState& live = ctx.live;
  std::set<std::string> pruned_assignments;  // addresses
  std::map<std::string, std::string> assignment_by_scope;  // live id -> address
  for (const auto& [id, ra] : live.role_assignments) {
    if (!IsOwned(ra) || ctx.claimed_assignments.count(ra.id)) continue;
    if (ctx.index.desired_assignment_ids.count(Lower(ra.id))) continue;
    std::string address = AssignmentAddress(ra);
    if (ctx.desired.role_assignments.count(address)) address = "role-assignment/" + ra.id;
    assignment_by_scope[ra.id] = address;
    Prune(ctx, address, Kind::kRoleAssignment, ra, DeleteRoleAssignment{ra.scope, ra.id}, {});
  }
  auto assignments_under = [&](const std::string& scope, const std::string& principal) {
    std::vector<std::string> out;
    for (const auto& [id, address] : assignment_by_scope) {
      const RoleAssignmentState& ra = live.role_assignments.at(id);
      if ((!scope.empty() && UnderScope(ra.scope, scope)) ||
          (!principal.empty() && EqualsIgnoreCase(ra.principal_id, principal)))
        out.push_back(address);
    }
    return out;
  };
  std::map<std::string, std::vector<std::string>> key_deletes_by_vault;
  for (const auto& [id, address] : ExtraKeyAddresses(ctx.plan.query, live)) {
    const KeyState& k = live.keys.at(id);
    if (!IsOwned(k.tags) || !ctx.DesiredKeyAddress(k.vault, k.name).empty()) continue;
    std::vector<std::string> deps;
    if (auto where = ctx.VaultLocation(k.vault))
      deps = assignments_under(KeyArmId(where->subscription, where->resource_group, k.vault, k.name), "");
    Prune(ctx, address, Kind::kKey, k, DeleteKey{KeyRef{k.vault, k.name}}, deps);
    key_deletes_by_vault[Lower(k.vault)].push_back(address);
  }
  for (const auto& [address, i] : live.identities) {
    if (!IsOwned(i.tags) || ctx.desired.identities.count(address)) continue;
    Prune(ctx, address, Kind::kIdentity, i, DeleteIdentity{ArmRef{i.subscription, i.resource_group, i.name}},
          assignments_under("", i.principal_id));
  }
  for (const auto& [address, v] : live.vaults) {
    if (!IsOwned(v.tags)) continue;
    if (ctx.index.desired_vault.count(Lower(v.name))) continue;
    std::vector<std::string> deps = assignments_under(LiveVaultId(v), "");
    for (const auto& k : key_deletes_by_vault[Lower(v.name)]) deps.push_back(k);
    Prune(ctx, address, Kind::kVault, v, DeleteVault{ArmRef{v.subscription, v.resource_group, v.name}},
          deps);
  }
}

void OrderChanges(DiffContext& ctx) {
  std::vector<Change>& changes = ctx.plan.changes;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < changes.size(); ++i) index[changes[i].address] = i;
  // Keep only dependencies on changes in this plan; sort them.
  std::vector<std::vector<size_t>> dependents(changes.size());
  std::vector<int> pending(changes.size(), 0);
  for (size_t i = 0; i < changes.size(); ++i) {
    std::vector<std::string> deps;
    for (const auto& d : changes[i].depends_on)
      if (index.count(d) && d != changes[i].address) deps.push_back(d);
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    changes[i].depends_on = deps;
    for (const auto& d : deps) dependents[index[d]].push_back(i);
    pending[i] = static_cast<int>(deps.size());
  }
  auto key = [&](size_t i) { return std::make_pair(Tier(changes[i]), changes[i].address); };
  std::set<std::pair<std::pair<int, std::string>, size_t>> ready;
  for (size_t i = 0; i < changes.size(); ++i)
    if (pending[i] == 0) ready.insert({key(i), i});
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = ready.begin()->second;
    ready.erase(ready.begin());
    order.push_back(i);
    for (size_t d : dependents[i])
      if (--pending[d] == 0) ready.insert({key(d), d});
  }
  if (order.size() != changes.size()) {
    std::vector<std::string> stuck;
    std::set<size_t> done(order.begin(), order.end());
    for (size_t i = 0; i < changes.size(); ++i)
      if (!done.count(i)) stuck.push_back(changes[i].address);
    std::sort(stuck.begin(), stuck.end());
    std::string list;
    for (const auto& s : stuck) list += (list.empty() ? "" : ", ") + s;
    ctx.Error(stuck.front(), "dependency cycle among: " + list, "");
    std::vector<size_t> rest;
    for (size_t i = 0; i < changes.size(); ++i)
      if (!done.count(i)) rest.push_back(i);
    std::sort(rest.begin(), rest.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
    order.insert(order.end(), rest.begin(), rest.end());
  }
  std::vector<Change> sorted;
  sorted.reserve(changes.size());
  for (size_t i : order) sorted.push_back(std::move(changes[i]));
  changes = std::move(sorted);
  ctx.change_at.clear();
  for (size_t i = 0; i < changes.size(); ++i) ctx.change_at.try_emplace(changes[i].address, i);
}

namespace {

// The selector words of a change: its action, plus `bind` for a binding
// create/update/repin (a repin also matches `update`, as it is one) and
// `disable-version` for a key update that turns the current version off.
std::vector<std::string> ActionWords(const Change& c) {
  std::vector<std::string> words = {ActionName(c.action)};
  bool binding = std::holds_alternative<UpdateConsumerEncryption>(c.request);
  if (binding && c.action == Action::kRepin) words.push_back("update");
  if (binding && (c.action == Action::kCreate || c.action == Action::kUpdate ||
                  c.action == Action::kRepin))
    words.push_back("bind");
  if (c.kind == Kind::kKey && c.action == Action::kUpdate)
    for (const auto& f : c.fields)
      if (f.path == "enabled" && f.after == Json(false)) words.push_back("disable-version");
  return words;
}

}  // namespace

void SelectHooks(DiffContext& ctx) {
  auto matches = [](const std::vector<std::string>& selector, const std::vector<std::string>& words) {
    if (selector.empty()) return true;
    for (const auto& w : words)
      if (std::find(selector.begin(), selector.end(), w) != selector.end()) return true;
    return false;
  };
  std::map<std::string, const HookSpec*> used;  // name -> spec
  for (Change& c : ctx.plan.changes) {
    if (c.action == Action::kNoOp) continue;
    std::vector<std::string> actions = ActionWords(c);
    for (const auto& [hook_address, h] : ctx.desired.hooks) {
      const HookSpec& spec = h.value;
      if (matches(spec.kinds, {KindName(c.kind)}) && matches(spec.names, {ctx.names[c.address]}) &&
          matches(spec.actions, actions)) {
        std::string name = spec.name.empty() ? AddressName(hook_address) : spec.name;
        c.hooks.push_back(name);
        used.emplace(name, &spec);
      }
    }
    std::sort(c.hooks.begin(), c.hooks.end());
    c.hooks.erase(std::unique(c.hooks.begin(), c.hooks.end()), c.hooks.end());
  }
  for (const auto& [name, spec] : used) {
    ctx.plan.hooks.push_back(*spec);
    ctx.plan.hooks.back().name = name;
  }
}

}  // namespace cmk
