// SandboxCloud: keys, versions, rotation policies and key soft delete (Key
// Vault data plane).
#include <algorithm>
#include <regex>
#include <set>

#include "base/duration.h"
#include "crypto/crypto.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/codec.h"

namespace cmk {
namespace {


const std::set<std::string>& KnownOps() {
  static const std::set<std::string> kOps = {"encrypt", "decrypt",   "sign",   "verify",
                                             "wrapKey", "unwrapKey", "import", "export"};
  return kOps;
}

bool IsHsm(const std::string& kty) {
  return kty.size() > 4 && kty.compare(kty.size() - 4, 4, "-HSM") == 0;
}

std::vector<std::string> DefaultOps(const std::string& kty) {
  if (kty == "EC" || kty == "EC-HSM") return {"sign", "verify"};
  if (kty == "oct-HSM") return {"decrypt", "encrypt", "unwrapKey", "wrapKey"};
  return {"decrypt", "encrypt", "sign", "unwrapKey", "verify", "wrapKey"};
}

Status ValidateKeyName(const std::string& name) {
  static const std::regex kName("^[0-9a-zA-Z-]{1,127}$");
  if (!std::regex_match(name, kName))
    return BadParameter("The key name '" + name +
                        "' is invalid: 1-127 characters, letters, digits and dashes only.");
  return Status::Ok();
}

Status NormalizeOps(const std::string& kty, std::vector<std::string>& ops) {
  if (ops.empty()) ops = DefaultOps(kty);
  for (const auto& op : ops)
    if (!KnownOps().count(op)) return BadParameter("Invalid key operation '" + op + "'.");
  std::sort(ops.begin(), ops.end());
  ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
  return Status::Ok();
}

Status ValidateTimes(const std::optional<int64_t>& nbf, const std::optional<int64_t>& exp) {
  if (nbf && exp && *exp <= *nbf)
    return BadParameter("The key's expiry (exp) must be later than its activation (nbf).");
  return Status::Ok();
}

Status ExpiryRemoved(const std::string& key) {
  return BadParameter("An expiry date, once set, cannot be removed from key '" + key +
                      "'; set a later date instead.");
}

// Members of a stored version document beyond ToJson(KeyVersionState): its
// type, and which expiry the clock already notified / reported (time_ops.cc).
constexpr const char* kVersionExtras[] = {"kty",         "keySize",         "curve",
                                          "materialKty", "expiredReported", "notifiedFor"};

Json VersionDocWith(const KeyVersionState& v, const Json& old) {
  Json doc = ToJson(v);
  for (const char* extra : kVersionExtras)
    if (old.contains(extra)) doc[extra] = old[extra];
  return doc;
}

Status KeyNotFound(const std::string& vault, const std::string& name) {
  return AzureError(StatusCode::kNotFound, "KeyNotFound",
                    "A key with (name/id) " + name + " was not found in this key vault (" +
                        vault + ").");
}

}  // namespace


Status ValidateKeyType(std::string& kty, int& size, std::string& curve) {
  if (kty == "RSA" || kty == "RSA-HSM") {
    if (size == 0) size = 2048;
    if (size != 2048 && size != 3072 && size != 4096)
      return BadParameter("Invalid key size " + std::to_string(size) +
                          " for " + kty + ": expected 2048, 3072 or 4096.");
    curve.clear();
  } else if (kty == "EC" || kty == "EC-HSM") {
    if (curve.empty()) curve = "P-256";
    if (curve != "P-256" && curve != "P-384" && curve != "P-521")
      return BadParameter("Invalid curve '" + curve + "': expected P-256, P-384 or P-521.");
    size = 0;
  } else if (kty == "oct-HSM") {
    if (size == 0) size = 256;
    if (size != 128 && size != 192 && size != 256)
      return BadParameter("Invalid key size " + std::to_string(size) +
                          " for oct-HSM: expected 128, 192 or 256.");
    curve.clear();
  } else {
    return BadParameter("Invalid key type '" + kty +
                        "': expected RSA, RSA-HSM, EC, EC-HSM or oct-HSM.");
  }
  return Status::Ok();
}


std::string SandboxCloud::KeyId(const std::string& vault, const std::string& name,
                                const std::string& version) const {
  std::string id = VaultUri(vault, options_.dns_suffix) + "/keys/" + name;
  return version.empty() ? id : id + "/" + version;
}

Result<Json> SandboxCloud::LiveKeyDoc(const std::string& vault, const std::string& name) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                       store_->Get(StoreTable::kKeys, KeyRowKey(vault, name)));
  if (!doc || IsDeleted(*doc)) return KeyNotFound(vault, name);
  return std::move(*doc);
}

