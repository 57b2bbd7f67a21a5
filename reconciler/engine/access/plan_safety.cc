#include "engine/access/plan_safety.h"

#include <unordered_set>

#include "engine/access/access.h"
#include "engine/access/projection.h"

namespace cmk {

std::vector<PlanMessage> ConsumerCutOffs(const LiveState& live, const LiveQuery& query,
                                         const std::vector<Change>& changes, int64_t now) {
  std::vector<PlanMessage> out;
  std::unordered_set<std::string> usable_now;
  for (const ConsumerAccess& c : AnalyseAccess(live, query, now))
    if (!c.cause) usable_now.insert(c.consumer);
  if (usable_now.empty()) return out;

  // Consumers whose binding the changes rewrite are judged by Azure when
  // the binding is written; the rest must keep what they have.
  std::unordered_set<std::string> repointed;
  for (const Change& c : changes)
    if (c.action != Action::kNoOp)
      if (const auto* u = std::get_if<UpdateConsumerEncryption>(&c.request))
        repointed.insert(ConsumerAddress(u->consumer.kind, u->consumer.name));

  Projection after(live, now);
  for (const Change& c : changes) after.Apply(c);
  std::unordered_set<std::string> pending;  // usable now, not after
  for (const ConsumerAccess& c : AnalyseAccess(after.state(), query, now))
    if (c.cause && usable_now.count(c.consumer) && !repointed.count(c.consumer)) pending.insert(c.consumer);
  if (pending.empty()) return out;

  // Only with something to report: which change cuts each consumer off.
  Projection step(live, now);
  for (const Change& c : changes) {
    if (c.action == Action::kNoOp) continue;
    step.Apply(c);
    for (const ConsumerAccess& a : AnalyseAccess(step.state(), query, now)) {
      if (!a.cause || !pending.count(a.consumer)) continue;
      pending.erase(a.consumer);
      out.push_back(PlanMessage{"error", c.address,
                                "would cut " + a.consumer + " off the key version it uses: " + *a.cause +
                                    " (repoint or remove its binding in the same plan first)",
                                c.source});
    }
    if (pending.empty()) break;
  }
  return out;
}

std::vector<PlanMessage> BindingRefusals(const LiveState& live, const std::vector<Change>& changes,
                                            int64_t now) {
  std::vector<PlanMessage> out;
  std::vector<const Change*> bindings;
  for (const Change& c : changes)
    if (c.action != Action::kNoOp && std::holds_alternative<UpdateConsumerEncryption>(c.request))
      bindings.push_back(&c);
  if (bindings.empty()) return out;
  Projection after(live, now);
  for (const Change& c : changes) after.Apply(c);
  ConsumerPreflight preflight(after.state(), now);
  for (const Change* c : bindings) {
    const auto& u = std::get<UpdateConsumerEncryption>(c->request);
    const std::string consumer = ConsumerAddress(u.consumer.kind, u.consumer.name);
    ConsumerState account;
    if (auto it = after.state().consumers.find(consumer); it != after.state().consumers.end())
      account = it->second;
    account.kind = u.consumer.kind;
    account.name = u.consumer.name;
    account.encryption = u.encryption;
    std::vector<std::string> problems = preflight.Problems(account);
    if (problems.empty()) continue;
    std::string message =
        std::string(Traits(u.consumer.kind).service) + " would refuse this binding of " + consumer + ": ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    out.push_back(PlanMessage{"error", c->address, message, c->source});
  }
  return out;
}

std::vector<PlanMessage> DisallowedDeletes(const std::vector<Change>& changes, bool prune,
                                           bool allow_destroy) {
  std::vector<PlanMessage> out;
  for (const Change& c : changes) {
    if (c.action != Action::kDelete) continue;
    const bool destructive = c.kind == Kind::kVault || c.kind == Kind::kKey || c.kind == Kind::kRoleAssignment;
    if (!prune || (destructive && !allow_destroy))
      out.push_back(PlanMessage{"error", c.address,
                                "deleting " + c.address + " needs " +
                                    (destructive ? "--prune --allow-destroy" : "--prune") +
                                    " on this command line too",
                                c.source});
  }
  return out;
}

}  // namespace cmk
