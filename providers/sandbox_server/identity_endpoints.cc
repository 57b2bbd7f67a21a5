// The identity platform the server impersonates: the v2.0 token endpoint
// (client credentials), the OIDC metadata and instance discovery MSAL reads
// first, and an App-Service-style managed-identity endpoint.
#include <ctime>

#include "base/duration.h"
#include "sandbox_server/server_core.h"
#include "sandbox_server/wire_util.h"
#include "model/arm_id.h"
#include "base/strings.h"

namespace cmk {
namespace {

ServerResponse AadError(const TokenError& e, int64_t now) {
  Json body{{"error", e.error}, {"error_description", e.description}};
  if (e.aadsts != 0) {
    body["error_codes"] = Json::array({e.aadsts});
    body["timestamp"] = FormatRfc3339(now);
    body["trace_id"] = DeterministicGuid("trace|" + std::to_string(now) + e.description);
    body["correlation_id"] = DeterministicGuid("corr|" + std::to_string(now) + e.description);
    body["error_uri"] = "https://login.microsoftonline.com/error?code=" + std::to_string(e.aadsts);
  }
  return JsonResponse(e.http, body);
}

}  // namespace

bool ServerCore::IsIdentityPlatformPath(const std::vector<std::string>& l) {
  return (l.size() == 4 && l[1] == "oauth2" && l[2] == "v2.0" && l[3] == "token") ||
         (l.size() == 4 && l[1] == "v2.0" && l[2] == ".well-known" &&
          l[3] == "openid-configuration") ||
         (l.size() == 4 && l[1] == "discovery" && l[2] == "v2.0" && l[3] == "keys") ||
         (l.size() == 3 && l[0] == "common" && l[1] == "discovery" && l[2] == "instance") ||
         (l.size() == 2 && l[0] == "msi" && l[1] == "token");
}

std::optional<ServerResponse> ServerCore::HandleIdentityPlatform(const ServerRequest& req,
                                                               const std::string& base_url) {
  const std::vector<std::string> seg = SplitPath(req.path);
  std::vector<std::string> l;
  for (const auto& s : seg) l.push_back(Lower(s));
  const int64_t now = static_cast<int64_t>(std::time(nullptr));

  // POST /{tenant}/oauth2/v2.0/token
  if (l.size() == 4 && l[1] == "oauth2" && l[2] == "v2.0" && l[3] == "token") {
    if (req.method != "POST")
      return AadError(TokenError{405, "invalid_request", "The token endpoint needs POST.", 0}, now);
    if (!tokens_.KnownTenant(seg[0])) {
      std::string tenant = seg[0].size() > 128 ? seg[0].substr(0, 128) : seg[0];
      return AadError(
          TokenError{400, "invalid_request",
                     "AADSTS90002: Tenant '" + tenant +
                         "' not found. Check to make sure you have the correct tenant ID and are "
                         "signing into the correct cloud. Check with your subscription "
                         "administrator, this may happen if there are no active subscriptions "
                         "for the tenant.",
                     90002},
          now);
    }
    auto result = tokens_.ClientCredentials(req.body, now);
    if (auto* e = std::get_if<TokenError>(&result)) return AadError(*e, now);
    const auto& t = std::get<IssuedToken>(result);
    ServerResponse r = JsonResponse(200, Json{{"token_type", "Bearer"},
                                            {"expires_in", t.expires_in},
                                            {"ext_expires_in", t.expires_in},
                                            {"access_token", t.access_token}});
    r.headers["Cache-Control"] = "no-store, no-cache";
    return r;
  }
  // GET /{tenant}/v2.0/.well-known/openid-configuration
  if (l.size() == 4 && l[1] == "v2.0" && l[2] == ".well-known" &&
      l[3] == "openid-configuration") {
    const std::string t = base_url + "/" + seg[0];
    return JsonResponse(
        200, Json{{"token_endpoint", t + "/oauth2/v2.0/token"},
                  {"token_endpoint_auth_methods_supported",
                   {"client_secret_post", "private_key_jwt", "client_secret_basic"}},
                  {"jwks_uri", t + "/discovery/v2.0/keys"},
                  {"response_modes_supported", {"query", "fragment", "form_post"}},
                  {"subject_types_supported", {"pairwise"}},
                  {"id_token_signing_alg_values_supported", {"RS256"}},
                  {"response_types_supported", {"code", "id_token", "code id_token", "id_token token"}},
                  {"scopes_supported", {"openid", "profile", "email", "offline_access"}},
                  {"issuer", base_url + "/" + tenant_id_ + "/v2.0"},
                  {"request_uri_parameter_supported", false},
                  {"userinfo_endpoint", base_url + "/oidc/userinfo"},
                  {"authorization_endpoint", t + "/oauth2/v2.0/authorize"},
                  {"device_authorization_endpoint", t + "/oauth2/v2.0/devicecode"},
                  {"http_logout_supported", true},
                  {"frontchannel_logout_supported", true},
                  {"end_session_endpoint", t + "/oauth2/v2.0/logout"},
                  {"claims_supported", {"sub", "iss", "aud", "exp", "iat", "tid", "oid"}},
                  {"tenant_region_scope", nullptr},
                  {"cloud_instance_name", "sandbox.localhost"},
                  {"cloud_graph_host_name", "graph.sandbox.localhost"},
                  {"msgraph_host", "graph.sandbox.localhost"}});
  }
  // GET /{tenant}/discovery/v2.0/keys (no signing keys: tokens are unsigned)
  if (l.size() == 4 && l[1] == "discovery" && l[2] == "v2.0" && l[3] == "keys")
    return JsonResponse(200, Json{{"keys", Json::array()}});
  // GET /common/discovery/instance
  if (l.size() == 3 && l[0] == "common" && l[1] == "discovery" && l[2] == "instance") {
    std::string host = base_url.substr(std::string("https://").size());
    std::string tenant = "common";
    return JsonResponse(
        200, Json{{"tenant_discovery_endpoint",
                   base_url + "/" + tenant + "/v2.0/.well-known/openid-configuration"},
                  {"api-version", "1.1"},
                  {"metadata", Json::array({Json{{"preferred_network", host},
                                                 {"preferred_cache", host},
                                                 {"aliases", Json::array({host})}}})}});
  }
  // GET /msi/token?resource=...&api-version=2019-08-01 (IDENTITY_ENDPOINT)
  if (l.size() == 2 && l[0] == "msi" && l[1] == "token") {
    if (req.Query("api-version").empty())
      return AadError(TokenError{400, "invalid_request", "api-version is required.", 0}, now);
    std::string resource = req.Query("resource");
    std::string client_id = req.Query("client_id");
    std::string principal = req.Query("principal_id");
    if (principal.empty() && !client_id.empty()) {
      std::lock_guard<std::mutex> lock(cloud_mu_);
      auto ids = cloud_->ListIdentities("");
      if (ids.ok())
        for (const auto& i : *ids)
          if (EqualsIgnoreCase(i.client_id, client_id)) principal = i.principal_id;
    }
    if (principal.empty())
      principal = DeterministicGuid("managed-identity|" + tenant_id_ + "|" + Lower(client_id));
    if (client_id.empty()) client_id = DeterministicGuid("managed-identity-client|" + tenant_id_);
    auto result = tokens_.ManagedIdentity(resource, client_id, principal,
                                          req.Header("X-IDENTITY-HEADER"), now);
    if (auto* e = std::get_if<TokenError>(&result)) return AadError(*e, now);
    const auto& t = std::get<IssuedToken>(result);
    return JsonResponse(200, Json{{"access_token", t.access_token},
                                  {"expires_on", std::to_string(t.expires_on)},
                                  {"resource", t.resource},
                                  {"token_type", "Bearer"},
                                  {"client_id", client_id}});
  }
  return std::nullopt;
}

}  // namespace cmk
