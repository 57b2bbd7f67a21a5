// The Key Vault keys data plane (api-version 2025-07-01 and older) over the
// SandboxCloud: create, import (RSA, RSA-HSM and oct-HSM private JWKs; EC
// import is 501), get, update, list, versions, rotate, rotation policy,
// wrap/unwrap, delete, deleted keys, recover and purge. Backup/restore,
// encrypt/decrypt, sign/verify, release and attestation are answered 501
// NotImplemented: the cloud has no operation for them. Import bodies carry
// private key material: it is never logged or echoed (answers hold the
// public JWK only), and the parsed copy is wiped after use.
#include <algorithm>
#include <limits>

#include "crypto/crypto.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "base/strings.h"

namespace cmk {
namespace {

ServerResponse NotImplemented(const std::string& what) {
  return KvError(501, "NotImplemented", what + " is not supported by the cmkctl sandbox.");
}

ServerResponse KeyNotFound(const std::string& name) {
  return KvError(404, "KeyNotFound", "A key with (name/id) " + name +
                                         " was not found in this key vault. If you recently "
                                         "deleted this key you may be able to recover it.");
}

ServerResponse MethodNotAllowed(const std::string& method) {
  return KvError(405, "MethodNotAllowed",
                 "The requested resource does not support http method '" + method + "'.");
}

const KeyVersionState* FindVersion(const KeyState& k, const std::string& version) {
  if (version.empty()) return k.versions.empty() ? nullptr : &k.versions.back();
  for (const auto& v : k.versions)
    if (EqualsIgnoreCase(v.version, version)) return &v;
  return nullptr;
}

// `attributes` members of a create/update request; absent members keep `base`.
Status ReadAttributes(const Json& body, bool& enabled, std::optional<int64_t>& nbf,
                      std::optional<int64_t>& exp) {
  const Json& a = JObject(body, "attributes");
  if (auto e = JBool(a, "enabled")) enabled = *e;
  if (a.contains("nbf")) nbf = a["nbf"].is_null() ? std::nullopt : JInt(a, "nbf");
  if (a.contains("exp")) exp = a["exp"].is_null() ? std::nullopt : JInt(a, "exp");
  return Status::Ok();
}

// A new key's attributes and tags, from a create or import body.
void ReadNewKeyAttributes(const Json& body, KeyState& k) {
  bool enabled = true;
  std::optional<int64_t> nbf, exp;
  (void)ReadAttributes(body, enabled, nbf, exp);
  k.enabled = enabled;
  k.not_before = nbf;
  k.expires = exp;
  k.tags = JTags(body, "tags");
}

// Seconds since 1970 up to 9999-12-31T23:59:59Z, for nbf/exp.
constexpr int64_t kMaxKeyTime = 253402300799;
constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();

// Member types of the Key Vault request bodies (KeyCreateParameters,
// KeyImportParameters, KeyUpdateParameters, KeyRotationPolicy,
// KeyOperationsParameters). Sizes are checked for range here, before the
// narrowing to int; which sizes a key type allows, the cloud decides.
const std::vector<FieldRule>& KeyAttributeRules() {
  static const std::vector<FieldRule> kRules = {
      {"attributes", JType::kObject},
      {"attributes.enabled", JType::kBool},
      {"attributes.nbf", JType::kInt, 0, kMaxKeyTime},
      {"attributes.exp", JType::kInt, 0, kMaxKeyTime},
      {"attributes.exportable", JType::kBool},
      {"tags", JType::kObject},
      {"tags.*", JType::kString},
      {"key_ops", JType::kArray},
      {"key_ops[]", JType::kString},
  };
  return kRules;
}

std::vector<FieldRule> WithKeyAttributeRules(std::vector<FieldRule> rules) {
  const auto& common = KeyAttributeRules();
  rules.insert(rules.end(), common.begin(), common.end());
  return rules;
}

const std::vector<FieldRule>& KeyCreateRules() {
  static const std::vector<FieldRule> kRules = WithKeyAttributeRules({
      {"kty", JType::kString},
      {"key_size", JType::kInt, 1, kMaxInt32},
      {"public_exponent", JType::kInt, 1, kMaxInt32},
      {"crv", JType::kString},
      {"release_policy", JType::kObject},
  });
  return kRules;
}

const std::vector<FieldRule>& KeyImportRules() {
  static const std::vector<FieldRule> kRules = WithKeyAttributeRules({
      {"key", JType::kObject},
      {"key.kty", JType::kString},
      {"key.key_ops", JType::kArray},
      {"key.key_ops[]", JType::kString},
      {"Hsm", JType::kBool},
      {"hsm", JType::kBool},
  });
  return kRules;
}

const std::vector<FieldRule>& RotationPolicyRules() {
  static const std::vector<FieldRule> kRules = {
      {"lifetimeActions", JType::kArray},
      {"lifetimeActions[]", JType::kObject},
      {"lifetimeActions[].action", JType::kObject},
      {"lifetimeActions[].action.type", JType::kString},
      {"lifetimeActions[].trigger", JType::kObject},
      {"lifetimeActions[].trigger.timeAfterCreate", JType::kString},
      {"lifetimeActions[].trigger.timeBeforeExpiry", JType::kString},
      {"attributes", JType::kObject},
      {"attributes.expiryTime", JType::kString},
  };
  return kRules;
}

const std::vector<FieldRule>& KeyOperationRules() {
  static const std::vector<FieldRule> kRules = {{"alg", JType::kString}, {"value", JType::kString}};
  return kRules;
}

// Overwrites every string of a request document that held private material.
void WipeStrings(Json& j) {
  if (j.is_string()) {
    CleanseString(j.get_ref<std::string&>());
  } else if (j.is_structured()) {
    for (auto& child : j) WipeStrings(child);
  }
}

}  // namespace

Result<VaultState> ServerCore::KvVault(const Ctx& c) {
  CMK_ASSIGN_OR_RETURN(std::optional<VaultState> v, cloud_->GetVaultByName(c.vault));
  if (!v) return NotFound("VaultNotFound: Vault '" + c.vault + "' does not exist.");
  return *v;
}

ServerResponse ServerCore::HandleKeyVault(Ctx& c) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  const auto& l = c.lseg;
  const auto& s = c.seg;
  const std::string& m = c.req.method;
  if (l.empty()) return KvError(404, "NotFound", "No operation at '/'.");
  if (l[0] == "keys") {
    if (l.size() == 1) return m == "GET" ? KvListKeys(c) : MethodNotAllowed(m);
    if (l.size() == 2 && l[1] == "restore") return NotImplemented("RestoreKey");
    if (l.size() == 2) {
      if (m == "GET") return KvGetKey(c, s[1], "");
      if (m == "PATCH") return KvUpdateKey(c, s[1], "");
      if (m == "DELETE") return KvDeleteKey(c, s[1]);
      if (m == "PUT") return KvImportKey(c, s[1]);
      return MethodNotAllowed(m);
    }
    if (l.size() == 3) {
      const std::string& op = l[2];
      if (m == "POST" && op == "create") return KvCreateKey(c, s[1]);
      if (m == "POST" && op == "rotate") return KvRotate(c, s[1]);
      if (m == "POST" && op == "backup") return NotImplemented("BackupKey");
      if (m == "POST" && (op == "wrapkey" || op == "unwrapkey"))
        return KvWrap(c, s[1], "", op == "wrapkey");
      if (m == "POST") return NotImplemented("Operation '" + s[2] + "'");
      if (m == "GET" && op == "versions") return KvListVersions(c, s[1]);
      if (m == "GET" && op == "rotationpolicy") return KvGetPolicy(c, s[1]);
      if (m == "PUT" && op == "rotationpolicy") return KvPutPolicy(c, s[1]);
      if (m == "GET") return KvGetKey(c, s[1], s[2]);
      if (m == "PATCH") return KvUpdateKey(c, s[1], s[2]);
      return MethodNotAllowed(m);
    }
    if (l.size() == 4) {
      if (m == "POST" && (l[3] == "wrapkey" || l[3] == "unwrapkey"))
        return KvWrap(c, s[1], s[2], l[3] == "wrapkey");
      return NotImplemented("Operation '" + s[3] + "'");
    }
  }
  if (l[0] == "deletedkeys") {
    if (l.size() == 1) return m == "GET" ? KvListDeleted(c) : MethodNotAllowed(m);
    if (l.size() == 2 && m == "GET") return KvGetDeleted(c, s[1]);
    if (l.size() == 2 && m == "DELETE") return KvPurge(c, s[1]);
    if (l.size() == 3 && l[2] == "recover" && m == "POST") return KvRecover(c, s[1]);
    return MethodNotAllowed(m);
  }
  if (l[0] == "secrets" || l[0] == "certificates" || l[0] == "deletedsecrets" ||
      l[0] == "deletedcertificates")
    return NotImplemented("The " + s[0] + " API");
  return KvError(404, "NotFound", "No operation at '" + c.req.path + "'.");
}

