// Diff: changes that rest on what the read could not see are withheld, not
// guessed. A vault that did not answer looks absent, so without this a plan
// would create it; a subscription whose consumers could not be listed
// hides consumers, so a retirement could cut one off. A change is withheld
// when an object it is about (its own address, its key and vault, its
// consumer, the role assignments at its scope) is unobservable, when
// it retires or repins a version while some consumers could not be listed,
// or when it needs a withheld change.
#include <unordered_set>

#include "base/strings.h"
#include "engine/diff/diff_context.h"
#include "engine/read/live_reader.h"
#include "model/arm_id.h"

namespace cmk {
namespace {

constexpr std::string_view kRoleScopes = "role-assignments:";
constexpr std::string_view kConsumers = "consumers:";  // "consumers:KIND:SUBSCRIPTION"

// The reads one change rests on, as unobservable addresses.
class Reliance {
 public:
  explicit Reliance(const DiffContext& ctx) : ctx_(ctx) {
    for (const auto& [address, reason] : ctx.live.unobservable) {
      if (address.compare(0, kRoleScopes.size(), kRoleScopes) == 0)
        role_scopes_.emplace(NormalizedId(address.substr(kRoleScopes.size())), address);
      else if (address.compare(0, kConsumers.size(), kConsumers) == 0 && consumers_.empty())
        consumers_ = address;
    }
  }

  // The first unobservable address `c` rests on, or "".
  std::string UnseenFor(const Change& c) const {
    if (Unseen(c.address)) return c.address;
    if (auto key = KeyOfRequest(c.request)) {
      std::string key_address = ctx_.DesiredKeyAddress(key->vault, key->name);
      if (key_address.empty()) key_address = "key/" + key->name;
      if (Unseen(key_address)) return key_address;
      auto vault = ctx_.index.desired_vault.find(Lower(key->vault));
      std::string vault_address = vault == ctx_.index.desired_vault.end() ? "vault/" + key->vault : vault->second;
      if (Unseen(vault_address)) return vault_address;
    }
    std::string consumer = ConsumerOf(c.request);
    if (!consumer.empty() && Unseen(consumer)) return consumer;
    if (std::string scope = ScopeOf(c.request); !scope.empty()) {
      if (auto seen = RoleScopeCovering(scope); !seen.empty()) return seen;
      auto vault = ctx_.index.scope_address.find(Lower(scope));
      if (vault != ctx_.index.scope_address.end() && Unseen(vault->second)) return vault->second;
    }
    bool moves_consumers = c.action == Action::kDisableVersion || c.action == Action::kRepin;
    if (moves_consumers && !consumers_.empty()) return consumers_;
    return "";
  }

 private:
  bool Unseen(const std::string& address) const { return ctx_.live.unobservable.count(address) > 0; }

  static std::string ConsumerOf(const Request& r) {  // its address
    if (const auto* u = std::get_if<UpdateConsumerEncryption>(&r)) return ConsumerAddress(u->consumer.kind, u->consumer.name);
    if (const auto* e = std::get_if<EnableSystemIdentity>(&r)) return ConsumerAddress(e->consumer.kind, e->consumer.name);
    return "";
  }
  static std::string ScopeOf(const Request& r) {
    if (const auto* g = std::get_if<GrantRole>(&r)) return g->assignment.scope;
    if (const auto* d = std::get_if<DeleteRoleAssignment>(&r)) return d->scope;
    return "";
  }
  // The unobservable role-assignment scope at or above `scope`, or "": its
  // ancestors are looked up (an ARM id has a dozen segments).
  std::string RoleScopeCovering(const std::string& scope) const {
    if (role_scopes_.empty()) return "";
    std::string s = NormalizedId(scope);
    for (size_t slash = s.find('/', 1);; slash = s.find('/', slash + 1)) {
      auto it = role_scopes_.find(slash == std::string::npos ? s : s.substr(0, slash));
      if (it != role_scopes_.end()) return it->second;
      if (slash == std::string::npos) return "";
    }
  }

  const DiffContext& ctx_;
  std::unordered_map<std::string, std::string> role_scopes_;  // normalised scope -> address
  std::string consumers_;  // the first unobservable consumer list, "" when all were read
};

}  // namespace

void WithholdUnobservable(DiffContext& ctx) {
  Plan& plan = ctx.plan;
  plan.unobservable = ctx.live.unobservable;
  if (ctx.live.unobservable.empty()) return;
  Reliance reliance(ctx);
  std::unordered_set<std::string> withheld;
  std::vector<Change> kept;
  kept.reserve(plan.changes.size());
  // Changes are in apply order: what a change needs comes before it.
  for (Change& c : plan.changes) {
    std::string reason;
    if (std::string unseen = reliance.UnseenFor(c); !unseen.empty()) {
      reason = unseen + " could not be read: " + ctx.live.unobservable.at(unseen);
    } else {
      for (const auto& need : c.depends_on)
        if (withheld.count(need)) {
          reason = "needs withheld " + need;
          break;
        }
    }
    if (reason.empty()) {
      kept.push_back(std::move(c));
      continue;
    }
    withheld.insert(c.address);
    plan.withheld.push_back(WithheldChange{c.address, c.action, reason, c.source});
  }
  plan.changes = std::move(kept);
  ctx.change_at.clear();
  for (size_t i = 0; i < plan.changes.size(); ++i) ctx.change_at.emplace(plan.changes[i].address, i);
}

bool KeyUnobservable(const DiffContext& ctx, const std::string& vault, const std::string& key) {
  const auto& un = ctx.live.unobservable;
  if (un.empty()) return false;
  std::string key_address = ctx.DesiredKeyAddress(vault, key);
  if (!key_address.empty() && un.count(key_address)) return true;
  auto v = ctx.index.desired_vault.find(Lower(vault));
  if (v != ctx.index.desired_vault.end() && un.count(v->second)) return true;
  auto where = ctx.VaultLocation(vault);
  return where && un.count(RoleAssignmentsAddress(VaultArmId(where->subscription, where->resource_group,
                                                             where->name)));
}

}  // namespace cmk
