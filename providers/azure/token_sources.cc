// The individual credentials of the chain. Bodies sent to and received from
// token endpoints are never logged: errors quote only `error` and
// `error_description` (which the identity platform guarantees secret-free).
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "azure/client_assertion.h"
#include "azure/credentials.h"
#include "base/log.h"
#include "base/strings.h"

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

// Where IMDS is: the option, else AZURE_POD_IDENTITY_AUTHORITY_HOST (as the
// SDKs read it), else the link-local address.
std::string ImdsEndpoint(const EnvGetter& env, const CredentialOptions& options) {
  std::string host = options.imds_endpoint.empty() ? Env(env, "AZURE_POD_IDENTITY_AUTHORITY_HOST")
                                                   : options.imds_endpoint;
  if (host.empty()) host = "http://169.254.169.254";
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

// How a confidential client proves who it is at the token endpoint.
enum class ClientProof { kSecret, kCertificate, kFederatedToken };

struct ProofSpec {
  const char* name;      // the credential's name
  const char* variable;  // what holds the secret, the certificate path or the token file
};
ProofSpec SpecOf(ClientProof proof) {
  switch (proof) {
    case ClientProof::kSecret: return {"client-secret", "AZURE_CLIENT_SECRET"};
    case ClientProof::kCertificate: return {"client-certificate", "AZURE_CLIENT_CERTIFICATE_PATH"};
    case ClientProof::kFederatedToken: return {"workload-identity", "AZURE_FEDERATED_TOKEN_FILE"};
  }
  return {"?", "?"};
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return FailedPrecondition("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The client credentials grant for a service principal: with a client
// secret, a certificate (a client assertion it signs) or a federated token.
class ConfidentialClientCredential : public TokenCredential {
 public:
  ConfidentialClientCredential(ClientProof proof, const EnvGetter& env,
                               const CredentialOptions& options, HttpTransport& transport,
                               UnixClock clock)
      : proof_(proof),
        spec_(SpecOf(proof)),
        tenant_(Env(env, "AZURE_TENANT_ID")),
        client_id_(Env(env, "AZURE_CLIENT_ID")),
        source_(Env(env, spec_.variable)),
        password_(proof == ClientProof::kCertificate
                      ? Env(env, "AZURE_CLIENT_CERTIFICATE_PASSWORD")
                      : ""),
        send_chain_(IsTruthy(Env(env, "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN"))),
        authority_(AuthorityHost(env, options)),
        insecure_ok_(options.allow_insecure_http_for_tests),
        transport_(transport),
        clock_(std::move(clock)) {}
  ~ConfidentialClientCredential() override {
    CleanseString(source_);
    CleanseString(password_);
  }

  std::string Name() const override { return spec_.name; }

  Result<AccessToken> GetToken(const std::string& scope) override {
    std::vector<std::string> missing;
    if (tenant_.empty()) missing.push_back("AZURE_TENANT_ID");
    if (client_id_.empty()) missing.push_back("AZURE_CLIENT_ID");
    if (source_.empty()) missing.push_back(spec_.variable);
    if (!missing.empty()) return FailedPrecondition(Join(missing) + " not set");
    if (authority_.rfind("https://", 0) != 0 && !insecure_ok_)
      return InvalidArgument(Name() + ": refusing to send credentials to a non-HTTPS authority " +
                             authority_);
    const std::string endpoint = authority_ + "/" + UrlEncode(tenant_) + "/oauth2/v2.0/token";
    CMK_ASSIGN_OR_RETURN(std::string proof, ProofFields(endpoint));
    HttpRequest req;
    req.method = "POST";
    req.url = endpoint;
    req.headers["Content-Type"] = "application/x-www-form-urlencoded";
    req.headers["Accept"] = "application/json";
    req.body = "grant_type=client_credentials&client_id=" + UrlEncode(client_id_) +
               "&scope=" + UrlEncode(scope) + proof;
    CleanseString(proof);
    Result<HttpResponse> r = transport_.Send(req);
    CleanseString(req.body);
    if (!r.ok()) return r.status();
    return ParseTokenResponse(Name(), *r, clock_());
  }

 private:
  // The form members that prove the client's identity.
  Result<std::string> ProofFields(const std::string& endpoint) {
    static const std::string kJwtBearer =
        "&client_assertion_type=" +
        UrlEncode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") + "&client_assertion=";
    switch (proof_) {
      case ClientProof::kSecret:
        return "&client_secret=" + UrlEncode(source_);
      case ClientProof::kFederatedToken: {
        // Re-read on every request: the platform rotates the projected token.
        Result<std::string> token = ReadWholeFile(source_);
        if (!token.ok())
          return FailedPrecondition("cannot read AZURE_FEDERATED_TOKEN_FILE " + source_);
        std::string assertion = std::move(*token);
        while (!assertion.empty() && std::isspace(static_cast<unsigned char>(assertion.back())))
          assertion.pop_back();
        return kJwtBearer + UrlEncode(assertion);
      }
      case ClientProof::kCertificate: {
        CMK_RETURN_IF_ERROR(LoadCertificate());
        ClientAssertionRequest request{client_id_, endpoint, clock_(), send_chain_};
        CMK_ASSIGN_OR_RETURN(std::string assertion, BuildClientAssertion(*certificate_, request));
        return kJwtBearer + UrlEncode(assertion);
      }
    }
    return Internal("unknown client proof");
  }

  // Read once: a configured certificate that does not load is an error to
  // fix, not a reason to try the next credential.
  Status LoadCertificate() {
    if (certificate_) return Status::Ok();
    const std::string where = "client-certificate: AZURE_CLIENT_CERTIFICATE_PATH " + source_;
    Result<std::string> contents = ReadWholeFile(source_);
    if (!contents.ok()) return InvalidArgument(where + ": cannot read the file");
    Result<ClientCertificate> parsed = ParseClientCertificate(*contents, password_);
    CleanseString(*contents);
    if (!parsed.ok()) {
      const std::string m = parsed.status().message();
      return InvalidArgument(where + ": " + m +
                             (m.find("password") != std::string::npos
                                  ? " (AZURE_CLIENT_CERTIFICATE_PASSWORD)"
                                  : ""));
    }
    certificate_ = std::move(*parsed);
    CMK_LOG(kDebug, "credential: client-certificate x5t#S256 ",
            CertificateThumbprintS256(certificate_->chain_der.front()), " (",
            certificate_->chain_der.size(), " certificate(s) in the file)");
    return Status::Ok();
  }

  ClientProof proof_;
  ProofSpec spec_;
  std::string tenant_, client_id_;
  std::string source_;  // the secret, the certificate file or the token file
  std::string password_;
  bool send_chain_;
  std::string authority_;
  bool insecure_ok_;
  HttpTransport& transport_;
  UnixClock clock_;
  std::optional<ClientCertificate> certificate_;
};

class ManagedIdentityCredential : public TokenCredential {
 public:
  ManagedIdentityCredential(const EnvGetter& env, const CredentialOptions& options,
                            HttpTransport& transport, UnixClock clock)
      : endpoint_(Env(env, "IDENTITY_ENDPOINT")),
        header_(Env(env, "IDENTITY_HEADER")),
        client_id_(Env(env, "AZURE_CLIENT_ID")),
        imds_(ImdsEndpoint(env, options)),
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
    // Not IMDS itself: a proxy or a container network refusing the link-local
    // address (Docker Desktop answers "unreachable network"). Another source
    // may well work here.
    if (r.status == 403)
      return FailedPrecondition("the managed identity endpoint refused the request (" +
                                ErrorDetail(r) + ")");
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
  return std::make_unique<ConfidentialClientCredential>(ClientProof::kSecret, env, options,
                                                        transport, std::move(clock));
}
std::unique_ptr<TokenCredential> MakeClientCertificateCredential(const EnvGetter& env,
                                                                 const CredentialOptions& options,
                                                                 HttpTransport& transport,
                                                                 UnixClock clock) {
  return std::make_unique<ConfidentialClientCredential>(ClientProof::kCertificate, env, options,
                                                        transport, std::move(clock));
}
std::unique_ptr<TokenCredential> MakeWorkloadIdentityCredential(const EnvGetter& env,
                                                                const CredentialOptions& options,
                                                                HttpTransport& transport,
                                                                UnixClock clock) {
  return std::make_unique<ConfidentialClientCredential>(ClientProof::kFederatedToken, env, options,
                                                        transport, std::move(clock));
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