Result<Json> SandboxCloud::VersionDoc(const std::string& vault, const std::string& name,
                                      const std::string& version) {
  if (version.empty()) {
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         store_->List(StoreTable::kKeyVersions,
                                      VersionRowPrefix(vault, name)));
    if (rows.empty()) return KeyNotFound(vault, name);
    return std::move(rows.back().doc);
  }
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                       store_->Get(StoreTable::kKeyVersions,
                                   VersionRowKey(vault, name, version)));
  if (!doc) return KeyNotFound(vault, name + "/" + version);
  return std::move(*doc);
}

// Assumes vault and key are live.
Result<KeyState> SandboxCloud::LoadKey(const std::string& vault, const std::string& name) {
  CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(vault));
  CMK_ASSIGN_OR_RETURN(Json key_doc, LiveKeyDoc(vault, name));
  return AssembleKey(vault_doc, key_doc);
}

// A key's state from its document and its version rows; the key may be
// live or soft-deleted (a deleted key keeps every version).
Result<KeyState> SandboxCloud::AssembleKey(const Json& vault_doc, const Json& key_doc) {
  const std::string vault = DocString(DocObject(vault_doc, "vault"), "name");
  const std::string name = DocString(key_doc, "name");
  CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                       store_->List(StoreTable::kKeyVersions,
                                    VersionRowPrefix(vault, name)));
  if (rows.empty()) return Internal("sandbox: key " + vault + "/" + name + " has no versions");
  KeyState k;
  k.vault = DocString(DocObject(vault_doc, "vault"), "name");
  k.name = DocString(key_doc, "name");
  for (const auto& row : rows) k.versions.push_back(FromJson<KeyVersionState>(row.doc));
  const Json& newest = rows.back().doc;
  const KeyVersionState& v = k.versions.back();
  k.kty = DocString(newest, "kty");
  k.key_size = static_cast<int>(DocInt(newest, "keySize"));
  k.curve = DocString(newest, "curve");
  k.key_ops = v.key_ops;
  k.enabled = v.enabled;
  k.not_before = v.not_before;
  k.expires = v.expires;
  k.tags = v.tags;
  if (key_doc.contains("rotationPolicy"))
    k.rotation_policy = FromJson<RotationPolicyState>(key_doc["rotationPolicy"]);
  k.kid = KeyId(k.vault, k.name, v.version);
  return k;
}

Status SandboxCloud::ForgetExpiredKey(const std::string& vault, const std::string& name) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                       store_->Get(StoreTable::kKeys, KeyRowKey(vault, name)));
  if (!doc || !IsDeleted(*doc) || Now() < ScheduledPurgeDate(*doc))
    return Status::Ok();
  CMK_RETURN_IF_ERROR(PurgeKeyRows(vault, name));
  return Record("key.purge", "key/" + vault + "/" + name,
                "purged automatically after the retention period");
}

Status SandboxCloud::PurgeKeyRows(const std::string& vault, const std::string& name) {
  CMK_RETURN_IF_ERROR(
      store_->DeletePrefix(StoreTable::kKeyVersions, VersionRowPrefix(vault, name)));
  return store_->Delete(StoreTable::kKeys, KeyRowKey(vault, name));
}

