#include "sandbox_server/token_service.h"

#include <algorithm>

#include "base/duration.h"
#include "crypto/crypto.h"
#include "sandbox_server/jwt_verify.h"
#include "sandbox_server/server_files.h"
#include "sandbox_server/wire_util.h"
#include "model/arm_id.h"
#include "base/strings.h"

namespace cmk {
namespace {

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string FormDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexVal(s[i + 1]) >= 0 &&
               HexVal(s[i + 2]) >= 0) {
      out += static_cast<char>(HexVal(s[i + 1]) * 16 + HexVal(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string B64(const std::string& s) {
  return Base64UrlEncode(Bytes(s.begin(), s.end()));
}

std::string TokenKey(const std::string& token) { return HexEncode(Sha256(token)); }

std::string StripSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

TokenError Err(int http, const std::string& error, int64_t code, const std::string& text) {
  return TokenError{http, error, "AADSTS" + std::to_string(code) + ": " + text, code};
}

// The thumbprint an assertion's header names, for error text (public:
// it identifies a certificate, it is not a secret). "" when unreadable.
std::string AssertionThumbprint(const std::string& assertion) {
  auto header = Base64UrlDecode(assertion.substr(0, assertion.find('.')));
  if (!header.ok()) return "";
  Json h = Json::parse(header->begin(), header->end(), nullptr, false);
  for (const char* name : {"x5t#S256", "x5t"}) {
    const Json& v = JsonMember(h, name);
    if (v.is_string()) return v.get<std::string>().substr(0, 64);
  }
  return "";
}

// Entra ID tolerates this much clock skew on an assertion's exp and nbf.
constexpr int64_t kAssertionSkewSeconds = 300;

}  // namespace

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < body.size();) {
    size_t amp = body.find('&', i);
    if (amp == std::string::npos) amp = body.size();
    std::string pair = body.substr(i, amp - i);
    size_t eq = pair.find('=');
    if (!pair.empty())
      out[FormDecode(pair.substr(0, eq))] =
          eq == std::string::npos ? "" : FormDecode(pair.substr(eq + 1));
    i = amp + 1;
  }
  return out;
}

TokenService::TokenService(std::string tenant_id, std::string client_id,
                           std::string client_secret, std::string identity_header,
                           int lifetime_seconds, std::vector<std::string> own_arm_resources,
                           std::string assertion_keys_path)
    : tenant_id_(std::move(tenant_id)),
      client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      identity_header_(std::move(identity_header)),
      lifetime_(lifetime_seconds > 0 ? lifetime_seconds : 3600),
      assertion_keys_path_(std::move(assertion_keys_path)) {
  for (auto& r : own_arm_resources) own_arm_resources_.push_back(StripSlash(Lower(r)));
}

std::optional<Audience> TokenService::AudienceOf(const std::string& scope_or_resource) const {
  std::string r = Lower(scope_or_resource);
  const std::string suffix = "/.default";
  if (r.size() > suffix.size() && r.compare(r.size() - suffix.size(), suffix.size(), suffix) == 0)
    r.resize(r.size() - suffix.size());
  r = StripSlash(r);
  if (r == "https://vault.localhost" || r == "https://vault.azure.net") return Audience::kKeyVault;
  if (r == "https://management.azure.com" || r == "https://management.core.windows.net")
    return Audience::kArm;
  for (const auto& own : own_arm_resources_)
    if (r == own) return Audience::kArm;
  return std::nullopt;
}

IssuedToken TokenService::Issue(Audience audience, const std::string& resource,
                                const std::string& client_id, const std::string& principal_id,
                                int64_t now) {
  Json header{{"alg", "none"}, {"typ", "JWT"}};
  Json claims{{"aud", resource},     {"iss", "https://sts.sandbox.localhost/" + tenant_id_ + "/"},
              {"tid", tenant_id_},   {"oid", principal_id},
              {"appid", client_id},  {"iat", now},
              {"nbf", now},          {"exp", now + lifetime_}};
  auto random = RandomBytes(32);
  std::string tail = random.ok() ? Base64UrlEncode(random->bytes())
                                 : B64(std::to_string(now) + principal_id);
  IssuedToken t;
  t.access_token = B64(header.dump()) + "." + B64(claims.dump()) + "." + tail;
  t.resource = resource;
  t.expires_in = lifetime_;
  t.expires_on = now + lifetime_;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = grants_.begin(); it != grants_.end();)
    it = it->second.expires_on <= now ? grants_.erase(it) : std::next(it);
  grants_[TokenKey(t.access_token)] = TokenGrant{audience, client_id, principal_id, t.expires_on};
  return t;
}

