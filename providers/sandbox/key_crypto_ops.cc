// SandboxCloud: what the vault does with a key version's private half
// (publish the public JWK, wrap, unwrap), with Key Vault's checks first.
// The private material is read here and nowhere else.
#include <algorithm>

#include "base/duration.h"
#include "crypto/crypto.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_util.h"
#include "model/codec.h"

namespace cmk {
namespace {


bool HasOp(const KeyVersionState& v, const std::string& op) {
  return std::find(v.key_ops.begin(), v.key_ops.end(), op) != v.key_ops.end();
}

Status Forbidden(const std::string& message) {
  return AzureError(StatusCode::kPermissionDenied, "Forbidden", message);
}

// Key Vault's usability rules for one version at `now`.
Status CheckUsable(const KeyVersionState& v, const std::string& op, int64_t now) {
  if (!v.enabled) return Forbidden("Operation " + op + " is not allowed on a disabled key. Key is disabled.");
  if (v.not_before && now < *v.not_before)
    return Forbidden("Operation " + op + " is not allowed: Key is not yet valid (nbf " +
                     FormatRfc3339(*v.not_before) + ").");
  if (v.expires && now >= *v.expires)
    return Forbidden("Operation " + op + " is not allowed: Key is expired (exp " +
                     FormatRfc3339(*v.expires) + ").");
  return Status::Ok();
}

// The wrap algorithm must fit the key type (and, for AES-KW, the key size).
Status CheckAlgFits(WrapAlg alg, const std::string& alg_name, const std::string& kty,
                    int size) {
  bool rsa_key = kty == "RSA" || kty == "RSA-HSM";
  bool oct_key = kty == "oct-HSM" || kty == "oct";
  bool fits = rsa_key ? IsRsaAlg(alg) : oct_key && !IsRsaAlg(alg);
  if (fits && oct_key) {
    int need = alg == WrapAlg::kA128Kw   ? 128
               : alg == WrapAlg::kA192Kw ? 192
               : alg == WrapAlg::kA256Kw ? 256
                                                 : size;
    fits = need == size;
  }
  if (!fits)
    return BadParameter("Algorithm " + alg_name + " is not supported for key type " + kty +
                        (size ? " " + std::to_string(size) : std::string()) + ".");
  return Status::Ok();
}

MaterialSpec SpecOf(const Json& version_doc) {
  return MaterialSpec{DocString(version_doc, "kty"), static_cast<int>(DocInt(version_doc, "keySize")),
                      DocString(version_doc, "curve")};
}

}  // namespace

Result<LoadedKey> SandboxCloud::MaterialInTxn(const KeyState& key, const std::string& version,
                                              const Json& doc) {
  const std::string row = VersionRowKey(key.vault, key.name, version);
  if (auto it = loaded_.find(row); it != loaded_.end()) return it->second;
  PrivateKey priv{DocString(doc, "materialKty"), {}};
  CMK_ASSIGN_OR_RETURN(priv.material, store_->GetSecret(StoreTable::kKeyVersions, row));
  if (priv.material.size() == 0) {
    // First use of a generated version.
    MaterialSpec spec = SpecOf(doc);
    if (store_->in_read_transaction()) {
      missing_material_ = MissingMaterial{row, spec};
      return Unavailable("sandbox: the key material of " + key.vault + "/" + key.name + "/" +
                         version + " is not made yet");
    }
    CMK_ASSIGN_OR_RETURN(priv, MakeMaterial(row, spec));
    CMK_RETURN_IF_ERROR(store_->PutSecret(StoreTable::kKeyVersions, row, priv.material));
  }
  CMK_ASSIGN_OR_RETURN(LoadedKey loaded, LoadPrivateKey(priv));
  return loaded_.insert_or_assign(row, std::move(loaded)).first->second;
}

Result<PrivateKey> SandboxCloud::MakeMaterial(const std::string& row, const MaterialSpec& spec) {
  if (auto taken = pool_->Take(row, spec)) return std::move(*taken);
  return GenerateKey(spec.kty, spec.size, spec.curve);
}

Status SandboxCloud::StoreMissingMaterial(const MissingMaterial& missing) {
  // Made before the write transaction, which holds the store's lock.
  CMK_ASSIGN_OR_RETURN(PrivateKey made, MakeMaterial(missing.row, missing.spec));
  return InTransaction([&]() -> Status {
    CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kKeyVersions, missing.row));
    // Gone, or created again differently: the caller's second try says so.
    if (!doc || SpecOf(*doc) != missing.spec) return Status::Ok();
    CMK_ASSIGN_OR_RETURN(SecureBytes have, store_->GetSecret(StoreTable::kKeyVersions, missing.row));
    if (have.size() != 0) return Status::Ok();  // another process stored its own first
    return store_->PutSecret(StoreTable::kKeyVersions, missing.row, made.material);
  });
}