Result<KeyVersionState> SandboxCloud::NewVersion(const std::string& vault,
                                                 const std::string& name, const std::string& kty,
                                                 int size, const std::string& curve,
                                                 KeyVersionState attrs,
                                                 const PrivateKey* imported) {
  // Generated material is not made here: RSA generation is the slowest
  // thing the sandbox does. The version is queued in the material pool,
  // which makes it on background threads, and its first use (public key
  // read, wrap or unwrap; see MaterialInTxn) takes it from there or makes
  // it. The parameters are checked now, so a bad size is refused when the
  // key is created.
  std::string material_kty;
  if (imported) {
    material_kty = imported->kty;
  } else {
    CMK_ASSIGN_OR_RETURN(material_kty, GeneratedKty(kty, size, curve));
  }
  // A generated id never replaces an existing version: a sandbox restored
  // from a snapshot of another sandbox holds versions that sandbox's counter
  // generated, and this one's counter may reach the same values.
  for (int attempt = 0; attrs.version.empty(); ++attempt) {
    if (attempt == 100) return Internal("sandbox: no free version id for " + vault + "/" + name);
    CMK_ASSIGN_OR_RETURN(std::string id, NewVersionId("version|" + vault + "/" + name));
    CMK_ASSIGN_OR_RETURN(std::optional<Json> taken,
                         store_->Get(StoreTable::kKeyVersions,
                                     VersionRowKey(vault, name, id)));
    if (!taken) attrs.version = id;
  }
  if (attrs.created == 0) attrs.created = Now();
  if (attrs.updated == 0) attrs.updated = attrs.created;
  Json doc = ToJson(attrs);
  doc["kty"] = kty;
  doc["keySize"] = size;
  doc["curve"] = curve;
  doc["materialKty"] = material_kty;
  const std::string row = VersionRowKey(vault, name, attrs.version);
  CMK_RETURN_IF_ERROR(store_->PutWithSecret(StoreTable::kKeyVersions, row, doc,
                                            imported ? imported->material : SecureBytes()));
  // Should this transaction roll back, the pool's material is dropped when
  // stored: it is stored only for a row still made to the same parameters.
  if (!imported) pool_->Submit(row, MaterialSpec{kty, size, curve});
  return attrs;
}

Result<std::optional<KeyState>> SandboxCloud::GetKeyInTxn(const std::string& vault,
                                                          const std::string& name) {
  CMK_ASSIGN_OR_RETURN(std::optional<Json> vault_doc, LoadVaultDoc(vault));
  if (!vault_doc || IsDeleted(*vault_doc)) return std::optional<KeyState>();
  CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc,
                       store_->Get(StoreTable::kKeys, KeyRowKey(vault, name)));
  if (!key_doc || IsDeleted(*key_doc)) return std::optional<KeyState>();
  CMK_ASSIGN_OR_RETURN(KeyState k, LoadKey(vault, name));
  return std::optional<KeyState>(std::move(k));
}

Result<std::optional<KeyState>> SandboxCloud::GetKey(const std::string& vault,
                                                     const std::string& name) {
  return InReadTransaction([&] { return GetKeyInTxn(vault, name); });
}

Result<std::vector<std::string>> SandboxCloud::ListKeys(const std::string& vault) {
  return InReadTransaction([&]() -> Result<std::vector<std::string>> {
    CMK_RETURN_IF_ERROR(LiveVaultDoc(vault).status());
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         store_->List(StoreTable::kKeys, KeyRowPrefix(vault)));
    std::vector<std::string> names;
    for (const auto& row : rows)
      if (!IsDeleted(row.doc)) names.push_back(DocString(row.doc, "name"));
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return Lower(a) < Lower(b);
    });
    return names;
  });
}

Result<KeyState> SandboxCloud::CreateKey(const KeyState& desired) {
  return AddKeyVersion(desired, nullptr);
}

Result<KeyState> SandboxCloud::AddKeyVersion(const KeyState& desired,
                                             const PrivateKey* material) {
  CMK_RETURN_IF_ERROR(ValidateKeyName(desired.name));
  std::string kty = desired.kty, curve = desired.curve;
  int size = desired.key_size;
  CMK_RETURN_IF_ERROR(ValidateKeyType(kty, size, curve));
  std::vector<std::string> ops = desired.key_ops;
  CMK_RETURN_IF_ERROR(NormalizeOps(kty, ops));
  CMK_RETURN_IF_ERROR(ValidateTimes(desired.not_before, desired.expires));
  return InTransaction([&]() -> Result<KeyState> {
    CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(desired.vault));
    VaultState vault = FromJson<VaultState>(DocObject(vault_doc, "vault"));
    if (IsHsm(kty) && vault.sku != "premium")
      return BadParameter("Operation not allowed for this key type: " + kty +
                          " keys need a premium vault and vault '" + vault.name + "' is " +
                          vault.sku + ".");
    CMK_RETURN_IF_ERROR(ForgetExpiredKey(vault.name, desired.name));
    std::string row_key = KeyRowKey(vault.name, desired.name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc, store_->Get(StoreTable::kKeys, row_key));
    if (key_doc && IsDeleted(*key_doc))
      return AzureError(StatusCode::kConflict, "ObjectIsDeletedButRecoverable",
                        "Key " + desired.name +
                            " is currently in a deleted but recoverable state, and its name "
                            "cannot be reused; in this state, the key can only be recovered or "
                            "purged.");
    bool exists = key_doc.has_value();
    std::string name = exists ? DocString(*key_doc, "name") : desired.name;
    if (!exists)
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeys, row_key,
                                      Json{{"vault", vault.name}, {"name", name}}));
    KeyVersionState attrs;
    attrs.enabled = desired.enabled;
    attrs.not_before = desired.not_before;
    attrs.expires = desired.expires;
    attrs.key_ops = ops;
    attrs.tags = desired.tags;
    CMK_ASSIGN_OR_RETURN(KeyVersionState v,
                         NewVersion(vault.name, name, kty, size, curve, attrs, material));
    const char* what = material ? (exists ? "imported new version " : "imported ")
                                : (exists ? "new version " : "created ");
    CMK_RETURN_IF_ERROR(Record(material ? "key.import" : exists ? "key.new-version" : "key.create",
                               "key/" + vault.name + "/" + name,
                               std::string(what) + kty +
                                   (curve.empty() ? " " + std::to_string(size) : " " + curve) +
                                   ", version " + v.version));
    return LoadKey(vault.name, name);
  });
}

