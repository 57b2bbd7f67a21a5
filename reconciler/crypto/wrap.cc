// Wrap/unwrap dispatch: picks RSA or AES key wrap from the key type and
// checks that the algorithm applies to the key.
#include "crypto/openssl_util.h"

namespace cmk {
namespace {

// The context prepared at load time for alg, if any (a failed preparation
// leaves null and the call falls back to building one).
const EVP_PKEY_CTX* Prepared(const LoadedKey& key, WrapAlg alg, bool decrypt) {
  const LoadedKeyCache* cache = key.cache();
  if (cache == nullptr) return nullptr;
  int i = internal::RsaCtxIndex(alg);
  return decrypt ? cache->decrypt[i].get() : cache->encrypt[i].get();
}

Status CheckAlgForKey(const LoadedKey& key, WrapAlg alg) {
  if (key.kty() == "RSA" && IsRsaAlg(alg)) return Status::Ok();
  if (key.kty() == "oct" && !IsRsaAlg(alg)) return Status::Ok();
  if (key.kty() == "EC") return InvalidArgument("EC keys cannot wrap or unwrap keys");
  if (key.kty().empty()) return InvalidArgument("key is not loaded");
  return InvalidArgument(std::string("algorithm ") + WrapAlgName(alg) + " does not apply to a " +
                         key.kty() + " key");
}

}  // namespace

Result<Bytes> WrapWithPublic(const PublicJwk& jwk, WrapAlg alg, const Bytes& plaintext) {
  if (!IsRsaAlg(alg)) {
    return InvalidArgument(std::string(WrapAlgName(alg)) +
                           " needs a symmetric key: a public JWK wraps only with RSA-OAEP or RSA-OAEP-256");
  }
  if (alg == WrapAlg::kRsa15) {
    return InvalidArgument("RSA1_5 wrapping is refused (legacy, unwrap only): use RSA-OAEP-256");
  }
  if (jwk.kty != "RSA" && jwk.kty != "RSA-HSM") {
    return InvalidArgument(std::string(WrapAlgName(alg)) + " needs an RSA key, got kty '" + jwk.kty + "'");
  }
  CMK_ASSIGN_OR_RETURN(internal::PkeyPtr pkey, internal::PkeyFromPublicJwk(jwk));
  return internal::RsaEncrypt(pkey.get(), alg, plaintext);
}

Result<Bytes> WrapWithPrivate(const LoadedKey& key, WrapAlg alg, const Bytes& plaintext) {
  CMK_RETURN_IF_ERROR(CheckAlgForKey(key, alg));
  if (key.kty() == "RSA") {
    return internal::RsaEncrypt(key.pkey(), alg, plaintext, Prepared(key, alg, /*decrypt=*/false));
  }
  return AesKeyWrap(key.oct().bytes(), alg, plaintext);
}

Result<SecureBytes> Unwrap(const LoadedKey& key, WrapAlg alg, const Bytes& ciphertext) {
  CMK_RETURN_IF_ERROR(CheckAlgForKey(key, alg));
  if (key.kty() == "RSA") {
    return internal::RsaDecrypt(key.pkey(), alg, ciphertext, Prepared(key, alg, /*decrypt=*/true));
  }
  return AesKeyUnwrap(key.oct().bytes(), alg, ciphertext);
}

Result<Bytes> WrapWithPrivate(const PrivateKey& key, WrapAlg alg, const Bytes& plaintext) {
  CMK_ASSIGN_OR_RETURN(LoadedKey loaded, LoadPrivateKey(key));
  return WrapWithPrivate(loaded, alg, plaintext);
}

Result<SecureBytes> Unwrap(const PrivateKey& key, WrapAlg alg, const Bytes& ciphertext) {
  CMK_ASSIGN_OR_RETURN(LoadedKey loaded, LoadPrivateKey(key));
  return Unwrap(loaded, alg, ciphertext);
}

}  // namespace cmk
