#include "model/roles.h"

#include <algorithm>

#include "base/strings.h"
#include "model/state.h"

namespace cmk {

bool RoleGrantsKeyUse(std::string_view role_definition_id) {
  std::string_view guid = role_definition_id.substr(role_definition_id.rfind('/') + 1);
  for (const char* r : {kRoleCryptoServiceEncryptionUser, kRoleCryptoUser, kRoleCryptoOfficer,
                        kRoleKeyVaultAdministrator})
    if (EqualsIgnoreCase(guid, r)) return true;
  return false;
}

bool PolicyGrantsKeyUse(const AccessPolicyState& policy, std::string_view principal_id) {
  if (!EqualsIgnoreCase(policy.object_id, principal_id)) return false;
  auto has = [&](const char* op) {
    return std::any_of(policy.keys.begin(), policy.keys.end(), [&](const std::string& k) {
      return EqualsIgnoreCase(k, op) || EqualsIgnoreCase(k, "all");
    });
  };
  return has("get") && has("wrapKey") && has("unwrapKey");
}

}  // namespace cmk
