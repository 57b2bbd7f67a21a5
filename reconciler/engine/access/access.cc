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

bool UsesKeyVault(const ConsumerState& a) {
  return EqualsIgnoreCase(a.encryption.key_source, "Microsoft.Keyvault") &&
         (!a.encryption.key_name.empty() || !a.encryption.current_versioned_key_id.empty());
}

}  // namespace

// The indexes one analysis needs, built once: no lookup scans a collection.
struct ConsumerPreflight::Indexes {
  std::unordered_map<std::string, const VaultState*> vaults;          // lower name
  std::unordered_map<std::string, const KeyState*> keys;              // NormalizedKeyName
  std::unordered_map<std::string, const IdentityState*> identities;   // NormalizedId
  std::unordered_map<std::string, std::vector<const RoleAssignmentState*>> grants;  // lower principal
  std::unordered_set<std::string> read_vaults;                        // lower names the query read

  Indexes(const LiveState& live, const LiveQuery* query) {
    for (const auto& [address, v] : live.vaults) vaults.emplace(Lower(v.name), &v);
    for (const auto& [id, k] : live.keys) keys.emplace(NormalizedKeyName(k.vault, k.name), &k);
    for (const auto& [address, i] : live.identities)
      identities.emplace(NormalizedId(IdentityArmId(i.subscription, i.resource_group, i.name)), &i);
    for (const auto& [id, ra] : live.role_assignments)
      if (RoleGrantsKeyUse(ra.role_definition_id)) grants[Lower(ra.principal_id)].push_back(&ra);
    if (query != nullptr)
      for (const auto& [address, r] : query->vaults) read_vaults.insert(Lower(r.name));
  }

  const VaultState* Vault(const std::string& name) const {
    auto it = vaults.find(Lower(name));
    return it == vaults.end() ? nullptr : it->second;
  }
  const KeyState* Key(const std::string& vault, const std::string& name) const {
    auto it = keys.find(NormalizedKeyName(vault, name));
    return it == keys.end() ? nullptr : it->second;
  }
  // The principal an account reaches Key Vault as; a cause when it has none.
  std::optional<std::string> Principal(const ConsumerState& a, std::string& principal) const {
    if (const std::string& uami = a.encryption.user_assigned_identity; !uami.empty()) {
      auto it = identities.find(NormalizedId(uami));
      if (it == identities.end()) return "user-assigned identity '" + uami + "' no longer exists";
      principal = it->second->principal_id;
      return std::nullopt;
    }
    principal = a.system_principal_id;
    if (principal.empty()) return "the " + std::string(Traits(a.kind).noun) + "'s system-assigned identity is off";
    return std::nullopt;
  }
  bool Granted(const VaultState& vault, const KeyState& key, const std::string& principal) const {
    if (!vault.rbac_authorization)  // an access-policy vault: its policies decide
      return std::any_of(vault.access_policies.begin(), vault.access_policies.end(),
                         [&](const AccessPolicyState& p) { return PolicyGrantsKeyUse(p, principal); });
    std::string key_id = KeyArmId(vault.subscription, vault.resource_group, vault.name, key.name);
    if (auto it = grants.find(Lower(principal)); it != grants.end())
      for (const RoleAssignmentState* ra : it->second)
        if (UnderScope(key_id, ra->scope)) return true;
    return false;
  }
};

namespace {

using Indexes = ConsumerPreflight::Indexes;

bool ShutsServicesOut(const VaultState& vault) {
  return EqualsIgnoreCase(vault.network_acls.default_action, "Deny") &&
         EqualsIgnoreCase(vault.network_acls.bypass, "None");
}

// "2048, 3072 or 4096"
std::string SizesText(std::span<const int> sizes) {
  std::string out;
  for (size_t i = 0; i < sizes.size(); ++i)
    out += (i == 0 ? "" : i + 1 == sizes.size() ? " or " : ", ") + std::to_string(sizes[i]);
  return out;
}

bool Permits(const std::vector<std::string>& ops, const char* op) {
  return std::any_of(ops.begin(), ops.end(), [&](const std::string& o) { return EqualsIgnoreCase(o, op); });
}

std::optional<std::string> Judge(const ConsumerState& a, const Indexes& ix, int64_t now,
                                 ConsumerAccess& out) {
  using Cause = std::optional<std::string>;
  const VaultState* vault = ix.Vault(out.vault);
  if (vault == nullptr) return Cause("vault '" + out.vault + "' no longer exists (deleted or purged)");
  const KeyState* key = ix.Key(vault->name, out.key);
  if (key == nullptr)
    return Cause("key '" + out.key + "' no longer exists in vault '" + vault->name + "' (deleted or purged)");
  if (ShutsServicesOut(*vault))
    return Cause("vault '" + vault->name +
                 "' denies public access and does not let trusted Azure services through");
  std::string principal;
  if (Cause no_identity = ix.Principal(a, principal)) return no_identity;
  if (!ix.Granted(*vault, *key, principal))
    return Cause("identity " + principal + " is no longer permitted to use key '" + key->name +
                 "' in vault '" + vault->name + "' (" +
                 (vault->rbac_authorization ? "no role grants get/wrapKey/unwrapKey"
                                            : "no access policy grants get/wrapKey/unwrapKey") +
                 ")");

  if (out.version.empty() && !key->versions.empty()) out.version = key->versions.back().version;
  std::string what =
      "key version " + out.version + " of key '" + key->name + "' in vault '" + vault->name + "'";
  auto v = std::find_if(key->versions.begin(), key->versions.end(),
                        [&](const KeyVersionState& kv) { return EqualsIgnoreCase(kv.version, out.version); });
  if (v == key->versions.end()) return Cause(what + " no longer exists");
  if (!v->enabled) return Cause(what + " is disabled");
  const std::vector<std::string>& ops = v->key_ops.empty() ? key->key_ops : v->key_ops;
  if (!ops.empty() && (!Permits(ops, "wrapKey") || !Permits(ops, "unwrapKey")))
    return Cause(what + " does not permit wrapKey and unwrapKey (operations: " + Join(ops) + ")");
  if (v->expires && now >= *v->expires) return Cause(what + " expired at " + FormatRfc3339(*v->expires));
  if (v->not_before && now < *v->not_before)
    return Cause(what + " is not valid before " + FormatRfc3339(*v->not_before));
  return Cause();
}

}  // namespace

