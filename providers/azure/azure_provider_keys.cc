// AzureProvider: keys on the Key Vault data plane.

#include <algorithm>
#include <set>

#include "azure/azure_provider.h"
#include "azure/error_mapping.h"
#include "azure/wire_mapping.h"
#include "crypto/crypto.h"
#include "base/strings.h"
#include "model/key_id.h"

namespace cmk {
namespace {

std::string KeyObject(const std::string& vault, const std::string& name) {
  return "key " + vault + "/" + name;
}

std::string VersionsPath(const std::string& name) {
  return "/keys/" + name + "/versions?maxresults=25";
}

// Versions oldest first; a key that does not exist has none.
Result<std::vector<KeyVersionState>> VersionsFrom(Result<std::vector<Json>> items) {
  if (!items.ok() && items.status().code() == StatusCode::kNotFound)
    return std::vector<KeyVersionState>();
  if (!items.ok()) return items.status();
  std::vector<KeyVersionState> out;
  for (const auto& j : *items) out.push_back(KeyVersionFromItem(j));
  std::sort(out.begin(), out.end(), [](const KeyVersionState& a, const KeyVersionState& b) {
    return a.created != b.created ? a.created < b.created : a.version < b.version;
  });
  return out;
}

}  // namespace

Result<std::vector<KeyVersionState>> AzureProvider::ListVersions(const std::string& vault,
                                                                 const std::string& name) {
  return VersionsFrom(kv_->List(vault, VersionsPath(name), KeyObject(vault, name)));
}

Result<std::optional<KeyState>> AzureProvider::GetKey(const KeyRef& request) {
  return std::move(GetKeys({request}).front());
}

std::vector<Result<std::optional<KeyState>>> AzureProvider::GetKeys(const std::vector<KeyRef>& keys) {
  // Bundle, first page of versions and rotation policy of every key are
  // independent GETs: one batch. Further version pages follow one by one.
  std::vector<KeyVaultClient::VaultGet> gets;
  gets.reserve(3 * keys.size());
  for (const KeyRef& k : keys) {
    gets.push_back({k.vault, "/keys/" + k.name});
    gets.push_back({k.vault, VersionsPath(k.name)});
    gets.push_back({k.vault, "/keys/" + k.name + "/rotationpolicy"});
  }
  std::vector<Result<HttpResponse>> got = kv_->GetAll(gets);
  std::vector<Result<std::optional<KeyState>>> out;
  out.reserve(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    out.push_back([&]() -> Result<std::optional<KeyState>> {
      const std::string& vault = keys[k].vault;
      std::string object = KeyObject(vault, keys[k].name);
      CMK_ASSIGN_OR_RETURN(std::optional<Json> bundle,
                           KeyVaultClient::GetResult(std::move(got[3 * k]), object));
      if (!bundle) return std::optional<KeyState>();
      KeyState key = KeyFromBundle(*bundle, vault);
      KeyVersionState newest = key.versions.back();
      CMK_ASSIGN_OR_RETURN(key.versions,
                           VersionsFrom(kv_->ListFrom(vault, std::move(got[3 * k + 1]), object)));
      // The bundle is authoritative for the newest version (items lack key_ops).
      key.versions.erase(std::remove_if(key.versions.begin(), key.versions.end(),
                                        [&](const KeyVersionState& v) { return v.version == newest.version; }),
                         key.versions.end());
      key.versions.push_back(newest);
      CMK_ASSIGN_OR_RETURN(std::optional<Json> policy,
                           KeyVaultClient::GetResult(std::move(got[3 * k + 2]), object));
      if (policy) key.rotation_policy = RotationPolicyFromWire(*policy);
      return std::optional<KeyState>(std::move(key));
    }());
  }
  FillOlderVersions(out);
  return out;
}

void AzureProvider::FillOlderVersions(std::vector<Result<std::optional<KeyState>>>& keys) {
  // A version item carries attributes and tags but not the version's key
  // operations: read every older version's bundle, all in one batch.
  std::vector<KeyVaultClient::VaultGet> gets;
  std::vector<std::pair<size_t, size_t>> targets;  // (key, version)
  for (size_t k = 0; k < keys.size(); ++k) {
    if (!keys[k].ok() || !*keys[k]) continue;
    const KeyState& key = **keys[k];
    for (size_t i = 0; i + 1 < key.versions.size(); ++i) {
      gets.push_back({key.vault, "/keys/" + key.name + "/" + key.versions[i].version});
      targets.emplace_back(k, i);
    }
  }
  if (gets.empty()) return;
  std::vector<Result<HttpResponse>> got = kv_->GetAll(gets);
  for (size_t g = 0; g < gets.size(); ++g) {
    auto [k, i] = targets[g];
    if (!keys[k].ok()) continue;  // an earlier version of this key failed
    Result<std::optional<Json>> bundle = KeyVaultClient::GetResult(
        std::move(got[g]), "key version " + gets[g].vault + gets[g].path);
    if (!bundle.ok()) {
      keys[k] = bundle.status();
      continue;
    }
    // Gone since the list (purged in between): keep what the list said.
    if (*bundle) (*keys[k])->versions[i] = KeyVersionFromBundle(**bundle);
  }
}

Result<std::optional<DeletedKeyState>> AzureProvider::GetDeletedKey(const KeyRef& request) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> bundle,
                       kv_->Get(request.vault, "/deletedkeys/" + request.name,
                                "deleted " + KeyObject(request.vault, request.name)));
  if (!bundle) return std::optional<DeletedKeyState>();
  DeletedKeyState d;
  d.key = KeyFromBundle(*bundle, request.vault);
  if (bundle->contains("deletedDate") && (*bundle)["deletedDate"].is_number())
    d.deletion_date = (*bundle)["deletedDate"].get<int64_t>();
  if (bundle->contains("scheduledPurgeDate") && (*bundle)["scheduledPurgeDate"].is_number())
    d.scheduled_purge_date = (*bundle)["scheduledPurgeDate"].get<int64_t>();
  return std::optional<DeletedKeyState>(std::move(d));
}