ServerResponse ServerCore::KvCreateKey(Ctx& c, const std::string& name) {
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return KvError(body.status());
  if (auto wrong = CheckFields(*body, KeyCreateRules())) return KvFieldError(*wrong);
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  KeyState k;
  k.vault = vault->name;
  k.name = name;
  k.kty = JString(*body, "kty");
  if (k.kty.empty()) return KvError(400, "BadParameter", "The parameter 'kty' is required.");
  bool ec = k.kty == "EC" || k.kty == "EC-HSM";
  bool oct = k.kty == "oct" || k.kty == "oct-HSM";
  k.key_size = static_cast<int>(JInt(*body, "key_size").value_or(ec ? 0 : oct ? 256 : 2048));
  k.curve = JString(*body, "crv", ec ? "P-256" : "");
  if (auto pe = JInt(*body, "public_exponent"); pe && *pe != 65537)
    return KvError(400, "BadParameter", "Only the public exponent 65537 is supported.");
  k.key_ops = JStrings(*body, "key_ops");
  ReadNewKeyAttributes(*body, k);
  auto created = cloud_->CreateKey(k);
  if (!created.ok()) return KvError(created.status());
  return JsonResponse(200, KeyBundle(*created, created->versions.back(), *vault));
}

ServerResponse ServerCore::KvImportKey(Ctx& c, const std::string& name) {
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return KvError(body.status());
  auto imported = [&]() -> ServerResponse {
    // The offending value of a JWK member is private material: name the
    // member only.
    if (auto wrong = CheckFields(*body, KeyImportRules())) {
      wrong->value = "(not shown)";
      return KvFieldError(*wrong);
    }
    auto vault = KvVault(c);
    if (!vault.ok()) return KvError(vault.status());
    auto key = body->find("key");
    if (key == body->end() || !key->is_object())
      return KvError(400, "BadParameter", "The parameter 'key' is required.");
    const std::string kty = JString(*key, "kty");
    if (kty == "EC" || kty == "EC-HSM") return NotImplemented("ImportKey for EC keys");
    KeyState k;
    k.vault = vault->name;
    k.name = name;
    k.key_ops = JStrings(*key, "key_ops");
    ReadNewKeyAttributes(*body, k);
    // KeyImportParameters spells it "Hsm"; accept the lower-case form too.
    bool hsm = JBool(*body, "Hsm").value_or(JBool(*body, "hsm").value_or(false));
    auto created = cloud_->ImportKey(k, *key, hsm);
    if (!created.ok()) return KvError(created.status());
    return JsonResponse(200, KeyBundle(*created, created->versions.back(), *vault));
  }();
  WipeStrings(*body);
  return imported;
}

