#include <gtest/gtest.h>

#include "azure/http_transport.h"
#include "azure/redaction.h"

namespace cmk {
namespace {

TEST(Redaction, AuthorizationHeaderAnyCaseIsRedacted) {
  HeaderMap h;
  h["authorization"] = "Bearer eyJsecret";
  h["X-Ms-Request-Id"] = "abc";
  std::string out = RedactHeaders(h);
  EXPECT_EQ(out.find("eyJsecret"), std::string::npos);
  EXPECT_NE(out.find("abc"), std::string::npos);
  EXPECT_TRUE(IsSecretHeader("AUTHORIZATION"));
  EXPECT_TRUE(IsSecretHeader("Authorization"));
  EXPECT_TRUE(IsSecretHeader("X-IDENTITY-HEADER"));
  EXPECT_FALSE(IsSecretHeader("Content-Type"));
  // The map looks up any spelling.
  EXPECT_EQ(h.count("AUTHORIZATION"), 1u);
}

TEST(Redaction, TokenRequestFormBodyIsRedacted) {
  std::string body =
      "grant_type=client_credentials&client_id=abc&scope=x&client_secret=hunter2&"
      "client_assertion=eyJassert";
  std::string out = RedactBody("https://login.microsoftonline.com/t/oauth2/v2.0/token", body);
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
  EXPECT_EQ(out.find("eyJassert"), std::string::npos);
  EXPECT_NE(out.find("client_id=abc"), std::string::npos);
}

TEST(Redaction, TokenResponsesAndKeyMaterialAreRedacted) {
  std::string out = RedactBody("https://login/t/oauth2/v2.0/token",
                               R"({"token_type":"Bearer","access_token":"eyJtok","expires_in":3599})");
  EXPECT_EQ(out.find("eyJtok"), std::string::npos);
  EXPECT_NE(out.find("3599"), std::string::npos);
  out = RedactBody("https://x", R"({"accessToken":"cli-token","expires_on":1})");
  EXPECT_EQ(out.find("cli-token"), std::string::npos);
  out = RedactBody("https://v.vault.azure.net/keys/k/1/unwrapkey?api-version=x",
                   R"({"kid":"k","value":"plaintext-dek"})");
  EXPECT_EQ(out.find("plaintext-dek"), std::string::npos);
  out = RedactBody("https://v.vault.azure.net/keys/k", R"({"key":{"kty":"RSA","d":"priv","n":"pub"}})");
  EXPECT_EQ(out.find("priv"), std::string::npos);
  EXPECT_NE(out.find("pub"), std::string::npos);
  // Unparseable token endpoint bodies are dropped.
  out = RedactBody("https://login/t/oauth2/v2.0/token", "{not json access_token=zzz");
  EXPECT_EQ(out.find("zzz"), std::string::npos);
}

TEST(Url, ParsesOriginsAndComparesThem) {
  auto p = ParseUrl("https://MyVault.vault.azure.net:443/keys?api-version=1");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->host, "myvault.vault.azure.net");
  EXPECT_EQ(p->port, 443);
  EXPECT_EQ(p->path_and_query, "/keys?api-version=1");
  EXPECT_TRUE(SameOrigin("https://a.vault.azure.net:443/x", "https://a.vault.azure.net"));
  EXPECT_FALSE(SameOrigin("https://a.vault.azure.net/x", "https://b.vault.azure.net"));
  EXPECT_FALSE(SameOrigin("http://a.vault.azure.net/x", "https://a.vault.azure.net"));
  EXPECT_FALSE(ParseUrl("no-scheme").ok());
  EXPECT_EQ(UrlEncode("https://a/.default"), "https%3A%2F%2Fa%2F.default");
}

TEST(CurlTransport, CancelledTransportRefusesToSend) {
  CurlTransportOptions o;
  o.cancel = std::make_shared<std::atomic<bool>>(true);
  auto t = MakeCurlTransport(o);
  HttpRequest r;
  r.url = "https://127.0.0.1:1/";
  auto res = t->Send(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kFailedPrecondition);
}

TEST(CurlTransport, ConnectionRefusedIsUnavailable) {
  auto t = MakeCurlTransport({});
  HttpRequest r;
  r.url = "http://127.0.0.1:1/";
  r.connect_timeout = std::chrono::milliseconds(500);
  auto res = t->Send(r);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cmk
