// The Key Vault keys data plane over HTTPS: create, get (latest, trailing
// slash, version), versions with paging, list, update, rotate, rotation
// policy, wrap/unwrap, delete, deleted keys, recover, purge, errors.
#include <set>

#include "crypto/crypto.h"
#include "server_test_util.h"

namespace cmk {
namespace {


class KeyVaultTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Start();
    CreateVault("kv1");
  }
  std::string Base() const { return "https://kv1.vault.localhost:" + std::to_string(server_->port()); }
};

TEST_F(KeyVaultTest, CreateAndGetKeyBundle) {
  Json b = CreateKey("kv1", "k1",
                     Json{{"kty", "RSA"},
                          {"key_size", 2048},
                          {"key_ops", {"wrapKey", "unwrapKey"}},
                          {"attributes", {{"exp", 4102444800}}},
                          {"tags", {{"owner", "t"}}}});
  std::string kid = b["key"]["kid"];
  EXPECT_EQ(kid.rfind(Base() + "/keys/k1/", 0), 0u) << kid;
  EXPECT_EQ(kid.size(), Base().size() + 9 + 32);
  EXPECT_EQ(b["key"]["kty"], "RSA");
  EXPECT_TRUE(b["key"]["n"].is_string());
  EXPECT_EQ(b["key"]["e"], "AQAB");
  EXPECT_EQ(b["key"]["key_ops"], Json({"unwrapKey", "wrapKey"}));
  EXPECT_EQ(b["attributes"]["exp"], 4102444800);
  EXPECT_TRUE(b["attributes"]["created"].is_number_integer());
  EXPECT_EQ(b["attributes"]["recoveryLevel"], "CustomizedRecoverable");
  EXPECT_EQ(b["attributes"]["recoverableDays"], 7);
  EXPECT_EQ(b["tags"]["owner"], "t");
  std::string version = kid.substr(kid.rfind('/') + 1);
  for (const std::string& path : std::vector<std::string>{"/keys/k1", "/keys/k1/", "/keys/K1/" + version}) {
    Reply r = Kv("kv1", "GET", path + kV);
    ASSERT_EQ(r.status, 200) << path << r.body;
    EXPECT_EQ(r.json["key"]["kid"], kid);
  }
  Reply ec = Kv("kv1", "POST", std::string("/keys/e1/create") + kV, Json{{"kty", "EC"}, {"crv", "P-256"}});
  ASSERT_EQ(ec.status, 200) << ec.body;
  EXPECT_EQ(ec.json["key"]["crv"], "P-256");
  EXPECT_TRUE(ec.json["key"]["x"].is_string());
  EXPECT_TRUE(ec.json["key"]["y"].is_string());
  EXPECT_FALSE(ec.json["key"].contains("n"));
}

