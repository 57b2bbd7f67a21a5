// Key Vault data-plane shapes: KeyBundle, KeyItem, JWK, rotation policy.
#include <algorithm>

#include "azure/wire_mapping.h"
#include "crypto/crypto.h"
#include "base/strings.h"
#include "model/key_id.h"

namespace cmk {
namespace {

// Unix seconds; the published GetKeyVersions example has fractions: truncated.
std::optional<int64_t> Time(const Json& j, const char* name) {
  if (!j.is_object() || !j.contains(name)) return std::nullopt;
  if (j[name].is_number_integer()) return j[name].get<int64_t>();
  if (j[name].is_number()) return static_cast<int64_t>(j[name].get<double>());
  return std::nullopt;
}
void FillAttributes(const Json& a, KeyVersionState& v) {
  if (a.is_object() && a.contains("enabled") && a["enabled"].is_boolean()) v.enabled = a["enabled"].get<bool>();
  v.not_before = Time(a, "nbf");
  v.expires = Time(a, "exp");
  v.created = Time(a, "created").value_or(0);
  v.updated = Time(a, "updated").value_or(0);
}

}  // namespace


int RsaBitsFromModulus(const std::string& n) {
  if (n.empty()) return 0;
  Result<Bytes> bytes = Base64AnyDecode(n);
  if (!bytes.ok()) return 0;
  size_t len = bytes->size();
  size_t i = 0;
  while (i < len && (*bytes)[i] == 0) ++i;  // a leading zero octet is not part of the size
  return static_cast<int>((len - i) * 8);
}

KeyVersionState KeyVersionFromBundle(const Json& bundle) {
  KeyVersionState v;
  const Json& key = JsonObject(bundle, "key");
  v.version = Lower(ParseKeyId(JsonString(key, "kid")).value_or(KeyId{}).version);
  FillAttributes(JsonObject(bundle, "attributes"), v);
  v.key_ops = JsonStrings(key, "key_ops");
  std::sort(v.key_ops.begin(), v.key_ops.end());
  v.tags = TagsFromWire(bundle);
  return v;
}

KeyState KeyFromBundle(const Json& bundle, const std::string& vault) {
  KeyState k;
  const Json& key = JsonObject(bundle, "key");
  KeyId kid = ParseKeyId(JsonString(key, "kid")).value_or(KeyId{});
  k.vault = vault;
  k.name = kid.name;
  k.kid = JsonString(key, "kid");
  k.kty = JsonString(key, "kty");
  k.curve = JsonString(key, "crv");
  if (k.kty.rfind("RSA", 0) == 0) k.key_size = RsaBitsFromModulus(JsonString(key, "n"));
  KeyVersionState v = KeyVersionFromBundle(bundle);
  k.key_ops = v.key_ops;
  k.enabled = v.enabled;
  k.not_before = v.not_before;
  k.expires = v.expires;
  k.tags = v.tags;
  k.versions.push_back(v);
  return k;
}

KeyVersionState KeyVersionFromItem(const Json& item) {
  KeyVersionState v;
  v.version = Lower(ParseKeyId(JsonString(item, "kid")).value_or(KeyId{}).version);
  FillAttributes(JsonObject(item, "attributes"), v);
  v.tags = TagsFromWire(item);
  return v;
}

PublicKey PublicKeyFromJwk(const Json& jwk) {
  PublicKey p;
  p.kid = JsonString(jwk, "kid");
  p.kty = JsonString(jwk, "kty");
  p.key_ops = JsonStrings(jwk, "key_ops");
  p.n = JsonString(jwk, "n");
  p.e = JsonString(jwk, "e");
  p.crv = JsonString(jwk, "crv");
  p.x = JsonString(jwk, "x");
  p.y = JsonString(jwk, "y");
  return p;
}

Json KeyCreateBody(const KeyState& k) {
  Json body = {{"kty", k.kty}};
  if (k.kty.rfind("RSA", 0) == 0 || k.kty.rfind("oct", 0) == 0) {
    if (k.key_size > 0) body["key_size"] = k.key_size;
  } else if (!k.curve.empty()) {
    body["crv"] = k.curve;
  }
  if (!k.key_ops.empty()) body["key_ops"] = k.key_ops;
  Json attrs = {{"enabled", k.enabled}};
  if (k.not_before) attrs["nbf"] = *k.not_before;
  if (k.expires) attrs["exp"] = *k.expires;
  body["attributes"] = attrs;
  body["tags"] = TagsToWire(k.tags);
  return body;
}

Json KeyUpdateBody(const KeyState& k) {
  Json attrs = {{"enabled", k.enabled}};
  if (k.not_before) attrs["nbf"] = *k.not_before;
  if (k.expires) attrs["exp"] = *k.expires;
  Json body = {{"attributes", attrs}, {"tags", TagsToWire(k.tags)}};
  if (!k.key_ops.empty()) body["key_ops"] = k.key_ops;
  return body;
}

Json KeyVersionUpdateBody(const KeyVersionState& v) {
  Json attrs = {{"enabled", v.enabled}};
  if (v.expires) attrs["exp"] = *v.expires;
  return {{"attributes", attrs}};
}

std::optional<RotationPolicyState> RotationPolicyFromWire(const Json& j) {
  RotationPolicyState p;
  if (j.is_object() && j.contains("lifetimeActions") && j["lifetimeActions"].is_array()) {
    for (const auto& a : j["lifetimeActions"]) {
      std::string type = Lower(JsonString(JsonObject(a, "action"), "type"));
      const Json& trigger = JsonObject(a, "trigger");
      std::string after = JsonString(trigger, "timeAfterCreate");
      std::string before = JsonString(trigger, "timeBeforeExpiry");
      if (type == "rotate") {
        if (!after.empty()) p.rotate_after_create = after;
        if (!before.empty()) p.rotate_before_expiry = before;
      } else if (type == "notify" && !before.empty()) {
        p.notify_before_expiry = before;
      }
    }
  }
  const Json& attrs = JsonObject(j, "attributes");
  if (!JsonString(attrs, "expiryTime").empty()) p.expiry_time = JsonString(attrs, "expiryTime");
  p.updated = Time(attrs, "updated").value_or(0);
  if (!p.rotate_after_create && !p.rotate_before_expiry && !p.notify_before_expiry &&
      !p.expiry_time)
    return std::nullopt;
  return p;
}

Json RotationPolicyToWire(const RotationPolicyState& p) {
  Json actions = Json::array();
  if (p.rotate_after_create)
    actions.push_back({{"trigger", {{"timeAfterCreate", *p.rotate_after_create}}},
                       {"action", {{"type", "Rotate"}}}});
  else if (p.rotate_before_expiry)
    actions.push_back({{"trigger", {{"timeBeforeExpiry", *p.rotate_before_expiry}}},
                       {"action", {{"type", "Rotate"}}}});
  if (p.notify_before_expiry)
    actions.push_back({{"trigger", {{"timeBeforeExpiry", *p.notify_before_expiry}}},
                       {"action", {{"type", "Notify"}}}});
  Json body = {{"lifetimeActions", actions}};
  Json attrs = Json::object();
  if (p.expiry_time) attrs["expiryTime"] = *p.expiry_time;
  body["attributes"] = attrs;
  return body;
}

Json KeyOperationBody(const std::string& alg, const Bytes& value) {
  return {{"alg", alg}, {"value", Base64UrlEncode(value)}};
}

DeletedKeyInfo DeletedKeyFromBundle(const Json& bundle) {
  DeletedKeyInfo d;
  d.recovery_id = JsonString(bundle, "recoveryId");
  d.deleted_date = Time(bundle, "deletedDate").value_or(0);
  d.scheduled_purge_date = Time(bundle, "scheduledPurgeDate").value_or(0);
  return d;
}

}  // namespace cmk
