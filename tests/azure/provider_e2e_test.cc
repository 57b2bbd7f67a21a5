// AzureProvider end to end over the real curl transport against a local
// cpp-httplib mock of ARM, Key Vault and the token endpoint (plain HTTP on
// 127.0.0.1, allowed only through allow_insecure_http_for_tests).
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "azure/azure_provider.h"
#include "base/log.h"
#include "fake_transport.h"

namespace cmk {
namespace {

using nlohmann::json;

constexpr const char* kToken = "eyJ0eXAi.mock-access-token-4f7d.sig";
constexpr const char* kSecret = "super-secret-client-value-9931";
constexpr const char* kV1 = "0000000000000000000000000000aaaa";
constexpr const char* kV2 = "0000000000000000000000000000bbbb";

class MockAzure {
 public:
  MockAzure() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    Routes();
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ~MockAzure() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string vault_origin(const std::string& v) const {
    return "http://" + v + ".vault.localhost:" + std::to_string(port_);
  }

  std::mutex mu;
  std::vector<std::string> log;  // "METHOD host path auth?"
  int create_calls = 0;
  int lro_polls = 0;
  bool create_throttle = true;
  std::vector<std::string> versions = {kV1};

 private:
  bool Authorized(const httplib::Request& req) {
    return req.get_header_value("Authorization") == std::string("Bearer ") + kToken;
  }
  void Record(const httplib::Request& req) {
    std::lock_guard<std::mutex> l(mu);
    log.push_back(req.method + " " + req.get_header_value("Host") + " " + req.path +
                  (req.has_header("Authorization") ? " auth" : ""));
  }
  static void Json(httplib::Response& res, int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
  }
  json Bundle(const std::string& version) {
    return {{"key", {{"kid", vault_origin("kv1") + "/keys/cmk/" + version},
                     {"kty", "RSA"},
                     {"key_ops", {"unwrapKey", "wrapKey"}},
                     {"n", std::string(342, 'A') + "Q"},
                     {"e", "AQAB"}}},
            {"attributes", {{"enabled", true}, {"created", 1700000000 + static_cast<int>(versions.size())}, {"updated", 1700000000}}},
            {"tags", {{"managed-by", "cmkctl"}}}};
  }

  void Routes() {
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      Record(req);
      std::string host = req.get_header_value("Host");
      bool token = req.path.find("/oauth2/v2.0/token") != std::string::npos;
      if (!token && !req.has_param("api-version")) {
        Json(res, 400, {{"error", {{"code", "MissingApiVersionParameter"}, {"message", "api-version"}}}});
        return httplib::Server::HandlerResponse::Handled;
      }
      if (!token && !Authorized(req)) {
        if (host.find(".vault.localhost") != std::string::npos)
          res.set_header("WWW-Authenticate", "Bearer authorization=\"" + origin() +
                                                 "/tenant-1\", resource=\"http://vault.localhost\"");
        Json(res, 401, {{"error", {{"code", "Unauthorized"}, {"message", "AKV10000: Request is missing a Bearer or PoP token."}}}});
        return httplib::Server::HandlerResponse::Handled;
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });

    server_.Post("/tenant-1/oauth2/v2.0/token", [](const httplib::Request& req, httplib::Response& res) {
      if (req.body.find(std::string("client_secret=") + kSecret) == std::string::npos) {
        Json(res, 401, {{"error", "invalid_client"}, {"error_description", "AADSTS7000215: Invalid client secret."}});
        return;
      }
      Json(res, 200, {{"token_type", "Bearer"}, {"expires_in", 3599}, {"access_token", kToken}});
    });

    // ARM: vault list with two pages (nextLink followed verbatim).
    const std::string vaults = "/subscriptions/sub1/providers/Microsoft.KeyVault/vaults";
    server_.Get(vaults, [this](const httplib::Request& req, httplib::Response& res) {
      auto vault = [](const std::string& n) {
        return json{{"id", "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/" + n},
                    {"name", n}, {"location", "westeurope"},
                    {"properties", {{"sku", {{"family", "A"}, {"name", "standard"}}}, {"tenantId", "tenant-1"},
                                    {"enableRbacAuthorization", true},
                                    {"vaultUri", "https://" + n + ".vault.azure.net/"}}}};
      };
      if (req.get_param_value("$skiptoken") == "p2") {
        Json(res, 200, {{"value", {vault("b-vault")}}});
      } else {
        Json(res, 200, {{"value", {vault("c-vault")}},
                        {"nextLink", origin() + "/subscriptions/sub1/providers/Microsoft.KeyVault/vaults?api-version=2026-04-01&$skiptoken=p2"}});
      }
    });

