// The individual credentials of the chain. Bodies sent to and received from
// token endpoints are never logged: errors quote only `error` and
// `error_description` (which the identity platform guarantees secret-free).
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "azure/credentials.h"

namespace cmk {
namespace {

using nlohmann::json;

std::string Env(const EnvGetter& env, const char* name) { return env(name).value_or(""); }

std::string AuthorityHost(const EnvGetter& env, const CredentialOptions& options) {
  std::string host = options.authority_host.empty() ? Env(env, "AZURE_AUTHORITY_HOST")
                                                     : options.authority_host;
  if (host.empty()) host = "https://login.microsoftonline.com";
  if (host.find("://") == std::string::npos) host = "https://" + host;
  while (!host.empty() && host.back() == '/') host.pop_back();
  return host;
}

std::optional<int64_t> NumberOrString(const json& j, const char* name) {
  if (!j.contains(name)) return std::nullopt;
  const json& v = j[name];
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number()) return static_cast<int64_t>(v.get<double>());
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit)) return std::stoll(s);
  }
  return std::nullopt;
}

// "HTTP 400: invalid_request: Identity not found" (only the secret-free fields).
std::string ErrorDetail(const HttpResponse& r) {
  json j = json::parse(r.body, nullptr, false);
  std::string detail;
  if (j.is_object()) {
    if (j.contains("error") && j["error"].is_string()) detail = j["error"].get<std::string>();
    if (j.contains("error_description") && j["error_description"].is_string())
      detail += ": " + j["error_description"].get<std::string>().substr(0, 400);
  }
  return "HTTP " + std::to_string(r.status) + (detail.empty() ? "" : ": " + detail);
}

// Token responses of the identity platform, App Service and IMDS.
Result<AccessToken> ParseTokenResponse(const std::string& who, const HttpResponse& r, int64_t now) {
  json j = json::parse(r.body, nullptr, false);
  if (r.status != 200) {
    std::string detail;
    if (j.is_object()) {
      if (j.contains("error") && j["error"].is_string()) detail = j["error"].get<std::string>();
      if (j.contains("error_description") && j["error_description"].is_string())
        detail += ": " + j["error_description"].get<std::string>().substr(0, 400);
    }
    std::string msg = who + ": token request failed with HTTP " + std::to_string(r.status) +
                      (detail.empty() ? "" : " (" + detail + ")");
    if (r.status == 400 || r.status == 401 || r.status == 403) return PermissionDenied(msg);
    return Unavailable(msg);
  }
  if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string())
    return Internal(who + ": token response has no access_token");
  AccessToken t;
  t.token = j["access_token"].get<std::string>();
  if (auto on = NumberOrString(j, "expires_on"))
    t.expires_on = *on;
  else if (auto in = NumberOrString(j, "expires_in"))
    t.expires_on = now + *in;
  else
    t.expires_on = now + 300;
  return t;
}

class ClientSecretCredential : public TokenCredential {
 public:
  ClientSecretCredential(const EnvGetter& env, const CredentialOptions& options,
                         HttpTransport& transport, UnixClock clock, bool workload)
      : tenant_(Env(env, "AZURE_TENANT_ID")),
        client_id_(Env(env, "AZURE_CLIENT_ID")),
        secret_(workload ? "" : Env(env, "AZURE_CLIENT_SECRET")),
        token_file_(workload ? Env(env, "AZURE_FEDERATED_TOKEN_FILE") : ""),
        authority_(AuthorityHost(env, options)),
        insecure_ok_(options.allow_insecure_http_for_tests),
        workload_(workload),
        transport_(transport),
        clock_(std::move(clock)) {}

  std::string Name() const override { return workload_ ? "workload-identity" : "client-secret"; }

