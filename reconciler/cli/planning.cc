#include "cli/planning.h"

#include "cli/plan_seal.h"

#include <ostream>

#include "engine/diff/diff.h"
#include "engine/read/live_reader.h"

namespace cmk {

Result<Plan> ComputePlan(const GlobalOptions& global, const PlanFlags& flags, Provider& provider,
                         std::ostream& err) {
  CMK_ASSIGN_OR_RETURN(DesiredState desired, LoadDesired(global, err));
  return ComputePlan(desired, flags, provider);
}

Result<Plan> ComputePlan(const DesiredState& desired, const PlanFlags& flags, Provider& provider) {
  LiveQuery query = BuildQuery(desired);
  ReadOptions read;
  read.include_prune_candidates = flags.prune;
  read.degrade = flags.degrade;
  read.progress = flags.progress;
  CMK_ASSIGN_OR_RETURN(LiveState live, ReadLive(provider, query, read));
  DiffOptions options;
  options.prune = flags.prune;
  options.allow_destroy = flags.allow_destroy;
  options.vault_dns_suffix = provider.VaultDnsSuffix();
  options.now = provider.Now();
  Plan plan = Diff(desired, live, options, provider.Target());
  CMK_RETURN_IF_ERROR(RecordHookDigests(plan));
  return plan;
}

Status CheckPlanIsFresh(const Plan& plan, Provider& provider) {
  CMK_ASSIGN_OR_RETURN(auto now, ReadFingerprints(provider, plan.query));
  return CheckFresh(plan, now);
}

std::optional<Inventory> ReadInventory(const GlobalOptions& global, const DesiredState& desired,
                                       std::ostream& err) {
  auto target = OpenTarget(global);
  if (!target.ok()) {
    err << "error: " << target.status().message() << "\n";
    return std::nullopt;
  }
  auto inventory = BuildInventory(desired, (*target)->provider());
  if (!inventory.ok()) {
    err << "error: " << inventory.status().message() << "\n";
    return std::nullopt;
  }
  return std::move(*inventory);
}

}  // namespace cmk
