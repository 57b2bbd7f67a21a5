// RSA-OAEP, RSA-OAEP-256 and RSAES-PKCS1-v1_5 through EVP_PKEY_encrypt /
// EVP_PKEY_decrypt.
//
// Every decryption failure returns the same status, whatever the cause inside
// OpenSSL (bad padding, wrong key, ciphertext >= n), so callers cannot become
// a Manger/Bleichenbacher oracle by accident. OpenSSL 3.2+ implicit rejection
// for PKCS#1 v1.5 is switched off so a bad RSA1_5 ciphertext is an error, not
// a random-looking "plaintext" (OpenSSL 3.0/3.1 have no such mode).
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "crypto/openssl_util.h"

namespace cmk::internal {
namespace {

constexpr char kDecryptFailed[] = "RSA unwrap failed: invalid ciphertext or wrong key";

struct RsaParams {
  OSSL_PARAM list[5];
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
  unsigned int implicit_rejection = 0;
#endif
};

// Fills the init parameters for alg; the OSSL_PARAMs point at string literals
// and at `p` itself, so `p` must outlive the init call.
bool FillParams(WrapAlg alg, RsaParams& p) {
  char* oaep = const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_OAEP);
  char* pkcs1 = const_cast<char*>(OSSL_PKEY_RSA_PAD_MODE_PKCSV15);
  char* sha1 = const_cast<char*>("SHA1");
  char* sha256 = const_cast<char*>("SHA256");
  size_t i = 0;
  switch (alg) {
    case WrapAlg::kRsaOaep:
    case WrapAlg::kRsaOaep256: {
      char* md = alg == WrapAlg::kRsaOaep ? sha1 : sha256;
      p.list[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, oaep, 0);
      p.list[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_OAEP_DIGEST, md, 0);
      p.list[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_MGF1_DIGEST, md, 0);
      break;
    }
    case WrapAlg::kRsa15:
      p.list[i++] = OSSL_PARAM_construct_utf8_string(OSSL_ASYM_CIPHER_PARAM_PAD_MODE, pkcs1, 0);
#ifdef OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION
      p.list[i++] = OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_IMPLICIT_REJECTION,
                                              &p.implicit_rejection);
#endif
      break;
    default:
      return false;
  }
  p.list[i] = OSSL_PARAM_construct_end();
  return true;
}

// Largest plaintext the padding allows for a k-byte modulus.
size_t MaxPlaintext(WrapAlg alg, size_t k) {
  size_t overhead = alg == WrapAlg::kRsaOaep ? 2 * 20 + 2 : alg == WrapAlg::kRsaOaep256 ? 2 * 32 + 2 : 11;
  return k > overhead ? k - overhead : 0;
}

}  // namespace

PkeyCtxPtr PrepareRsaCtx(EVP_PKEY* pkey, WrapAlg alg, bool decrypt) {
  RsaParams params;
  if (!FillParams(alg, params)) return nullptr;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx) return nullptr;
  int ok = decrypt ? EVP_PKEY_decrypt_init_ex(ctx.get(), params.list)
                   : EVP_PKEY_encrypt_init_ex(ctx.get(), params.list);
  if (ok != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

Result<Bytes> RsaEncrypt(EVP_PKEY* pkey, WrapAlg alg, const Bytes& plaintext, const EVP_PKEY_CTX* prepared) {
  if (alg == WrapAlg::kRsa15) {
    return InvalidArgument("RSA1_5 wrapping is refused (legacy, unwrap only): use RSA-OAEP-256");
  }
  RsaParams params;
  if (!FillParams(alg, params)) return InvalidArgument(std::string(WrapAlgName(alg)) + " is not an RSA algorithm");
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  if (plaintext.size() > MaxPlaintext(alg, k)) {
    return InvalidArgument("plaintext of " + std::to_string(plaintext.size()) + " bytes is too long for " +
                           WrapAlgName(alg) + " with a " + std::to_string(k * 8) + "-bit key");
  }
  PkeyCtxPtr ctx = prepared != nullptr ? PkeyCtxPtr(EVP_PKEY_CTX_dup(prepared))
                                        : PrepareRsaCtx(pkey, alg, /*decrypt=*/false);
  if (!ctx) {
    return OpenSslFailure(std::string(WrapAlgName(alg)) + ": cannot set up RSA encryption");
  }
  Bytes out(k);
  size_t out_len = out.size();
  if (EVP_PKEY_encrypt(ctx.get(), out.data(), &out_len, plaintext.data(), plaintext.size()) != 1) {
    return OpenSslFailure(std::string(WrapAlgName(alg)) + ": RSA encryption failed");
  }
  out.resize(out_len);
  return out;
}

Result<SecureBytes> RsaDecrypt(EVP_PKEY* pkey, WrapAlg alg, const Bytes& ciphertext,
                               const EVP_PKEY_CTX* prepared) {
  RsaParams params;
  if (!FillParams(alg, params)) return InvalidArgument(std::string(WrapAlgName(alg)) + " is not an RSA algorithm");
  size_t k = static_cast<size_t>(EVP_PKEY_get_size(pkey));
  if (ciphertext.size() != k) {
    // Lengths are public: this message may differ from the padding failure.
    return InvalidArgument("RSA unwrap failed: ciphertext is " + std::to_string(ciphertext.size()) +
                           " bytes, the key needs " + std::to_string(k));
  }
  PkeyCtxPtr ctx = prepared != nullptr ? PkeyCtxPtr(EVP_PKEY_CTX_dup(prepared))
                                        : PrepareRsaCtx(pkey, alg, /*decrypt=*/true);
  if (!ctx) {
    return OpenSslFailure(std::string(WrapAlgName(alg)) + ": cannot set up RSA decryption");
  }
  Bytes buf(k);
  size_t out_len = k;
  if (EVP_PKEY_decrypt(ctx.get(), buf.data(), &out_len, ciphertext.data(), ciphertext.size()) != 1) {
    SecureBytes cleanse(std::move(buf));
    ERR_clear_error();
    return InvalidArgument(kDecryptFailed);
  }
  buf.resize(out_len);  // keeps capacity: SecureBytes cleanses all of it
  return SecureBytes(std::move(buf));
}

}  // namespace cmk::internal
