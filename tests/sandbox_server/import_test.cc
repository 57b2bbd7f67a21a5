// ImportKey (PUT /keys/{name}) over HTTPS: an imported RSA key is served like
// a created one (public JWK only), wraps and unwraps with the imported
// material in both directions, adds a version to an existing key; oct-HSM in
// a premium vault; bad JWKs get a BadParameter envelope that names the
// member and echoes no private value.
#include <fstream>

#include "crypto/crypto.h"
#include "server_test_util.h"

namespace cmk {
namespace {

const char* const kPrivateMembers[] = {"d", "p", "q", "dp", "dq", "qi"};

// The RSA private JWK of Microsoft's ImportKey example (tests/data/azure-wire).
Json ExampleJwk() {
  std::ifstream in(std::string(CMK_TEST_DATA_DIR) + "/azure-wire/keyvault-keys/ImportKey-example.json");
  Json ex = Json::parse(in, nullptr, false);
  return Json(Member(ex, {"parameters", "parameters", "key"}));
}

// A second, unrelated RSA private JWK (Wycheproof, 2048 bits).
Json OtherJwk() {
  std::ifstream in(std::string(CMK_TEST_DATA_DIR) +
                   "/wycheproof/rsa_oaep_2048_sha256_mgf1sha256_test.json");
  Json v = Json::parse(in, nullptr, false);
  const Json& groups = Member(v, {"testGroups"});
  if (!groups.is_array() || groups.empty()) return Json();
  Json jwk = Json(Member(groups[0], {"privateKeyJwk"}));
  jwk.erase("alg");
  jwk.erase("kid");
  return jwk;
}

class ImportKeyTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Start();
    CreateVault("kv1");
  }
  void CreatePremiumVault(const std::string& name) {
    Reply r = Arm("PUT",
                  std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                      "/providers/Microsoft.KeyVault/vaults/" + name + "?api-version=2026-04-01",
                  Json{{"location", "westeurope"},
                       {"properties",
                        {{"tenantId", server_->endpoints().tenant_id},
                         {"sku", {{"family", "A"}, {"name", "premium"}}},
                         {"enableRbacAuthorization", true},
                         {"softDeleteRetentionInDays", 7},
                         {"enablePurgeProtection", true}}}});
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
  }
  Reply Import(const std::string& vault, const std::string& name, const Json& body) {
    return Kv(vault, "PUT", "/keys/" + name + kV, body);
  }
  // No private member, and no private value anywhere in the text.
  static void ExpectNoPrivateMaterial(const Reply& r, const Json& jwk) {
    for (const char* m : kPrivateMembers) {
      EXPECT_FALSE(Member(r.json, {"key"}).contains(m)) << m;
      const Json& value = Member(jwk, {m});
      if (value.is_string() && !value.get<std::string>().empty()) {
        EXPECT_EQ(r.body.find(value.get<std::string>()), std::string::npos) << m;
      }
    }
    EXPECT_FALSE(Member(r.json, {"key"}).contains("k"));
  }
  static std::string Version(const Json& bundle) {
    const Json& kid = Member(bundle, {"key", "kid"});
    std::string s = kid.is_string() ? kid.get<std::string>() : "";
    return s.substr(s.rfind('/') + 1);
  }
};