Result<KeyState> AzureProvider::RecoverKey(const cmk::RecoverKey& request) {
  const KeyRef& k = request.key;
  std::string object = KeyObject(k.vault, k.name);
  CMK_RETURN_IF_ERROR(kv_->Send(k.vault, "POST", "/deletedkeys/" + k.name + "/recover", Json::object(),
                                "recover", object)
                          .status());
  // Recovery completes asynchronously: the key answers once it is back.
  for (int attempt = 1;; ++attempt) {
    CMK_ASSIGN_OR_RETURN(std::optional<KeyState> key, GetKey(k));
    if (key) return *key;
    if (attempt >= 10) return Unavailable(object + " was recovered but does not answer yet: plan again shortly");
    hooks_.sleeper(BackoffDelay(options_.retry, attempt, hooks_.random01()));
  }
}

Result<std::vector<std::string>> AzureProvider::ListKeys(const std::string& vault) {
  CMK_ASSIGN_OR_RETURN(std::vector<Json> items,
                       kv_->List(vault, "/keys?maxresults=25", "keys of vault " + vault));
  std::vector<std::string> names;
  for (const auto& j : items) {
    if (j.contains("managed") && j["managed"].is_boolean() && j["managed"].get<bool>()) continue;
    std::string kid = j.contains("kid") && j["kid"].is_string() ? j["kid"].get<std::string>() : "";
    std::string n = ParseKeyId(kid).value_or(KeyId{}).name;
    if (!n.empty()) names.push_back(n);
  }
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return Lower(a) < Lower(b); });
  return names;
}

Result<KeyState> AzureProvider::NonIdempotentKeyPost(const std::string& vault,
                                                     const std::string& name,
                                                     const std::string& path,
                                                     const std::optional<Json>& body,
                                                     const std::string& operation) {
  std::string object = KeyObject(vault, name);
  CMK_ASSIGN_OR_RETURN(std::vector<KeyVersionState> before, ListVersions(vault, name));
  std::set<std::string> before_versions;
  for (const auto& v : before) before_versions.insert(v.version);
  SendOptions options;
  options.idempotent = false;
  options.reread = [&]() -> Result<bool> {
    CMK_ASSIGN_OR_RETURN(std::vector<KeyVersionState> now, ListVersions(vault, name));
    for (const auto& v : now)
      if (!before_versions.count(v.version)) return true;  // a new version appeared: it happened
    return false;
  };
  bool applied_elsewhere = false;
  CMK_ASSIGN_OR_RETURN(HttpResponse r, kv_->Call(vault, "POST", path, body, RateClass::kVaultCreate,
                                                 options, &applied_elsewhere));
  if (!applied_elsewhere && (r.status < 200 || r.status > 299))
    return StatusFromResponse(r, operation, object);
  CMK_ASSIGN_OR_RETURN(std::optional<KeyState> key, GetKey(KeyRef{vault, name}));
  if (!key) return Internal(operation + " " + object + " succeeded but the key cannot be read back");
  return *key;
}

