// JWK parsing rules (RFC 7518 section 6) and thumbprint stability.
#include <gtest/gtest.h>

#include "test_util.h"

namespace cmk {
namespace {

// The RFC 7517 A.1 RSA key.
const char kN[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRX"
    "jBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaS"
    "qzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksIN"
    "HaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
const char kThumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
// The RFC 7517 A.1 P-256 key.
const char kX[] = "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4";
const char kY[] = "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM";

Json Rsa(const std::string& n, const std::string& e) { return {{"kty", "RSA"}, {"n", n}, {"e", e}}; }
Json Ec(const std::string& crv, const std::string& x, const std::string& y) {
  return {{"kty", "EC"}, {"crv", crv}, {"x", x}, {"y", y}};
}

TEST(ParsePublicJwk, AcceptsHsmKtyAndNormalises) {
  Json j = Rsa(kN, "AQAB");
  j["kty"] = "RSA-HSM";
  Result<PublicJwk> jwk = ParsePublicJwk(j.dump());
  ASSERT_TRUE(jwk.ok()) << jwk.status().ToString();
  EXPECT_EQ(jwk->kty, "RSA");
  EXPECT_EQ(*JwkThumbprint(*jwk), kThumbprint);
  Json e = Ec("P-256", kX, kY);
  e["kty"] = "EC-HSM";
  Result<PublicJwk> ec = ParsePublicJwk(e.dump());
  ASSERT_TRUE(ec.ok());
  EXPECT_EQ(ec->kty, "EC");
}

TEST(ParsePublicJwk, RejectsLeadingZeroInModulus) {
  // Decision: RFC 7518 6.3.1.1 minimal encoding; a 257-byte n is rejected.
  Bytes n = *Base64UrlDecode(kN);
  n.insert(n.begin(), 0);
  Result<PublicJwk> r = ParsePublicJwk(Rsa(Base64UrlEncode(n), "AQAB").dump());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("leading zero"), std::string::npos);
  EXPECT_FALSE(ParsePublicJwk(Rsa(kN, "AAEAAQ").dump()).ok());  // e with a leading zero
}

TEST(ParsePublicJwk, RejectsWeakOrMalformedRsa) {
  Bytes n = *Base64UrlDecode(kN);
  Bytes short_n(n.begin(), n.begin() + 128);  // 1024 bits
  short_n.back() |= 1;
  EXPECT_FALSE(ParsePublicJwk(Rsa(Base64UrlEncode(short_n), "AQAB").dump()).ok());
  Bytes even = n;
  even.back() &= 0xfe;
  EXPECT_FALSE(ParsePublicJwk(Rsa(Base64UrlEncode(even), "AQAB").dump()).ok());
  EXPECT_FALSE(ParsePublicJwk(Rsa(kN, "AQ").dump()).ok());    // e = 1
  EXPECT_FALSE(ParsePublicJwk(Rsa(kN, "AQAA").dump()).ok());  // e even
  EXPECT_FALSE(ParsePublicJwk(Rsa(kN, "").dump()).ok());
  EXPECT_FALSE(ParsePublicJwk(Rsa(kN, "AQAB=").dump()).ok());  // padded
  std::string plus_n = kN;
  plus_n[10] = '+';
  EXPECT_FALSE(ParsePublicJwk(Rsa(plus_n, "AQAB").dump()).ok());
  EXPECT_FALSE(ParsePublicJwk(Rsa(std::string(kN) + " ", "AQAB").dump()).ok());
}

TEST(ParsePublicJwk, RejectsBadStructure) {
  EXPECT_FALSE(ParsePublicJwk("not json").ok());
  EXPECT_FALSE(ParsePublicJwk("[1,2]").ok());
  EXPECT_FALSE(ParsePublicJwk(R"({"n":"AQAB","e":"AQAB"})").ok());  // no kty
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"RSA","e":"AQAB"})").ok());  // no n
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"RSA","n":5,"e":"AQAB"})").ok());
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"OKP","crv":"Ed25519","x":"AA"})").ok());
  EXPECT_FALSE(ParsePublicJwk(R"({"kty":"oct","k":"GawgguFyGrWKav7AX4VKUg"})").ok());
}

