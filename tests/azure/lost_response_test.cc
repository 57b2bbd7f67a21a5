// A key create whose response is lost (the vault created the version, then
// the connection closed without an answer) must not be sent again into a
// second version: the provider re-reads the key's versions and accepts the
// one this attempt made.
#include <gtest/gtest.h>

#include "azure/azure_provider.h"
#include "fake_transport.h"

namespace cmk {
namespace {

using nlohmann::json;

constexpr const char* kOrigin = "https://kv1.vault.azure.net";

// One key ("cmk") in vault kv1, as Key Vault answers it. `lose` decides, per
// create call, whether the answer is lost after the version is made
// ("after") or the connection fails before the request reaches the vault
// ("before"), or it is answered ("").
struct FakeVault {
  std::vector<std::string> versions;
  int create_calls = 0;
  int delete_calls = 0;
  std::vector<bool> create_fresh_connection;
  std::function<std::string(int)> lose = [](int) { return std::string(); };

  json Bundle(size_t i) const {
    return {{"key", {{"kid", std::string(kOrigin) + "/keys/cmk/" + versions[i]},
                     {"kty", "RSA"},
                     {"key_ops", {"unwrapKey", "wrapKey"}},
                     {"n", std::string(342, 'A') + "Q"},
                     {"e", "AQAB"}}},
            {"attributes", {{"enabled", true}, {"created", 1700000000 + static_cast<int>(i)},
                            {"updated", 1700000000}}},
            {"tags", {{"managed-by", "cmkctl"}}}};
  }

