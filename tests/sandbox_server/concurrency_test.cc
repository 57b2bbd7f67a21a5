// Several clients at once against one server: tokens, ARM reads and writes,
// key creation, wrap/unwrap and key reads interleave on the server's worker
// threads. Every answer must be the one a lone client gets (run under TSan
// or ASan to check the server's locking), and the server must stop cleanly
// right after. Also the test helper that keeps const JSON reads defined.
#include <atomic>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "server_test_util.h"

namespace cmk {
namespace {

constexpr int kClients = 4;
constexpr int kRounds = 3;

class ConcurrencyTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    Start();
    CreateVault("kv1");
    // Cached before the threads start: Send() itself only reads the fixture.
    ASSERT_FALSE(ArmToken().empty());
    ASSERT_FALSE(KvToken().empty());
  }

  // One client's work; returns the number of answers that were wrong.
  int Client(int id) {
    int wrong = 0;
    auto check = [&](bool ok) { wrong += ok ? 0 : 1; };
    const std::string key = "c" + std::to_string(id);
    for (int round = 0; round < kRounds; ++round) {
      Reply token = Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token",
                         "grant_type=client_credentials&client_id=app&client_secret=" +
                             ClientSecret() + "&scope=https%3A%2F%2Fvault.localhost%2F.default",
                         "", "application/x-www-form-urlencoded");
      check(token.status == 200 && Member(token.json, {"access_token"}).is_string());
      Reply vault = Arm("GET", std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                                   "/providers/Microsoft.KeyVault/vaults/kv1?api-version=2026-04-01");
      check(vault.status == 200 && Member(vault.json, {"name"}) == "kv1");
      Reply ident = Arm("PUT", std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                                   "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id" +
                                   std::to_string(id) + "?api-version=2026-05-31",
                        Json{{"location", "westeurope"}});
      check(ident.status == 200 || ident.status == 201);
      Reply created = Kv("kv1", "POST", "/keys/" + key + "/create" + std::string(kV),
                         Json{{"kty", "RSA"}, {"key_size", 2048}});
      check(created.status == 200);
      const Json& kid = Member(created.json, {"key", "kid"});
      if (!kid.is_string()) {
        ++wrong;
        continue;
      }
      const std::string path = "/keys/" + key + "/" +
                               kid.get<std::string>().substr(kid.get<std::string>().rfind('/') + 1);
      const std::string dek = Base64UrlEncode(Bytes(32, static_cast<uint8_t>(id)));
      Reply wrap = Kv("kv1", "POST", path + "/wrapkey" + kV,
                      Json{{"alg", "RSA-OAEP-256"}, {"value", dek}});
      check(wrap.status == 200 && Member(wrap.json, {"value"}).is_string());
      Reply unwrap = Kv("kv1", "POST", path + "/unwrapkey" + kV,
                        Json{{"alg", "RSA-OAEP-256"}, {"value", Member(wrap.json, {"value"})}});
      check(unwrap.status == 200 && Member(unwrap.json, {"value"}) == dek);
      Reply versions = Kv("kv1", "GET", "/keys/" + key + "/versions" + std::string(kV));
      check(versions.status == 200 &&
            Member(versions.json, {"value"}).size() == static_cast<size_t>(round + 1));
    }
    return wrong;
  }
};

TEST_F(ConcurrencyTest, ParallelClientsGetTheAnswersOfALoneClient) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> clients;
  for (int id = 0; id < kClients; ++id)
    clients.emplace_back([this, id, &wrong] { wrong += Client(id); });
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  Reply list = Kv("kv1", "GET", std::string("/keys") + kV);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(Member(list.json, {"value"}).size(), static_cast<size_t>(kClients));
  server_->Stop();
  EXPECT_FALSE(server_->running());
}

TEST_F(ConcurrencyTest, StartAndStopRepeatedlyWithRequestsInBetween) {
  for (int i = 0; i < 5; ++i) {
    server_->Stop();
    arm_token_.clear();
    kv_token_.clear();
    Start();
    ASSERT_TRUE(server_->running());
    Reply r = Arm("GET", std::string("/subscriptions/") + kSub +
                             "/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01");
    EXPECT_EQ(r.status, 200) << r.body;
  }
}

TEST(MemberTest, MissingStepsGiveNullNotUndefinedBehaviour) {
  const Json doc = Json::parse(R"({"parameters":{"api-version":"7.6"},"list":[1]})");
  EXPECT_EQ(Member(doc, {"parameters", "api-version"}), "7.6");
  EXPECT_TRUE(Member(doc, {"parameters", "parameters"}).is_null());
  EXPECT_TRUE(Member(doc, {"parameters", "api-version", "deeper"}).is_null());
  EXPECT_TRUE(Member(doc, {"list", "x"}).is_null());
  EXPECT_TRUE(Member(Json(), {"a"}).is_null());
  EXPECT_EQ(&Member(doc, {}), &doc);
}

}  // namespace
}  // namespace cmk