Result<KeyState> AzureProvider::CreateKey(const cmk::CreateKey& request) {
  const KeyState& desired = request.key;
  return NonIdempotentKeyPost(desired.vault, desired.name, "/keys/" + desired.name + "/create",
                              KeyCreateBody(desired), "create");
}

Result<KeyState> AzureProvider::RotateKey(const cmk::RotateKey& request) {
  const auto& [vault, name] = request.key;
  return NonIdempotentKeyPost(vault, name, "/keys/" + name + "/rotate", std::nullopt, "rotate");
}

Result<KeyState> AzureProvider::UpdateKey(const cmk::UpdateKey& request) {
  const KeyState& desired = request.key;
  std::string object = KeyObject(desired.vault, desired.name);
  CMK_RETURN_IF_ERROR(kv_->Send(desired.vault, "PATCH", "/keys/" + desired.name + "/",
                                KeyUpdateBody(desired), "update", object)
                          .status());
  CMK_ASSIGN_OR_RETURN(std::optional<KeyState> key, GetKey(KeyRef{desired.vault, desired.name}));
  if (!key) return NotFound(object + " disappeared after the update");
  return *key;
}

Status AzureProvider::UpdateKeyVersion(const cmk::UpdateKeyVersion& request) {
  const auto& [vault, name] = request.key;
  const KeyVersionState& attributes = request.attributes;
  return kv_->Send(vault, "PATCH", "/keys/" + name + "/" + attributes.version,
                   KeyVersionUpdateBody(attributes), "update",
                   KeyObject(vault, name) + " version " + attributes.version)
      .status();
}

Status AzureProvider::PutRotationPolicy(const cmk::PutRotationPolicy& request) {
  const auto& [vault, name] = request.key;
  const RotationPolicyState& policy = request.policy;
  return kv_->Send(vault, "PUT", "/keys/" + name + "/rotationpolicy", RotationPolicyToWire(policy),
                   "set rotation policy of", KeyObject(vault, name))
      .status();
}

Status AzureProvider::DeleteKey(const cmk::DeleteKey& request) {
  const auto& [vault, name] = request.key;
  return kv_->Send(vault, "DELETE", "/keys/" + name, std::nullopt, "delete", KeyObject(vault, name))
      .status();
}

Result<PublicKey> AzureProvider::GetPublicKey(const KeyVersionRef& request) {
  const auto& [vault, name, version] = request;
  std::string object = KeyObject(vault, name) + (version.empty() ? "" : " version " + version);
  CMK_ASSIGN_OR_RETURN(std::optional<Json> bundle,
                       kv_->Get(vault, "/keys/" + name + "/" + version, object));
  if (!bundle) return NotFound(object + " does not exist");
  return PublicKeyFromJwk((*bundle)["key"]);
}

namespace {

Result<Bytes> CryptoOp(KeyVaultClient& kv, const std::string& vault, const std::string& name,
                       const std::string& version, const std::string& op, const std::string& alg,
                       const Bytes& input) {
  std::string object = "key " + vault + "/" + name + (version.empty() ? "" : " version " + version);
  SendOptions options;
  options.idempotent = true;  // pure computation: safe to repeat
  CMK_ASSIGN_OR_RETURN(HttpResponse r,
                       kv.Call(vault, "POST", "/keys/" + name + "/" + version + "/" + op,
                               KeyOperationBody(alg, input), RateClass::kVaultOp, options));
  if (r.status != 200) return StatusFromResponse(r, op, object);
  Json j = Json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("value") || !j["value"].is_string())
    return Internal(op + " " + object + ": response has no value");
  // The published wrapKey example uses the standard alphabet: accept both.
  Result<Bytes> out = Base64AnyDecode(j["value"].get<std::string>());
  if (!out.ok()) return Internal(op + " " + object + ": value is not base64");
  return *out;
}

}  // namespace

Result<Bytes> AzureProvider::WrapKey(const cmk::WrapKey& r) {
  return CryptoOp(*kv_, r.key.vault, r.key.name, r.key.version, "wrapkey", r.alg, r.plaintext);
}

Result<Bytes> AzureProvider::UnwrapKey(const cmk::UnwrapKey& r) {
  return CryptoOp(*kv_, r.key.vault, r.key.name, r.key.version, "unwrapkey", r.alg, r.ciphertext);
}

}  // namespace cmk
