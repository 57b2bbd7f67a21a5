// Diff: what the plan does to the consumers of managed keys. Consumers that
// cannot use their key version now become `inaccessible` findings; a change
// after which a consumer that can use it now no longer could is a plan error
// naming the consumer, the cause and the change, unless the plan also
// repoints that consumer's binding (Azure checks the new binding itself).
#include <unordered_map>
#include <unordered_set>

#include "base/strings.h"
#include "engine/access/access.h"
#include "engine/access/projection.h"
#include "engine/diff/diff_context.h"

namespace cmk {

void CheckConsumerAccess(DiffContext& ctx) {
  Plan& plan = ctx.plan;
  const int64_t now = ctx.options.now;
  std::vector<ConsumerAccess> before = AnalyseAccess(ctx.live, plan.query, now);

  std::unordered_map<std::string, size_t> table_of;  // key address -> index in plan.keys
  for (size_t i = 0; i < plan.keys.size(); ++i) table_of.emplace(plan.keys[i].address, i);
  std::unordered_set<std::string> usable_now;
  for (const ConsumerAccess& c : before) {
    if (!c.cause) {
      usable_now.insert(c.consumer);
      continue;
    }
    std::string message = c.consumer + " cannot use its key: " + *c.cause;
    std::string key_address = ctx.DesiredKeyAddress(c.vault, c.key);
    if (auto t = table_of.find(key_address); t != table_of.end())
      plan.keys[t->second].findings.push_back({"inaccessible", c.consumer, message});
    else
      ctx.Warning(c.consumer, "inaccessible: " + message, "");
  }
  if (usable_now.empty()) return;

  // Consumers whose binding this plan changes are judged by Azure when the
  // binding is written; the rest must keep what they have.
  std::unordered_set<std::string> repointed;
  for (const Change& c : plan.changes)
    if (c.action != Action::kNoOp)
      if (const auto* u = std::get_if<UpdateStorageEncryption>(&c.request))
        repointed.insert("storage/" + u->account.name);

  Projection after(ctx.live, now);
  for (const Change& c : plan.changes) after.Apply(c);
  std::vector<std::string> cut;  // consumers usable now and not after
  for (const ConsumerAccess& c : AnalyseAccess(after.state(), plan.query, now))
    if (c.cause && usable_now.count(c.consumer) && !repointed.count(c.consumer)) cut.push_back(c.consumer);
  if (cut.empty()) return;

  // Only now, with something to report: which change cuts each consumer off.
  std::unordered_set<std::string> pending(cut.begin(), cut.end());
  Projection step(ctx.live, now);
  for (const Change& c : plan.changes) {
    if (c.action == Action::kNoOp) continue;
    step.Apply(c);
    for (const ConsumerAccess& a : AnalyseAccess(step.state(), plan.query, now)) {
      if (!a.cause || !pending.count(a.consumer)) continue;
      pending.erase(a.consumer);
      ctx.Error(c.address,
                "would cut " + a.consumer + " off the key version it uses: " + *a.cause +
                    " (repoint or remove its binding in the same plan first)",
                c.source);
    }
    if (pending.empty()) break;
  }
}

}  // namespace cmk
