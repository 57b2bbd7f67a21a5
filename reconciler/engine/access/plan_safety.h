// Plan safety: the rules a plan must keep whoever wrote it. Diff records them
// as plan errors; `apply PLANFILE` runs them again on the plan it is given,
// against live state read just before the first write, so a hand-edited
// plan can never do what `plan` would refuse. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/plan/plan.h"
#include "model/world.h"

namespace cmk {

// One error per consumer that can use its key version in `live` but could
// not after `changes` (in order), naming the consumer, the cause and the
// first change after which it could not. Consumers whose binding the
// changes repoint are Azure's to judge and are left out.
std::vector<PlanMessage> ConsumerCutOffs(const LiveState& live, const LiveQuery& query,
                                         const std::vector<Change>& changes, int64_t now);

// One error per binding the changes write that the consumer's service would
// refuse (ConsumerPreflight, judged on the state after all `changes`), with every
// reason, so that nothing is applied for a failure known in advance.
std::vector<PlanMessage> BindingRefusals(const LiveState& live, const std::vector<Change>& changes,
                                         int64_t now);

// Deletes that the command line does not allow: every delete needs prune;
// a vault, key or role assignment also needs allow_destroy.
std::vector<PlanMessage> DisallowedDeletes(const std::vector<Change>& changes, bool prune,
                                           bool allow_destroy);

}  // namespace cmk
