// base64url strictness, hex, the lenient wire decoder, constant-time compare,
// SecureBytes and algorithm names.
#include <gtest/gtest.h>

#include "test_util.h"

namespace cmk {
namespace {

TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<std::string, std::string> cases[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},     {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : cases) {
    EXPECT_EQ(Base64UrlEncode(ToBytes(plain)), encoded);
    Result<Bytes> d = Base64UrlDecode(encoded);
    ASSERT_TRUE(d.ok()) << encoded;
    EXPECT_EQ(ToString(*d), plain);
  }
}

TEST(Base64Url, UsesUrlAlphabet) {
  Bytes b = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(b), "-_-_");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), b);
}

TEST(Base64Url, StrictDecodingRejects) {
  for (const char* bad : {
           "Zg==",     // padding
           "Zg=",      // padding
           "+/+/",     // standard alphabet
           "Zm9v Yg",  // whitespace
           "Zm9v\nYg", "Zm9vYg\n", " Zm9v",
           "Z",        // impossible length
           "Zm9vY",    // impossible length
           "Zh",       // non-canonical trailing bits (4 low bits set)
           "Zm9",      // 'Zm9' decodes "fo" with trailing bits 01 -> non-canonical
           "Zm*v",     // stray character
       }) {
    EXPECT_FALSE(Base64UrlDecode(bad).ok()) << "accepted: " << bad;
  }
}

TEST(Base64Url, RoundTripsEveryLength) {
  for (size_t n = 0; n <= 70; ++n) {
    Result<SecureBytes> r = RandomBytes(n);
    ASSERT_TRUE(r.ok());
    std::string text = Base64UrlEncode(r->bytes());
    EXPECT_EQ(text.find('='), std::string::npos);
    Result<Bytes> back = Base64UrlDecode(text);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, r->bytes());
  }
}

TEST(Base64Any, AcceptsBothAlphabetsAndPadding) {
  Bytes b = {0xfb, 0xff, 0xbf, 0x66};
  EXPECT_EQ(*Base64AnyDecode("-_-_Zg"), b);
  EXPECT_EQ(*Base64AnyDecode("+/+/Zg"), b);
  EXPECT_EQ(*Base64AnyDecode("+/+/Zg=="), b);
  EXPECT_EQ(*Base64AnyDecode("-_-_Zg=="), b);
  for (const char* bad : {"+/-_Zg", "Zg=", "Zg===", "Z=g=", "Zg= =", "Zh==", " Zg", "Zm9v\n"}) {
    EXPECT_FALSE(Base64AnyDecode(bad).ok()) << "accepted: " << bad;
  }
}

TEST(Hex, RoundTripAndErrors) {
  Bytes b = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(HexEncode(b), "0001abff");
  EXPECT_EQ(*HexDecode("0001abff"), b);
  EXPECT_EQ(*HexDecode("0001ABFF"), b);
  EXPECT_TRUE(HexDecode("").ok());
  EXPECT_FALSE(HexDecode("abc").ok());
  EXPECT_FALSE(HexDecode("zz").ok());
}

TEST(Random, DekIs32FreshBytes) {
  Result<SecureBytes> a = GenerateDek();
  Result<SecureBytes> b = GenerateDek();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 32u);
  EXPECT_FALSE(ConstantTimeEqual(a->bytes(), b->bytes()));
}

TEST(ConstantTimeEqual, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEqual({}, {}));
  EXPECT_TRUE(ConstantTimeEqual({1, 2, 3}, {1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEqual({1, 2, 3}, {1, 2, 4}));
  EXPECT_FALSE(ConstantTimeEqual({1, 2, 3}, {1, 2}));
}

TEST(Sha256, KnownAnswer) {
  EXPECT_EQ(HexEncode(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(SecureBytes, CopyMoveAndClear) {
  SecureBytes a(Bytes{1, 2, 3});
  SecureBytes b = a;
  EXPECT_EQ(b.bytes(), a.bytes());
  SecureBytes c = std::move(a);
  EXPECT_EQ(c.bytes(), (Bytes{1, 2, 3}));
  EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
  b = SecureBytes(Bytes{9});
  EXPECT_EQ(b.bytes(), Bytes{9});
  b = c;
  EXPECT_EQ(b.bytes(), c.bytes());
  c.clear();
  EXPECT_EQ(c.size(), 0u);
  EXPECT_EQ(b.size(), 3u);
}

TEST(WrapAlgNames, RoundTripAndRejects) {
  for (WrapAlg alg : {WrapAlg::kRsaOaep, WrapAlg::kRsaOaep256, WrapAlg::kRsa15, WrapAlg::kA128Kw,
                      WrapAlg::kA192Kw, WrapAlg::kA256Kw, WrapAlg::kAesKwp}) {
    Result<WrapAlg> back = WrapAlgFromName(WrapAlgName(alg));
    ASSERT_TRUE(back.ok()) << WrapAlgName(alg);
    EXPECT_EQ(*back, alg);
  }
  EXPECT_STREQ(WrapAlgName(WrapAlg::kAesKwp), "CKM_AES_KEY_WRAP_PAD");
  EXPECT_TRUE(IsRsaAlg(WrapAlg::kRsa15));
  EXPECT_FALSE(IsRsaAlg(WrapAlg::kA256Kw));
  EXPECT_FALSE(WrapAlgFromName("rsa-oaep").ok());
  EXPECT_FALSE(WrapAlgFromName("A256GCM").ok());
  EXPECT_FALSE(WrapAlgFromName("CKM_AES_KEY_WRAP").ok());
}

}  // namespace
}  // namespace cmk::testing
