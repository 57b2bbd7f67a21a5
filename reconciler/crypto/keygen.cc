// Key generation for the sandbox and PKCS#8 PEM encoding of private keys.
#include <openssl/err.h>
#include <openssl/pem.h>

#include <memory>

#include "crypto/openssl_util.h"

namespace cmk {
namespace internal {

Result<SecureBytes> PrivatePkcs8Pem(EVP_PKEY* pkey) {
  // A secure-memory BIO cleanses its buffer when freed.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), pkey, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return OpenSslFailure("cannot encode the private key as PKCS#8");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  if (len <= 0 || data == nullptr) return OpenSslFailure("cannot encode the private key as PKCS#8");
  return SecureBytes(Bytes(data, data + len));
}

}  // namespace internal


Result<std::string> GeneratedKty(const std::string& kty, int size_bits, const std::string& crv) {
  if (kty == "RSA" || kty == "RSA-HSM") {
    if (size_bits != 2048 && size_bits != 3072 && size_bits != 4096) {
      return InvalidArgument("RSA key size must be 2048, 3072 or 4096, got " + std::to_string(size_bits));
    }
    return std::string("RSA");
  }
  if (kty == "EC" || kty == "EC-HSM") {
    if (crv != "P-256" && crv != "P-384" && crv != "P-521") {
      return InvalidArgument("EC curve must be P-256, P-384 or P-521, got '" + crv + "'");
    }
    return std::string("EC");
  }
  if (kty == "oct" || kty == "oct-HSM") {
    if (size_bits != 128 && size_bits != 192 && size_bits != 256) {
      return InvalidArgument("oct key size must be 128, 192 or 256, got " + std::to_string(size_bits));
    }
    return std::string("oct");
  }
  return InvalidArgument("unsupported kty '" + kty + "' (expected RSA, EC or oct, optionally -HSM)");
}

Result<PrivateKey> GenerateKey(const std::string& kty, int size_bits, const std::string& crv) {
  PrivateKey key;
  CMK_ASSIGN_OR_RETURN(key.kty, GeneratedKty(kty, size_bits, crv));
  if (key.kty == "oct") {
    CMK_ASSIGN_OR_RETURN(key.material, RandomBytes(static_cast<size_t>(size_bits / 8)));
    return key;
  }
  internal::PkeyPtr pkey = key.kty == "RSA" ? internal::GenerateMultiPrimeRsa(size_bits)
                                            : internal::PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                                                                                  internal::CurveByCrv(crv)->group));
  if (!pkey) return internal::OpenSslFailure(key.kty + " key generation failed");
  CMK_ASSIGN_OR_RETURN(key.material, internal::PrivatePkcs8Pem(pkey.get()));
  return key;
}

}  // namespace cmk