  Result<HttpResponse> Handle(const HttpRequest& r) {
    std::string path = r.url.substr(std::string(kOrigin).size());
    path = path.substr(0, path.find('?'));
    const HttpResponse not_found = Respond(
        404, R"({"error":{"code":"KeyNotFound","message":"A key with (name/id) cmk was not found in this key vault."}})");
    if (r.method == "POST" && path == "/keys/cmk/create") {
      ++create_calls;
      create_fresh_connection.push_back(r.fresh_connection);
      std::string how = lose(create_calls);
      if (how == "before") return Unavailable("connection failed: Connection refused");
      versions.push_back("v" + std::to_string(versions.size() + 1));
      if (how == "after") return Unavailable("connection failed: Server returned nothing (no headers, no data)");
      return Respond(200, Bundle(versions.size() - 1).dump());
    }
    if (r.method == "DELETE" && path == "/keys/cmk") {
      ++delete_calls;
      if (versions.empty()) return not_found;
      versions.clear();
      if (lose(delete_calls) == "after")
        return Unavailable("connection failed: Server returned nothing (no headers, no data)");
      return Respond(200, "{}");
    }
    if (r.method != "GET") return Respond(405);
    if (path == "/keys/cmk") return versions.empty() ? not_found : Respond(200, Bundle(versions.size() - 1).dump());
    if (path == "/keys/cmk/versions") {
      if (versions.empty()) return not_found;
      json page = json::array();
      for (size_t i = 0; i < versions.size(); ++i)
        page.push_back({{"kid", std::string(kOrigin) + "/keys/cmk/" + versions[i]},
                        {"attributes", {{"enabled", true}, {"created", 1700000000 + static_cast<int>(i)}}}});
      return Respond(200, json{{"value", page}}.dump());
    }
    if (path == "/keys/cmk/rotationpolicy") return not_found;
    for (size_t i = 0; i < versions.size(); ++i)
      if (path == "/keys/cmk/" + versions[i]) return Respond(200, Bundle(i).dump());
    return not_found;
  }
};

KeyState Desired() {
  KeyState k;
  k.vault = "kv1";
  k.name = "cmk";
  k.kty = "RSA";
  k.key_size = 3072;
  k.key_ops = {"unwrapKey", "wrapKey"};
  return k;
}

TEST(LostResponse, KeyCreateWhoseAnswerIsLostMakesExactlyOneVersion) {
  FakeWorld w;
  FakeVault vault;
  vault.lose = [](int call) { return call == 1 ? std::string("after") : std::string(); };
  auto p = w.Make([&](const HttpRequest& r) { return vault.Handle(r); });
  ASSERT_NE(p, nullptr);
  Result<KeyState> created = p->CreateKey(CreateKey{Desired()});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  // Sent once: the re-read found the version the lost attempt made.
  EXPECT_EQ(vault.create_calls, 1);
  ASSERT_EQ(vault.versions.size(), 1u);
  ASSERT_EQ(created->versions.size(), 1u);
  EXPECT_EQ(created->versions.back().version, "v1");
  EXPECT_EQ(created->kid, std::string(kOrigin) + "/keys/cmk/v1");
  // On a fresh connection, so that libcurl does not resend it on its own.
  ASSERT_EQ(vault.create_fresh_connection.size(), 1u);
  EXPECT_TRUE(vault.create_fresh_connection[0]);
}

TEST(LostResponse, KeyCreateThatNeverArrivedIsSentAgainOnce) {
  FakeWorld w;
  FakeVault vault;
  vault.lose = [](int call) { return call == 1 ? std::string("before") : std::string(); };
  auto p = w.Make([&](const HttpRequest& r) { return vault.Handle(r); });
  ASSERT_NE(p, nullptr);
  Result<KeyState> created = p->CreateKey(CreateKey{Desired()});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(vault.create_calls, 2);
  ASSERT_EQ(vault.versions.size(), 1u);
  ASSERT_EQ(created->versions.size(), 1u);
}

TEST(LostResponse, LostOnTheLastAttemptIsStillReadBack) {
  FakeWorld w;
  FakeVault vault;
  // Every attempt that gets through loses its answer; the first never arrives.
  vault.lose = [](int call) { return call == 1 ? std::string("before") : std::string("after"); };
  AzureProviderOptions o;
  o.retry.max_attempts = 2;
  auto p = w.Make([&](const HttpRequest& r) { return vault.Handle(r); }, o);
  ASSERT_NE(p, nullptr);
  Result<KeyState> created = p->CreateKey(CreateKey{Desired()});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(vault.create_calls, 2);
  ASSERT_EQ(vault.versions.size(), 1u);
  EXPECT_EQ(created->versions.back().version, "v1");
}

TEST(LostResponse, IdempotentRequestsKeepReusingConnections) {
  FakeWorld w;
  FakeVault vault;
  vault.versions = {"v1"};
  auto p = w.Make([&](const HttpRequest& r) { return vault.Handle(r); });
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(p->GetKey(KeyRef{"kv1", "cmk"}).ok());
  for (const HttpRequest& r : w.transport->requests) EXPECT_FALSE(r.fresh_connection) << r.url;
}

// A DELETE whose answer is lost is sent again and finds the key gone: that
// is the delete having worked, not a KeyNotFound failure.
TEST(LostResponse, ADeleteWhoseAnswerIsLostSucceeds) {
  FakeWorld w;
  FakeVault vault;
  vault.versions = {"v1"};
  vault.lose = [](int call) { return call == 1 ? std::string("after") : std::string(); };
  auto p = w.Make([&](const HttpRequest& r) { return vault.Handle(r); });
  ASSERT_NE(p, nullptr);
  Status deleted = p->DeleteKey(DeleteKey{KeyRef{"kv1", "cmk"}});
  EXPECT_TRUE(deleted.ok()) << deleted.ToString();
  EXPECT_EQ(vault.delete_calls, 2);
  EXPECT_TRUE(vault.versions.empty());
  // A DELETE of a key that was never there is still an error.
  FakeVault empty;
  auto q = w.Make([&](const HttpRequest& r) { return empty.Handle(r); });
  EXPECT_FALSE(q->DeleteKey(DeleteKey{KeyRef{"kv1", "cmk"}}).ok());
}

}  // namespace
}  // namespace cmk
