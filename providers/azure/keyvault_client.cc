#include "azure/keyvault_client.h"

#include <set>

#include "base/log.h"

#include "azure/error_mapping.h"
#include "base/strings.h"

namespace cmk {

using nlohmann::json;

KeyVaultClient::KeyVaultClient(Pipeline& pipeline, AzureEndpoints endpoints)
    : pipeline_(pipeline), endpoints_(std::move(endpoints)) {}

std::string KeyVaultClient::Url(const std::string& vault, const std::string& path) const {
  if (path.find("://") != std::string::npos) return path;
  std::string url = endpoints_.VaultUrl(vault) + path;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "api-version=" + kKeyVaultApiVersion;
}

const AuthChallenge* KeyVaultClient::challenge(const std::string& vault) const {
  auto it = challenges_.find(Lower(vault));
  return it == challenges_.end() ? nullptr : &it->second;
}

Result<AuthChallenge> KeyVaultClient::ChallengeFrom(const HttpResponse& r, const std::string& url) {
  std::optional<std::string> header = r.Header("WWW-Authenticate");
  if (!header)
    return PermissionDenied("Key Vault at " + url.substr(0, url.find('?')) +
                            " answered 401 without a WWW-Authenticate challenge");
  CMK_ASSIGN_OR_RETURN(AuthChallenge c, ParseWwwAuthenticate(*header));
  CMK_RETURN_IF_ERROR(VerifyChallengeResource(c, url));
  return c;
}

Result<HttpRequest> KeyVaultClient::Request(const std::string& vault, const std::string& method,
                                            const std::string& path,
                                            const std::optional<json>& body) const {
  HttpRequest req;
  req.method = method;
  req.url = Url(vault, path);
  if (!SameOrigin(req.url, endpoints_.VaultUrl(vault)))
    return PermissionDenied("refusing to follow " + req.url.substr(0, req.url.find('?')) +
                            ": not vault " + vault + "'s endpoint");
  CMK_RETURN_IF_ERROR(pipeline_.CheckBearerUrl(req.url));
  if (body) req.body = body->dump();
  return req;
}

std::vector<Result<HttpResponse>> KeyVaultClient::GetAll(const std::vector<VaultGet>& gets) {
  const size_t n = gets.size();
  std::vector<std::optional<Result<HttpResponse>>> done(n);
  std::vector<std::optional<HttpRequest>> requests(n);
  for (size_t i = 0; i < n; ++i) {
    Result<HttpRequest> req = Request(gets[i].vault, "GET", gets[i].path, std::nullopt);
    if (req.ok())
      requests[i] = std::move(*req);
    else
      done[i] = req.status();
  }

  // Round 1: the challenge of every vault not seen yet, all probes at once.
  std::vector<size_t> probes;
  std::set<std::string> probed;
  for (size_t i = 0; i < n; ++i) {
    std::string key = Lower(gets[i].vault);
    if (!done[i] && !challenges_.count(key) && probed.insert(key).second) probes.push_back(i);
  }
  if (!probes.empty()) {
    std::vector<BatchRequest> batch;
    for (size_t i : probes) batch.push_back({*requests[i], "", RateClass::kVaultOp, gets[i].vault});
    std::vector<Result<HttpResponse>> got = pipeline_.SendAll(std::move(batch));
    for (size_t k = 0; k < probes.size(); ++k) {
      size_t i = probes[k];
      Result<HttpResponse>& r = got[k];
      if (!r.ok() || r->status != 401) {
        // Failed, or the vault did not ask for a token: a GET without one was the real one.
        if (r.ok())
          CMK_LOG(kDebug, "Key Vault ", gets[i].vault, " answered ", r->status, " without a challenge");
        done[i] = std::move(r);
        continue;
      }
      Result<AuthChallenge> c = ChallengeFrom(*r, requests[i]->url);
      if (!c.ok()) {
        done[i] = c.status();
        continue;
      }
      CMK_LOG(kDebug, "Key Vault ", gets[i].vault, ": challenge authority ", c->authority, ", scope ",
              c->scope);
      challenges_[Lower(gets[i].vault)] = std::move(*c);
    }
  }

  // Round 2: everything else, with each vault's token.
  std::vector<size_t> batched;
  std::vector<BatchRequest> batch;
  for (size_t i = 0; i < n; ++i) {
    if (done[i]) continue;
    auto challenge = challenges_.find(Lower(gets[i].vault));
    if (challenge == challenges_.end()) {  // no challenge (or it failed): one at a time, as Call does
      done[i] = Call(gets[i].vault, "GET", gets[i].path, std::nullopt);
      continue;
    }
    batched.push_back(i);
    batch.push_back({std::move(*requests[i]), challenge->second.scope, RateClass::kVaultOp, gets[i].vault});
  }
  std::vector<Result<HttpResponse>> got = pipeline_.SendAll(std::move(batch));
  for (size_t k = 0; k < batched.size(); ++k) {
    size_t i = batched[k];
    Result<HttpResponse>& r = got[k];
    // A new challenge (another tenant or resource): Call re-reads it.
    if (r.ok() && r->status == 401 && r->Header("WWW-Authenticate"))
      done[i] = Call(gets[i].vault, "GET", gets[i].path, std::nullopt);
    else
      done[i] = std::move(r);
  }
  std::vector<Result<HttpResponse>> out;
  out.reserve(n);
  for (auto& d : done) out.push_back(std::move(*d));
  return out;
}

Result<HttpResponse> KeyVaultClient::Call(const std::string& vault, const std::string& method,
                                          const std::string& path,
                                          const std::optional<json>& body, RateClass cls,
                                          SendOptions options, bool* applied_elsewhere) {
  CMK_ASSIGN_OR_RETURN(HttpRequest req, Request(vault, method, path, body));
  std::string key = Lower(vault);

  if (!challenges_.count(key)) {
    // Provoke the challenge: same request, no token, no body.
    HttpRequest probe = req;
    probe.body.clear();
    probe.headers["Content-Length"] = "0";
    SendOptions probe_options = options;
    CMK_ASSIGN_OR_RETURN(HttpResponse r, pipeline_.Send(probe, "", cls, vault, probe_options,
                                                        applied_elsewhere));
    if (r.status != 401) {
      // The vault did not ask for a token. A body-less request was the real one.
      CMK_LOG(kDebug, "Key Vault ", vault, " answered ", r.status, " without a challenge");
      if (req.body.empty() || (applied_elsewhere != nullptr && *applied_elsewhere)) return r;
      return pipeline_.Send(req, "", cls, vault, options, applied_elsewhere);
    }
    CMK_ASSIGN_OR_RETURN(AuthChallenge c, ChallengeFrom(r, req.url));
    CMK_LOG(kDebug, "Key Vault ", vault, ": challenge authority ", c.authority, ", scope ", c.scope);
    challenges_[key] = c;
  }

  std::string scope = challenges_[key].scope;
  HttpRequest first = req;
  // A 401 here is handled below (new challenge), not by the pipeline's token refresh.
  CMK_ASSIGN_OR_RETURN(HttpResponse r, pipeline_.Send(first, scope, cls, vault, options,
                                                      applied_elsewhere));
  if (r.status == 401 && r.Header("WWW-Authenticate")) {
    CMK_ASSIGN_OR_RETURN(AuthChallenge c, ChallengeFrom(r, req.url));
    challenges_[key] = c;
    pipeline_.credential().Invalidate(c.scope);
    return pipeline_.Send(req, c.scope, cls, vault, options, applied_elsewhere);
  }
  return r;
}

Result<std::optional<json>> KeyVaultClient::Get(const std::string& vault, const std::string& path,
                                                const std::string& object) {
  return GetResult(Call(vault, "GET", path, std::nullopt), object);
}

Result<std::optional<json>> KeyVaultClient::GetResult(Result<HttpResponse> response,
                                                      const std::string& object) {
  CMK_ASSIGN_OR_RETURN(HttpResponse r, std::move(response));
  if (r.status == 404) return std::optional<json>();
  if (r.status != 200) return StatusFromResponse(r, "read", object);
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Internal("read " + object + ": response is not JSON");
  return std::optional<json>(std::move(j));
}

Result<std::vector<json>> KeyVaultClient::List(const std::string& vault, const std::string& path,
                                               const std::string& object) {
  return ListFrom(vault, Call(vault, "GET", path, std::nullopt), object);
}

Result<std::vector<json>> KeyVaultClient::ListFrom(const std::string& vault,
                                                   Result<HttpResponse> first_page,
                                                   const std::string& object) {
  std::vector<json> out;
  Result<HttpResponse> response = std::move(first_page);
  for (int page = 1;; ++page) {
    CMK_ASSIGN_OR_RETURN(HttpResponse r, std::move(response));
    if (r.status != 200) return StatusFromResponse(r, "list", object);
    json j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return Internal("list " + object + ": response is not a JSON object");
    if (j.contains("value") && j["value"].is_array())
      for (auto& v : j["value"]) out.push_back(std::move(v));
    if (!j.contains("nextLink") || !j["nextLink"].is_string() ||
        j["nextLink"].get<std::string>().empty())
      return out;
    if (page > 10000) return Internal("list " + object + ": too many pages");
    response = Call(vault, "GET", j["nextLink"].get<std::string>(), std::nullopt);
  }
}

Result<json> KeyVaultClient::Send(const std::string& vault, const std::string& method,
                                  const std::string& path, const std::optional<json>& body,
                                  const std::string& operation, const std::string& object) {
  CMK_ASSIGN_OR_RETURN(HttpResponse r, Call(vault, method, path, body));
  if (r.status < 200 || r.status > 299) return StatusFromResponse(r, operation, object);
  if (r.body.empty()) return json::object();
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded()) return Internal(operation + " " + object + ": response is not JSON");
  return j;
}

}  // namespace cmk