TEST_F(KeyVaultTest, ErrorsUseKeyVaultEnvelope) {
  Reply missing = Kv("kv1", "GET", std::string("/keys/nope") + kV);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json["error"]["code"], "KeyNotFound");
  EXPECT_TRUE(missing.json["error"]["message"].is_string());
  Reply bad = Kv("kv1", "POST", std::string("/keys/bad_name/create") + kV, Json{{"kty", "RSA"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  Reply nokty = Kv("kv1", "POST", std::string("/keys/x/create") + kV, Json::object());
  EXPECT_EQ(nokty.status, 400);
  EXPECT_EQ(nokty.json["error"]["code"], "BadParameter");
  Reply import = Kv("kv1", "PUT", std::string("/keys/imp") + kV, Json{{"key", {{"kty", "RSA"}}}});
  EXPECT_EQ(import.status, 400);
  EXPECT_EQ(import.json["error"]["code"], "BadParameter");
  Reply backup = Kv("kv1", "POST", std::string("/keys/k/backup") + kV);
  EXPECT_EQ(backup.status, 501);
  EXPECT_EQ(backup.json["error"]["code"], "NotImplemented");
  EXPECT_EQ(Kv("nosuchvault", "GET", std::string("/keys") + kV).status, 404);
}

TEST_F(KeyVaultTest, VersionsPageWithOpaqueSkipToken) {
  CreateKey("kv1", "pk");
  for (int i = 0; i < 4; ++i) CreateKey("kv1", "pk");  // new versions
  std::set<std::string> seen;
  std::string target = std::string("/keys/pk/versions") + kV + "&maxresults=2";
  int pages = 0;
  while (true) {
    Reply r = Kv("kv1", "GET", target);
    ASSERT_EQ(r.status, 200) << r.body;
    ++pages;
    for (auto& item : r.json["value"]) {
      seen.insert(item["kid"].get<std::string>());
      EXPECT_TRUE(item["attributes"]["enabled"].is_boolean());
    }
    ASSERT_TRUE(r.json.contains("nextLink"));
    if (r.json["nextLink"].is_null()) break;
    std::string next = r.json["nextLink"];
    ASSERT_EQ(next.rfind(Base(), 0), 0u) << next;
    EXPECT_NE(next.find("$skiptoken="), std::string::npos);
    target = next.substr(Base().size());
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(Kv("kv1", "GET", std::string("/keys/pk/versions") + kV + "&maxresults=26").status, 400);
  EXPECT_EQ(Kv("kv1", "GET", std::string("/keys/pk/versions") + kV + "&$skiptoken=zzz").status, 400);
}

TEST_F(KeyVaultTest, ListKeysUsesVersionlessKids) {
  CreateKey("kv1", "a1");
  CreateKey("kv1", "b1");
  Reply r = Kv("kv1", "GET", std::string("/keys") + kV + "&maxresults=1");
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["value"].size(), 1u);
  EXPECT_EQ(r.json["value"][0]["kid"], Base() + "/keys/a1");
  ASSERT_TRUE(r.json["nextLink"].is_string());
  Reply r2 = Kv("kv1", "GET", r.json["nextLink"].get<std::string>().substr(Base().size()));
  ASSERT_EQ(r2.status, 200);
  EXPECT_EQ(r2.json["value"][0]["kid"], Base() + "/keys/b1");
  EXPECT_TRUE(r2.json["nextLink"].is_null());
}

TEST_F(KeyVaultTest, UpdateLatestAndOlderVersion) {
  Json first = CreateKey("kv1", "u1");
  std::string v1 = first["key"]["kid"].get<std::string>().substr(Base().size() + 9);
  CreateKey("kv1", "u1");
  Reply latest = Kv("kv1", "PATCH", std::string("/keys/u1") + kV,
                    Json{{"attributes", {{"exp", 4102444800}}}, {"tags", {{"a", "b"}}}});
  ASSERT_EQ(latest.status, 200) << latest.body;
  EXPECT_EQ(latest.json["attributes"]["exp"], 4102444800);
  EXPECT_EQ(latest.json["tags"]["a"], "b");
  Reply old = Kv("kv1", "PATCH", "/keys/u1/" + v1 + kV, Json{{"attributes", {{"enabled", false}}}});
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(old.json["attributes"]["enabled"], false);
  // A disabled version still shows its public key (remembered before disabling).
  EXPECT_TRUE(old.json["key"]["n"].is_string());
  Reply removed = Kv("kv1", "PATCH", std::string("/keys/u1") + kV, Json{{"attributes", {{"exp", nullptr}}}});
  EXPECT_EQ(removed.status, 400) << removed.body;
}

TEST_F(KeyVaultTest, RotateAndRotationPolicy) {
  Json k = CreateKey("kv1", "r1");
  Reply none = Kv("kv1", "GET", std::string("/keys/r1/rotationpolicy") + kV);
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.json["id"], Base() + "/keys/r1/rotationpolicy");
  EXPECT_TRUE(none.json["lifetimeActions"].empty());
  Json policy{{"lifetimeActions",
               {{{"trigger", {{"timeAfterCreate", "P90D"}}}, {"action", {{"type", "Rotate"}}}},
                {{"trigger", {{"timeBeforeExpiry", "P30D"}}}, {"action", {{"type", "notify"}}}}}},
              {"attributes", {{"expiryTime", "P2Y"}}}};
  Reply put = Kv("kv1", "PUT", std::string("/keys/r1/rotationpolicy") + kV, policy);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json["lifetimeActions"].size(), 2u);
  EXPECT_EQ(put.json["attributes"]["expiryTime"], "P2Y");
  EXPECT_TRUE(put.json["attributes"]["updated"].is_number_integer());
  Reply got = Kv("kv1", "GET", std::string("/keys/r1/rotationpolicy") + kV);
  EXPECT_EQ(got.json["lifetimeActions"], put.json["lifetimeActions"]);
  Reply bad = Kv("kv1", "PUT", std::string("/keys/r1/rotationpolicy") + kV,
                 Json{{"lifetimeActions", {{{"trigger", {{"timeAfterCreate", "P1D"}}}, {"action", {{"type", "Notify"}}}}}}});
  EXPECT_EQ(bad.status, 400);
  Reply rotated = Kv("kv1", "POST", std::string("/keys/r1/rotate") + kV);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(rotated.json["key"]["kid"], k["key"]["kid"]);
  EXPECT_TRUE(rotated.json["attributes"]["exp"].is_number_integer());  // stamped from expiryTime
}

