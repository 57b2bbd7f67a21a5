// The marks cmkctl leaves on what it manages, and how it reads them back:
// the ownership tag (only owned objects are ever prune candidates), the
// ownership prefix of role-assignment descriptions (they cannot be tagged),
// and the generation tag a manual rotation records on its version. Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace cmk {

using Tags = std::map<std::string, std::string>;
struct RoleAssignmentState;

inline constexpr const char* kOwnershipTagKey = "managed-by";
inline constexpr const char* kOwnershipTagValue = "cmkctl";
inline constexpr const char* kOwnershipDescriptionPrefix = "managed-by=cmkctl";
inline constexpr const char* kGenerationTagKey = "cmkctl-generation";

bool IsOwned(const Tags& tags);
bool IsOwned(const RoleAssignmentState& ra);
// `tags` with the ownership tag set.
Tags WithOwnership(Tags tags);
// The manifest name recorded in an owned role assignment's description
// ("managed-by=cmkctl name=NAME"); "" when the description is not cmkctl's.
std::string ManagedNameFromDescription(const std::string& description);
// The cmkctl-generation tag as a number; 0 when absent or not a number.
int64_t GenerationOf(const Tags& tags);

}  // namespace cmk