Result<KeyState> SandboxCloud::UpdateKey(const KeyState& desired) {
  CMK_RETURN_IF_ERROR(ValidateTimes(desired.not_before, desired.expires));
  return InTransaction([&]() -> Result<KeyState> {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(desired.vault, desired.name));
    CMK_ASSIGN_OR_RETURN(Json doc, VersionDoc(key.vault, key.name, ""));
    KeyVersionState v = FromJson<KeyVersionState>(doc);
    if (v.expires && !desired.expires) return ExpiryRemoved(key.name);
    std::vector<std::string> ops = desired.key_ops;
    if (!ops.empty()) {
      CMK_RETURN_IF_ERROR(NormalizeOps(key.kty, ops));
      v.key_ops = ops;
    }
    v.enabled = desired.enabled;
    v.not_before = desired.not_before;
    v.expires = desired.expires;
    v.tags = desired.tags;
    v.updated = Now();
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeyVersions,
                                    VersionRowKey(key.vault, key.name, v.version),
                                    VersionDocWith(v, doc)));
    CMK_RETURN_IF_ERROR(Record("key.update", "key/" + key.vault + "/" + key.name,
                               "updated version " + v.version +
                                   (v.enabled ? " (enabled)" : " (disabled)")));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    return LoadKey(key.vault, key.name);
  });
}

Status SandboxCloud::UpdateKeyVersion(const std::string& vault, const std::string& name,
                                      const KeyVersionState& attributes) {
  if (attributes.version.empty()) return BadParameter("UpdateKeyVersion needs a version.");
  CMK_RETURN_IF_ERROR(ValidateTimes(attributes.not_before, attributes.expires));
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(vault, name));
    CMK_ASSIGN_OR_RETURN(Json doc, VersionDoc(key.vault, key.name, attributes.version));
    KeyVersionState v = FromJson<KeyVersionState>(doc);
    if (v.expires && !attributes.expires) return ExpiryRemoved(key.name);
    v.enabled = attributes.enabled;
    v.not_before = attributes.not_before;
    v.expires = attributes.expires;
    v.updated = Now();
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeyVersions,
                                    VersionRowKey(key.vault, key.name, v.version),
                                    VersionDocWith(v, doc)));
    CMK_RETURN_IF_ERROR(Record("key.update-version", "key/" + key.vault + "/" + key.name,
                               "updated version " + v.version +
                                   (v.enabled ? " (enabled)" : " (disabled)")));
    return EvaluateAccessInTxn();
  });
}

Result<KeyVersionState> SandboxCloud::RotateInTxn(const KeyState& key) {
  KeyVersionState attrs;
  attrs.key_ops = key.key_ops;
  attrs.tags = key.tags;
  if (key.rotation_policy && key.rotation_policy->expiry_time) {
    CMK_ASSIGN_OR_RETURN(IsoDuration d, ParseIsoDuration(*key.rotation_policy->expiry_time));
    attrs.expires = AddDuration(Now(), d);
  }
  return NewVersion(key.vault, key.name, key.kty, key.key_size, key.curve, attrs);
}

