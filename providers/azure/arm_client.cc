#include "azure/arm_client.h"

#include "base/log.h"

#include <ctime>

#include "azure/error_mapping.h"
#include "base/strings.h"

namespace cmk {
namespace {

bool IsTerminal(const std::string& state) {
  return state.empty() || EqualsIgnoreCase(state, "Succeeded") ||
         EqualsIgnoreCase(state, "Failed") || EqualsIgnoreCase(state, "Canceled") ||
         EqualsIgnoreCase(state, "Cancelled");
}

std::string ProvisioningState(const Json& j) {
  if (j.is_object() && j.contains("properties") && j["properties"].is_object() &&
      j["properties"].contains("provisioningState") &&
      j["properties"]["provisioningState"].is_string())
    return j["properties"]["provisioningState"].get<std::string>();
  return "";
}

Json ParseBody(const std::string& body) {
  if (body.empty()) return Json::object();
  Json j = Json::parse(body, nullptr, false);
  return j.is_discarded() ? Json::object() : j;
}

}  // namespace

ArmClient::ArmClient(Pipeline& pipeline, AzureEndpoints endpoints, LroOptions lro)
    : pipeline_(pipeline), endpoints_(std::move(endpoints)), lro_(lro) {}

std::string ArmClient::Url(const std::string& path_or_url, const std::string& api_version) const {
  if (path_or_url.find("://") != std::string::npos) return path_or_url;  // nextLink / poll URL
  std::string url = endpoints_.arm + (path_or_url.empty() || path_or_url[0] != '/' ? "/" : "") +
                    path_or_url;
  if (api_version.empty()) return url;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "api-version=" + api_version;
}

Status ArmClient::CheckOrigin(const std::string& url) const {
  if (SameOrigin(url, endpoints_.arm)) return Status::Ok();
  return PermissionDenied("refusing to send the ARM token to " + url.substr(0, url.find('?')) +
                          ": not the ARM endpoint " + endpoints_.arm);
}

Result<HttpResponse> ArmClient::Call(const std::string& method, const std::string& path_or_url,
                                     const std::string& api_version,
                                     const std::optional<Json>& body) {
  HttpRequest req;
  req.method = method;
  req.url = Url(path_or_url, api_version);
  CMK_RETURN_IF_ERROR(CheckOrigin(req.url));
  if (body) req.body = body->dump();
  RateClass cls = method == "GET" ? RateClass::kArmRead : RateClass::kArmWrite;
  return pipeline_.Send(std::move(req), endpoints_.ArmScope(), cls, "arm-principal");
}

Result<std::optional<Json>> ArmClient::Get(const std::string& path, const std::string& api_version,
                                           const std::string& object) {
  CMK_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", path, api_version));
  if (r.status == 404) return std::optional<Json>();
  if (r.status != 200) return StatusFromResponse(r, "read", object);
  return std::optional<Json>(ParseBody(r.body));
}

Result<std::vector<Json>> ArmClient::List(const std::string& path, const std::string& api_version,
                                          const std::string& object) {
  std::vector<Json> out;
  std::string next = path;
  std::string version = api_version;
  for (int page = 0; !next.empty(); ++page) {
    if (page > 10000) return Internal("list " + object + ": too many pages");
    CMK_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", next, version));
    if (r.status != 200) return StatusFromResponse(r, "list", object);
    Json j = ParseBody(r.body);
    if (j.contains("value") && j["value"].is_array())
      for (auto& v : j["value"]) out.push_back(std::move(v));
    next = j.contains("nextLink") && j["nextLink"].is_string() ? j["nextLink"].get<std::string>()
                                                               : "";
    version.clear();  // nextLink carries its own api-version: followed verbatim
  }
  return out;
}

Millis ArmClient::PollDelay(const HttpResponse& r) {
  std::optional<Millis> d = ServerRetryAfter(r, static_cast<int64_t>(std::time(nullptr)));
  return d ? std::min(*d, Millis(60000)) : lro_.default_interval;
}

Result<Json> ArmClient::FinishLro(const HttpResponse& initial, const std::string& path,
                                  const std::string& api_version, const std::string& object,
                                  bool get_resource_after) {
  Json body = ParseBody(initial.body);
  std::optional<std::string> async_url = initial.Header("Azure-AsyncOperation");
  std::optional<std::string> location = initial.Header("Location");
  HttpResponse last = initial;
  if (async_url && (initial.status == 201 || initial.status == 202)) {
    for (int i = 0;; ++i) {
      if (i >= lro_.max_polls) return Unavailable("operation on " + object + " did not finish in time");
      pipeline_.retrier().Sleep(PollDelay(last));
      CMK_ASSIGN_OR_RETURN(last, Call("GET", *async_url, ""));
      if (last.status != 200 && last.status != 202) return StatusFromResponse(last, "poll", object);
      Json op = ParseBody(last.body);
      std::string status = op.contains("status") && op["status"].is_string()
                               ? op["status"].get<std::string>() : "";
      if (EqualsIgnoreCase(status, "Succeeded")) break;
      if (EqualsIgnoreCase(status, "Failed") || EqualsIgnoreCase(status, "Canceled")) {
        HttpResponse fake;
        fake.status = 409;
        fake.body = op.contains("error") ? Json{{"error", op["error"]}}.dump() : "";
        Status s = StatusFromResponse(fake, "operation (" + status + ") on", object);
        return Status(StatusCode::kConflict, s.message());
      }
    }
    if (!get_resource_after) return Json::object();
    CMK_ASSIGN_OR_RETURN(std::optional<Json> final_body, Get(path, api_version, object));
    body = final_body.value_or(Json::object());
  } else if (location && (initial.status == 201 || initial.status == 202)) {
    for (int i = 0;; ++i) {
      if (i >= lro_.max_polls) return Unavailable("operation on " + object + " did not finish in time");
      pipeline_.retrier().Sleep(PollDelay(last));
      CMK_ASSIGN_OR_RETURN(last, Call("GET", *location, ""));
      if (last.status == 202) continue;
      if (last.status == 200 || last.status == 201) {
        body = ParseBody(last.body);
        break;
      }
      if (last.status == 204) {
        body = Json::object();
        break;
      }
      return StatusFromResponse(last, "poll", object);
    }
    if (get_resource_after && (body.empty() || !body.contains("id"))) {
      CMK_ASSIGN_OR_RETURN(std::optional<Json> final_body, Get(path, api_version, object));
      body = final_body.value_or(Json::object());
    }
  }
  // 200/201 without headers can still be in progress (vault: RegisteringDns).
  for (int i = 0; get_resource_after && !IsTerminal(ProvisioningState(body)); ++i) {
    if (i >= lro_.max_polls) return Unavailable(object + " stayed in provisioning state " + ProvisioningState(body));
    CMK_LOG(kDebug, object, " is ", ProvisioningState(body), "; polling");
    pipeline_.retrier().Sleep(lro_.default_interval);
    CMK_ASSIGN_OR_RETURN(std::optional<Json> again, Get(path, api_version, object));
    if (!again) return NotFound(object + " disappeared while provisioning");
    body = *again;
  }
  if (EqualsIgnoreCase(ProvisioningState(body), "Failed"))
    return Conflict(object + ": provisioning failed");
  return body;
}

Result<Json> ArmClient::Write(const std::string& method, const std::string& path,
                              const std::string& api_version, const Json& body,
                              const std::string& object) {
  CMK_ASSIGN_OR_RETURN(HttpResponse r, Call(method, path, api_version, body));
  if (r.status != 200 && r.status != 201 && r.status != 202)
    return StatusFromResponse(r, method == "PUT" ? "create/update" : "update", object);
  return FinishLro(r, path, api_version, object, /*get_resource_after=*/true);
}

Status ArmClient::Delete(const std::string& path, const std::string& api_version,
                         const std::string& object) {
  CMK_ASSIGN_OR_RETURN(HttpResponse r, Call("DELETE", path, api_version));
  if (r.status == 200 || r.status == 204) return Status::Ok();
  if (r.status == 202) return FinishLro(r, path, api_version, object, false).status();
  return StatusFromResponse(r, "delete", object);
}

Status ArmClient::PostAction(const std::string& path, const std::string& api_version,
                             const std::string& object) {
  CMK_ASSIGN_OR_RETURN(HttpResponse r, Call("POST", path, api_version));
  if (r.status == 200 || r.status == 204) return Status::Ok();
  if (r.status == 202) return FinishLro(r, path, api_version, object, false).status();
  return StatusFromResponse(r, "action on", object);
}

Result<std::string> ArmClient::TokenTenant() {
  CMK_ASSIGN_OR_RETURN(AccessToken t, pipeline_.credential().GetToken(endpoints_.ArmScope()));
  std::string tid = TenantFromJwt(t.token);
  if (tid.empty())
    return FailedPrecondition("cannot tell the tenant id from the ARM token: set AZURE_TENANT_ID");
  return tid;
}

}  // namespace cmk
