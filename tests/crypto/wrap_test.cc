// Round trips for every algorithm and key type, refusals and failure modes
// (corrupted ciphertext, wrong key, wrong algorithm) through the public API.
#include <gtest/gtest.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <atomic>
#include <thread>

#include "test_util.h"

namespace cmk {
namespace {

const PrivateKey& Rsa2048() { return CachedKey("RSA", 2048, ""); }

// A second, independent RSA-2048 key without generating one: the Wycheproof
// OAEP group key.
PrivateKey OtherRsaKey() {
  Json doc = LoadVectors("wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json");
  return RsaKeyFromPem(doc["testGroups"][0]["privateKeyPem"]);
}

TEST(GenerateKey, RsaIsPkcs8PemWithE65537) {
  const PrivateKey& key = Rsa2048();
  ASSERT_EQ(key.kty, "RSA");
  std::string pem = ToString(key.material.bytes());
  EXPECT_EQ(pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  Result<PublicJwk> pub = PublicJwkOf(key);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  EXPECT_EQ(pub->e, "AQAB");
  EXPECT_EQ(Base64UrlDecode(pub->n)->size(), 256u);
  // The exported JWK passes our own strict parser.
  Result<PublicJwk> reparsed = ParsePublicJwk(PublicJwkToJson(*pub));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*JwkThumbprint(*reparsed), *JwkThumbprint(*pub));
}

TEST(GenerateKey, EcCurvesExportFullSizeCoordinates) {
  const std::pair<const char*, size_t> curves[] = {{"P-256", 32}, {"P-384", 48}, {"P-521", 66}};
  for (const auto& [crv, size] : curves) {
    SCOPED_TRACE(crv);
    Result<PrivateKey> key = GenerateKey("EC-HSM", 0, crv);
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->kty, "EC");
    Result<PublicJwk> pub = PublicJwkOf(*key);
    ASSERT_TRUE(pub.ok()) << pub.status().ToString();
    EXPECT_EQ(pub->crv, crv);
    EXPECT_EQ(Base64UrlDecode(pub->x)->size(), size);
    EXPECT_EQ(Base64UrlDecode(pub->y)->size(), size);
    EXPECT_TRUE(ParsePublicJwk(PublicJwkToJson(*pub)).ok());
    // EC keys do not wrap.
    EXPECT_FALSE(WrapWithPrivate(*key, WrapAlg::kRsaOaep256, Bytes(32, 1)).ok());
    EXPECT_FALSE(Unwrap(*key, WrapAlg::kA256Kw, Bytes(40, 1)).ok());
  }
}

// The sandbox's RSA keys are multi-prime (3 primes below 4096 bits, 4 at
// 4096): the modulus has the size asked for, e = 65537, the public JWK is an
// ordinary one, and a DEK wrapped with the public half alone unwraps.
TEST(GenerateKey, RsaIsMultiPrimeWithAnOrdinaryPublicHalf) {
  for (int bits : {2048, 3072, 4096}) {
    SCOPED_TRACE(bits);
    Result<PrivateKey> key = GenerateKey("RSA-HSM", bits, "");
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    Result<LoadedKey> loaded = LoadPrivateKey(*key);
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->bits(), bits);
    Result<PublicJwk> pub = PublicJwkOf(*key);
    ASSERT_TRUE(pub.ok());
    EXPECT_EQ(Base64UrlDecode(pub->n)->size(), static_cast<size_t>(bits / 8));
    EXPECT_EQ(pub->e, "AQAB");
    ASSERT_TRUE(ParsePublicJwk(PublicJwkToJson(*pub)).ok());
    Result<SecureBytes> dek = GenerateDek();
    ASSERT_TRUE(dek.ok());
    Bytes plain = dek->bytes();
    Result<Bytes> wrapped = WrapWithPublic(*pub, WrapAlg::kRsaOaep256, plain);
    ASSERT_TRUE(wrapped.ok());
    Result<SecureBytes> back = Unwrap(*key, WrapAlg::kRsaOaep256, *wrapped);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->bytes(), plain);
    // The PKCS#8 encoding carries the extra primes (RFC 8017 OtherPrimeInfos).
    std::string pem = ToString(key->material.bytes());
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ASSERT_NE(raw, nullptr);
    BIGNUM* third = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_FACTOR3, &third), 1);
    BN_free(third);
    BIGNUM* fourth = nullptr;
    EXPECT_EQ(EVP_PKEY_get_bn_param(raw, OSSL_PKEY_PARAM_RSA_FACTOR4, &fourth), bits >= 4096 ? 1 : 0);
    BN_free(fourth);
    // OpenSSL's full check of the private key: every factor prime (its own 64
    // Miller-Rabin rounds), n their product, d e = 1 mod each p - 1, and the
    // CRT exponents and coefficients consistent.
    EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr);
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(EVP_PKEY_check(check), 1);
    EXPECT_EQ(EVP_PKEY_pairwise_check(check), 1);
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(raw);
  }
}