Status SandboxCloud::StoreMadeMaterial(bool wait) {
  std::vector<MaterialPool::Made> made = pool_->TakeMade(wait);
  if (made.empty()) return Status::Ok();
  return InTransaction([&]() -> Status {
    for (const auto& m : made) {
      CMK_ASSIGN_OR_RETURN(std::optional<Json> doc, store_->Get(StoreTable::kKeyVersions, m.row));
      if (!doc || SpecOf(*doc) != m.spec) continue;  // rolled back, or created again differently
      CMK_ASSIGN_OR_RETURN(SecureBytes have, store_->GetSecret(StoreTable::kKeyVersions, m.row));
      if (have.size() != 0) continue;
      CMK_RETURN_IF_ERROR(store_->PutSecret(StoreTable::kKeyVersions, m.row, m.key.material));
    }
    return Status::Ok();
  });
}

Result<PublicKey> SandboxCloud::GetPublicKey(const std::string& vault, const std::string& name,
                                             const std::string& version) {
  return WithMaterial([&]() -> Result<PublicKey> {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(vault, name));
    CMK_ASSIGN_OR_RETURN(Json doc, VersionDoc(key.vault, key.name, version));
    KeyVersionState v = FromJson<KeyVersionState>(doc);
    if (!v.enabled) return Forbidden("Operation get is not allowed on a disabled key.");
    PublicKey pk;
    pk.kid = KeyId(key.vault, key.name, v.version);
    pk.kty = DocString(doc, "kty");
    pk.key_ops = v.key_ops;
    if (DocString(doc, "materialKty") == "oct") return pk;  // symmetric: nothing to publish
    CMK_ASSIGN_OR_RETURN(LoadedKey priv, MaterialInTxn(key, v.version, doc));
    CMK_ASSIGN_OR_RETURN(PublicJwk jwk, PublicJwkOf(priv));
    pk.n = jwk.n;
    pk.e = jwk.e;
    pk.crv = jwk.crv;
    pk.x = jwk.x;
    pk.y = jwk.y;
    return pk;
  });
}

Result<Bytes> SandboxCloud::CryptoOp(bool wrap, const std::string& vault,
                                     const std::string& name, const std::string& version,
                                     const std::string& alg_name, const Bytes& input) {
  const std::string op = wrap ? "wrapKey" : "unwrapKey";
  return WithMaterial([&]() -> Result<Bytes> {
    CMK_ASSIGN_OR_RETURN(KeyState key, LoadKey(vault, name));
    CMK_ASSIGN_OR_RETURN(Json doc, VersionDoc(key.vault, key.name, version));
    KeyVersionState v = FromJson<KeyVersionState>(doc);
    CMK_RETURN_IF_ERROR(CheckUsable(v, op, Now()));
    if (!HasOp(v, op)) return BadParameter("Operation " + op + " is not permitted on this key.");
    auto alg = WrapAlgFromName(alg_name);
    if (!alg.ok()) return BadParameter("Invalid algorithm '" + alg_name + "'.");
    std::string kty = DocString(doc, "kty");
    CMK_RETURN_IF_ERROR(
        CheckAlgFits(*alg, alg_name, kty, static_cast<int>(DocInt(doc, "keySize"))));
    CMK_ASSIGN_OR_RETURN(LoadedKey priv, MaterialInTxn(key, v.version, doc));
    if (wrap) {
      auto out = WrapWithPrivate(priv, *alg, input);
      if (!out.ok()) return BadParameter("wrapKey failed: " + out.status().message());
      return std::move(out).value();
    }
    auto out = Unwrap(priv, *alg, input);
    if (!out.ok()) return BadParameter("unwrapKey failed: " + out.status().message());
    return Bytes(out->bytes());
  });
}

Result<Bytes> SandboxCloud::WrapKey(const std::string& vault, const std::string& name,
                                    const std::string& version, const std::string& alg,
                                    const Bytes& plaintext) {
  return CryptoOp(true, vault, name, version, alg, plaintext);
}

Result<Bytes> SandboxCloud::UnwrapKey(const std::string& vault, const std::string& name,
                                      const std::string& version, const std::string& alg,
                                      const Bytes& ciphertext) {
  return CryptoOp(false, vault, name, version, alg, ciphertext);
}

}  // namespace cmk