Result<KeyState> SandboxCloud::RotateKey(const std::string& vault, const std::string& name) {
  return InTransaction([&]() -> Result<KeyState> {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(vault, name));
    CMK_ASSIGN_OR_RETURN(KeyVersionState v, RotateInTxn(key));
    CMK_RETURN_IF_ERROR(Record("key.rotate", "key/" + key.vault + "/" + key.name,
                               "rotated: new version " + v.version +
                                   (v.expires ? ", expires " + FormatRfc3339(*v.expires) : "")));
    return LoadKey(key.vault, key.name);
  });
}

Result<std::optional<RotationPolicyState>> SandboxCloud::GetRotationPolicy(
    const std::string& vault, const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<RotationPolicyState>> {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(vault, name));
    return key.rotation_policy;
  });
}

Status SandboxCloud::PutRotationPolicy(const std::string& vault, const std::string& name,
                                       const RotationPolicyState& policy) {
  for (const auto* d : {&policy.rotate_after_create, &policy.rotate_before_expiry,
                        &policy.notify_before_expiry, &policy.expiry_time}) {
    if (!*d) continue;
    auto parsed = ParseIsoDuration(**d);
    if (!parsed.ok())
      return BadParameter("Invalid ISO-8601 duration '" + **d + "' in rotation policy: " +
                          parsed.status().message());
  }
  if (policy.rotate_after_create && policy.rotate_before_expiry)
    return BadParameter("A rotation policy may rotate after creation or before expiry, not both.");
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(vault, name));
    CMK_ASSIGN_OR_RETURN(Json doc, LiveKeyDoc(key.vault, key.name));
    RotationPolicyState p = policy;
    p.updated = Now();
    doc["rotationPolicy"] = ToJson(p);
    CMK_RETURN_IF_ERROR(
        store_->Put(StoreTable::kKeys, KeyRowKey(key.vault, key.name), doc));
    return Record("key.rotation-policy", "key/" + key.vault + "/" + key.name,
                  "rotation policy set: " + ToJson(policy).dump());
  });
}

Status SandboxCloud::DeleteKey(const std::string& vault, const std::string& name) {
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(vault));
    CMK_ASSIGN_OR_RETURN(Json doc, LiveKeyDoc(vault, name));
    VaultState v = FromJson<VaultState>(DocObject(vault_doc, "vault"));
    MarkDeleted(doc, Now(), v.soft_delete_retention_days);
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeys, KeyRowKey(vault, name), doc));
    CMK_RETURN_IF_ERROR(Record("key.delete", "key/" + v.name + "/" + DocString(doc, "name"),
                               "soft-deleted (all versions); scheduled purge " +
                                   FormatRfc3339(ScheduledPurgeDate(doc))));
    return EvaluateAccessInTxn();
  });
}

Result<std::vector<DeletedKey>> SandboxCloud::ListDeletedKeys(const std::string& vault) {
  return InReadTransaction([&]() -> Result<std::vector<DeletedKey>> {
    CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(vault));
    CMK_ASSIGN_OR_RETURN(std::vector<StoredDoc> rows,
                         store_->List(StoreTable::kKeys, KeyRowPrefix(vault)));
    std::vector<DeletedKey> out;
    for (const auto& row : rows) {
      CMK_ASSIGN_OR_RETURN(std::optional<DeletedKey> d, DeletedKeyFromDoc(vault_doc, row.doc));
      if (d) out.push_back(std::move(*d));
    }
    std::sort(out.begin(), out.end(), [](const DeletedKey& a, const DeletedKey& b) {
      return Lower(a.name) < Lower(b.name);
    });
    return out;
  });
}

Result<std::optional<DeletedKey>> SandboxCloud::GetDeletedKey(const std::string& vault, const std::string& name) {
  return InReadTransaction([&]() -> Result<std::optional<DeletedKey>> {
    CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(vault));
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kKeys, KeyRowKey(vault, name)));
    if (!doc) return std::optional<DeletedKey>();
    return DeletedKeyFromDoc(vault_doc, *doc);
  });
}

// The key a row holds if it is soft-deleted and not yet due for purge.
Result<std::optional<DeletedKey>> SandboxCloud::DeletedKeyFromDoc(const Json& vault_doc, const Json& doc) {
  if (!IsDeleted(doc) || Now() >= ScheduledPurgeDate(doc)) return std::optional<DeletedKey>();
  CMK_ASSIGN_OR_RETURN(KeyState key, AssembleKey(vault_doc, doc));
  return std::optional<DeletedKey>(DeletedKey{DocString(doc, "vault"), DocString(doc, "name"), DeletionDate(doc),
                                              ScheduledPurgeDate(doc), std::move(key)});
}

