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

}  // namespace

Result<LoadedKey> SandboxCloud::MaterialInTxn(const KeyState& key,
                                                      const std::string& version,
                                                      const Json& doc) {
  const std::string row = VersionRowKey(key.vault, key.name, version);
  if (auto it = loaded_.find(row); it != loaded_.end()) return it->second;
  PrivateKey priv{DocString(doc, "materialKty"), {}};
  CMK_ASSIGN_OR_RETURN(priv.material, store_->GetSecret(StoreTable::kKeyVersions, row));
  if (priv.material.size() == 0) {
    // First use of a generated version: make its material now, once. In a
    // read transaction the store refuses the write; asked first, so that the
    // key is generated once, in the write transaction that follows.
    CMK_RETURN_IF_ERROR(store_->CheckWritable());
    CMK_ASSIGN_OR_RETURN(priv, GenerateKey(DocString(doc, "kty"),
                                                   static_cast<int>(DocInt(doc, "keySize")),
                                                   DocString(doc, "curve")));
    CMK_RETURN_IF_ERROR(store_->PutSecret(StoreTable::kKeyVersions, row, priv.material));
  }
  CMK_ASSIGN_OR_RETURN(LoadedKey loaded, LoadPrivateKey(priv));
  return loaded_.insert_or_assign(row, std::move(loaded)).first->second;
}

Result<PublicKey> SandboxCloud::GetPublicKey(const std::string& vault, const std::string& name,
                                             const std::string& version) {
  return InReadTransaction([&]() -> Result<PublicKey> {
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
  return InReadTransaction([&]() -> Result<Bytes> {
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