std::vector<ConsumerAccess> AnalyseAccess(const LiveState& live, const LiveQuery& query, int64_t now) {
  Indexes ix(live, &query);
  std::vector<ConsumerAccess> out;
  for (const auto& [address, a] : live.consumers) {
    if (!UsesKeyVault(a)) continue;
    ConsumerAccess c;
    c.consumer = address;
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

ConsumerPreflight::ConsumerPreflight(const LiveState& live, int64_t now)
    : ix_(std::make_unique<Indexes>(live, nullptr)), now_(now) {}
ConsumerPreflight::~ConsumerPreflight() = default;

std::vector<std::string> ConsumerPreflight::Problems(const ConsumerState& a) const {
  std::vector<std::string> out;
  const ConsumerTraits& kind = Traits(a.kind);
  const EncryptionState& e = a.encryption;
  if (!EqualsIgnoreCase(e.key_source, "Microsoft.Keyvault")) return out;
  std::string vault_name = VaultNameOfUri(e.key_vault_uri);
  const VaultState* vault = ix_->Vault(vault_name);
  if (vault == nullptr) return {"vault '" + vault_name + "' does not exist"};
  if (kind.needs_purge_protection && !vault->purge_protection)
    out.push_back("vault '" + vault->name + "' must have soft delete and purge protection enabled");
  if (ShutsServicesOut(*vault))
    out.push_back("vault '" + vault->name + "' denies public access without letting trusted Azure services (" +
                  kind.service + ") through: set networkAcls.bypass: AzureServices");
  const KeyState* key = ix_->Key(vault->name, e.key_name);
  if (key == nullptr) {
    out.push_back("key '" + e.key_name + "' does not exist in vault '" + vault->name + "'");
    return out;
  }
  std::string what = "key '" + key->name + "'";
  if (kind.max_vault_and_key_name && vault->name.size() + key->name.size() > kind.max_vault_and_key_name)
    out.push_back("vault name '" + vault->name + "' and key name '" + key->name + "' are " +
                  std::to_string(vault->name.size() + key->name.size()) + " characters together: " +
                  kind.service + " takes at most " + std::to_string(kind.max_vault_and_key_name));
  if (key->kty != "RSA" && key->kty != "RSA-HSM")
    out.push_back(what + " is " + key->kty + ": " + kind.service + " accepts only RSA and RSA-HSM keys");
  else if (key->key_size != 0 &&
           std::find(kind.rsa_sizes.begin(), kind.rsa_sizes.end(), key->key_size) == kind.rsa_sizes.end())
    out.push_back(what + " has " + std::to_string(key->key_size) + " bits: " + kind.service + " accepts " +
                  SizesText(kind.rsa_sizes));
  // The version the binding names, else the newest.
  const KeyVersionState* v = key->versions.empty() ? nullptr : &key->versions.back();
  if (!e.key_version.empty()) {
    v = nullptr;
    for (const auto& kv : key->versions)
      if (EqualsIgnoreCase(kv.version, e.key_version)) v = &kv;
    if (v == nullptr) out.push_back(what + " has no version " + e.key_version);
  }
  if (v != nullptr) {
    const std::vector<std::string>& ops = v->key_ops.empty() ? key->key_ops : v->key_ops;
    if (!ops.empty() && (!Permits(ops, "wrapKey") || !Permits(ops, "unwrapKey")))
      out.push_back(what + " does not permit wrapKey and unwrapKey (operations: " + Join(ops) + ")");
    if (!v->enabled) out.push_back(what + " (version " + v->version + ") is disabled");
    if (v->expires && now_ >= *v->expires)
      out.push_back(what + " (version " + v->version + ") expired at " + FormatRfc3339(*v->expires));
    if (v->not_before && now_ < *v->not_before)
      out.push_back(what + " (version " + v->version + ") is not valid before " + FormatRfc3339(*v->not_before));
  }
  std::string principal;
  if (std::optional<std::string> no_identity = ix_->Principal(a, principal))
    out.push_back(*no_identity);
  else if (!ix_->Granted(*vault, *key, principal))
    out.push_back("identity " + principal + " holds no role granting get/wrapKey/unwrapKey on " + what +
                  " (at the key, vault, resource group or subscription)");
  return out;
}

}  // namespace cmk
