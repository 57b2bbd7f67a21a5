// Reference graph checks for manifests.
//
// Today's kinds reference each other acyclically by construction (bindings
// -> keys -> vaults/policies), but the loader still checks generically so a
// future kind cannot introduce a cycle silently. Pure function; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace cmk {

// Edges: node -> nodes it references. Returns one cycle as the path of
// nodes (first == last), found by a DFS in key order, or nullopt.
std::optional<std::vector<std::string>> FindCycle(
    const std::map<std::string, std::vector<std::string>>& edges);

}  // namespace cmk