ServerResponse ServerCore::KvGetKey(Ctx& c, const std::string& name, const std::string& version) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->GetKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  if (!*key) return KeyNotFound(name);
  const KeyVersionState* v = FindVersion(**key, version);
  if (!v) return KeyNotFound(name + "/" + version);
  return JsonResponse(200, KeyBundle(**key, *v, *vault));
}

ServerResponse ServerCore::KvUpdateKey(Ctx& c, const std::string& name, const std::string& version) {
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return KvError(body.status());
  if (auto wrong = CheckFields(*body, KeyAttributeRules())) return KvFieldError(*wrong);
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->GetKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  if (!*key) return KeyNotFound(name);
  const KeyVersionState* v = FindVersion(**key, version);
  if (!v) return KeyNotFound(name + "/" + version);
  const std::string target = v->version;
  // Remember the public half while the version is still enabled.
  (void)CachedPublicKey(vault->name, (*key)->name, target);
  bool enabled = v->enabled;
  std::optional<int64_t> nbf = v->not_before, exp = v->expires;
  (void)ReadAttributes(*body, enabled, nbf, exp);
  if (target == (*key)->versions.back().version) {
    KeyState desired = **key;
    desired.enabled = enabled;
    desired.not_before = nbf;
    desired.expires = exp;
    desired.key_ops = JStrings(*body, "key_ops");
    if (body->contains("tags")) desired.tags = JTags(*body, "tags");
    auto updated = cloud_->UpdateKey(desired);
    if (!updated.ok()) return KvError(updated.status());
    return JsonResponse(200, KeyBundle(*updated, updated->versions.back(), *vault));
  }
  KeyVersionState attrs = *v;
  attrs.enabled = enabled;
  attrs.not_before = nbf;
  attrs.expires = exp;
  Status st = cloud_->UpdateKeyVersion(vault->name, (*key)->name, attrs);
  if (!st.ok()) return KvError(st);
  return KvGetKey(c, name, target);
}