TEST_F(ImportKeyTest, ImportedRsaKeyIsServedLikeACreatedOne) {
  Json jwk = ExampleJwk();
  ASSERT_TRUE(jwk.is_object());
  Json key = jwk;
  key["key_ops"] = {"wrapKey", "unwrapKey"};
  Reply r = Import("kv1", "imp",
                   Json{{"key", key},
                        {"Hsm", false},
                        {"attributes", {{"exp", 4102444800}}},
                        {"tags", {{"purpose", "unit test"}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string base = "https://kv1.vault.localhost:" + std::to_string(server_->port());
  std::string kid = Member(r.json, {"key", "kid"}).get<std::string>();
  EXPECT_EQ(kid.rfind(base + "/keys/imp/", 0), 0u) << kid;
  EXPECT_EQ(Version(r.json).size(), 32u);
  EXPECT_EQ(r.json["key"]["kty"], "RSA");
  EXPECT_EQ(r.json["key"]["n"], jwk["n"]);
  EXPECT_EQ(r.json["key"]["e"], "AQAB");
  EXPECT_EQ(r.json["key"]["key_ops"], Json({"unwrapKey", "wrapKey"}));
  EXPECT_EQ(r.json["attributes"]["exp"], 4102444800);
  EXPECT_EQ(r.json["attributes"]["enabled"], true);
  EXPECT_EQ(r.json["tags"]["purpose"], "unit test");
  EXPECT_FALSE(r.json.contains("managed"));
  ExpectNoPrivateMaterial(r, jwk);

  Reply get = Kv("kv1", "GET", std::string("/keys/imp") + kV);
  ASSERT_EQ(get.status, 200) << get.body;
  EXPECT_EQ(get.json["key"]["kid"], kid);
  EXPECT_EQ(get.json["key"]["n"], jwk["n"]);
  ExpectNoPrivateMaterial(get, jwk);
  Reply versions = Kv("kv1", "GET", std::string("/keys/imp/versions") + kV);
  ASSERT_EQ(versions.status, 200);
  ASSERT_EQ(versions.json["value"].size(), 1u);
  ExpectNoPrivateMaterial(versions, jwk);
}

TEST_F(ImportKeyTest, ImportedMaterialWrapsAndUnwrapsBothWays) {
  Json jwk = ExampleJwk();
  Reply r = Import("kv1", "imp", Json{{"key", jwk}});
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string path = "/keys/imp/" + Version(r.json);
  auto dek = GenerateDek();
  ASSERT_TRUE(dek.ok());

  // Wrapped locally with the public half, unwrapped by the vault.
  PublicJwk pub{"RSA", jwk["n"].get<std::string>(), jwk["e"].get<std::string>(), "", "", ""};
  auto wrapped = WrapWithPublic(pub, WrapAlg::kRsaOaep256, dek->bytes());
  ASSERT_TRUE(wrapped.ok()) << wrapped.status().ToString();
  Reply unwrap = Kv("kv1", "POST", path + "/unwrapkey" + kV,
                    Json{{"alg", "RSA-OAEP-256"}, {"value", Base64UrlEncode(*wrapped)}});
  ASSERT_EQ(unwrap.status, 200) << unwrap.body;
  EXPECT_EQ(unwrap.json["value"], Base64UrlEncode(dek->bytes()));

  // Wrapped by the vault, unwrapped locally with the private JWK.
  Reply wrap = Kv("kv1", "POST", path + "/wrapkey" + kV,
                  Json{{"alg", "RSA-OAEP"}, {"value", Base64UrlEncode(dek->bytes())}});
  ASSERT_EQ(wrap.status, 200) << wrap.body;
  auto ciphertext = Base64UrlDecode(wrap.json["value"].get<std::string>());
  ASSERT_TRUE(ciphertext.ok());
  auto priv = RsaPrivateFromJwk(jwk.dump());
  ASSERT_TRUE(priv.ok()) << priv.status().ToString();
  auto back = Unwrap(*priv, WrapAlg::kRsaOaep, *ciphertext);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(ConstantTimeEqual(back->bytes(), dek->bytes()));
}

TEST_F(ImportKeyTest, ImportAddsAVersionToAnExistingKey) {
  Json created = CreateKey("kv1", "k1");
  Json jwk = OtherJwk();
  ASSERT_TRUE(jwk.is_object());
  Reply r = Import("kv1", "k1", Json{{"key", jwk}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(Version(r.json), Version(created));
  EXPECT_EQ(r.json["key"]["n"], jwk["n"]);
  Reply versions = Kv("kv1", "GET", std::string("/keys/k1/versions") + kV);
  ASSERT_EQ(versions.status, 200);
  EXPECT_EQ(versions.json["value"].size(), 2u);
  // The older, generated version is untouched.
  Reply old = Kv("kv1", "GET", "/keys/k1/" + Version(created) + kV);
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(old.json["key"]["n"], created["key"]["n"]);
  EXPECT_NE(old.json["key"]["n"], jwk["n"]);
}

TEST_F(ImportKeyTest, BadJwksAreRejectedWithoutEchoingThem) {
  const Json good = ExampleJwk();
  auto expect_bad = [&](const Json& body, const std::string& needle, int status = 400,
                        const std::string& code = "BadParameter") {
    Reply r = Import("kv1", "bad", body);
    EXPECT_EQ(r.status, status) << body.dump().substr(0, 80) << " " << r.body;
    EXPECT_EQ(Member(r.json, {"error", "code"}), code) << r.body;
    const Json& message = Member(r.json, {"error", "message"});
    ASSERT_TRUE(message.is_string()) << r.body;
    EXPECT_NE(message.get<std::string>().find(needle), std::string::npos) << r.body;
    ExpectNoPrivateMaterial(r, good);
  };
  expect_bad(Json::object(), "'key'");
  expect_bad(Json{{"key", "not an object"}}, "'key'");
  for (const char* m : {"n", "e", "d", "p", "q", "dp", "dq", "qi"}) {
    Json key = good;
    key.erase(m);
    expect_bad(Json{{"key", key}}, std::string("'") + m + "'");
  }
  Json not_b64 = good;
  not_b64["p"] = "not base64url!";
  expect_bad(Json{{"key", not_b64}}, "'p'");
  Json mixed = good;
  mixed["p"] = OtherJwk()["p"];  // valid encoding, wrong key
  expect_bad(Json{{"key", mixed}}, "not a valid RSA private key");
  Json no_kty = good;
  no_kty.erase("kty");
  expect_bad(Json{{"key", no_kty}}, "'kty'");
  Json unknown = good;
  unknown["kty"] = "DSA";
  expect_bad(Json{{"key", unknown}}, "DSA");
  expect_bad(Json{{"key", {{"kty", "oct"}, {"k", Base64UrlEncode(Bytes(32, 7))}}}},
             "HSM");
  expect_bad(Json{{"key", good}, {"Hsm", true}}, "premium");  // RSA-HSM in a standard vault
  expect_bad(Json{{"key", {{"kty", "EC"}, {"crv", "P-256"}, {"x", "a"}, {"y", "b"}, {"d", "c"}}}},
             "EC", 501, "NotImplemented");
  // Nothing was created by the failures.
  EXPECT_EQ(Kv("kv1", "GET", std::string("/keys/bad") + kV).status, 404);
}

TEST_F(ImportKeyTest, OctHsmKeyImportsIntoAPremiumVault) {
  CreatePremiumVault("hsm1");
  Bytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 7 + 1);
  const std::string k_text = Base64UrlEncode(k);
  Reply r = Import("hsm1", "aes", Json{{"key", {{"kty", "oct-HSM"}, {"k", k_text}}}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["key"]["kty"], "oct-HSM");
  EXPECT_FALSE(r.json["key"].contains("k"));
  EXPECT_EQ(r.body.find(k_text), std::string::npos);

  // RFC 3394 is deterministic: the vault's A256KW equals a local one with k.
  Bytes dek(32, 0x42);
  Reply wrap = Kv("hsm1", "POST", "/keys/aes/" + Version(r.json) + "/wrapkey" + kV,
                  Json{{"alg", "A256KW"}, {"value", Base64UrlEncode(dek)}});
  ASSERT_EQ(wrap.status, 200) << wrap.body;
  auto local = AesKeyWrap(k, WrapAlg::kA256Kw, dek);
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(wrap.json["value"], Base64UrlEncode(*local));
  Reply unwrap = Kv("hsm1", "POST", "/keys/aes/unwrapkey" + std::string(kV),
                    Json{{"alg", "A256KW"}, {"value", wrap.json["value"]}});
  ASSERT_EQ(unwrap.status, 200) << unwrap.body;
  EXPECT_EQ(unwrap.json["value"], Base64UrlEncode(dek));

  // "oct" with Hsm: true is the same; a 20-byte k is no AES key size.
  EXPECT_EQ(Import("hsm1", "aes2", Json{{"key", {{"kty", "oct"}, {"k", k_text}}}, {"Hsm", true}})
                .status,
            200);
  Reply odd = Import("hsm1", "aes3",
                     Json{{"key", {{"kty", "oct-HSM"}, {"k", Base64UrlEncode(Bytes(20, 1))}}}});
  EXPECT_EQ(odd.status, 400) << odd.body;
  EXPECT_EQ(Member(odd.json, {"error", "code"}), "BadParameter");
}

}  // namespace
}  // namespace cmk
