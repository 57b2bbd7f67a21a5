// Test doubles for the Azure provider: a scripted transport and example files.
#pragma once

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "azure/http_transport.h"

namespace cmk {

class FakeTransport : public HttpTransport {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;
  explicit FakeTransport(Handler h) : handler_(std::move(h)) {}
  Result<HttpResponse> Send(const HttpRequest& r) override {
    requests.push_back(r);
    return handler_(r);
  }
  // Records the size of each batch, then answers it in order.
  std::vector<Result<HttpResponse>> SendAll(const std::vector<HttpRequest>& rs) override {
    batch_sizes.push_back(rs.size());
    return HttpTransport::SendAll(rs);
  }
  std::vector<HttpRequest> requests;
  std::vector<size_t> batch_sizes;

 private:
  Handler handler_;
};

inline HttpResponse Respond(int status, const std::string& body = "", HeaderMap headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = body;
  r.headers = std::move(headers);
  return r;
}

inline std::string ExamplePath(const std::string& rel) {
  return std::string(CMK_TEST_DATA_DIR) + "/azure-wire/" + rel;
}

inline nlohmann::json LoadExample(const std::string& rel) {
  std::ifstream in(ExamplePath(rel));
  std::stringstream ss;
  ss << in.rdbuf();
  return nlohmann::json::parse(ss.str(), nullptr, false);
}

}  // namespace cmk::testing

#include <map>
#include <memory>

#include "azure/azure_provider.h"
#include "azure/pipeline.h"

namespace cmk {

// A Pipeline over a fake transport: client-secret credential against a fake
// token endpoint (token N is "tokN"), waits recorded, never slept.
struct PipelineStack {
  std::map<std::string, std::string> env = {
      {"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_ID", "c"}, {"AZURE_CLIENT_SECRET", "s"}};
  std::vector<Millis> sleeps;
  int token_requests = 0;
  FakeTransport transport;
  std::unique_ptr<CachingCredential> credential;
  Retrier retrier{RetryOptions{}, [this](Millis d) { sleeps.push_back(d); }, [] { return 0.5; },
                  [] { return int64_t{0}; }};
  RateLimiter limiter{RateBudgets{}, [] { return 0.0; }, [](Millis) {}};
  std::unique_ptr<Pipeline> pipeline;

  explicit PipelineStack(FakeTransport::Handler h)
      : transport([this, h](const HttpRequest& r) -> Result<HttpResponse> {
          if (r.url.find("/oauth2/v2.0/token") != std::string::npos) {
            ++token_requests;
            return Respond(200, R"({"access_token":"tok)" + std::to_string(token_requests) +
                                    R"(","expires_in":3600})");
          }
          return h(r);
        }) {
    credential = MakeCredential(
        {}, [this](const std::string& n) -> std::optional<std::string> {
          if (!env.count(n)) return std::nullopt;
          return env[n];
        },
        transport, [] { return int64_t{0}; }).value();
    pipeline = std::make_unique<Pipeline>(transport, *credential, retrier, limiter, false);
  }
};

// A provider over a fake transport, authenticated by client secret against a
// fake token endpoint (answered here), with no real sleeps.
struct FakeWorld {
  std::map<std::string, std::string> env = {{"AZURE_TENANT_ID", "tenant-1"},
                                            {"AZURE_CLIENT_ID", "client-1"},
                                            {"AZURE_CLIENT_SECRET", "s3cr3t-client-secret"}};
  std::vector<Millis> sleeps;
  int64_t now = 1700000000;
  FakeTransport* transport = nullptr;  // owned by the provider

  EnvGetter Env() {
    return [this](const std::string& n) -> std::optional<std::string> {
      auto it = env.find(n);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }

  std::unique_ptr<AzureProvider> Make(FakeTransport::Handler handler,
                                      AzureProviderOptions options = {}) {
    auto wrapped = [handler](const HttpRequest& r) -> Result<HttpResponse> {
      if (r.url.find("/oauth2/v2.0/token") != std::string::npos)
        return Respond(200, R"({"token_type":"Bearer","expires_in":3599,"access_token":"eyJ.fake-arm-token.sig"})");
      if (r.url.find(".vault.") != std::string::npos && !r.headers.count("Authorization"))
        return Respond(401, R"({"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}})",
                       {{"WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/tenant-1\", resource=\"https://vault.azure.net\""}});
      return handler(r);
    };
    auto t = std::make_unique<FakeTransport>(wrapped);
    transport = t.get();
    AzureTestHooks hooks;
    hooks.sleeper = [this](Millis d) { sleeps.push_back(d); now += d.count() / 1000; };
    hooks.random01 = [] { return 0.5; };
    hooks.clock = [this] { return now; };
    hooks.monotonic_seconds = [this] { return static_cast<double>(now); };
    hooks.command_runner = [](const std::vector<std::string>&) -> Result<std::string> {
      return Unavailable("no az in tests");
    };
    options.tenant_id = options.tenant_id.empty() ? "tenant-1" : options.tenant_id;
    auto p = AzureProvider::Create(options, std::move(t), Env(), hooks);
    return p.ok() ? std::move(*p) : nullptr;
  }
};

}  // namespace cmk::testing