ServerResponse ServerCore::KvListKeys(Ctx& c) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto names = cloud_->ListKeys(vault->name);
  if (!names.ok()) return KvError(names.status());
  std::sort(names->begin(), names->end(),
            [](const std::string& a, const std::string& b) { return Lower(a) < Lower(b); });
  auto page = Paginate(c, names->size(), "maxresults", 25, 25);
  if (!page.ok()) return KvError(page.status());
  Json items = Json::array();
  for (size_t i = page->begin; i < page->end; ++i) {
    auto key = cloud_->GetKey(vault->name, (*names)[i]);
    if (!key.ok()) return KvError(key.status());
    if (*key && !(*key)->versions.empty())
      items.push_back(KeyItem(**key, (*key)->versions.back(), *vault, false));
  }
  return JsonResponse(200, Json{{"value", items}, {"nextLink", page->next_link}});
}

ServerResponse ServerCore::KvListVersions(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->GetKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  if (!*key) return KeyNotFound(name);
  auto page = Paginate(c, (*key)->versions.size(), "maxresults", 25, 25);
  if (!page.ok()) return KvError(page.status());
  Json items = Json::array();
  for (size_t i = page->begin; i < page->end; ++i)
    items.push_back(KeyItem(**key, (*key)->versions[i], *vault, true));
  return JsonResponse(200, Json{{"value", items}, {"nextLink", page->next_link}});
}

ServerResponse ServerCore::KvRotate(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->RotateKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  return JsonResponse(200, KeyBundle(*key, key->versions.back(), *vault));
}

ServerResponse ServerCore::KvGetPolicy(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->GetKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  if (!*key) return KeyNotFound(name);
  auto policy = cloud_->GetRotationPolicy(vault->name, (*key)->name);
  if (!policy.ok()) return KvError(policy.status());
  return JsonResponse(200, PolicyJson(*vault, (*key)->name, *policy));
}

ServerResponse ServerCore::KvPutPolicy(Ctx& c, const std::string& name) {
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return KvError(body.status());
  if (auto wrong = CheckFields(*body, RotationPolicyRules())) return KvFieldError(*wrong);
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  RotationPolicyState p;
  if (body->contains("lifetimeActions")) {
    const Json& actions = (*body)["lifetimeActions"];
    if (!actions.is_array())
      return KvError(400, "BadParameter", "lifetimeActions must be an array.");
    for (const auto& a : actions) {
      std::string type = Lower(JString(JObject(a, "action"), "type"));
      const Json& trigger = JObject(a, "trigger");
      std::string after = JString(trigger, "timeAfterCreate");
      std::string before = JString(trigger, "timeBeforeExpiry");
      if ((after.empty()) == (before.empty()))
        return KvError(400, "BadParameter",
                       "Each lifetime action needs exactly one of timeAfterCreate and "
                       "timeBeforeExpiry.");
      if (type == "rotate") {
        if (p.rotate_after_create || p.rotate_before_expiry)
          return KvError(400, "BadParameter", "At most one Rotate action is allowed.");
        if (!after.empty()) p.rotate_after_create = after;
        else p.rotate_before_expiry = before;
      } else if (type == "notify") {
        if (!after.empty())
          return KvError(400, "BadParameter", "timeAfterCreate applies only to Rotate actions.");
        if (p.notify_before_expiry)
          return KvError(400, "BadParameter", "At most one Notify action is allowed.");
        p.notify_before_expiry = before;
      } else {
        return KvError(400, "BadParameter", "Action type must be Rotate or Notify.");
      }
    }
  }
  std::string expiry = JString(JObject(*body, "attributes"), "expiryTime");
  if (!expiry.empty()) p.expiry_time = expiry;
  Status st = cloud_->PutRotationPolicy(vault->name, name, p);
  if (!st.ok()) return KvError(st);
  return KvGetPolicy(c, name);
}