// Many keys, each checked by OpenSSL and used once: a wrong CRT coefficient
// or a composite factor shows up as a failed check or a failed unwrap.
TEST(GenerateKey, ManyRsaKeysAreValid) {
  for (int i = 0; i < 40; ++i) {
    SCOPED_TRACE(i);
    Result<PrivateKey> key = GenerateKey("RSA", 2048, "");
    ASSERT_TRUE(key.ok());
    std::string pem = ToString(key->material.bytes());
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    ASSERT_NE(raw, nullptr);
    EVP_PKEY_CTX* check = EVP_PKEY_CTX_new_from_pkey(nullptr, raw, nullptr);
    EXPECT_EQ(EVP_PKEY_check(check), 1);
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(raw);
    Result<PublicJwk> pub = PublicJwkOf(*key);
    ASSERT_TRUE(pub.ok());
    Bytes plain(32, static_cast<uint8_t>(i));
    Result<Bytes> wrapped = WrapWithPublic(*pub, WrapAlg::kRsaOaep, plain);
    ASSERT_TRUE(wrapped.ok());
    Result<SecureBytes> back = Unwrap(*key, WrapAlg::kRsaOaep, *wrapped);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->bytes(), plain);
  }
}

TEST(GenerateKey, OctSizesAndRejections) {
  for (int bits : {128, 192, 256}) {
    Result<PrivateKey> key = GenerateKey("oct-HSM", bits, "");
    ASSERT_TRUE(key.ok());
    EXPECT_EQ(key->kty, "oct");
    EXPECT_EQ(key->material.size(), static_cast<size_t>(bits / 8));
    EXPECT_FALSE(PublicJwkOf(*key).ok());
  }
  EXPECT_FALSE(GenerateKey("RSA", 1024, "").ok());
  EXPECT_FALSE(GenerateKey("RSA", 2047, "").ok());
  EXPECT_FALSE(GenerateKey("EC", 0, "P-192").ok());
  EXPECT_FALSE(GenerateKey("oct", 512, "").ok());
  EXPECT_FALSE(GenerateKey("OKP", 0, "Ed25519").ok());
}

TEST(RsaWrap, RoundTripsOaepAndOaep256) {
  Result<LoadedKey> key = LoadPrivateKey(Rsa2048());
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->bits(), 2048);
  Result<PublicJwk> pub = PublicJwkOf(*key);
  ASSERT_TRUE(pub.ok());
  for (WrapAlg alg : {WrapAlg::kRsaOaep, WrapAlg::kRsaOaep256}) {
    SCOPED_TRACE(WrapAlgName(alg));
    Result<SecureBytes> dek = GenerateDek();
    ASSERT_TRUE(dek.ok());
    Result<Bytes> a = WrapWithPublic(*pub, alg, dek->bytes());
    Result<Bytes> b = WrapWithPrivate(*key, alg, dek->bytes());
    Result<Bytes> c = WrapWithPrivate(Rsa2048(), alg, dek->bytes());
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(a->size(), 256u);
    EXPECT_NE(*a, *b);  // randomized padding
    for (const Bytes* ct : {&*a, &*b, &*c}) {
      Result<SecureBytes> back = Unwrap(*key, alg, *ct);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_TRUE(ConstantTimeEqual(back->bytes(), dek->bytes()));
      Result<SecureBytes> back_pem = Unwrap(Rsa2048(), alg, *ct);
      ASSERT_TRUE(back_pem.ok());
      EXPECT_EQ(back_pem->bytes(), dek->bytes());
    }
    // The other OAEP hash must not unwrap it.
    WrapAlg other = alg == WrapAlg::kRsaOaep ? WrapAlg::kRsaOaep256 : WrapAlg::kRsaOaep;
    EXPECT_FALSE(Unwrap(*key, other, *a).ok());
  }
}

TEST(RsaWrap, Rsa15WrapIsRefused) {
  Result<PublicJwk> pub = PublicJwkOf(Rsa2048());
  ASSERT_TRUE(pub.ok());
  Result<Bytes> a = WrapWithPublic(*pub, WrapAlg::kRsa15, Bytes(32, 7));
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("RSA1_5"), std::string::npos);
  EXPECT_FALSE(WrapWithPrivate(Rsa2048(), WrapAlg::kRsa15, Bytes(32, 7)).ok());
}