TEST_F(KeyVaultTest, WrapUnwrapRoundTripBothAlphabets) {
  Json k = CreateKey("kv1", "w1");
  std::string kid = k["key"]["kid"];
  std::string version = kid.substr(kid.rfind('/') + 1);
  Bytes dek(32, 0xfb);  // 0xfb... encodes with '-'/'_' vs '+'/'/'
  Reply wrap = Kv("kv1", "POST", "/keys/w1/" + version + "/wrapkey" + kV,
                  Json{{"alg", "RSA-OAEP-256"}, {"value", Base64UrlEncode(dek)}});
  ASSERT_EQ(wrap.status, 200) << wrap.body;
  EXPECT_EQ(wrap.json["kid"], kid);
  std::string wrapped = wrap.json["value"];
  EXPECT_EQ(wrapped.find_first_of("+/="), std::string::npos);
  auto raw = Base64UrlDecode(wrapped);
  ASSERT_TRUE(raw.ok());
  std::string standard = wrapped;
  for (char& c : standard) c = c == '-' ? '+' : c == '_' ? '/' : c;
  Reply unwrap = Kv("kv1", "POST", "/keys/w1/unwrapkey" + std::string(kV),
                    Json{{"alg", "RSA-OAEP-256"}, {"value", standard}});
  ASSERT_EQ(unwrap.status, 200) << unwrap.body;
  EXPECT_EQ(unwrap.json["value"], Base64UrlEncode(dek));
  Reply bad = Kv("kv1", "POST", "/keys/w1/" + version + "/unwrapkey" + kV,
                 Json{{"alg", "RSA-OAEP-256"}, {"value", "AAAA"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Kv("kv1", "POST", "/keys/w1/" + version + "/encrypt" + kV, Json{{"alg", "RSA-OAEP"}, {"value", "AA"}}).status, 501);
}

TEST_F(KeyVaultTest, DeleteRecoverPurgeStateMachine) {
  Json k = CreateKey("kv1", "d1", Json{{"kty", "RSA"}, {"tags", {{"t", "1"}}}});
  Reply del = Kv("kv1", "DELETE", std::string("/keys/d1") + kV);
  ASSERT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(del.json["recoveryId"], Base() + "/deletedkeys/d1");
  EXPECT_TRUE(del.json["deletedDate"].is_number_integer());
  EXPECT_TRUE(del.json["scheduledPurgeDate"].is_number_integer());
  EXPECT_EQ(del.json["key"]["kid"], k["key"]["kid"]);
  EXPECT_EQ(Kv("kv1", "GET", std::string("/keys/d1") + kV).status, 404);
  Reply reuse = Kv("kv1", "POST", std::string("/keys/d1/create") + kV, Json{{"kty", "RSA"}});
  EXPECT_EQ(reuse.status, 409);
  EXPECT_EQ(reuse.json["error"]["code"], "Conflict");
  EXPECT_EQ(reuse.json["error"]["innererror"]["code"], "ObjectIsDeletedButRecoverable");
  Reply list = Kv("kv1", "GET", std::string("/deletedkeys") + kV);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["value"].size(), 1u);
  EXPECT_EQ(list.json["value"][0]["recoveryId"], Base() + "/deletedkeys/d1");
  EXPECT_EQ(list.json["value"][0]["tags"]["t"], "1");
  Reply got = Kv("kv1", "GET", std::string("/deletedkeys/d1") + kV);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json["key"]["kid"], k["key"]["kid"]);
  EXPECT_EQ(got.json["key"]["kty"], "RSA");
  EXPECT_EQ(got.json["tags"]["t"], "1");
  // Another server process over the same sandbox answers the same: the
  // deleted key is read from the store, not from what this process saw.
  server_->Stop();
  Start();
  arm_token_.clear();
  kv_token_.clear();
  Reply again = Kv("kv1", "GET", std::string("/deletedkeys/d1") + kV);
  ASSERT_EQ(again.status, 200) << again.body;
  // The new process listens on another port: compare the key's path.
  auto path_of = [](const Json& kid) {
    std::string s = kid.get<std::string>();
    return s.substr(s.find("/keys/"));
  };
  EXPECT_EQ(path_of(again.json["key"]["kid"]), path_of(k["key"]["kid"]));
  EXPECT_EQ(again.json["key"]["kty"], "RSA");
  EXPECT_EQ(again.json["tags"]["t"], "1");
  EXPECT_EQ(again.json["attributes"]["recoverableDays"], got.json["attributes"]["recoverableDays"]);
  Reply rec = Kv("kv1", "POST", std::string("/deletedkeys/d1/recover") + kV);
  ASSERT_EQ(rec.status, 200) << rec.body;
  EXPECT_EQ(path_of(rec.json["key"]["kid"]), path_of(k["key"]["kid"]));
  EXPECT_EQ(Kv("kv1", "GET", std::string("/keys/d1") + kV).status, 200);
  // Purge: refused under purge protection (kv1), allowed on a vault without it.
  ASSERT_EQ(Kv("kv1", "DELETE", std::string("/keys/d1") + kV).status, 200);
  EXPECT_EQ(Kv("kv1", "DELETE", std::string("/deletedkeys/d1") + kV).status, 403);
  CreateVault("kv2", false);
  CreateKey("kv2", "p1");
  ASSERT_EQ(Kv("kv2", "DELETE", std::string("/keys/p1") + kV).status, 200);
  Reply purge = Kv("kv2", "DELETE", std::string("/deletedkeys/p1") + kV);
  EXPECT_EQ(purge.status, 204) << purge.body;
  EXPECT_EQ(Kv("kv2", "GET", std::string("/deletedkeys/p1") + kV).status, 404);
}

}  // namespace
}  // namespace cmk