  Result<AccessToken> GetToken(const std::string& scope) override {
    if (tenant_.empty() || client_id_.empty() || (workload_ ? token_file_.empty() : secret_.empty()))
      return FailedPrecondition(workload_ ? "AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID or "
                                            "AZURE_CLIENT_ID not set"
                                          : "AZURE_TENANT_ID, AZURE_CLIENT_ID or "
                                            "AZURE_CLIENT_SECRET not set");
    if (authority_.rfind("https://", 0) != 0 && !insecure_ok_)
      return InvalidArgument(Name() + ": refusing to send credentials to a non-HTTPS authority " +
                             authority_);
    std::string body = "grant_type=client_credentials&client_id=" + UrlEncode(client_id_) +
                       "&scope=" + UrlEncode(scope);
    if (workload_) {
      // Re-read on every request: the platform rotates the projected token.
      std::ifstream in(token_file_);
      if (!in) return FailedPrecondition("cannot read AZURE_FEDERATED_TOKEN_FILE " + token_file_);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string assertion = ss.str();
      while (!assertion.empty() && std::isspace(static_cast<unsigned char>(assertion.back())))
        assertion.pop_back();
      body += "&client_assertion_type=" +
              UrlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
              "&client_assertion=" + UrlEncode(assertion);
    } else {
      body += "&client_secret=" + UrlEncode(secret_);
    }
    HttpRequest req;
    req.method = "POST";
    req.url = authority_ + "/" + UrlEncode(tenant_) + "/oauth2/v2.0/token";
    req.headers["Content-Type"] = "application/x-www-form-urlencoded";
    req.headers["Accept"] = "application/json";
    req.body = std::move(body);
    CMK_ASSIGN_OR_RETURN(HttpResponse r, transport_.Send(req));
    return ParseTokenResponse(Name(), r, clock_());
  }

 private:
  std::string tenant_, client_id_, secret_, token_file_, authority_;
  bool insecure_ok_;
  bool workload_;
  HttpTransport& transport_;
  UnixClock clock_;
};

class ManagedIdentityCredential : public TokenCredential {
 public:
  ManagedIdentityCredential(const EnvGetter& env, const CredentialOptions& options,
                            HttpTransport& transport, UnixClock clock)
      : endpoint_(Env(env, "IDENTITY_ENDPOINT")),
        header_(Env(env, "IDENTITY_HEADER")),
        client_id_(Env(env, "AZURE_CLIENT_ID")),
        imds_(options.imds_endpoint),
        imds_connect_timeout_(options.imds_connect_timeout),
        imds_retry_(options.imds_retry),
        sleeper_(options.sleeper ? options.sleeper : RealSleeper()),
        transport_(transport),
        clock_(std::move(clock)) {}

  std::string Name() const override { return "managed-identity"; }

  Result<AccessToken> GetToken(const std::string& scope) override {
    std::string resource = ScopeToResource(scope);
    HttpRequest req;
    req.method = "GET";
    if (!endpoint_.empty() && !header_.empty()) {
      req.url = endpoint_ + (endpoint_.find('?') == std::string::npos ? "?" : "&") +
                "api-version=2019-08-01&resource=" + UrlEncode(resource);
      if (!client_id_.empty()) req.url += "&client_id=" + UrlEncode(client_id_);
      req.headers["X-IDENTITY-HEADER"] = header_;
    } else {
      req.url = imds_ + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" +
                UrlEncode(resource);
      if (!client_id_.empty()) req.url += "&client_id=" + UrlEncode(client_id_);
      req.headers["Metadata"] = "true";
      req.connect_timeout = imds_connect_timeout_;
      req.timeout = std::chrono::milliseconds(10000);
    }
    if (!endpoint_.empty()) {
      CMK_ASSIGN_OR_RETURN(HttpResponse r, transport_.Send(req));
      return ParseTokenResponse(Name(), r, clock_());
    }
    return FromImds(req);
  }

 private:
  Result<AccessToken> FromImds(const HttpRequest& req) {
    ImdsSendResult sent = SendWithImdsRetries(transport_, req, imds_retry_, sleeper_);
    std::string tries = std::to_string(sent.attempts) + " attempts over " +
                        std::to_string(sent.slept.count() / 1000) + " s";
    if (!sent.response.ok()) {
      // No IMDS here (not an Azure host): unavailable, let the chain move on.
      if (sent.attempts == 1 && sent.response.status().code() == StatusCode::kUnavailable)
        return FailedPrecondition("no managed identity endpoint reachable (" +
                                  sent.response.status().message() + ")");
      if (sent.response.status().code() == StatusCode::kUnavailable)
        return Unavailable("IMDS stopped answering after " + tries + ": " +
                           sent.response.status().message());
      return sent.response.status();
    }
    const HttpResponse& r = *sent.response;
    if (r.status == 400)  // "Identity not found": this host has none; not worth retrying
      return FailedPrecondition("IMDS has no identity for this host (" + ErrorDetail(r) + ")");
    if (IsImdsRetryableStatus(r.status))
      return Unavailable("IMDS token request still failing after " + tries + " (" +
                         ErrorDetail(r) +
                         (r.status == 404 ? "; the identity may not be assigned yet" : "") +
                         (r.status == 410 ? "; IMDS is being updated" : "") + ")");
    return ParseTokenResponse(Name(), r, clock_());
  }