TEST(RsaWrap, CorruptedTruncatedAndWrongKeyAreErrors) {
  Result<LoadedKey> key = LoadPrivateKey(Rsa2048());
  Result<LoadedKey> other = LoadPrivateKey(OtherRsaKey());
  ASSERT_TRUE(key.ok() && other.ok());
  Bytes dek(32, 0x42);
  for (WrapAlg alg : {WrapAlg::kRsaOaep, WrapAlg::kRsaOaep256}) {
    SCOPED_TRACE(WrapAlgName(alg));
    Result<Bytes> ct = WrapWithPrivate(*key, alg, dek);
    ASSERT_TRUE(ct.ok());
    EXPECT_FALSE(Unwrap(*other, alg, *ct).ok());
    for (size_t i : {size_t{0}, size_t{1}, size_t{128}, ct->size() - 1}) {
      Bytes bad = *ct;
      bad[i] ^= 0x80;
      EXPECT_FALSE(Unwrap(*key, alg, bad).ok()) << "byte " << i;
    }
    Bytes truncated(ct->begin(), ct->end() - 1);
    EXPECT_FALSE(Unwrap(*key, alg, truncated).ok());
    EXPECT_FALSE(Unwrap(*key, alg, Bytes{}).ok());
    EXPECT_FALSE(Unwrap(*key, alg, Bytes(256, 0xff)).ok());  // >= n
    EXPECT_FALSE(Unwrap(*key, WrapAlg::kRsa15, *ct).ok());
  }
}

TEST(RsaWrap, SizeLimitsAndAlgMismatch) {
  Result<PublicJwk> pub = PublicJwkOf(Rsa2048());
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(WrapWithPublic(*pub, WrapAlg::kRsaOaep256, Bytes(190, 1)).ok());
  EXPECT_FALSE(WrapWithPublic(*pub, WrapAlg::kRsaOaep256, Bytes(191, 1)).ok());
  EXPECT_TRUE(WrapWithPublic(*pub, WrapAlg::kRsaOaep, Bytes(214, 1)).ok());
  EXPECT_FALSE(WrapWithPublic(*pub, WrapAlg::kRsaOaep, Bytes(215, 1)).ok());
  EXPECT_FALSE(WrapWithPublic(*pub, WrapAlg::kA256Kw, Bytes(32, 1)).ok());
  EXPECT_FALSE(WrapWithPrivate(Rsa2048(), WrapAlg::kA256Kw, Bytes(32, 1)).ok());
  EXPECT_FALSE(Unwrap(Rsa2048(), WrapAlg::kAesKwp, Bytes(40, 1)).ok());
  PublicJwk ec{"EC", "", "", "P-256", "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
               "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"};
  EXPECT_FALSE(WrapWithPublic(ec, WrapAlg::kRsaOaep256, Bytes(32, 1)).ok());
}

TEST(AesWrap, RoundTripsEveryAlgAndKeySize) {
  const std::pair<int, WrapAlg> kw[] = {{128, WrapAlg::kA128Kw}, {192, WrapAlg::kA192Kw}, {256, WrapAlg::kA256Kw}};
  for (const auto& [bits, kw_alg] : kw) {
    Result<PrivateKey> key = GenerateKey("oct", bits, "");
    ASSERT_TRUE(key.ok());
    Result<LoadedKey> loaded = LoadPrivateKey(*key);
    ASSERT_TRUE(loaded.ok());
    for (WrapAlg alg : {kw_alg, WrapAlg::kAesKwp}) {
      SCOPED_TRACE(std::string(WrapAlgName(alg)) + " " + std::to_string(bits));
      Result<SecureBytes> dek = GenerateDek();
      ASSERT_TRUE(dek.ok());
      Result<Bytes> ct = WrapWithPrivate(*loaded, alg, dek->bytes());
      ASSERT_TRUE(ct.ok()) << ct.status().ToString();
      EXPECT_EQ(ct->size(), 40u);
      EXPECT_EQ(*WrapWithPrivate(*key, alg, dek->bytes()), *ct);  // deterministic
      Result<SecureBytes> back = Unwrap(*loaded, alg, *ct);
      ASSERT_TRUE(back.ok());
      EXPECT_EQ(back->bytes(), dek->bytes());
      // Corrupted, truncated, wrong key, wrong mode.
      Bytes bad = *ct;
      bad[5] ^= 1;
      EXPECT_FALSE(Unwrap(*loaded, alg, bad).ok());
      EXPECT_FALSE(Unwrap(*loaded, alg, Bytes(ct->begin(), ct->end() - 8)).ok() &&
                   Unwrap(*loaded, alg, Bytes(ct->begin(), ct->end() - 8))->bytes() == dek->bytes());
      Result<PrivateKey> other = GenerateKey("oct", bits, "");
      ASSERT_TRUE(other.ok());
      EXPECT_FALSE(Unwrap(*other, alg, *ct).ok());
      WrapAlg other_mode = alg == WrapAlg::kAesKwp ? kw_alg : WrapAlg::kAesKwp;
      EXPECT_FALSE(Unwrap(*loaded, other_mode, *ct).ok());
    }
    // KWP wraps key data that is not a multiple of 8; KW refuses it.
    Bytes odd(21, 0x5a);
    Result<Bytes> kwp = WrapWithPrivate(*loaded, WrapAlg::kAesKwp, odd);
    ASSERT_TRUE(kwp.ok());
    EXPECT_EQ(Unwrap(*loaded, WrapAlg::kAesKwp, *kwp)->bytes(), odd);
    EXPECT_FALSE(WrapWithPrivate(*loaded, kw_alg, odd).ok());
    EXPECT_FALSE(WrapWithPrivate(*loaded, kw_alg, Bytes{}).ok());
    EXPECT_FALSE(WrapWithPrivate(*loaded, WrapAlg::kAesKwp, Bytes{}).ok());
  }
}

