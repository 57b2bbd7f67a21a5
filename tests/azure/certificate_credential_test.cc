// The client-certificate credential: what it reads (PEM with its key,
// PKCS#12, encrypted keys, chains), the assertion it signs (as the Microsoft
// identity platform documents certificate credentials), where it sits in the
// chain, and that neither the key, the password nor the assertion reaches an
// error message or a log.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "azure/client_assertion.h"
#include "azure/credentials.h"
#include "azure/redaction.h"
#include "fake_transport.h"
#include "test_certificates.h"

namespace cmk {
namespace {

using nlohmann::json;

struct CertHarness {
  std::map<std::string, std::string> env = {{"AZURE_TENANT_ID", "t1"},
                                            {"AZURE_CLIENT_ID", "c1"},
                                            {"AZURE_AUTHORITY_HOST", "https://login.example"}};
  int64_t now = 1700000000;
  int token_status = 200;
  FakeTransport transport{[this](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("/oauth2/v2.0/token") == std::string::npos) return Unavailable("no IMDS here");
    if (token_status != 200)
      return Respond(token_status, R"({"error":"invalid_client","error_description":"AADSTS700027: )"
                                   R"(The certificate with identifier used to sign the client )"
                                   R"(assertion is not registered on application."})");
    return Respond(200, R"({"token_type":"Bearer","expires_in":3600,"access_token":"cert-token"})");
  }};

  Result<AccessToken> Token(const std::string& named = "") {
    CredentialOptions o;
    o.named = named;
    auto cred = MakeCredential(
        o,
        [this](const std::string& n) -> std::optional<std::string> {
          auto it = env.find(n);
          return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        },
        transport, [this] { return now; },
        [](const std::vector<std::string>&) -> Result<std::string> { return Unavailable("no az"); });
    if (!cred.ok()) return cred.status();
    return (*cred)->GetToken("https://vault.azure.net/.default");
  }
  // The form member `name` of the last token request.
  std::string Form(const std::string& name) const {
    const std::string& body = transport.requests.back().body;
    size_t at = body.find(name + "=");
    if (at == std::string::npos) return "";
    at += name.size() + 1;
    return body.substr(at, body.find('&', at) - at);
  }
};

struct DecodedJwt {
  json header, claims;
  std::string signing_input;
  Bytes signature;
};

DecodedJwt Decode(const std::string& jwt) {
  DecodedJwt d;
  size_t a = jwt.find('.'), b = jwt.rfind('.');
  auto part = [](const std::string& s) {
    Bytes bytes = Base64UrlDecode(s).value();
    return json::parse(bytes.begin(), bytes.end());
  };
  d.header = part(jwt.substr(0, a));
  d.claims = part(jwt.substr(a + 1, b - a - 1));
  d.signing_input = jwt.substr(0, b);
  d.signature = Base64UrlDecode(jwt.substr(b + 1)).value();
  return d;
}

TEST(CertificateCredential, PemSignsTheAssertionEntraIdDocuments) {
  TestCertificate cert("cmkctl-app");
  CertHarness h;
  h.env["AZURE_CLIENT_CERTIFICATE_PATH"] =
      WriteTestFile("app.pem", cert.CertificatePem() + cert.KeyPem());
  Result<AccessToken> token = h.Token();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  EXPECT_EQ(token->token, "cert-token");
  ASSERT_EQ(h.transport.requests.size(), 1u);
  EXPECT_EQ(h.transport.requests[0].url, "https://login.example/t1/oauth2/v2.0/token");
  EXPECT_EQ(h.Form("client_assertion_type"),
            "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer");
  EXPECT_EQ(h.Form("client_id"), "c1");
  EXPECT_EQ(h.Form("client_secret"), "");
  DecodedJwt jwt = Decode(h.Form("client_assertion"));
  EXPECT_EQ(jwt.header["alg"], "PS256");
  EXPECT_EQ(jwt.header["typ"], "JWT");
  Bytes der = cert.CertificateDer();
  EXPECT_EQ(jwt.header["x5t#S256"], Base64UrlEncode(Sha256(std::string(der.begin(), der.end()))));
  EXPECT_FALSE(jwt.header.contains("x5c"));
  EXPECT_EQ(jwt.claims["aud"], "https://login.example/t1/oauth2/v2.0/token");
  EXPECT_EQ(jwt.claims["iss"], "c1");
  EXPECT_EQ(jwt.claims["sub"], "c1");
  EXPECT_EQ(jwt.claims["nbf"], h.now);
  EXPECT_EQ(jwt.claims["iat"], h.now);
  EXPECT_EQ(jwt.claims["exp"], h.now + 600);
  EXPECT_EQ(jwt.claims["jti"].get<std::string>().size(), 36u);
  EXPECT_TRUE(cert.VerifiesPs256(jwt.signing_input, jwt.signature));
  // The body as -vv would log it: the assertion is redacted.
  std::string assertion = h.Form("client_assertion");
  EXPECT_EQ(RedactBody(h.transport.requests[0].url, h.transport.requests[0].body).find(assertion),
            std::string::npos);
}

