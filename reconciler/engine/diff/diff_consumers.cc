// Diff: what the plan does to the consumers of managed keys. Consumers that
// cannot use their key version now become `inaccessible` findings; a change
// after which a consumer that can use it now no longer could is a plan error
// naming the consumer, the cause and the change, unless the plan also
// repoints that consumer's binding (Azure checks the new binding itself).
#include <unordered_map>

#include "base/strings.h"
#include "engine/access/access.h"
#include "engine/access/plan_safety.h"
#include "engine/diff/diff_context.h"

namespace cmk {

void CheckConsumerAccess(DiffContext& ctx) {
  Plan& plan = ctx.plan;
  const int64_t now = ctx.options.now;
  std::vector<ConsumerAccess> before = AnalyseAccess(ctx.live, plan.query, now);

  std::unordered_map<std::string, size_t> table_of;  // key address -> index in plan.keys
  for (size_t i = 0; i < plan.keys.size(); ++i) table_of.emplace(plan.keys[i].address, i);
  for (const ConsumerAccess& c : before) {
    if (!c.cause || KeyUnobservable(ctx, c.vault, c.key)) continue;  // not judged on a guess
    std::string message = c.consumer + " cannot use its key: " + *c.cause;
    std::string key_address = ctx.DesiredKeyAddress(c.vault, c.key);
    if (auto t = table_of.find(key_address); t != table_of.end())
      plan.keys[t->second].findings.push_back({"inaccessible", c.consumer, message});
    else
      ctx.Warning(c.consumer, "inaccessible: " + message, "");
  }
  for (PlanMessage& m : ConsumerCutOffs(ctx.live, plan.query, plan.changes, now))
    plan.errors.push_back(std::move(m));
  for (PlanMessage& m : BindingRefusals(ctx.live, plan.changes, now)) plan.errors.push_back(std::move(m));
}

}  // namespace cmk
