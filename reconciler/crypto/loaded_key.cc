// LoadedKey: a private key parsed once (PEM -> EVP_PKEY) for repeated use.
#include <openssl/err.h>
#include <openssl/pem.h>

#include "crypto/openssl_util.h"

namespace cmk {
namespace {

// Never prompt on a terminal for a passphrase: our PEMs are unencrypted.
int NoPassphrase(char*, int, int, void*) { return -1; }

}  // namespace

LoadedKey::LoadedKey(const LoadedKey& o)
    : kty_(o.kty_), bits_(o.bits_), pkey_(o.pkey_), oct_(o.oct_), cache_(o.cache_) {
  if (pkey_ != nullptr) EVP_PKEY_up_ref(pkey_);
}

LoadedKey& LoadedKey::operator=(const LoadedKey& o) {
  if (this != &o) {
    LoadedKey copy(o);
    *this = std::move(copy);
  }
  return *this;
}

LoadedKey::LoadedKey(LoadedKey&& o) noexcept
    : kty_(std::move(o.kty_)),
      bits_(o.bits_),
      pkey_(o.pkey_),
      oct_(std::move(o.oct_)),
      cache_(std::move(o.cache_)) {
  o.pkey_ = nullptr;
  o.bits_ = 0;
}

LoadedKey& LoadedKey::operator=(LoadedKey&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(pkey_);
    kty_ = std::move(o.kty_);
    bits_ = o.bits_;
    pkey_ = o.pkey_;
    oct_ = std::move(o.oct_);
    cache_ = std::move(o.cache_);
    o.pkey_ = nullptr;
    o.bits_ = 0;
  }
  return *this;
}

LoadedKey::~LoadedKey() { EVP_PKEY_free(pkey_); }

Result<LoadedKey> LoadPrivateKey(const PrivateKey& key) {
  LoadedKey loaded;
  if (key.kty == "oct") {
    size_t n = key.material.size();
    if (n != 16 && n != 24 && n != 32) {
      return InvalidArgument("oct key must be 128, 192 or 256 bits, got " + std::to_string(n * 8));
    }
    loaded.kty_ = "oct";
    loaded.bits_ = static_cast<int>(n * 8);
    loaded.oct_ = key.material;
    return loaded;
  }
  if (key.kty != "RSA" && key.kty != "EC") {
    return InvalidArgument("unsupported private key kty '" + key.kty + "'");
  }
  internal::BioPtr bio(BIO_new_mem_buf(key.material.data(), static_cast<int>(key.material.size())));
  if (!bio) return internal::OpenSslFailure("cannot read the private key: out of memory");
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return InvalidArgument(key.kty + " private key: not a readable PEM private key");
  }
  internal::PkeyPtr pkey(raw);
  if (!EVP_PKEY_is_a(pkey.get(), key.kty.c_str())) {
    return InvalidArgument("private key PEM does not hold a " + key.kty + " key");
  }
  int bits = EVP_PKEY_get_bits(pkey.get());
  if (key.kty == "RSA" && (bits < internal::kMinRsaBits || bits > internal::kMaxRsaBits)) {
    return InvalidArgument("RSA private key has " + std::to_string(bits) + " bits (allowed " +
                           std::to_string(internal::kMinRsaBits) + ".." +
                           std::to_string(internal::kMaxRsaBits) + ")");
  }
  if (key.kty == "RSA") {
    auto cache = std::make_shared<LoadedKeyCache>();
    for (WrapAlg alg : {WrapAlg::kRsaOaep, WrapAlg::kRsaOaep256, WrapAlg::kRsa15}) {
      int i = internal::RsaCtxIndex(alg);
      cache->decrypt[i] = internal::PrepareRsaCtx(pkey.get(), alg, /*decrypt=*/true);
      if (alg != WrapAlg::kRsa15) cache->encrypt[i] = internal::PrepareRsaCtx(pkey.get(), alg, /*decrypt=*/false);
    }
    loaded.cache_ = std::move(cache);
  }
  loaded.kty_ = key.kty;
  loaded.bits_ = bits;
  loaded.pkey_ = pkey.release();
  return loaded;
}

Result<PublicJwk> PublicJwkOf(const LoadedKey& key) {
  if (key.pkey() == nullptr) return InvalidArgument("a " + key.kty() + " key has no public JWK");
  return internal::PublicJwkFromPkey(key.pkey());
}

Result<PublicJwk> PublicJwkOf(const PrivateKey& key) {
  if (key.kty == "oct") return InvalidArgument("an oct key has no public JWK");
  CMK_ASSIGN_OR_RETURN(LoadedKey loaded, LoadPrivateKey(key));
  return PublicJwkOf(loaded);
}

}  // namespace cmk
