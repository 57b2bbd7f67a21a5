#include "azure/error_mapping.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/json.h"

namespace cmk {
namespace {

using nlohmann::json;


bool ContainsIgnoreCase(const std::string& hay, const std::string& needle) {
  return Lower(hay).find(Lower(needle)) != std::string::npos;
}

std::string Reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

}  // namespace

bool AzureError::HasCode(const std::string& c) const {
  if (EqualsIgnoreCase(code, c)) return true;
  return std::any_of(inner_codes.begin(), inner_codes.end(),
                     [&](const std::string& i) { return EqualsIgnoreCase(i, c); });
}

AzureError ParseAzureError(const std::string& body) {
  AzureError e;
  json j = json::parse(body, nullptr, false);
  if (!j.is_object()) return e;
  const json& err = j.contains("error") && j["error"].is_object() ? j["error"] : j;
  e.code = JsonString(err, "code");
  e.message = JsonString(err, "message");
  const json* inner = err.contains("innererror") ? &err["innererror"] : nullptr;
  for (int depth = 0; inner != nullptr && inner->is_object() && depth < 8; ++depth) {
    if (!JsonString(*inner, "code").empty()) e.inner_codes.push_back(JsonString(*inner, "code"));
    if (!JsonString(*inner, "message").empty()) e.inner_messages.push_back(JsonString(*inner, "message"));
    inner = inner->contains("innererror") ? &(*inner)["innererror"] : nullptr;
  }
  if (err.contains("details") && err["details"].is_array()) {
    for (const auto& d : err["details"]) {
      if (!JsonString(d, "code").empty()) e.inner_codes.push_back(JsonString(d, "code"));
      if (!JsonString(d, "message").empty()) e.inner_messages.push_back(JsonString(d, "message"));
    }
  }
  return e;
}

Status StatusFromResponse(const HttpResponse& r, const std::string& operation,
                          const std::string& object) {
  AzureError e = ParseAzureError(r.body);
  std::string codes = e.code;
  for (const auto& c : e.inner_codes) codes += "/" + c;
  std::string head = operation + " " + object + ": HTTP " + std::to_string(r.status);
  if (!Reason(r.status).empty()) head += " " + Reason(r.status);
  if (!codes.empty()) head += " (" + codes + ")";
  std::string msg = head + (e.message.empty() ? "" : ": " + e.message);
  for (const auto& m : e.inner_messages)
    if (m != e.message) msg += "; " + m;
  if (auto id = r.Header("x-ms-request-id")) msg += " [request id " + *id + "]";

  std::string all_text = e.message;
  for (const auto& m : e.inner_messages) all_text += " " + m;
  switch (r.status) {
    case 400:
      return InvalidArgument(msg);
    case 401:
      return PermissionDenied(msg + " (the credential was not accepted)");
    case 403:
      if (e.HasCode("ForbiddenByFirewall") ||
          ContainsIgnoreCase(all_text, "Client address is not authorized") ||
          ContainsIgnoreCase(all_text, "not authorized and caller is not a trusted service"))
        return PermissionDenied(object + " refused the request because of its network firewall: "
                                "this client's address is not allowed by the vault's network "
                                "rules (networkAcls / publicNetworkAccess). " + msg);
      return PermissionDenied(msg);
    case 404:
      return NotFound(msg);
    case 409:
      if (e.HasCode("ObjectIsDeletedButRecoverable"))
        return Conflict(msg + " — the name is held by a soft-deleted object: recover it or purge "
                              "it (after its retention period if purge protection is on) before "
                              "reusing the name");
      if (ContainsIgnoreCase(all_text, "deleted state"))
        return Conflict(msg + " — a soft-deleted vault holds this name: recover it "
                              "(createMode recover) or purge it");
      return Conflict(msg);
    case 412:
      return Conflict(msg);
    default:
      break;
  }
  if (r.status == 408 || r.status == 429 || r.status >= 500) return Unavailable(msg);
  return Internal(msg);
}

}  // namespace cmk