 private:
  std::string endpoint_, header_, client_id_, imds_;
  std::chrono::milliseconds imds_connect_timeout_;
  ImdsRetryOptions imds_retry_;
  Sleeper sleeper_;
  HttpTransport& transport_;
  UnixClock clock_;
};

class AzureCliCredential : public TokenCredential {
 public:
  AzureCliCredential(const EnvGetter& env, CommandRunner runner, UnixClock clock)
      : az_(FindOnPath("az", Env(env, "PATH"))),
        tenant_(Env(env, "AZURE_TENANT_ID")),
        runner_(std::move(runner)),
        clock_(std::move(clock)) {}

  std::string Name() const override { return "azure-cli"; }

  Result<AccessToken> GetToken(const std::string& scope) override {
    if (az_.empty()) return FailedPrecondition("az not found on PATH");
    std::vector<std::string> argv = {az_, "account", "get-access-token", "--resource",
                                     ScopeToResource(scope), "-o", "json"};
    if (!tenant_.empty()) {
      argv.push_back("--tenant");
      argv.push_back(tenant_);
    }
    Result<std::string> out = runner_(argv);
    if (!out.ok())
      return FailedPrecondition("az account get-access-token failed (run `az login`): " +
                                out.status().message());
    json j = json::parse(*out, nullptr, false);
    if (!j.is_object() || !j.contains("accessToken") || !j["accessToken"].is_string())
      return Internal("azure-cli: unexpected output of az account get-access-token");
    AccessToken t;
    t.token = j["accessToken"].get<std::string>();
    // expires_on (UTC seconds, az >= 2.54) is preferred; expiresOn is local time.
    if (auto on = NumberOrString(j, "expires_on")) {
      t.expires_on = *on;
    } else if (j.contains("expiresOn") && j["expiresOn"].is_string()) {
      std::tm tm{};
      std::string s = j["expiresOn"].get<std::string>();
      if (strptime(s.c_str(), "%Y-%m-%d %H:%M:%S", &tm) != nullptr) {
        tm.tm_isdst = -1;
        t.expires_on = static_cast<int64_t>(mktime(&tm));
      }
    }
    if (t.expires_on == 0) t.expires_on = clock_() + 300;
    return t;
  }

 private:
  std::string az_, tenant_;
  CommandRunner runner_;
  UnixClock clock_;
};

}  // namespace

std::unique_ptr<TokenCredential> MakeClientSecretCredential(const EnvGetter& env,
                                                            const CredentialOptions& options,
                                                            HttpTransport& transport, UnixClock clock) {
  return std::make_unique<ClientSecretCredential>(env, options, transport, std::move(clock), false);
}
std::unique_ptr<TokenCredential> MakeWorkloadIdentityCredential(const EnvGetter& env,
                                                                const CredentialOptions& options,
                                                                HttpTransport& transport,
                                                                UnixClock clock) {
  return std::make_unique<ClientSecretCredential>(env, options, transport, std::move(clock), true);
}
std::unique_ptr<TokenCredential> MakeManagedIdentityCredential(const EnvGetter& env,
                                                               const CredentialOptions& options,
                                                               HttpTransport& transport,
                                                               UnixClock clock) {
  return std::make_unique<ManagedIdentityCredential>(env, options, transport, std::move(clock));
}
std::unique_ptr<TokenCredential> MakeAzureCliCredential(const EnvGetter& env, CommandRunner runner,
                                                        UnixClock clock) {
  return std::make_unique<AzureCliCredential>(env, std::move(runner), std::move(clock));
}

}  // namespace cmk
