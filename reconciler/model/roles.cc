#include "model/roles.h"

#include "base/strings.h"

namespace cmk {

bool RoleGrantsKeyUse(std::string_view role_definition_id) {
  std::string_view guid = role_definition_id.substr(role_definition_id.rfind('/') + 1);
  for (const char* r : {kRoleCryptoServiceEncryptionUser, kRoleCryptoUser, kRoleCryptoOfficer,
                        kRoleKeyVaultAdministrator})
    if (EqualsIgnoreCase(guid, r)) return true;
  return false;
}

}  // namespace cmk