    // ARM: vault create is an LRO via Location.
    const std::string kv1 = "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1";
    server_.Get(kv1, [](const httplib::Request&, httplib::Response& res) {
      Json(res, 404, {{"error", {{"code", "ResourceNotFound"}, {"message", "not found"}}}});
    });
    server_.Put(kv1, [this](const httplib::Request& req, httplib::Response& res) {
      json body = json::parse(req.body);
      if (body["properties"]["tenantId"] != "tenant-1" || !body["properties"]["enableRbacAuthorization"].get<bool>()) {
        Json(res, 400, {{"error", {{"code", "BadRequest"}, {"message", "bad body"}}}});
        return;
      }
      res.set_header("Location", origin() + "/operations/op1?api-version=2026-04-01");
      res.set_header("Retry-After", "0");
      Json(res, 201, {{"id", "x"}, {"properties", {{"provisioningState", "RegisteringDns"}}}});
    });
    server_.Get("/operations/op1", [this](const httplib::Request&, httplib::Response& res) {
      if (++lro_polls < 2) {
        res.set_header("Retry-After", "0");
        res.status = 202;
        return;
      }
      Json(res, 200, {{"id", "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.KeyVault/vaults/kv1"},
                      {"name", "kv1"}, {"location", "westeurope"},
                      {"properties", {{"sku", {{"family", "A"}, {"name", "standard"}}}, {"tenantId", "tenant-1"},
                                      {"enableRbacAuthorization", true}, {"provisioningState", "Succeeded"},
                                      {"vaultUri", vault_origin("kv1")}}}});
    });

    // Key Vault data plane on kv1.vault.localhost.
    server_.Get("/keys/cmk", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu);
      Json(res, 200, Bundle(versions.back()));
    });
    server_.Get("/keys/cmk/versions", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu);
      json page = json::array();
      bool second = req.get_param_value("$skiptoken") == "v2";
      size_t start = second ? 1 : 0;
      for (size_t i = start; i < versions.size() && i < start + 1; ++i)
        page.push_back({{"kid", vault_origin("kv1") + "/keys/cmk/" + versions[i]},
                        {"attributes", {{"enabled", true}, {"created", 1700000001 + static_cast<int>(i)}}}});
      json out = {{"value", page}};
      if (!second && versions.size() > 1)
        out["nextLink"] = vault_origin("kv1") + "/keys/cmk/versions?api-version=7.2&$skiptoken=v2&maxresults=1";
      Json(res, 200, out);
    });
    server_.Get("/keys/cmk/rotationpolicy", [](const httplib::Request&, httplib::Response& res) {
      Json(res, 200, {{"id", "x"}, {"lifetimeActions", {{{"trigger", {{"timeAfterCreate", "P90D"}}}, {"action", {{"type", "Rotate"}}}}}},
                      {"attributes", {{"expiryTime", "P1Y"}, {"updated", 5}}}});
    });
    server_.Post("/keys/cmk/create", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu);
      ++create_calls;
      if (create_throttle) {
        create_throttle = false;
        res.set_header("Retry-After", "1");
        Json(res, 429, {{"error", {{"code", "Throttled"}, {"message", "Request was not processed because too many requests were received."}}}});
        return;
      }
      json body = json::parse(req.body);
      if (body["kty"] != "RSA" || body["key_size"] != 3072) {
        Json(res, 400, {{"error", {{"code", "BadParameter"}, {"message", "kty"}}}});
        return;
      }
      versions.push_back(kV2);
      Json(res, 200, Bundle(kV2));
    });
    server_.Post("/keys/cmk/" + std::string(kV2) + "/unwrapkey", [](const httplib::Request& req, httplib::Response& res) {
      Json(res, 200, {{"kid", "k"}, {"value", "c2VjcmV0LWRlaw"}});  // "secret-dek"
    });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

struct Fixture {
  MockAzure mock;
  std::vector<Millis> sleeps;
  std::map<std::string, std::string> env;

  std::unique_ptr<AzureProvider> Make() {
    env = {{"AZURE_TENANT_ID", "tenant-1"}, {"AZURE_CLIENT_ID", "client-1"}, {"AZURE_CLIENT_SECRET", kSecret}};
    AzureProviderOptions o;
    o.endpoints.arm = mock.origin();
    o.endpoints.vault_dns_suffix = "vault.localhost:" + std::to_string(mock.port());
    o.endpoints.authority_host = mock.origin();
    o.endpoints.vault_scheme = "http";
    o.allow_insecure_http_for_tests = true;
    o.tenant_id = "tenant-1";
    o.lro.default_interval = Millis(1);
    AzureTestHooks hooks;
    hooks.sleeper = [this](Millis d) { sleeps.push_back(d); };
    auto p = AzureProvider::Create(o, nullptr, [this](const std::string& n) -> std::optional<std::string> {
      if (!env.count(n)) return std::nullopt;
      return env[n];
    }, hooks);
    return p.ok() ? std::move(*p) : nullptr;
  }
};

