// Posture policy: the built-in rules of the manifests' Policy documents,
// checked on the desired state (what the manifests ask for: plan time) and
// on the live state (what the target has: show, drift). No I/O.
//
// Cost: O(policies x rules x objects in scope), plus the enabled versions of
// each live key for version-max-age.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/world.h"

namespace cmk {

struct PolicyFinding {
  std::string rule;      // PostureRule::id
  std::string policy;    // "policy/NAME"
  std::string severity;  // error | warning
  std::string state;     // "desired" (the manifests) | "live" (the target)
  std::string address;   // the object: "vault/bank-kv", "key/cmk", "binding/x"
  std::string message;
  SourceLoc loc;       // the object's manifest document
  SourceLoc rule_loc;  // the rule in the Policy document
};

// Every finding, ordered by address, rule, policy, state. `live` may be null
// (validate: the manifests alone); `now` (unix seconds, 0 = unknown) dates
// version-max-age.
std::vector<PolicyFinding> CheckPosture(const DesiredState& desired, const LiveState* live,
                                        int64_t now);

// One line: "error policy/bank rule purge-protection: vault/bank-kv: ...".
std::string DescribeFinding(const PolicyFinding& f);

}  // namespace cmk
