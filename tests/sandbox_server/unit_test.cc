// Pieces of the server without HTTP: error mapping, paging tokens, form
// parsing, token audiences, the fault RNG, token buckets, certificates.
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "sandbox_server/api_versions.h"
#include "sandbox_server/jwt_verify.h"
#include "sandbox_server/rate_gate.h"
#include "sandbox_server/token_service.h"
#include "sandbox_server/wire_util.h"
#include "server_test_util.h"

namespace cmk {
namespace {

TEST(WireUtil, SplitsAzureCodeFromMessage) {
  WireError e = ToWireError(Conflict("RoleAssignmentExists: The role assignment already exists."), false);
  EXPECT_EQ(e.http, 409);
  EXPECT_EQ(e.code, "RoleAssignmentExists");
  EXPECT_EQ(e.message, "The role assignment already exists.");
  WireError plain = ToWireError(NotFound("sandbox: no such thing: really"), true);
  EXPECT_EQ(plain.http, 404);
  EXPECT_EQ(plain.code, "sandbox");
  WireError generic = ToWireError(InvalidArgument("bad input here"), false);
  EXPECT_EQ(generic.code, "BadRequest");
  EXPECT_EQ(ToWireError(FailedPrecondition("Forbidden: purge protection"), true).http, 403);
  EXPECT_EQ(ToWireError(FailedPrecondition("x: y"), false).http, 409);
}

TEST(WireUtil, CheckFieldsNamesTheFirstWrongMember) {
  const std::vector<FieldRule> rules = {
      {"properties", JType::kObject},
      {"properties.flag", JType::kBool},
      {"properties.days", JType::kInt, 7, 90},
      {"tags.*", JType::kString},
      {"list[].value", JType::kString},
  };
  auto check = [&](const char* text) { return CheckFields(Json::parse(text), rules); };
  EXPECT_FALSE(check(R"({"properties":{"flag":true,"days":7},"tags":{"a":"b"},"list":[{"value":"x"}]})"));
  EXPECT_FALSE(check(R"({"properties":{"flag":null,"days":90.0},"other":1})"));
  auto flag = check(R"({"properties":{"flag":"yes"}})");
  ASSERT_TRUE(flag);
  EXPECT_EQ(flag->path, "properties.flag");
  EXPECT_EQ(flag->value, "\"yes\"");
  EXPECT_FALSE(flag->out_of_range);
  auto days = check(R"({"properties":{"days":4294967303}})");
  ASSERT_TRUE(days);
  EXPECT_TRUE(days->out_of_range);
  EXPECT_TRUE(check(R"({"properties":{"days":18446744073709551616}})")->out_of_range);
  EXPECT_TRUE(check(R"({"properties":{"days":-1}})")->out_of_range);
  EXPECT_FALSE(check(R"({"properties":{"days":7.5}})")->out_of_range);  // a type error
  EXPECT_EQ(check(R"({"tags":{"a":"b","c":1}})")->path, "tags.c");
  EXPECT_EQ(check(R"({"list":[{"value":"x"},{"value":2}]})")->path, "list[1].value");
  EXPECT_EQ(check(R"({"properties":"x"})")->path, "properties");
  Json arm = Json::parse(ArmFieldError(*flag).body);
  EXPECT_EQ(arm["error"]["code"], "InvalidRequestContent");
  EXPECT_NE(arm["error"]["message"].get<std::string>().find("Path 'properties.flag'"), std::string::npos);
  Json kv = Json::parse(KvFieldError(*days).body);
  EXPECT_EQ(kv["error"]["code"], "BadParameter");
}

TEST(WireUtil, JIntNeverWrapsOrOverflows) {
  Json j = Json::parse(R"({"a":1e300,"b":18446744073709551615,"c":-5,"d":2048.0})");
  EXPECT_FALSE(JInt(j, "a").has_value());
  EXPECT_FALSE(JInt(j, "b").has_value());
  EXPECT_EQ(JInt(j, "c"), -5);
  EXPECT_EQ(JInt(j, "d"), 2048);
}

TEST(ApiVersions, ArmTypesAndRefusals) {
  auto type = ArmTypeOfPath(SplitPath(
      "/subscriptions/s/resourceGroups/rg/providers/microsoft.keyvault/vaults/v/providers/"
      "Microsoft.Authorization/roleAssignments/x"));
  ASSERT_TRUE(type);
  EXPECT_EQ(type->provider, "Microsoft.Authorization");
  EXPECT_EQ(type->type, "roleAssignments");
  auto op = ArmTypeOfPath(SplitPath(
      "/subscriptions/s/providers/Microsoft.KeyVault/locations/westeurope/operationStatuses/1"));
  ASSERT_TRUE(op);
  EXPECT_EQ(op->type, "operationStatuses");
  EXPECT_FALSE(ArmTypeOfPath(SplitPath("/subscriptions/s")));
  EXPECT_FALSE(CheckArmApiVersion(*type, "2022-04-01"));
  // A provider the server does not serve is not judged; the ones it serves are.
  EXPECT_FALSE(CheckArmApiVersion(ArmResourceType{"Microsoft.Network", "virtualNetworks"}, "1999-01-01"));
  EXPECT_TRUE(CheckArmApiVersion(ArmResourceType{"Microsoft.Compute", "diskEncryptionSets"}, "1999-01-01"));
  EXPECT_FALSE(CheckArmApiVersion(ArmResourceType{"Microsoft.Compute", "diskEncryptionSets"}, "2025-01-02"));
  EXPECT_TRUE(CheckArmApiVersion(ArmResourceType{"Microsoft.Sql", "servers"}, "2099-01-01"));
  EXPECT_FALSE(CheckArmApiVersion(ArmResourceType{"Microsoft.Sql", "servers"}, "2023-08-01"));
  auto old = CheckArmApiVersion(*type, "2014-01-01");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->status, 400);
  EXPECT_NE(old->body.find("NoRegisteredProviderFound"), std::string::npos);
  auto bad = CheckArmApiVersion(*type, "2022-04-01'");
  ASSERT_TRUE(bad);
  EXPECT_NE(bad->body.find("InvalidApiVersionParameter"), std::string::npos);
  EXPECT_FALSE(CheckKeyVaultApiVersion("7.6"));
  EXPECT_TRUE(CheckKeyVaultApiVersion("7.6 "));
}

TEST(JwtVerify, AcceptsRegisteredKeysOfTheRightAlgorithmOnly) {
  TestSigningKey rsa("RSA"), ec("EC"), other("RSA");
  const Json claims{{"sub", "app"}, {"exp", 4102444800}};
  const std::string pem = rsa.CertificatePem() + ec.PublicKeyPem();
  for (const auto& [key, alg] : std::vector<std::pair<const TestSigningKey*, std::string>>{
           {&rsa, "RS256"}, {&rsa, "PS256"}, {&ec, "ES256"}}) {
    auto v = VerifyJwt(key->SignJwt(alg, claims), pem);
    ASSERT_TRUE(v.ok()) << alg << ": " << v.status().ToString();
    EXPECT_EQ(v->claims["sub"], "app");
    EXPECT_EQ(v->header["alg"], alg);
  }
  EXPECT_EQ(VerifyJwt(other.SignJwt("RS256", claims), pem).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(VerifyJwt(rsa.SignJwt("RS256", claims), "").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(VerifyJwt(rsa.SignJwt("RS256", claims), "-----BEGIN GARBAGE-----\n").status().code(),
            StatusCode::kNotFound);
  // An ES256 signature presented as RS256, and the reverse, verify nothing.
  std::string es = ec.SignJwt("ES256", claims);
  EXPECT_FALSE(VerifyJwt(es, rsa.PublicKeyPem()).ok());
  for (const char* bad : {"", "a.b", "a.b.c.d", "aaa.bbb.ccc", "e30.e30.AA"})
    EXPECT_EQ(VerifyJwt(bad, pem).status().code(), StatusCode::kInvalidArgument) << bad;
  EXPECT_EQ(VerifyJwt(rsa.SignJwt("none", claims), pem).status().code(), StatusCode::kInvalidArgument);
  // HS256 with the public key as the "secret" (the classic confusion): refused.
  std::string hs = rsa.SignJwt("RS256", claims);
  std::string header = Base64UrlEncode(Bytes{'{', '"', 'a', 'l', 'g', '"', ':', '"', 'H', 'S', '2', '5', '6', '"', '}'});
  EXPECT_EQ(VerifyJwt(header + hs.substr(hs.find('.')), pem).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(WireUtil, SkipTokensRoundTripAndRejectGarbage) {
  for (size_t n : {0u, 1u, 25u, 12345u}) EXPECT_EQ(DecodeSkipToken(EncodeSkipToken(n)), n);
  EXPECT_FALSE(DecodeSkipToken("not a token").has_value());
  EXPECT_FALSE(DecodeSkipToken("eyJ4IjoxfQ").has_value());  // {"x":1}
}

TEST(TokenService, ParsesFormsAndAudiences) {
  auto f = ParseForm("a=1&b=x%2By+z&c=&d");
  EXPECT_EQ(f["a"], "1");
  EXPECT_EQ(f["b"], "x+y z");
  EXPECT_EQ(f["c"], "");
  TokenService t("tenant", "", "secret", "hdr", 3600, {"https://127.0.0.1:8443"});
  EXPECT_EQ(t.AudienceOf("https://vault.localhost/.default"), Audience::kKeyVault);
  EXPECT_EQ(t.AudienceOf("https://vault.azure.net"), Audience::kKeyVault);
  EXPECT_EQ(t.AudienceOf("https://management.azure.com//.default"), Audience::kArm);
  EXPECT_EQ(t.AudienceOf("https://127.0.0.1:8443/.default"), Audience::kArm);
  EXPECT_FALSE(t.AudienceOf("https://graph.microsoft.com/.default").has_value());
}

TEST(TokenService, TokensAreBoundToAudienceAndExpire) {
  TokenService t("tenant", "", "secret", "hdr", 60, {});
  auto r = t.ClientCredentials(
      "grant_type=client_credentials&client_id=c&client_secret=secret&scope=https%3A%2F%2Fvault.localhost%2F.default",
      1000);
  ASSERT_TRUE(std::holds_alternative<IssuedToken>(r));
  std::string token = std::get<IssuedToken>(r).access_token;
  auto g = t.Validate("Bearer " + token, 1001);
  ASSERT_TRUE(g.has_value());
  EXPECT_EQ(g->audience, Audience::kKeyVault);
  EXPECT_FALSE(t.Validate("Bearer " + token, 1061).has_value());
  EXPECT_FALSE(t.Validate(token, 1001).has_value());
  EXPECT_FALSE(t.Validate("Bearer " + token + "x", 1001).has_value());
  auto bad = t.ClientCredentials("grant_type=client_credentials&client_id=c&client_secret=nope&scope=https%3A%2F%2Fvault.localhost%2F.default", 1000);
  ASSERT_TRUE(std::holds_alternative<TokenError>(bad));
  EXPECT_EQ(std::get<TokenError>(bad).error, "invalid_client");
  EXPECT_EQ(std::get<TokenError>(bad).description.find("nope"), std::string::npos);
}

TEST(RateGate, SameSeedSameOutcomes) {
  FaultOptions f;
  f.seed = 7;
  f.throttle_rate = 0.2;
  f.error_rate = 0.2;
  f.drop_rate = 0.2;
  RateGate a(f, ThrottleOptions{}), b(f, ThrottleOptions{});
  int counts[4] = {0, 0, 0, 0};
  for (int i = 0; i < 200; ++i) {
    FaultOutcome x = a.DrawFault();
    EXPECT_EQ(x, b.DrawFault());
    ++counts[static_cast<int>(x)];
  }
  EXPECT_GE(counts[0], 50);  // kServe, 40% expected
  EXPECT_LE(counts[0], 110);
  for (int i = 1; i < 4; ++i) {  // each fault, 20% expected
    EXPECT_GE(counts[i], 20);
    EXPECT_LE(counts[i], 70);
  }
  f.seed = 8;
  RateGate c(f, ThrottleOptions{});
  int differ = 0;
  RateGate a2(FaultOptions{.throttle_rate = 0.2, .error_rate = 0.2, .drop_rate = 0.2, .seed = 7}, ThrottleOptions{});
  for (int i = 0; i < 50; ++i) differ += c.DrawFault() != a2.DrawFault();
  EXPECT_GT(differ, 0);
  RateGate none(FaultOptions{}, ThrottleOptions{});
  for (int i = 0; i < 50; ++i) EXPECT_EQ(none.DrawFault(), FaultOutcome::kServe);
}

TEST(RateGate, LostResponsesHitWritesOnlyFromTheirOwnStream) {
  FaultOptions f;
  f.seed = 7;
  f.lost_response_rate = 0.3;
  RateGate a(f, ThrottleOptions{}), b(f, ThrottleOptions{});
  int lost = 0;
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(a.DrawFault(false), FaultOutcome::kServe);  // reads are never lost
    // Reads in between (b draws none) do not shift the writes' sequence.
    FaultOutcome x = a.DrawFault(true);
    EXPECT_EQ(x, b.DrawFault(true));
    lost += x == FaultOutcome::kLoseResponse;
  }
  EXPECT_GE(lost, 35);
  EXPECT_LE(lost, 90);
  // With the other faults on, their sequence is the same as without lost responses.
  FaultOptions g{.throttle_rate = 0.2, .error_rate = 0.2, .drop_rate = 0.2, .seed = 7};
  FaultOptions h = g;
  h.lost_response_rate = 0.5;
  RateGate c(g, ThrottleOptions{}), d(h, ThrottleOptions{});
  for (int i = 0; i < 100; ++i) {
    FaultOutcome x = c.DrawFault(true), y = d.DrawFault(true);
    if (x != FaultOutcome::kServe) EXPECT_EQ(x, y);
    else EXPECT_TRUE(y == FaultOutcome::kServe || y == FaultOutcome::kLoseResponse);
  }
}

TEST(RateGate, BucketsArePerVaultAndPerKind) {
  ThrottleOptions t;
  t.vault_creates_per_10s = 2;
  t.vault_ops_per_10s = 0.001;  // ~no refill within the test
  RateGate g(FaultOptions{}, t);
  EXPECT_TRUE(g.TakeVault("a", true).allowed);
  EXPECT_TRUE(g.TakeVault("A", true).allowed);
  ThrottleDecision d = g.TakeVault("a", true);
  EXPECT_FALSE(d.allowed);
  EXPECT_GE(d.retry_after_seconds, 1);
  EXPECT_TRUE(g.TakeVault("b", true).allowed);
  ThrottleOptions off;
  off.enabled = false;
  RateGate g2(FaultOptions{}, off);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(g2.TakeVault("a", true).allowed);
}

TEST(X509, ServerCertificateHasTheSansAndChainsToTheCa) {
  auto tls = GenerateServerTls({"localhost", "*.vault.localhost"}, {"127.0.0.1"});
  ASSERT_TRUE(tls.ok()) << tls.status().ToString();
  auto load = [](const std::string& pem) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return x;
  };
  X509* ca = load(tls->ca_cert_pem);
  X509* cert = load(tls->server_cert_pem);
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "kv1.vault.localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert, "localhost", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(cert, "kv1.vault.azure.net", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "127.0.0.1", 0), 1);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, cert, nullptr);
  EXPECT_EQ(X509_verify_cert(ctx), 1);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
  X509_free(ca);
  const auto& key = tls->server_key_pem.bytes();
  EXPECT_EQ(std::string(key.begin(), key.end()).rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  EXPECT_FALSE(GenerateServerTls({}, {}).ok());
  EXPECT_FALSE(GenerateServerTls({"a,DNS:evil"}, {}).ok());
}

}  // namespace
}  // namespace cmk
