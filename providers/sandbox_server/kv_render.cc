// Key Vault wire shapes: KeyBundle, KeyItem, DeletedKeyBundle extras,
// KeyRotationPolicy. Times are integer unix seconds; JWK members base64url.
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "base/strings.h"

namespace cmk {
namespace {

std::string RecoveryLevel(const VaultState& v) {
  bool custom = v.soft_delete_retention_days != 90;
  if (v.purge_protection) return custom ? "CustomizedRecoverable" : "Recoverable";
  return custom ? "CustomizedRecoverable+Purgeable" : "Recoverable+Purgeable";
}

std::string KeyBase(const std::string& vault_uri, const std::string& name) {
  return vault_uri + "/keys/" + name;
}

}  // namespace

std::optional<PublicKey> ServerCore::CachedPublicKey(const std::string& vault,
                                                     const std::string& name,
                                                     const std::string& version) {
  std::string key = Lower(vault + "/" + name + "/" + version);
  auto it = public_keys_.find(key);
  if (it != public_keys_.end()) return it->second;
  auto pk = cloud_->GetPublicKey(vault, name, version);
  if (!pk.ok()) return std::nullopt;
  public_keys_[key] = *pk;
  return *pk;
}

Json ServerCore::KeyAttributes(const KeyVersionState& v, const VaultState& vault) const {
  Json a{{"enabled", v.enabled}};
  if (v.not_before) a["nbf"] = *v.not_before;
  if (v.expires) a["exp"] = *v.expires;
  a["created"] = v.created;
  a["updated"] = v.updated;
  a["recoveryLevel"] = RecoveryLevel(vault);
  a["recoverableDays"] = vault.soft_delete_retention_days;
  return a;
}

Json ServerCore::KeyBundle(const KeyState& key, const KeyVersionState& v, const VaultState& vault) {
  Json jwk{{"kid", KeyBase(vault.vault_uri, key.name) + "/" + v.version}, {"kty", key.kty}};
  jwk["key_ops"] = v.key_ops;
  if (auto pk = CachedPublicKey(key.vault, key.name, v.version)) {
    if (!pk->kty.empty()) jwk["kty"] = pk->kty;
    if (!pk->n.empty()) {
      jwk["n"] = pk->n;
      jwk["e"] = pk->e;
    }
    if (!pk->crv.empty()) {
      jwk["crv"] = pk->crv;
      jwk["x"] = pk->x;
      jwk["y"] = pk->y;
    }
  } else if (!key.curve.empty()) {
    jwk["crv"] = key.curve;
  }
  Json b{{"key", jwk}, {"attributes", KeyAttributes(v, vault)}};
  if (!v.tags.empty()) b["tags"] = v.tags;
  return b;
}

Json ServerCore::KeyItem(const KeyState& key, const KeyVersionState& v, const VaultState& vault,
                         bool versioned) const {
  std::string kid = KeyBase(vault.vault_uri, key.name);
  if (versioned) kid += "/" + v.version;
  Json item{{"kid", kid}, {"attributes", KeyAttributes(v, vault)}};
  if (!v.tags.empty()) item["tags"] = v.tags;
  return item;
}

Json ServerCore::DeletedExtras(const VaultState& vault, const DeletedKey& d) const {
  return Json{{"recoveryId", vault.vault_uri + "/deletedkeys/" + d.name},
              {"deletedDate", d.deletion_date},
              {"scheduledPurgeDate", d.scheduled_purge_date}};
}

Json ServerCore::PolicyJson(const VaultState& vault, const std::string& name,
                            const std::optional<RotationPolicyState>& p) const {
  Json actions = Json::array();
  Json attrs = Json::object();
  if (p) {
    auto add = [&](const char* trigger, const std::optional<std::string>& d, const char* type) {
      if (d) actions.push_back(Json{{"trigger", {{trigger, *d}}}, {"action", {{"type", type}}}});
    };
    add("timeAfterCreate", p->rotate_after_create, "Rotate");
    add("timeBeforeExpiry", p->rotate_before_expiry, "Rotate");
    add("timeBeforeExpiry", p->notify_before_expiry, "Notify");
    if (p->expiry_time) attrs["expiryTime"] = *p->expiry_time;
    // The cloud keeps one timestamp: the last change (creation is not kept apart).
    attrs["created"] = p->updated;
    attrs["updated"] = p->updated;
  }
  return Json{{"id", KeyBase(vault.vault_uri, name) + "/rotationpolicy"},
              {"lifetimeActions", actions},
              {"attributes", attrs}};
}

}  // namespace cmk