TEST(AzureProviderE2E, PagingLroThrottlingAndChallenge) {
  Fixture f;
  auto p = f.Make();
  ASSERT_TRUE(p);

  // Paging: two pages, sorted.
  auto vaults = p->ListVaults("sub1");
  ASSERT_TRUE(vaults.ok()) << vaults.status().ToString();
  ASSERT_EQ(vaults->size(), 2u);
  EXPECT_EQ((*vaults)[0].name, "b-vault");
  EXPECT_EQ((*vaults)[1].resource_group, "rg1");

  // LRO: 201 + Location, polled until 200.
  VaultState v;
  v.name = "kv1";
  v.subscription = "sub1";
  v.resource_group = "rg1";
  v.location = "westeurope";
  auto put = p->PutVault(PutVault{v});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_EQ(put->name, "kv1");
  EXPECT_EQ(f.mock.lro_polls, 2);

  // Challenge: the first Key Vault request goes without a token.
  KeyState k;
  k.vault = "kv1";
  k.name = "cmk";
  k.kty = "RSA";
  k.key_size = 3072;
  k.key_ops = {"unwrapKey", "wrapKey"};
  auto created = p->CreateKey(CreateKey{k});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  // 429 with Retry-After, re-read found no new version, then one create.
  EXPECT_EQ(f.mock.create_calls, 2);
  EXPECT_NE(std::find(f.sleeps.begin(), f.sleeps.end(), Millis(1000)), f.sleeps.end());
  ASSERT_EQ(created->versions.size(), 2u);  // via two version pages
  EXPECT_EQ(created->versions.back().version, kV2);
  EXPECT_EQ(created->kid, f.mock.vault_origin("kv1") + "/keys/cmk/" + kV2);
  ASSERT_TRUE(created->rotation_policy);
  EXPECT_EQ(created->rotation_policy->rotate_after_create, "P90D");

  std::vector<std::string> kv_log;
  for (const auto& l : f.mock.log)
    if (l.find(".vault.localhost") != std::string::npos) kv_log.push_back(l);
  ASSERT_FALSE(kv_log.empty());
  EXPECT_EQ(kv_log[0].find(" auth"), std::string::npos);  // the probe: no token
  ASSERT_NE(p->Target().location.find("127.0.0.1"), std::string::npos);

  auto dek = p->UnwrapKey(UnwrapKey{KeyVersionRef{"kv1", "cmk", kV2}, "RSA-OAEP-256", Bytes{1, 2, 3}});
  ASSERT_TRUE(dek.ok()) << dek.status().ToString();
  EXPECT_EQ(std::string(dek->begin(), dek->end()), "secret-dek");
}

TEST(AzureProviderE2E, RefusesBearerTokensOverPlainHttpByDefault) {
  Fixture f;
  f.env = {};
  AzureProviderOptions o;
  o.endpoints.arm = f.mock.origin();
  auto p = AzureProvider::Create(o, nullptr, [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_TRUE(p.ok());
  auto r = (*p)->ListVaults("sub1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("https"), std::string::npos);
  EXPECT_TRUE(f.mock.log.empty());
}

TEST(AzureProviderE2E, TraceLogNeverContainsSecrets) {
  Fixture f;
  std::ostringstream captured;
  {
    ScopedLogCapture capture(LogLevel::kTrace, [&captured](LogLevel, std::string_view m) {
      captured << m << "\n";
    });
    auto p = f.Make();
    ASSERT_TRUE(p);
    ASSERT_TRUE(p->ListVaults("sub1").ok());
    KeyState k;
    k.vault = "kv1";
    k.name = "cmk";
    k.kty = "RSA";
    k.key_size = 3072;
    ASSERT_TRUE(p->CreateKey(CreateKey{k}).ok());
    auto dek = p->UnwrapKey(UnwrapKey{KeyVersionRef{"kv1", "cmk", kV2}, "RSA-OAEP-256", Bytes{1, 2, 3}});
    ASSERT_TRUE(dek.ok());
  }
  std::string log = captured.str();
  EXPECT_NE(log.find("HTTP > POST"), std::string::npos);  // trace really was on
  EXPECT_NE(log.find("oauth2/v2.0/token"), std::string::npos);
  EXPECT_EQ(log.find(kToken), std::string::npos);
  EXPECT_EQ(log.find("mock-access-token"), std::string::npos);
  EXPECT_EQ(log.find(kSecret), std::string::npos);
  EXPECT_EQ(log.find("c2VjcmV0LWRlaw"), std::string::npos);  // unwrapped key material
  EXPECT_EQ(log.find("Bearer eyJ"), std::string::npos);
}

}  // namespace
}  // namespace cmk
