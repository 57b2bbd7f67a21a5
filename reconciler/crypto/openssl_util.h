// Private helpers of the crypto core: RAII owners for OpenSSL objects and
// conversions between OpenSSL keys and PublicJwk.
//
// Not part of the public API: only files in reconciler/crypto include it.
// Error helpers clear OpenSSL's thread-local error queue and never put
// OpenSSL's reason strings or key bytes into messages (a decryption error must
// look the same whatever went wrong inside, or it becomes a padding oracle).
// Thread-safe: stateless functions.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <map>
#include <memory>
#include <string>

#include "crypto/crypto.h"

namespace cmk::internal {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); } };
struct CipherCtxFree { void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); } };
struct BioFree { void operator()(BIO* p) const { BIO_free(p); } };
struct BnFree { void operator()(BIGNUM* p) const { BN_clear_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); } };

using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using BioPtr = std::unique_ptr<BIO, BioFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;

// Clears the OpenSSL error queue and returns Internal(what).
Status OpenSslFailure(const std::string& what);

// RSA modulus limits shared by every import path.
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;

// Curve facts: JWK crv name, OpenSSL group name, coordinate size in bytes.
struct CurveInfo {
  const char* crv;
  const char* group;
  size_t coord_bytes;
};
const CurveInfo* CurveByCrv(const std::string& crv);
const CurveInfo* CurveByGroup(const std::string& group);

// An RSA key pair of `bits` (2048, 3072 or 4096) with e = 65537 and as many
// primes as OpenSSL allows for the size; null on an OpenSSL failure. See
// rsa_keygen.cc for why it does not call EVP_PKEY_generate.
PkeyPtr GenerateMultiPrimeRsa(int bits);

// Decodes a base64url JWK integer member, rejecting empty values and leading
// zero octets (RFC 7518 6.3.1.1 minimal encoding).
Result<BnPtr> JwkUint(const std::string& member, const std::string& value);

// Builds an OpenSSL public key from a validated-or-not PublicJwk; validates
// (RSA size and exponent; EC lengths and on-curve).
Result<PkeyPtr> PkeyFromPublicJwk(const PublicJwk& jwk);
// Exports the public half of an RSA or EC key as a JWK.
Result<PublicJwk> PublicJwkFromPkey(EVP_PKEY* pkey);
// PKCS#8 PEM of a private key, in a buffer that is cleansed when freed.
Result<SecureBytes> PrivatePkcs8Pem(EVP_PKEY* pkey);

// RSA encryption/decryption for the three Key Vault RSA algorithms. With a
// `prepared` context (from PrepareRsaCtx, never used directly) the call
// duplicates it instead of creating and initialising a new one: that skips
// the provider and digest fetches, the main per-call cost after the RSA
// operation itself.
Result<Bytes> RsaEncrypt(EVP_PKEY* pkey, WrapAlg alg, const Bytes& plaintext,
                         const EVP_PKEY_CTX* prepared = nullptr);
Result<SecureBytes> RsaDecrypt(EVP_PKEY* pkey, WrapAlg alg, const Bytes& ciphertext,
                               const EVP_PKEY_CTX* prepared = nullptr);
// An initialised encrypt or decrypt context for alg, or null on failure.
PkeyCtxPtr PrepareRsaCtx(EVP_PKEY* pkey, WrapAlg alg, bool decrypt);

}  // namespace cmk::internal

namespace cmk::internal {
// Builds, checks and PEM-encodes an RSA private key from its JWK members
// (base64url values keyed "n", "e", "d", "p", "q", "dp", "dq", "qi").
Result<PrivateKey> RsaPrivateFromMembers(const std::map<std::string, std::string>& members);
}  // namespace cmk::internal

namespace cmk {
// Contexts prepared at load time, indexed by RsaCtxIndex. Immutable after
// construction: calls only read them (EVP_PKEY_CTX_dup), so one cache may be
// shared by copies of a LoadedKey used from several threads.
struct LoadedKeyCache {
  internal::PkeyCtxPtr decrypt[3];
  internal::PkeyCtxPtr encrypt[3];
};
namespace internal {
inline int RsaCtxIndex(WrapAlg alg) {
  return alg == WrapAlg::kRsaOaep ? 0 : alg == WrapAlg::kRsaOaep256 ? 1 : 2;
}
}  // namespace internal
}  // namespace cmk
