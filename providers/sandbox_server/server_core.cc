#include "sandbox_server/server_core.h"

#include <algorithm>

#include <chrono>
#include <ctime>
#include <thread>

#include "base/duration.h"
#include "sandbox_server/api_versions.h"
#include "sandbox_server/wire_util.h"
#include "model/arm_id.h"
#include "base/strings.h"

namespace cmk {
namespace {

constexpr const char* kVaultHostSuffix = ".vault.localhost";
constexpr const char* kTooLargeMessage = "The request content size exceeds the maximum size of 4 MB.";

int64_t RealNow() { return static_cast<int64_t>(std::time(nullptr)); }

std::string HostWithoutPort(const std::string& host_header) {
  std::string h = Lower(host_header);
  size_t colon = h.rfind(':');
  if (colon != std::string::npos && h.find(']') == std::string::npos) h.resize(colon);
  return h;
}

// Key Vault operations that count against the CREATE budget.
bool IsKeyCreate(const std::vector<std::string>& lseg, const std::string& method) {
  if (lseg.size() == 3 && lseg[0] == "keys" && method == "POST")
    return lseg[2] == "create" || lseg[2] == "rotate";
  return lseg.size() == 2 && lseg[0] == "keys" && method == "PUT";
}

ArmOp ArmOpOf(const std::string& method) {
  if (method == "GET" || method == "HEAD") return ArmOp::kRead;
  if (method == "DELETE") return ArmOp::kDelete;
  return ArmOp::kWrite;
}

const char* ArmOpName(ArmOp op) {
  return op == ArmOp::kRead ? "reads" : op == ArmOp::kDelete ? "deletes" : "writes";
}

}  // namespace

ServerCore::ServerCore(std::unique_ptr<SandboxCloud> cloud, const ServeOptions& options, int port,
                       std::string client_secret, std::string identity_header,
                       std::string assertion_keys_path)
    : cloud_(std::move(cloud)),
      options_(options),
      port_(port),
      tenant_id_(cloud_->tenant_id()),
      tokens_(tenant_id_, options.client_id, std::move(client_secret), std::move(identity_header),
              options.token_lifetime_seconds,
              {"https://127.0.0.1:" + std::to_string(port), "https://localhost:" + std::to_string(port)},
              std::move(assertion_keys_path)),
      gate_(options.faults, options.throttle) {
  for (const auto& v : options.faults.silent_vaults) silent_vaults_.push_back(Lower(v));
  for (const auto& v : options.faults.firewalled_vaults) firewalled_vaults_.push_back(Lower(v));
}

ServerResponse ServerCore::Unauthorized(bool kv, const std::string& base_url,
                                      const std::string& message) {
  std::string authority = "https://127.0.0.1:" + std::to_string(port_) + "/" + tenant_id_;
  if (kv) {
    ServerResponse r = KvError(401, "Unauthorized", message);
    r.headers["WWW-Authenticate"] =
        "Bearer authorization=\"" + authority + "\", resource=\"https://vault.localhost\"";
    return r;
  }
  ServerResponse r = ArmError(401, "AuthenticationFailed", message);
  r.headers["WWW-Authenticate"] = "Bearer authorization_uri=\"" + authority +
                                  "\", error=\"invalid_token\", error_description=\"" + message +
                                  "\"";
  return r;
}

ServerCore::Route ServerCore::RouteOf(const ServerRequest& req) const {
  const std::string host_header = req.Header("Host");
  const std::string host = HostWithoutPort(host_header);
  Route r;
  r.base_url =
      "https://" + (host_header.empty() ? "127.0.0.1:" + std::to_string(port_) : host_header);
  const std::string suffix = kVaultHostSuffix;
  r.kv = host.size() > suffix.size() &&
         host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0 &&
         host.find('.') == host.size() - suffix.size();
  if (r.kv) r.vault = host.substr(0, host.size() - suffix.size());
  return r;
}

void ServerCore::StampDate(ServerResponse& out) {
  // As Azure does on every response; the sandbox's clock may be simulated,
  // and clients take their "now" from here (azure/target_clock.h).
  std::lock_guard<std::mutex> lock(cloud_mu_);
  out.headers["Date"] = FormatHttpDate(cloud_->Now());
}

void ServerCore::StampRequestId(ServerResponse& out, bool kv) {
  std::lock_guard<std::mutex> lock(cloud_mu_);
  std::string id = DeterministicGuid(tenant_id_ + "|request|" + std::to_string(++counter_));
  out.headers["x-ms-request-id"] = id;
  if (!kv) out.headers["x-ms-correlation-request-id"] = id;
}

ServerResponse ServerCore::Handle(const ServerRequest& req) {
  const Route route = RouteOf(req);
  ServerResponse out;
  // The handlers check member types before reading them; this is the net
  // under them, so that no exception reaches the HTTP library (which would
  // answer a bare 500).
  try {
    out = Answer(req, route);
  } catch (const Json::exception&) {
    out = route.kv ? KvError(400, "BadParameter", "The request body has a member of the wrong type.")
                   : ArmError(400, "InvalidRequestContent",
                              "The request content was invalid and could not be deserialized.");
  } catch (const std::exception&) {
    out = route.kv ? KvError(500, "InternalError", "The server encountered an internal error.")
                   : ArmError(500, "InternalServerError", "The server encountered an internal error.");
  }
  if (out.drop_connection) return out;
  StampDate(out);
  return out;
}

std::optional<ServerResponse> ServerCore::HandleHead(const ServerRequest& head) {
  const Route route = RouteOf(head);
  std::optional<ServerResponse> out = CheckFraming(head, route.kv);
  if (!out) {
    std::vector<std::string> lseg;
    for (const auto& s : SplitPath(head.path)) lseg.push_back(Lower(s));
    if (!route.kv && IsIdentityPlatformPath(lseg)) return std::nullopt;
    out = CheckAccess(head, route, nullptr);
    if (!out) return std::nullopt;
    // The client may be sending a body after these headers: refused unread,
    // it must not be taken for the next request on the connection.
    const std::string length = head.Header("Content-Length");
    if (!head.Header("Transfer-Encoding").empty() || (!length.empty() && length != "0"))
      out->close_connection = true;
  }
  StampRequestId(*out, route.kv);
  StampDate(*out);
  return out;
}

ServerResponse ServerCore::RefuseBody(const ServerRequest& head, bool too_large) {
  const Route route = RouteOf(head);
  ServerResponse out =
      too_large ? (route.kv ? KvError(413, "RequestContentTooLarge", kTooLargeMessage)
                            : ArmError(413, "RequestContentTooLarge", kTooLargeMessage))
                : (route.kv ? KvError(400, "BadParameter", "The request body could not be read.")
                            : ArmError(400, "InvalidRequestContent",
                                       "The request content could not be read."));
  out.close_connection = true;
  StampRequestId(out, route.kv);
  StampDate(out);
  return out;
}

std::optional<ServerResponse> ServerCore::CheckFraming(const ServerRequest& req, bool kv) const {
  auto refuse = [&](int status, const std::string& code, const std::string& message) {
    ServerResponse r = kv ? KvError(status, code, message) : ArmError(status, code, message);
    r.close_connection = true;
    return r;
  };
  // The HTTP library reads only plain chunked bodies as chunked; any other
  // coding it would read to the end of the connection.
  const std::string coding = Lower(req.Header("Transfer-Encoding"));
  if (!coding.empty() && coding != "chunked")
    return refuse(501, "NotImplemented",
                  "The Transfer-Encoding '" + coding.substr(0, 64) + "' is not supported.");
  const std::string length = req.Header("Content-Length");
  if (!length.empty()) {
    if (length.size() > 19 || length.find_first_not_of("0123456789") != std::string::npos)
      return refuse(400, kv ? "BadParameter" : "InvalidRequestContent",
                    "The Content-Length header is not a valid length.");
    if (std::stoull(length) > kMaxRequestBodyBytes)
      return refuse(413, "RequestContentTooLarge", kTooLargeMessage);
  }
  // Multipart bodies would be parsed by the HTTP library itself.
  const std::string type = Lower(req.Header("Content-Type"));
  if (type.rfind("multipart/", 0) == 0)
    return refuse(415, "UnsupportedMediaType",
                  "The content media type '" + type.substr(0, type.find(';')).substr(0, 64) +
                      "' is not supported. Only 'application/json' is supported.");
  return std::nullopt;
}

std::optional<ServerResponse> ServerCore::CheckAccess(const ServerRequest& req, const Route& route,
                                                      TokenGrant* grant_out) {
  const bool kv = route.kv;
  const std::string authorization = req.Header("Authorization");
  auto grant = tokens_.Validate(authorization, RealNow());
  if (!grant || grant->audience != (kv ? Audience::kKeyVault : Audience::kArm)) {
    std::string why = authorization.empty()
                          ? (kv ? "AKV10000: Request is missing a Bearer or PoP token."
                                : "Authentication failed. The 'Authorization' header is missing.")
                      : !grant ? (kv ? "AKV10022: Invalid audience or expired token."
                                     : "The access token is invalid or has expired.")
                               : (kv ? "AKV10022: Invalid audience."
                                     : "The access token has an invalid audience.");
    return Unauthorized(kv, route.base_url, why);
  }
  if (grant_out) *grant_out = *grant;

  const std::string api_version = req.Query("api-version");
  if (api_version.empty()) {
    const char* text =
        "The api-version query parameter (?api-version=) is required for all requests.";
    return kv ? KvError(400, "MissingApiVersionParameter", text)
              : ArmError(400, "MissingApiVersionParameter", text);
  }
  if (kv) return CheckKeyVaultApiVersion(api_version);
  if (auto type = ArmTypeOfPath(SplitPath(req.path))) return CheckArmApiVersion(*type, api_version);
  return std::nullopt;
}

ServerResponse ServerCore::Answer(const ServerRequest& req, const Route& route) {
  const bool kv = route.kv;
  if (!kv) {
    if (auto r = HandleIdentityPlatform(req, route.base_url)) return *r;
  }

  Ctx c{req, route.base_url, req.Query("api-version"), SplitPath(req.path), {}, {}, route.vault};
  for (const auto& s : c.seg) c.lseg.push_back(Lower(s));

  if (gate_.latency_ms() > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(gate_.latency_ms()));
  auto named = [&](const std::vector<std::string>& vaults) {
    return kv && std::find(vaults.begin(), vaults.end(), Lower(c.vault)) != vaults.end();
  };
  if (named(silent_vaults_)) {
    // A host that takes the connection and never answers: hold the request
    // until the client gives up (its socket closes) or the server stops.
    for (int i = 0; i < 600 && !release_held_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ServerResponse r;
    r.drop_connection = true;
    return r;
  }
  if (named(firewalled_vaults_)) {
    // Azure's answer to a caller outside the vault's network rules.
    return JsonResponse(
        403, Json{{"error",
                   {{"code", "Forbidden"},
                    {"message", "Client address is not authorized and caller is not a trusted service.\r\n"
                                "Client address: 127.0.0.1\r\nVault: " + c.vault + ";location=sandbox"},
                    {"innererror", {{"code", "ForbiddenByFirewall"}}}}}});
  }
  const bool changes_state = req.method == "PUT" || req.method == "PATCH" ||
                             req.method == "POST" || req.method == "DELETE";
  bool lose_response = false;
  switch (gate_.DrawFault(changes_state)) {
    case FaultOutcome::kDrop: {
      ServerResponse r;
      r.drop_connection = true;
      return r;
    }
    case FaultOutcome::kThrottle: {
      ServerResponse r = kv ? KvError(429, "Throttled",
                                    "Request was not processed because too many requests were "
                                    "received (injected fault).")
                          : ArmError(429, "TooManyRequests",
                                     "The request is being throttled (injected fault).");
      r.headers["Retry-After"] = std::to_string(gate_.fault_retry_after());
      return r;
    }
    case FaultOutcome::kError:
      return kv ? KvError(503, "ServiceUnavailable",
                          "The service is temporarily unavailable (injected fault).")
                : ArmError(503, "ServiceUnavailable",
                           "The service is temporarily unavailable (injected fault).");
    case FaultOutcome::kLoseResponse:
      lose_response = true;  // carried out below; the answer never leaves
      break;
    case FaultOutcome::kServe:
      break;
  }

  ServerResponse out;
  if (auto refused = CheckAccess(req, route, &c.grant)) {
    out = *refused;
  } else if (kv) {
    ThrottleDecision d = gate_.TakeVault(c.vault, IsKeyCreate(c.lseg, req.method));
    if (!d.allowed) {
      out = KvError(429, "Throttled",
                    "Request was not processed because too many requests were received. "
                    "Reason: VaultRequestTypeLimitReached");
      out.headers["Retry-After"] = std::to_string(d.retry_after_seconds);
    } else {
      out = HandleKeyVault(c);
    }
  } else {
    ArmOp op = ArmOpOf(req.method);
    ThrottleDecision d = gate_.TakeArm(c.grant.principal_id, op);
    if (!d.allowed) {
      out = ArmError(429, "TooManyRequests",
                     "Number of requests for the principal exceeded the limit. Please try again "
                     "after " + std::to_string(d.retry_after_seconds) + " seconds.");
      out.headers["Retry-After"] = std::to_string(d.retry_after_seconds);
    } else {
      out = HandleArm(c);
    }
    if (d.remaining >= 0)
      out.headers[std::string("x-ms-ratelimit-remaining-subscription-") + ArmOpName(op)] =
          std::to_string(d.remaining);
  }
  StampRequestId(out, kv);
  if (lose_response) {
    // Whatever the outcome, the client never hears it: as a network failure
    // after the server did the work.
    ServerResponse lost;
    lost.drop_connection = true;
    return lost;
  }
  return out;
}

Result<ServerCore::Page> ServerCore::Paginate(const Ctx& c, size_t total, const char* size_param,
                                              size_t default_size, size_t max_size) {
  size_t size = default_size;
  if (c.req.HasQuery(size_param)) {
    const std::string v = c.req.Query(size_param);
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 1 || static_cast<size_t>(n) > max_size)
      return InvalidArgument(std::string("BadParameter: ") + size_param + " must be between 1 and " +
                             std::to_string(max_size) + ".");
    size = static_cast<size_t>(n);
  }
  Page p;
  if (c.req.HasQuery("$skiptoken")) {
    auto offset = DecodeSkipToken(c.req.Query("$skiptoken"));
    if (!offset) return InvalidArgument("BadParameter: the $skiptoken is not valid.");
    p.begin = std::min(*offset, total);
  }
  p.end = std::min(total, p.begin + size);
  if (p.end < total) {
    std::string link = c.base_url + c.req.path + "?api-version=" + UrlEncode(c.api_version);
    if (c.req.HasQuery("$filter")) link += "&$filter=" + UrlEncode(c.req.Query("$filter"));
    if (c.req.HasQuery(size_param)) link += std::string("&") + size_param + "=" + std::to_string(size);
    link += "&$skiptoken=" + EncodeSkipToken(p.end);
    p.next_link = link;
  }
  return p;
}

ServerResponse ServerCore::HandleArm(Ctx& c) {
  const auto& l = c.lseg;
  const auto& s = c.seg;
  // Role assignments live under any scope: find the last provider segment.
  for (size_t i = l.size(); i-- > 0;) {
    if (i + 2 < l.size() && l[i] == "providers" && l[i + 1] == "microsoft.authorization" &&
        l[i + 2] == "roleassignments") {
      if (l.size() > i + 4) break;
      std::string scope;
      for (size_t k = 0; k < i; ++k) scope += "/" + s[k];
      return ArmRoleAssignments(c, scope.empty() ? "/" : scope, l.size() == i + 4 ? s[i + 3] : "");
    }
  }
  if (l.size() >= 5 && l[0] == "subscriptions" && l[2] == "providers") {
    const std::string& sub = s[1];
    if (l[3] == "microsoft.keyvault") {
      if (l.size() == 5 && l[4] == "vaults") return ArmVaults(c, sub, "", "");
      if (l.size() == 5 && l[4] == "deletedvaults") return ArmDeletedVaults(c, sub, "", "", false);
      if (l.size() >= 8 && l[4] == "locations") {
        if (l[6] == "deletedvaults" && l.size() == 8) return ArmDeletedVaults(c, sub, s[5], s[7], false);
        if (l[6] == "deletedvaults" && l.size() == 9 && l[8] == "purge")
          return ArmDeletedVaults(c, sub, s[5], s[7], true);
        if ((l[6] == "operationstatuses" || l[6] == "operationresults") && l.size() == 8)
          return ArmOperation(c, sub, s[5], l[6] == "operationstatuses", s[7]);
      }
    }
    if (l.size() == 5 && l[3] == "microsoft.managedidentity" && l[4] == "userassignedidentities")
      return ArmIdentities(c, sub, "", "");
    if (l.size() == 5 && l[3] == "microsoft.storage" && l[4] == "storageaccounts")
      return ArmStorage(c, sub, "", "");
    if (l.size() == 5 && l[3] == "microsoft.sql" && l[4] == "servers") return ArmSql(c, sub, "", "", "", "");
    if (l.size() == 5 && l[3] == "microsoft.compute" && l[4] == "diskencryptionsets") return ArmDes(c, sub, "", "");
  }
  if (l.size() == 9 && l[0] == "subscriptions" && l[2] == "resourcegroups" && l[4] == "providers" &&
      l[5] == "microsoft.compute" && l[6] == "diskencryptionsets" && l[8] == "associatedresources")
    return ArmDes(c, s[1], s[3], s[7], "associatedresources");
  if (l.size() == 11 && l[0] == "subscriptions" && l[2] == "resourcegroups" && l[4] == "providers" &&
      l[5] == "microsoft.sql" && l[6] == "servers" && l[8] == "encryptionprotector" && l[9] == "current" &&
      l[10] == "revalidate")
    return ArmSql(c, s[1], s[3], s[7], "encryptionprotector", "revalidate");
  // SQL servers' children: keys[/{name}], encryptionProtector/current.
  if ((l.size() == 9 || l.size() == 10) && l[0] == "subscriptions" && l[2] == "resourcegroups" &&
      l[4] == "providers" && l[5] == "microsoft.sql" && l[6] == "servers") {
    if (l[8] == "keys") return ArmSql(c, s[1], s[3], s[7], "keys", l.size() == 10 ? s[9] : "");
    if (l[8] == "encryptionprotector" && (l.size() == 9 || l[9] == "current"))
      return ArmSql(c, s[1], s[3], s[7], "encryptionprotector", l.size() == 10 ? "current" : "");
  }
  if ((l.size() == 7 || l.size() == 8) && l[0] == "subscriptions" && l[2] == "resourcegroups" &&
      l[4] == "providers") {
    const std::string name = l.size() == 8 ? s[7] : "";
    if (l[5] == "microsoft.keyvault" && l[6] == "vaults") return ArmVaults(c, s[1], s[3], name);
    if (l[5] == "microsoft.managedidentity" && l[6] == "userassignedidentities")
      return ArmIdentities(c, s[1], s[3], name);
    if (l[5] == "microsoft.storage" && l[6] == "storageaccounts")
      return ArmStorage(c, s[1], s[3], name);
    if (l[5] == "microsoft.sql" && l[6] == "servers") return ArmSql(c, s[1], s[3], name, "", "");
    if (l[5] == "microsoft.compute" && l[6] == "diskencryptionsets") return ArmDes(c, s[1], s[3], name);
  }
  return ArmError(404, "InvalidResourceType",
                  "The resource type could not be found for path '" + c.req.path + "'.");
}

}  // namespace cmk
