// LiveQuery: which live objects a plan was computed from.
//
// Built from the desired state alone (BuildQuery in live_reader.h) and saved
// in the plan, so that a saved plan can be re-read with exactly the same
// query to check that nothing moved. Every map is keyed by plan address.
// Plain values; no I/O.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/json_codec.h"
#include "model/consumer.h"
#include "model/refs.h"
#include "model/state.h"

namespace cmk {

struct LiveQuery {
  std::vector<std::string> subscriptions;        // sorted, unique
  std::map<std::string, ArmRef> vaults;          // vault/NAME
  std::map<std::string, KeyRef> keys;            // key/NAME
  std::map<std::string, ArmRef> identities;      // identity/NAME
  std::map<std::string, ConsumerRef> consumers;  // storage/ACCOUNT, sql/SERVER, des/SET
  std::vector<std::string> role_assignment_scopes;  // ARM ids, sorted, unique
  // Scopes whose own assignments (not those below) are read: the vaults'
  // resource groups and subscriptions, whose grants reach the keys.
  std::vector<std::string> inherited_role_scopes;
  // Also list every subscription's vaults and identities, owned vaults' keys
  // and role assignments, keeping objects that carry the ownership mark.
  bool include_prune_candidates = false;
  bool operator==(const LiveQuery&) const = default;
};

template <typename F, DescribesAs<LiveQuery> T>
void Describe(F& f, T& q) {
  f("subscriptions", q.subscriptions);
  f("vaults", q.vaults);
  f("keys", q.keys);
  f("identities", q.identities);
  f("consumers", q.consumers);
  f("roleAssignmentScopes", q.role_assignment_scopes);
  f("inheritedRoleScopes", q.inherited_role_scopes);
  f("includePruneCandidates", q.include_prune_candidates);
}

}  // namespace cmk
