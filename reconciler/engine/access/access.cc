#include "engine/access/access.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "base/duration.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/roles.h"

namespace cmk {
namespace {

bool UsesKeyVault(const StorageAccountState& a) {
  return EqualsIgnoreCase(a.encryption.key_source, "Microsoft.Keyvault") &&
         (!a.encryption.key_name.empty() || !a.encryption.current_versioned_key_id.empty());
}

// The indexes one analysis needs, built once: no lookup scans a collection.
struct Indexes {
  std::unordered_map<std::string, const VaultState*> vaults;          // lower name
  std::unordered_map<std::string, const KeyState*> keys;              // NormalizedKeyName
  std::unordered_map<std::string, const IdentityState*> identities;   // NormalizedId
  std::unordered_map<std::string, std::vector<const RoleAssignmentState*>> grants;  // lower principal
  std::unordered_set<std::string> read_vaults;                        // lower names the query read

  explicit Indexes(const LiveState& live, const LiveQuery& query) {
    for (const auto& [address, v] : live.vaults) vaults.emplace(Lower(v.name), &v);
    for (const auto& [id, k] : live.keys) keys.emplace(NormalizedKeyName(k.vault, k.name), &k);
    for (const auto& [address, i] : live.identities)
      identities.emplace(NormalizedId(IdentityArmId(i.subscription, i.resource_group, i.name)), &i);
    for (const auto& [id, ra] : live.role_assignments)
      if (RoleGrantsKeyUse(ra.role_definition_id)) grants[Lower(ra.principal_id)].push_back(&ra);
    for (const auto& [address, r] : query.vaults) read_vaults.insert(Lower(r.name));
  }
};

std::optional<std::string> Judge(const StorageAccountState& a, const Indexes& ix, int64_t now,
                                 ConsumerAccess& out) {
  using Cause = std::optional<std::string>;
  const std::string& vault_name = out.vault;
  auto vault_it = ix.vaults.find(Lower(vault_name));
  if (vault_it == ix.vaults.end())
    return Cause("vault '" + vault_name + "' no longer exists (deleted or purged)");
  const VaultState& vault = *vault_it->second;
  auto key_it = ix.keys.find(NormalizedKeyName(vault.name, out.key));
  if (key_it == ix.keys.end())
    return Cause("key '" + out.key + "' no longer exists in vault '" + vault.name + "' (deleted or purged)");
  const KeyState& key = *key_it->second;
  if (EqualsIgnoreCase(vault.network_acls.default_action, "Deny") &&
      EqualsIgnoreCase(vault.network_acls.bypass, "None"))
    return Cause("vault '" + vault.name +
                 "' denies public access and does not let trusted Azure services through");

  std::string principal;
  if (const std::string& uami = a.encryption.user_assigned_identity; !uami.empty()) {
    auto it = ix.identities.find(NormalizedId(uami));
    if (it == ix.identities.end()) return Cause("user-assigned identity '" + uami + "' no longer exists");
    principal = it->second->principal_id;
  } else {
    principal = a.system_principal_id;
    if (principal.empty()) return Cause("the account's system-assigned identity is off");
  }
  if (vault.rbac_authorization && !principal.empty()) {
    std::string key_id = KeyArmId(vault.subscription, vault.resource_group, vault.name, key.name);
    bool granted = false;
    if (auto it = ix.grants.find(Lower(principal)); it != ix.grants.end())
      for (const RoleAssignmentState* ra : it->second)
        if (UnderScope(key_id, ra->scope)) granted = true;
    if (!granted)
      return Cause("identity " + principal + " is no longer permitted to use key '" + key.name +
                   "' in vault '" + vault.name + "' (no role grants get/wrapKey/unwrapKey)");
  }

  if (out.version.empty() && !key.versions.empty()) out.version = key.versions.back().version;
  std::string what =
      "key version " + out.version + " of key '" + key.name + "' in vault '" + vault.name + "'";
  auto v = std::find_if(key.versions.begin(), key.versions.end(),
                        [&](const KeyVersionState& kv) { return EqualsIgnoreCase(kv.version, out.version); });
  if (v == key.versions.end()) return Cause(what + " no longer exists");
  if (!v->enabled) return Cause(what + " is disabled");
  const std::vector<std::string>& ops = v->key_ops.empty() ? key.key_ops : v->key_ops;
  auto permits = [&](const char* op) {
    return std::any_of(ops.begin(), ops.end(), [&](const std::string& o) { return EqualsIgnoreCase(o, op); });
  };
  if (!ops.empty() && (!permits("wrapKey") || !permits("unwrapKey")))
    return Cause(what + " does not permit wrapKey and unwrapKey (operations: " + Join(ops) + ")");
  if (v->expires && now >= *v->expires) return Cause(what + " expired at " + FormatRfc3339(*v->expires));
  if (v->not_before && now < *v->not_before)
    return Cause(what + " is not valid before " + FormatRfc3339(*v->not_before));
  return Cause();
}

}  // namespace

std::vector<ConsumerAccess> AnalyseAccess(const LiveState& live, const LiveQuery& query, int64_t now) {
  Indexes ix(live, query);
  std::vector<ConsumerAccess> out;
  for (const auto& [address, a] : live.storage_accounts) {
    if (!UsesKeyVault(a)) continue;
    ConsumerAccess c;
    c.consumer = "storage/" + a.name;
    // The version in use: the account's own evidence, else what it is bound to.
    if (std::optional<KeyId> id = ParseKeyId(a.encryption.current_versioned_key_id)) {
      c.vault = id->vault;
      c.key = id->name;
      c.version = id->version;
    } else {
      c.vault = VaultNameOfUri(a.encryption.key_vault_uri);
      c.key = a.encryption.key_name;
      c.version = a.encryption.key_version;
    }
    if (c.vault.empty() || c.key.empty() || !ix.read_vaults.count(Lower(c.vault))) continue;
    c.cause = Judge(a, ix, now, c);
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const ConsumerAccess& x, const ConsumerAccess& y) { return x.consumer < y.consumer; });
  return out;
}

}  // namespace cmk