TEST(ParsePublicJwk, RejectsBadEcPoints) {
  EXPECT_TRUE(ParsePublicJwk(Ec("P-256", kX, kY).dump()).ok());
  // Not on the curve: change the last byte of y.
  Bytes y = *Base64UrlDecode(kY);
  y.back() ^= 1;
  Result<PublicJwk> off = ParsePublicJwk(Ec("P-256", kX, Base64UrlEncode(y)).dump());
  ASSERT_FALSE(off.ok());
  EXPECT_NE(off.status().message().find("not on curve"), std::string::npos);
  // Wrong coordinate length (a P-256 point claimed as P-384).
  EXPECT_FALSE(ParsePublicJwk(Ec("P-384", kX, kY).dump()).ok());
  Bytes x = *Base64UrlDecode(kX);
  Bytes longer_x = x;
  longer_x.insert(longer_x.begin(), 0);
  EXPECT_FALSE(ParsePublicJwk(Ec("P-256", Base64UrlEncode(longer_x), kY).dump()).ok());
  EXPECT_FALSE(ParsePublicJwk(Ec("P-192", kX, kY).dump()).ok());
  EXPECT_FALSE(ParsePublicJwk(Ec("P-256", kX, "").dump()).ok());
}

TEST(JwkThumbprint, StableAcrossMemberOrderAndExtras) {
  std::string a = std::string(R"({"e":"AQAB","kty":"RSA","n":")") + kN + "\"}";
  std::string b = std::string(R"({ "kid": "x", "n": ")") + kN + R"(", "use":"enc", "kty": "RSA", "e": "AQAB" })";
  Result<PublicJwk> ja = ParsePublicJwk(a), jb = ParsePublicJwk(b);
  ASSERT_TRUE(ja.ok() && jb.ok());
  EXPECT_EQ(*JwkThumbprint(*ja), kThumbprint);
  EXPECT_EQ(*JwkThumbprint(*jb), kThumbprint);
  EXPECT_EQ(PublicJwkToJson(*jb), a);
}

TEST(JwkThumbprint, RejectsIncompleteKeys) {
  PublicJwk empty;
  EXPECT_FALSE(JwkThumbprint(empty).ok());
  PublicJwk rsa{"RSA", kN, "", "", "", ""};
  EXPECT_FALSE(JwkThumbprint(rsa).ok());
  PublicJwk ec{"EC", "", "", "P-256", kX, ""};
  EXPECT_FALSE(JwkThumbprint(ec).ok());
}

TEST(RsaPrivateFromJwk, RejectsMissingOrInconsistentMembers) {
  EXPECT_FALSE(RsaPrivateFromJwk(Rsa(kN, "AQAB").dump()).ok());  // public only
  Json doc = LoadVectors("rfc/jwe_key_wrap_rfc7516.json");
  Json good = doc["vectors"][0]["privateJwk"];
  ASSERT_TRUE(RsaPrivateFromJwk(good.dump()).ok());
  Json other = doc["vectors"][1]["privateJwk"];
  Json mixed = good;
  mixed["d"] = other["d"];  // d from another key
  Result<PrivateKey> r = RsaPrivateFromJwk(mixed.dump());
  ASSERT_FALSE(r.ok());
  // The error never echoes key material.
  EXPECT_EQ(r.status().message().find(other["d"].get<std::string>().substr(0, 16)), std::string::npos);
  Json swapped = good;
  swapped["p"] = other["p"];
  EXPECT_FALSE(RsaPrivateFromJwk(swapped.dump()).ok());
  Json ec = {{"kty", "EC"}, {"crv", "P-256"}, {"x", kX}, {"y", kY}};
  EXPECT_FALSE(RsaPrivateFromJwk(ec.dump()).ok());
}

}  // namespace
}  // namespace cmk::testing