ServerResponse ServerCore::KvWrap(Ctx& c, const std::string& name, const std::string& version,
                                bool wrap) {
  auto body = ParseBody(c.req.body);
  if (!body.ok()) return KvError(body.status());
  if (auto wrong = CheckFields(*body, KeyOperationRules())) return KvFieldError(*wrong);
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  std::string alg = JString(*body, "alg");
  std::string value = JString(*body, "value");
  if (alg.empty() || !body->contains("value") || !(*body)["value"].is_string())
    return KvError(400, "BadParameter", "The parameters 'alg' and 'value' are required.");
  auto input = Base64AnyDecode(value);
  if (!input.ok()) return KvError(400, "BadParameter", "The 'value' is not valid base64url.");
  auto key = cloud_->GetKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  if (!*key) return KeyNotFound(name);
  const KeyVersionState* v = FindVersion(**key, version);
  if (!v) return KeyNotFound(name + "/" + version);
  auto out = wrap ? cloud_->WrapKey(vault->name, (*key)->name, v->version, alg, *input)
                  : cloud_->UnwrapKey(vault->name, (*key)->name, v->version, alg, *input);
  if (!out.ok()) return KvError(out.status());
  return JsonResponse(200, Json{{"kid", vault->vault_uri + "/keys/" + (*key)->name + "/" + v->version},
                                {"value", Base64UrlEncode(*out)}});
}

ServerResponse ServerCore::KvDeleteKey(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->GetKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  if (!*key) return KeyNotFound(name);
  Json bundle = KeyBundle(**key, (*key)->versions.back(), *vault);
  Status st = cloud_->DeleteKey(vault->name, (*key)->name);
  if (!st.ok()) return KvError(st);
  auto deleted = cloud_->GetDeletedKey(vault->name, (*key)->name);
  if (deleted.ok() && *deleted) bundle.update(DeletedExtras(*vault, **deleted));
  return JsonResponse(200, bundle);
}

ServerResponse ServerCore::KvListDeleted(Ctx& c) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto deleted = cloud_->ListDeletedKeys(vault->name);
  if (!deleted.ok()) return KvError(deleted.status());
  std::sort(deleted->begin(), deleted->end(), [](const DeletedKey& a, const DeletedKey& b) {
    return Lower(a.name) < Lower(b.name);
  });
  auto page = Paginate(c, deleted->size(), "maxresults", 25, 25);
  if (!page.ok()) return KvError(page.status());
  Json items = Json::array();
  for (size_t i = page->begin; i < page->end; ++i) {
    const DeletedKey& d = (*deleted)[i];
    Json item = KeyItem(d.key, d.key.versions.back(), *vault, /*versioned=*/false);
    item.update(DeletedExtras(*vault, d));
    items.push_back(item);
  }
  return JsonResponse(200, Json{{"value", items}, {"nextLink", page->next_link}});
}

ServerResponse ServerCore::KvGetDeleted(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto deleted = cloud_->GetDeletedKey(vault->name, name);
  if (!deleted.ok()) return KvError(deleted.status());
  if (!*deleted) return KvError(404, "KeyNotFound", "Deleted Key not found: " + name);
  // Rendered from the stored key, so any process serving the sandbox
  // answers the same.
  const DeletedKey& d = **deleted;
  Json bundle = KeyBundle(d.key, d.key.versions.back(), *vault);
  bundle.update(DeletedExtras(*vault, d));
  return JsonResponse(200, bundle);
}

ServerResponse ServerCore::KvRecover(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  auto key = cloud_->RecoverKey(vault->name, name);
  if (!key.ok()) return KvError(key.status());
  return JsonResponse(200, KeyBundle(*key, key->versions.back(), *vault));
}

ServerResponse ServerCore::KvPurge(Ctx& c, const std::string& name) {
  auto vault = KvVault(c);
  if (!vault.ok()) return KvError(vault.status());
  Status st = cloud_->PurgeKey(vault->name, name);
  if (!st.ok()) return KvError(st);
  ServerResponse r;
  r.status = 204;
  return r;
}

}  // namespace cmk