Result<KeyState> SandboxCloud::RecoverKey(const std::string& vault, const std::string& name) {
  return InTransaction([&]() -> Result<KeyState> {
    CMK_RETURN_IF_ERROR(LiveVaultDoc(vault).status());
    CMK_RETURN_IF_ERROR(ForgetExpiredKey(vault, name));
    std::string row_key = KeyRowKey(vault, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kKeys, row_key));
    if (!doc || !IsDeleted(*doc))
      return AzureError(StatusCode::kNotFound, "KeyNotFound",
                        "Deleted Key not found: " + name + " (vault " + vault + ").");
    ClearDeleted(*doc);
    CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeys, row_key, *doc));
    CMK_RETURN_IF_ERROR(Record("key.recover", "key/" + DocString(*doc, "vault") + "/" +
                                                  DocString(*doc, "name"),
                               "recovered from soft delete"));
    CMK_RETURN_IF_ERROR(EvaluateAccessInTxn());
    return LoadKey(vault, name);
  });
}

Status SandboxCloud::PurgeKey(const std::string& vault, const std::string& name) {
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(vault));
    VaultState v = FromJson<VaultState>(DocObject(vault_doc, "vault"));
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc,
                         store_->Get(StoreTable::kKeys, KeyRowKey(vault, name)));
    if (!doc || !IsDeleted(*doc))
      return AzureError(StatusCode::kNotFound, "KeyNotFound",
                        "Deleted Key not found: " + name + " (vault " + vault + ").");
    int64_t purge_date = ScheduledPurgeDate(*doc);
    if (v.purge_protection && Now() < purge_date)
      return AzureError(StatusCode::kFailedPrecondition, "Forbidden",
                        "Operation \"purge\" is not allowed because purge protection is enabled "
                        "for vault '" + v.name + "'; key " + name + " can be purged after " +
                            FormatRfc3339(purge_date) + ".");
    CMK_RETURN_IF_ERROR(PurgeKeyRows(vault, name));
    CMK_RETURN_IF_ERROR(
        Record("key.purge", "key/" + v.name + "/" + DocString(*doc, "name"), "purged"));
    return EvaluateAccessInTxn();
  });
}

}  // namespace cmk

namespace cmk {

Status SandboxCloud::SeedKeyVersions(const std::string& vault, const std::string& name,
                                     const std::string& kty, int size, const std::string& curve,
                                     const std::vector<std::string>& versions) {
  CMK_RETURN_IF_ERROR(ValidateKeyName(name));
  std::string type = kty, crv = curve;
  int bits = size;
  CMK_RETURN_IF_ERROR(ValidateKeyType(type, bits, crv));
  std::vector<std::string> ops = {"unwrapKey", "wrapKey"};
  CMK_RETURN_IF_ERROR(NormalizeOps(type, ops));
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(Json vault_doc, LiveVaultDoc(vault));
    VaultState v = FromJson<VaultState>(DocObject(vault_doc, "vault"));
    std::string row_key = KeyRowKey(v.name, name);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> key_doc, store_->Get(StoreTable::kKeys, row_key));
    if (key_doc && IsDeleted(*key_doc))
      return AzureError(StatusCode::kConflict, "ObjectIsDeletedButRecoverable",
                        "Key " + name + " is deleted but recoverable");
    if (!key_doc)
      CMK_RETURN_IF_ERROR(store_->Put(StoreTable::kKeys, row_key, Json{{"vault", v.name}, {"name", name}}));
    const int64_t now = Now();
    for (size_t i = 0; i < versions.size(); ++i) {
      CMK_ASSIGN_OR_RETURN(std::optional<Json> existing,
                           store_->Get(StoreTable::kKeyVersions,
                                       VersionRowKey(v.name, name, versions[i])));
      if (existing) continue;
      KeyVersionState attrs;
      attrs.version = versions[i];
      attrs.key_ops = ops;
      attrs.created = now - static_cast<int64_t>(versions.size() - i) * 90 * 86400;
      CMK_ASSIGN_OR_RETURN(KeyVersionState made, NewVersion(v.name, name, type, bits, crv, attrs));
      CMK_RETURN_IF_ERROR(Record("key.seed", "key/" + v.name + "/" + name,
                                 "seeded existing version " + made.version));
    }
    return Status::Ok();
  });
}

}  // namespace cmk
