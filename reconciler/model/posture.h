// A posture Policy document: built-in rules a team switches on, with their
// parameters and severity, over the objects its scope selects. Plain values
// (parsed by manifest/parse_posture.cc, evaluated by engine/policy/posture.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/state.h"

namespace cmk {

struct PostureRule {
  std::string id;                  // "purge-protection", "rsa-min-size", ... (PostureRuleIds)
  std::string severity = "error";  // error fails plan and apply | warning reports
  // The rule's one number, when it has one: days (soft-delete-retention),
  // bits (rsa-min-size) or seconds (the duration rules, from `limit_text`).
  int64_t limit = 0;
  std::string limit_text;             // as written: "90", "P1Y"
  std::vector<std::string> values;    // allowed-curves: the curves
  std::string exempt_label;           // auto-bindings: a binding with this label may pin
  SourceLoc loc;                      // the rule's entry in the manifest
};

struct PostureSpec {
  std::string name;
  // Scope: the documents whose labels include every one of these and, when
  // names are given, whose metadata.name is listed. Empty = every document.
  Tags match_labels;
  std::vector<std::string> match_names;
  std::vector<PostureRule> rules;
};

// The built-in rules, in the order the docs list them.
const std::vector<std::string>& PostureRuleIds();

}  // namespace cmk
