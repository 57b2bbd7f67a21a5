// RFC known-answer vectors: RFC 3394/5649 key wrap, RFC 7516 A.1-A.3 JWE key
// wrapping, RFC 7517 JWKs and the RFC 7638 thumbprint.
#include <gtest/gtest.h>

#include "test_util.h"

namespace cmk {
namespace {

TEST(RfcKeyWrap, Rfc3394AndRfc5649BothDirections) {
  const std::string file = "aes_keywrap_rfc3394_rfc5649.json";
  Json doc = LoadVectors("rfc/" + file);
  Tally tally(file);
  for (const Json& v : doc["vectors"]) {
    SCOPED_TRACE(v["id"].get<std::string>());
    WrapAlg alg = WrapAlg::kAesKwp;
    if (v["mode"] == "KW") {
      Result<WrapAlg> named = WrapAlgFromName(v["joseAlg"]);
      ASSERT_TRUE(named.ok());
      alg = *named;
    }
    Bytes kek = Hex(v["kek"]), key = Hex(v["key"]), wrapped = Hex(v["wrapped"]);
    Result<Bytes> w = AesKeyWrap(kek, alg, key);
    Result<SecureBytes> u = AesKeyUnwrap(kek, alg, wrapped);
    bool ok = w.ok() && *w == wrapped && u.ok() && u->bytes() == key;
    EXPECT_TRUE(ok);
    // One flipped bit anywhere must break the integrity check.
    for (size_t i = 0; i < wrapped.size(); ++i) {
      Bytes bad = wrapped;
      bad[i] ^= 0x01;
      EXPECT_FALSE(AesKeyUnwrap(kek, alg, bad).ok()) << "flipped byte " << i;
    }
    tally.Record(ok);
  }
  tally.Print();
  EXPECT_EQ(tally.failed(), 0);
  EXPECT_EQ(tally.ran(), 8);
}

std::string JwkText(const Json& j) { return j.dump(); }

TEST(RfcJwe, Rfc7516KeyWrapSteps) {
  const std::string file = "jwe_key_wrap_rfc7516.json";
  Json doc = LoadVectors("rfc/" + file);
  Tally tally(file);
  for (const Json& v : doc["vectors"]) {
    std::string id = v["id"];
    SCOPED_TRACE(id);
    Bytes cek = Hex(v["cekHex"]);
    Bytes encrypted = Hex(v["encryptedKeyHex"]);
    Result<Bytes> from_b64 = Base64UrlDecode(v["encryptedKeyBase64url"]);
    ASSERT_TRUE(from_b64.ok());
    EXPECT_EQ(*from_b64, encrypted);
    Result<WrapAlg> alg = WrapAlgFromName(v["alg"]);
    ASSERT_TRUE(alg.ok());
    bool ok = false;
    if (IsRsaAlg(*alg)) {
      Result<PrivateKey> key = RsaPrivateFromJwk(JwkText(v["privateJwk"]));
      ASSERT_TRUE(key.ok()) << key.status().ToString();
      Result<SecureBytes> out = Unwrap(*key, *alg, encrypted);
      ok = out.ok() && out->bytes() == cek;
      EXPECT_TRUE(ok) << (out.ok() ? "wrong CEK" : out.status().ToString());
      // The imported key's public half is the JWK's n/e.
      Result<PublicJwk> pub = PublicJwkOf(*key);
      ASSERT_TRUE(pub.ok());
      EXPECT_EQ(pub->n, v["privateJwk"]["n"]);
      EXPECT_EQ(pub->e, v["privateJwk"]["e"]);
    } else {
      Result<Bytes> k = Base64UrlDecode(v["keyJwk"]["k"]);
      ASSERT_TRUE(k.ok());
      EXPECT_EQ(*k, Hex(v["kekHex"]));
      PrivateKey key{"oct", SecureBytes(*k)};
      Result<Bytes> w = WrapWithPrivate(key, *alg, cek);
      Result<SecureBytes> u = Unwrap(key, *alg, encrypted);
      ok = w.ok() && *w == encrypted && u.ok() && u->bytes() == cek;
      EXPECT_TRUE(ok);
    }
    tally.Record(ok);
  }
  tally.Print();
  EXPECT_EQ(tally.failed(), 0);
  EXPECT_EQ(tally.ran(), 3);
}

class RfcJwk : public ::testing::Test {
 protected:
  void SetUp() override { doc_ = LoadVectors("rfc/jwk_examples_rfc7517_rfc7638.json"); }
  Json doc_;
};

TEST_F(RfcJwk, Rfc7517RsaPublicKey) {
  const Json& ex = doc_["rsaPublic"];
  Result<PublicJwk> jwk = ParsePublicJwk(JwkText(ex["jwk"]));
  ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
  EXPECT_EQ(jwk->kty, "RSA");
  Result<Bytes> n = Base64UrlDecode(jwk->n);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(HexEncode(*n), ex["derived"]["nHex"]);
  Result<Bytes> spki = SpkiSha256(*jwk);
  ASSERT_TRUE(spki.ok()) << spki.status().ToString();
  EXPECT_EQ(HexEncode(*spki), ex["derived"]["spkiDerSha256Hex"]);
}

TEST_F(RfcJwk, Rfc7638RsaThumbprint) {
  const Json& ex = doc_["rfc7638Thumbprint"];
  Result<PublicJwk> jwk = ParsePublicJwk(JwkText(ex["inputJwk"]));
  ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
  EXPECT_EQ(PublicJwkToJson(*jwk), ex["canonicalJson"]);
  Result<std::string> tp = JwkThumbprint(*jwk);
  ASSERT_TRUE(tp.ok());
  EXPECT_EQ(*tp, ex["thumbprintBase64url"]);
  EXPECT_EQ(HexEncode(*Base64UrlDecode(*tp)), ex["thumbprintHex"]);
  // alg, kid and use never change the thumbprint.
  Json bare = {{"kty", "RSA"}, {"n", ex["inputJwk"]["n"]}, {"e", ex["inputJwk"]["e"]}};
  Json decorated = bare;
  decorated["use"] = "enc";
  decorated["alg"] = "RSA-OAEP-256";
  decorated["kid"] = "other";
  for (const Json& j : {bare, decorated}) {
    Result<PublicJwk> parsed = ParsePublicJwk(j.dump());
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*JwkThumbprint(*parsed), ex["thumbprintBase64url"]);
  }
}

TEST_F(RfcJwk, EcP256PublicAndPrivate) {
  const Json& pub = doc_["ecP256Public"];
  const Json* jwks[] = {&pub["jwk"], &doc_["ecP256Private"]["jwk"]};
  for (const Json* j : jwks) {
    Result<PublicJwk> jwk = ParsePublicJwk(JwkText(*j));
    ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
    EXPECT_EQ(jwk->crv, "P-256");
    EXPECT_EQ(HexEncode(*Base64UrlDecode(jwk->x)), pub["derived"]["xHex"]);
    EXPECT_EQ(HexEncode(*Base64UrlDecode(jwk->y)), pub["derived"]["yHex"]);
    EXPECT_EQ(PublicJwkToJson(*jwk), pub["derived"]["rfc7638CanonicalJson"]);
    EXPECT_EQ(*JwkThumbprint(*jwk), pub["derived"]["rfc7638ThumbprintBase64url"]);
  }
}

TEST_F(RfcJwk, EcP521KeepsLeadingZeroInY) {
  const Json& ex = doc_["ecP521Private"];
  Result<PublicJwk> jwk = ParsePublicJwk(JwkText(ex["jwk"]));
  ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
  Result<Bytes> y = Base64UrlDecode(jwk->y);
  ASSERT_TRUE(y.ok());
  EXPECT_EQ(y->size(), 66u);
  EXPECT_EQ((*y)[0], 0);
  EXPECT_EQ(jwk->y, ex["jwk"]["y"]);
  // Dropping the leading zero octet (a 65-byte y) must be rejected.
  Json stripped = ex["jwk"];
  stripped["y"] = Base64UrlEncode(Bytes(y->begin() + 1, y->end()));
  EXPECT_FALSE(ParsePublicJwk(stripped.dump()).ok());
}

TEST_F(RfcJwk, OctKeysHaveNoPublicFormButDecode) {
  const Json& oct = doc_["octKeys"];
  for (const Json& k : oct["keys"]) EXPECT_FALSE(ParsePublicJwk(k.dump()).ok());
  Result<Bytes> a128 = Base64UrlDecode(oct["keys"][0]["k"]);
  ASSERT_TRUE(a128.ok());
  EXPECT_EQ(HexEncode(*a128), oct["derived"]["A128KWKeyHex"]);
  Result<Bytes> hmac = Base64UrlDecode(oct["keys"][1]["k"]);
  ASSERT_TRUE(hmac.ok());
  EXPECT_EQ(hmac->size(), 64u);
}

}  // namespace
}  // namespace cmk::testing