TEST(AesWrap, KekSizeMustMatchAlg) {
  Bytes kek(32, 3);
  EXPECT_FALSE(AesKeyWrap(kek, WrapAlg::kA128Kw, Bytes(32, 1)).ok());
  EXPECT_FALSE(AesKeyWrap(kek, WrapAlg::kA192Kw, Bytes(32, 1)).ok());
  EXPECT_TRUE(AesKeyWrap(kek, WrapAlg::kA256Kw, Bytes(32, 1)).ok());
  EXPECT_FALSE(AesKeyWrap(Bytes(20, 1), WrapAlg::kAesKwp, Bytes(32, 1)).ok());
  EXPECT_FALSE(AesKeyWrap(kek, WrapAlg::kRsaOaep, Bytes(32, 1)).ok());
  EXPECT_FALSE(Unwrap(PrivateKey{"oct", SecureBytes(Bytes(16, 1))}, WrapAlg::kA256Kw, Bytes(40, 1)).ok());
  EXPECT_FALSE(LoadPrivateKey(PrivateKey{"oct", SecureBytes(Bytes(20, 1))}).ok());
  EXPECT_FALSE(WrapWithPrivate(PrivateKey{"oct", SecureBytes(Bytes(32, 1))}, WrapAlg::kRsaOaep, Bytes(32, 1)).ok());
}

TEST(LoadPrivateKey, RejectsGarbageAndTypeMismatch) {
  EXPECT_FALSE(LoadPrivateKey(PrivateKey{"RSA", SecureBytes(ToBytes("not a pem"))}).ok());
  EXPECT_FALSE(LoadPrivateKey(PrivateKey{"RSA", SecureBytes()}).ok());
  EXPECT_FALSE(LoadPrivateKey(PrivateKey{"EC", Rsa2048().material}).ok());
  EXPECT_FALSE(LoadPrivateKey(PrivateKey{"DSA", Rsa2048().material}).ok());
  // Copies share the key and stay usable after the original is gone.
  LoadedKey copy;
  {
    Result<LoadedKey> key = LoadPrivateKey(Rsa2048());
    ASSERT_TRUE(key.ok());
    copy = *key;
  }
  Result<Bytes> ct = WrapWithPrivate(copy, WrapAlg::kRsaOaep256, Bytes(32, 9));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(Unwrap(copy, WrapAlg::kRsaOaep256, *ct)->bytes(), Bytes(32, 9));
  LoadedKey moved = std::move(copy);
  EXPECT_EQ(moved.kty(), "RSA");
  EXPECT_FALSE(Unwrap(LoadedKey(), WrapAlg::kRsaOaep256, *ct).ok());
}

TEST(LoadedKey, SharedAcrossThreads) {
  Result<LoadedKey> key = LoadPrivateKey(Rsa2048());
  ASSERT_TRUE(key.ok());
  Bytes dek(32, 0x33);
  Result<Bytes> ct = WrapWithPrivate(*key, WrapAlg::kRsaOaep256, dek);
  ASSERT_TRUE(ct.ok());
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        Result<Bytes> mine = WrapWithPrivate(*key, WrapAlg::kRsaOaep, dek);
        Result<SecureBytes> a = Unwrap(*key, WrapAlg::kRsaOaep256, *ct);
        Result<SecureBytes> b = mine.ok() ? Unwrap(*key, WrapAlg::kRsaOaep, *mine) : Result<SecureBytes>(Internal("wrap"));
        if (a.ok() && a->bytes() == dek && b.ok() && b->bytes() == dek) ++good;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

TEST(CleanseString, ZeroesEveryByteAndKeepsTheLength) {
  std::string secret = "d-member-of-a-private-jwk";
  CleanseString(secret);
  EXPECT_EQ(secret, std::string(25, '\0'));
  std::string empty;
  CleanseString(empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace cmk::testing