TEST(CertificateCredential, EachRequestSignsAFreshAssertion) {
  TestCertificate cert("cmkctl-app");
  CertHarness h;
  h.env["AZURE_CLIENT_CERTIFICATE_PATH"] =
      WriteTestFile("fresh.pem", cert.CertificatePem() + cert.KeyPem());
  ASSERT_TRUE(h.Token().ok());
  std::string first = Decode(h.Form("client_assertion")).claims["jti"];
  h.now += 4000;  // the cached token expired
  ASSERT_TRUE(h.Token().ok());
  DecodedJwt second = Decode(h.Form("client_assertion"));
  EXPECT_NE(second.claims["jti"], first);
  EXPECT_EQ(second.claims["nbf"], h.now);
}

TEST(CertificateCredential, Pkcs12WithPasswordAndTheChainInX5c) {
  TestCertificate ca("cmkctl-test-ca");
  TestCertificate leaf("cmkctl-app", &ca);
  CertHarness h;
  h.env["AZURE_CLIENT_CERTIFICATE_PATH"] = WriteTestFile("app.pfx", leaf.Pkcs12("pfx-pass-7", &ca));
  h.env["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = "pfx-pass-7";
  h.env["AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"] = "true";
  Result<AccessToken> token = h.Token();
  ASSERT_TRUE(token.ok()) << token.status().ToString();
  DecodedJwt jwt = Decode(h.Form("client_assertion"));
  EXPECT_EQ(jwt.header["x5t#S256"], CertificateThumbprintS256(leaf.CertificateDer()));
  ASSERT_TRUE(jwt.header["x5c"].is_array());
  ASSERT_EQ(jwt.header["x5c"].size(), 2u);
  EXPECT_EQ(jwt.header["x5c"][0], Base64Encode(leaf.CertificateDer()));  // standard base64
  EXPECT_EQ(jwt.header["x5c"][1], Base64Encode(ca.CertificateDer()));
  EXPECT_TRUE(leaf.VerifiesPs256(jwt.signing_input, jwt.signature));
}

TEST(CertificateCredential, PemWithTheIssuerFirstStillSignsWithTheLeaf) {
  TestCertificate ca("cmkctl-test-ca");
  TestCertificate leaf("cmkctl-app", &ca);
  CertHarness h;
  h.env["AZURE_CLIENT_CERTIFICATE_PATH"] = WriteTestFile(
      "chain.pem", ca.CertificatePem() + leaf.KeyPem() + leaf.CertificatePem());
  h.env["AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"] = "1";
  ASSERT_TRUE(h.Token().ok());
  DecodedJwt jwt = Decode(h.Form("client_assertion"));
  EXPECT_EQ(jwt.header["x5t#S256"], CertificateThumbprintS256(leaf.CertificateDer()));
  EXPECT_EQ(jwt.header["x5c"], json::array({Base64Encode(leaf.CertificateDer()),
                                            Base64Encode(ca.CertificateDer())}));
}

// A configured certificate that does not load is an error to fix, not a
// reason to try the next source; the password and the key stay out of it.
TEST(CertificateCredential, BadFilesAndPasswordsStopTheChainWithoutSecrets) {
  TestCertificate cert("cmkctl-app");
  TestCertificate ec("cmkctl-ec", nullptr, 0, /*ec=*/true);
  const std::string password = "correct-horse-42";
  struct Case {
    std::string name, file, password, expect;
  };
  const std::vector<Case> cases = {
      {"missing", "", "", "cannot read the file"},
      {"no key", WriteTestFile("nokey.pem", cert.CertificatePem()), "", "no private key"},
      {"key only", WriteTestFile("keyonly.pem", cert.KeyPem()), "", "no certificate"},
      {"encrypted, no password", WriteTestFile("enc.pem", cert.CertificatePem() + cert.KeyPem(password)),
       "", "encrypted"},
      {"encrypted, wrong password",
       WriteTestFile("enc2.pem", cert.CertificatePem() + cert.KeyPem(password)), "wrong-" + password,
       "AZURE_CLIENT_CERTIFICATE_PASSWORD"},
      {"pkcs12, wrong password", WriteTestFile("bad.pfx", cert.Pkcs12(password)), "wrong-" + password,
       "AZURE_CLIENT_CERTIFICATE_PASSWORD"},
      {"pkcs12, no password", WriteTestFile("nopass.pfx", cert.Pkcs12(password)), "", "password"},
      {"not a certificate", WriteTestFile("junk.bin", "not a certificate"), "", "PKCS#12"},
      {"EC key", WriteTestFile("ec.pem", ec.CertificatePem() + ec.KeyPem()), "", "not RSA"},
      {"other key", WriteTestFile("other.pem", cert.CertificatePem() + ec.KeyPem()), "",
       "matches its private key"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    CertHarness h;
    h.env["AZURE_CLIENT_CERTIFICATE_PATH"] =
        c.file.empty() ? ::testing::TempDir() + "/does-not-exist.pem" : c.file;
    if (!c.password.empty()) h.env["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = c.password;
    Result<AccessToken> token = h.Token();
    ASSERT_FALSE(token.ok());
    EXPECT_EQ(token.status().code(), StatusCode::kInvalidArgument);
    const std::string m = token.status().message();
    EXPECT_NE(m.find("client-certificate"), std::string::npos) << m;
    EXPECT_NE(m.find("AZURE_CLIENT_CERTIFICATE_PATH"), std::string::npos) << m;
    EXPECT_NE(m.find(c.expect), std::string::npos) << m;
    EXPECT_NE(m.find("managed-identity: not tried"), std::string::npos) << m;
    EXPECT_EQ(m.find(password), std::string::npos) << m;
    EXPECT_EQ(m.find("PRIVATE KEY"), std::string::npos) << m;
    EXPECT_TRUE(h.transport.requests.empty());
  }
  // The right password opens both.
  for (const std::string& file : {WriteTestFile("enc3.pem", cert.CertificatePem() + cert.KeyPem(password)),
                                  WriteTestFile("good.pfx", cert.Pkcs12(password))}) {
    CertHarness h;
    h.env["AZURE_CLIENT_CERTIFICATE_PATH"] = file;
    h.env["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = password;
    Result<AccessToken> token = h.Token();
    EXPECT_TRUE(token.ok()) << file << ": " << token.status().ToString();
  }
}

// The identity platform refusing the certificate stops the chain (as in the
// SDKs); the error lists each source and carries no assertion.
TEST(CertificateCredential, RefusedCertificateStopsTheChainAndListsEverySource) {
  TestCertificate cert("cmkctl-app");
  CertHarness h;
  h.token_status = 401;
  h.env["AZURE_CLIENT_CERTIFICATE_PATH"] =
      WriteTestFile("refused.pem", cert.CertificatePem() + cert.KeyPem());
  Result<AccessToken> token = h.Token();
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.status().code(), StatusCode::kPermissionDenied);
  const std::string m = token.status().message();
  EXPECT_NE(m.find("client-secret: unavailable: AZURE_CLIENT_SECRET not set"), std::string::npos) << m;
  EXPECT_NE(m.find("client-certificate: failed: token request failed with HTTP 401 "
                   "(invalid_client: AADSTS700027"),
            std::string::npos)
      << m;
  for (const char* later : {"workload-identity", "managed-identity", "azure-cli"})
    EXPECT_NE(m.find(std::string(later) + ": not tried"), std::string::npos) << m;
  EXPECT_EQ(m.find(h.Form("client_assertion")), std::string::npos);
  EXPECT_EQ(h.transport.requests.size(), 1u);
}

TEST(CertificateCredential, ASecretWinsAndTheCertificateCanBeNamed) {
  TestCertificate cert("cmkctl-app");
  CertHarness h;
  h.env["AZURE_CLIENT_SECRET"] = "sec";
  h.env["AZURE_CLIENT_CERTIFICATE_PATH"] =
      WriteTestFile("both.pem", cert.CertificatePem() + cert.KeyPem());
  ASSERT_TRUE(h.Token().ok());
  EXPECT_EQ(h.Form("client_secret"), "sec");
  EXPECT_EQ(h.Form("client_assertion"), "");
  CertHarness named;
  named.env = h.env;
  ASSERT_TRUE(named.Token("client-certificate").ok());
  EXPECT_EQ(named.Form("client_secret"), "");
  EXPECT_FALSE(named.Form("client_assertion").empty());
}

}  // namespace
}  // namespace cmk
