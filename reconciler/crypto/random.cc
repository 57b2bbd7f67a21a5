// CSPRNG, constant-time comparison and SHA-256.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <limits>

#include "crypto/openssl_util.h"

namespace cmk {

Result<SecureBytes> RandomBytes(size_t n) {
  if (n > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return InvalidArgument("random: size too large");
  }
  Bytes b(n);
  if (n > 0 && RAND_bytes(b.data(), static_cast<int>(n)) != 1) {
    SecureBytes cleanse(std::move(b));
    return internal::OpenSslFailure("random: RAND_bytes failed");
  }
  return SecureBytes(std::move(b));
}

bool ConstantTimeEqual(const Bytes& a, const Bytes& b) {
  // Lengths are public (a DEK is always 32 bytes); contents are compared in
  // constant time.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Bytes Sha256(const std::string& data) {
  Bytes out(32);
  unsigned int len = 0;
  // EVP_Digest with a fetched-by-default SHA-256 cannot fail for in-memory
  // input short of an allocation failure; treat that as an invariant.
  int ok = EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  if (ok != 1 || len != 32) {
    ERR_clear_error();
    out.clear();
  }
  return out;
}

}  // namespace cmk