std::variant<IssuedToken, TokenError> TokenService::ClientCredentials(const std::string& form_body,
                                                                     int64_t now) {
  auto form = ParseForm(form_body);
  if (form["grant_type"] != "client_credentials")
    return Err(400, "unsupported_grant_type", 70003,
               "The app requested an unsupported grant type '" + form["grant_type"] + "'.");
  const std::string client_id = form["client_id"];
  if (client_id.empty())
    return Err(400, "invalid_request", 900144,
               "The request body must contain the following parameter: 'client_id'.");
  if (!client_id_.empty() && !EqualsIgnoreCase(client_id, client_id_))
    return Err(400, "unauthorized_client", 700016,
               "Application with identifier '" + client_id + "' was not found in the directory.");
  if (form.count("client_secret")) {
    const std::string& s = form["client_secret"];
    if (!ConstantTimeEqual(Bytes(s.begin(), s.end()),
                                   Bytes(client_secret_.begin(), client_secret_.end())))
      return Err(401, "invalid_client", 7000215,
                 "Invalid client secret provided. Ensure the secret being sent in the request is "
                 "the client secret value, not the client secret ID, for a secret added to app '" +
                     client_id + "'.");
  } else if (form.count("client_assertion")) {
    if (form["client_assertion_type"] != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
      return Err(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
    if (auto refused = CheckAssertion(form["client_assertion"], client_id, now)) return *refused;
  } else {
    return Err(401, "invalid_client", 7000218,
               "The request body must contain the following parameter: 'client_assertion' or "
               "'client_secret'.");
  }
  const std::string scope = form["scope"];
  auto audience = AudienceOf(scope);
  if (!audience)
    return Err(400, "invalid_scope", 70011,
               "The provided value for the input parameter 'scope' is not valid: '" + scope + "'.");
  std::string resource = scope;
  if (resource.size() > 9 && Lower(resource).ends_with("/.default"))
    resource.resize(resource.size() - 9);
  return Issue(*audience, StripSlash(resource), client_id,
               DeterministicGuid("service-principal|" + tenant_id_ + "|" + Lower(client_id)), now);
}

bool TokenService::KnownTenant(const std::string& tenant) const {
  return EqualsIgnoreCase(tenant, tenant_id_);
}

bool TokenService::IsOwnTokenEndpoint(const std::string& aud) const {
  const std::string a = StripSlash(Lower(aud));
  const std::string tenant = Lower(tenant_id_);
  for (const auto& own : own_arm_resources_)
    for (const char* path : {"/oauth2/v2.0/token", "/oauth2/token"})
      if (a == own + "/" + tenant + path) return true;
  return false;
}

std::optional<TokenError> TokenService::CheckAssertion(const std::string& assertion,
                                                       const std::string& client_id,
                                                       int64_t now) const {
  std::string pem;
  if (!assertion_keys_path_.empty()) {
    auto registered = ReadTextFile(assertion_keys_path_);
    if (registered.ok()) pem = *registered;  // missing file: nothing registered
  }
  auto jwt = VerifyJwt(assertion, pem);
  if (!jwt.ok()) {
    switch (jwt.status().code()) {
      case StatusCode::kNotFound: {
        const std::string thumbprint = AssertionThumbprint(assertion);
        return Err(401, "invalid_client", 700027,
                   "The certificate with identifier used to sign the client assertion is not "
                   "registered on application. [Reason - The key was not found." +
                       (thumbprint.empty() ? std::string()
                                           : ", Thumbprint of key used by client: '" +
                                                 thumbprint + "'") +
                       "]");
      }
      case StatusCode::kPermissionDenied:
        return Err(401, "invalid_client", 700027, "Client assertion failed signature validation.");
      default:
        return Err(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
    }
  }
  const Json& exp = JsonMember(jwt->claims, "exp");
  const Json& nbf = JsonMember(jwt->claims, "nbf");
  if (!exp.is_number() || (!nbf.is_null() && !nbf.is_number()))
    return Err(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
  // Compared as doubles: a float or out-of-range claim must not convert
  // to int64_t (undefined); the values are seconds, well inside 2^53.
  double exp_at = exp.get<double>();
  double nbf_at = nbf.is_number() ? nbf.get<double>() : static_cast<double>(now);
  if (exp_at + kAssertionSkewSeconds < static_cast<double>(now) ||
      nbf_at - kAssertionSkewSeconds > static_cast<double>(now)) {
    auto when = [](double t) {
      return t > -1e11 && t < 1e11 ? FormatRfc3339(static_cast<int64_t>(t)) : std::string("?");
    };
    return Err(401, "invalid_client", 700024,
               "Client assertion is not within its valid time range. Current time: " +
                   FormatRfc3339(now) + ", assertion valid from " + when(nbf_at) +
                   ", expiry time of assertion " + when(exp_at) + ".");
  }
  if (jwt->by_certificate) {
    const Json& aud = JsonMember(jwt->claims, "aud");
    if (!aud.is_string() || !IsOwnTokenEndpoint(aud.get<std::string>()))
      return Err(401, "invalid_client", 700023,
                 "Client assertion audience claim does not match Realm issuer. Expected the "
                 "token endpoint of tenant '" + tenant_id_ + "'.");
    for (const char* claim : {"iss", "sub"}) {
      const Json& v = JsonMember(jwt->claims, claim);
      if (!v.is_string() || !EqualsIgnoreCase(v.get<std::string>(), client_id))
        return Err(401, "invalid_client", 700021,
                   "Client assertion application identifier doesn't match 'client_id' parameter. "
                   "Review the documentation at https://learn.microsoft.com/entra/identity-"
                   "platform/certificate-credentials .");
    }
  }
  return std::nullopt;
}

std::variant<IssuedToken, TokenError> TokenService::ManagedIdentity(
    const std::string& resource, const std::string& client_id, const std::string& principal_id,
    const std::string& header, int64_t now) {
  if (header.empty() ||
      !ConstantTimeEqual(Bytes(header.begin(), header.end()),
                                 Bytes(identity_header_.begin(), identity_header_.end())))
    return TokenError{401, "invalid_request", "The X-IDENTITY-HEADER header is missing or wrong.",
                      0};
  auto audience = AudienceOf(resource);
  if (!audience)
    return TokenError{400, "invalid_resource", "The resource '" + resource + "' is not known.", 0};
  return Issue(*audience, StripSlash(resource), client_id, principal_id, now);
}

std::optional<TokenGrant> TokenService::Validate(const std::string& authorization_header,
                                                 int64_t now) {
  const std::string prefix = "bearer ";
  if (authorization_header.size() <= prefix.size() ||
      Lower(authorization_header.substr(0, prefix.size())) != prefix)
    return std::nullopt;
  std::string token = authorization_header.substr(prefix.size());
  while (!token.empty() && token.front() == ' ') token.erase(token.begin());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = grants_.find(TokenKey(token));
  if (it == grants_.end() || it->second.expires_on <= now) return std::nullopt;
  return it->second;
}

}  // namespace cmk
