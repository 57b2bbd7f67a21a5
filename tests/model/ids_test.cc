// The one set of string, JSON, id and mark helpers every layer shares
// (base/strings.h, base/json.h, model/arm_id.h, model/key_id.h, model/marks.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "model/arm_id.h"
#include "model/key_id.h"
#include "model/marks.h"

namespace cmk {
namespace {

TEST(Strings, CaseFoldingIsAsciiAndAllocationFree) {
  EXPECT_EQ(Lower("Rg-Treasury_CMK"), "rg-treasury_cmk");
  EXPECT_EQ(Lower("\xC3\x89t\xC3\xA9"), "\xC3\x89t\xC3\xA9");  // non-ASCII bytes untouched
  EXPECT_TRUE(EqualsIgnoreCase("Microsoft.KeyVault", "microsoft.keyvault"));
  EXPECT_FALSE(EqualsIgnoreCase("kv1", "kv10"));
  EXPECT_FALSE(EqualsIgnoreCase("a", "b"));
  EXPECT_TRUE(StartsWith("storage/x", "storage/"));
  EXPECT_FALSE(StartsWith("stor", "storage/"));
}

TEST(Strings, StrCatAndJoin) {
  EXPECT_EQ(StrCat("waited ", 5, " ms, ", int64_t{-3}, ' ', true, " ", std::string("x")),
            "waited 5 ms, -3 true x");
  EXPECT_EQ(Join({"a", "b", "c"}), "a, b, c");
  EXPECT_EQ(Join({}), "");
  EXPECT_EQ(Join({"x", "y"}, "|"), "x|y");
  EXPECT_EQ(Fnv1aHex(""), "cbf29ce484222325");
  EXPECT_EQ(Fnv1aHex("a"), "af63dc4c8601ec8c");
}

TEST(Json, GettersNeverThrowAndFallBack) {
  Json j = Json::parse(R"({"s":"x","n":7,"b":true,"o":{"k":1},"a":["p",2,"q"],"bad":null})");
  EXPECT_EQ(JsonString(j, "s"), "x");
  EXPECT_EQ(JsonString(j, "n"), "");
  EXPECT_EQ(JsonString(Json(42), "s"), "");
  EXPECT_EQ(JsonInt(j, "n"), 7);
  EXPECT_EQ(JsonInt(j, "s", -1), -1);
  EXPECT_TRUE(JsonBool(j, "b"));
  EXPECT_TRUE(JsonBool(j, "missing", true));
  EXPECT_EQ(JsonObject(j, "o")["k"], 1);
  EXPECT_TRUE(JsonObject(j, "a").empty());
  EXPECT_EQ(JsonStrings(j, "a"), (std::vector<std::string>{"p", "q"}));
  EXPECT_TRUE(JsonMember(j, "missing").is_null());
  EXPECT_TRUE(JsonMember(Json::array(), "s").is_null());
}

TEST(KeyId, ParsesVersionedAndVersionlessIds) {
  auto v = ParseKeyId("https://bank-kv.vault.azure.net/keys/cmk/0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->vault, "bank-kv");
  EXPECT_EQ(v->vault_url, "https://bank-kv.vault.azure.net");
  EXPECT_EQ(v->name, "cmk");
  EXPECT_EQ(v->version, "0123456789abcdef0123456789abcdef");
  auto l = ParseKeyId("https://kv.vault.localhost:8443/keys/k/?api-version=7.6");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->vault_url, "https://kv.vault.localhost:8443");
  EXPECT_EQ(l->version, "");
  auto port = ParseKeyId("https://kv.vault.azure.net:443/keys/k/v1");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->vault_url, "https://kv.vault.azure.net");
  for (const char* bad : {"", "kv/keys/k", "https://kv/keys/k", "https://kv.vault.azure.net/secrets/s",
                          "https://kv.vault.azure.net/keys/", "https://kv.vault.azure.net/x/keys/k",
                          "https://kv.vault.azure.net/keys/k/v/extra", "ftp://kv.vault.azure.net/keys/k"})
    EXPECT_FALSE(ParseKeyId(bad)) << bad;
  EXPECT_EQ(VaultNameOfUri("https://Bank-KV.vault.azure.net/"), "Bank-KV");
  EXPECT_EQ(VaultNameOfUri("https://localhost/"), "");
}

TEST(KeyId, ShortensOnlyWholeVersions) {
  EXPECT_EQ(ShortenVersions("version 0123456789abcdef0123456789abcdef used"),
            "version 01234567\xE2\x80\xA6 used");
  EXPECT_EQ(ShortenVersions("x0123456789abcdef0123456789abcdef"), "x0123456789abcdef0123456789abcdef");
  EXPECT_EQ(ShortenVersions("0123456789abcdef0123456789abcde"), "0123456789abcdef0123456789abcde");
}

TEST(ArmIds, ScopesAndUrisCompareAsAzureDoes) {
  const std::string vault = VaultArmId("s", "rg", "kv1");
  EXPECT_TRUE(UnderScope(vault + "/keys/k", vault));
  EXPECT_TRUE(UnderScope(Lower(vault) + "/keys/k", vault + "/"));
  EXPECT_FALSE(UnderScope(VaultArmId("s", "rg", "kv10"), vault));
  EXPECT_TRUE(UnderScope(vault, "/"));  // the root scope
  EXPECT_FALSE(UnderScope("/subscriptions/s", vault));
  EXPECT_TRUE(SameUri("https://KV.vault.azure.net/", "https://kv.vault.azure.net"));
  EXPECT_EQ(NormalizedId("/Subscriptions/S/"), "/subscriptions/s");
  EXPECT_EQ(TrailingSegment("/providers/Microsoft.Authorization/roleDefinitions/GUID/"), "GUID");
}

// ScopesAbove agrees with UnderScope: s covers id exactly when NormalizedId(s)
// is among ScopesAbove(id).
TEST(ArmIds, ScopesAboveAgreeWithUnderScope) {
  const std::string key = KeyArmId("S", "RG", "kv1", "k") + "/";
  std::vector<std::string> above = ScopesAbove(key);
  ASSERT_GE(above.size(), 3u);
  EXPECT_EQ(above.front(), "");
  EXPECT_EQ(above.back(), NormalizedId(key));
  const std::vector<std::string> scopes = {"/",
                                           "/subscriptions/s",
                                           "/Subscriptions/S/resourceGroups/rg",
                                           VaultArmId("s", "rg", "kv1"),
                                           VaultArmId("s", "rg", "kv10"),
                                           VaultArmId("s", "rg", "kv1") + "/keys/k/",
                                           VaultArmId("s", "rg", "kv1") + "/keys/k2",
                                           "/subscriptions/t"};
  for (const auto& scope : scopes) {
    bool listed = std::find(above.begin(), above.end(), NormalizedId(scope)) != above.end();
    EXPECT_EQ(listed, UnderScope(key, scope)) << scope;
  }
  EXPECT_EQ(ScopesAbove("/"), std::vector<std::string>{""});
}

TEST(Marks, OwnershipAndGeneration) {
  EXPECT_TRUE(IsOwned(WithOwnership({{"env", "prod"}})));
  EXPECT_FALSE(IsOwned(Tags{{"managed-by", "terraform"}}));
  EXPECT_EQ(GenerationOf({{kGenerationTagKey, "12"}}), 12);
  EXPECT_EQ(GenerationOf({{kGenerationTagKey, "1x"}}), 0);
  EXPECT_EQ(GenerationOf({{kGenerationTagKey, ""}}), 0);
  EXPECT_EQ(GenerationOf({{kGenerationTagKey, "99999999999999999999999"}}), 0);  // no overflow
  EXPECT_EQ(GenerationOf({}), 0);
}

TEST(Log, DisabledLevelsBuildNoMessageAndCaptureRestores) {
  std::vector<std::string> seen;
  int built = 0;
  auto part = [&built] {
    ++built;
    return std::string("x");
  };
  {
    ScopedLogCapture capture(LogLevel::kInfo,
                             [&seen](LogLevel, std::string_view m) { seen.emplace_back(m); });
    CMK_LOG(kDebug, "debug ", part());
    CMK_LOG(kWarn, "warn ", part(), " ", 3);
  }
  EXPECT_EQ(built, 1);
  EXPECT_EQ(seen, (std::vector<std::string>{"warn x 3"}));
  CMK_LOG(kWarn, "after the capture ", part());  // goes to the default logger, not `seen`
  EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace cmk
