#include "sandbox_server/wire_util.h"

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"

namespace cmk {

std::string ServerRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

bool ServerRequest::HasQuery(const std::string& name) const { return query.count(name) > 0; }

std::string ServerRequest::Query(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? "" : it->second;
}

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

namespace {

bool LooksLikeCode(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_';
  });
}

std::string GenericCode(int http) {
  switch (http) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 409: return "Conflict";
    case 429: return "TooManyRequests";
    case 503: return "ServiceUnavailable";
    default: return "InternalServerError";
  }
}

}  // namespace

WireError ToWireError(const Status& status, bool kv) {
  WireError e;
  switch (status.code()) {
    case StatusCode::kInvalidArgument: e.http = 400; break;
    case StatusCode::kNotFound: e.http = 404; break;
    case StatusCode::kConflict: e.http = 409; break;
    case StatusCode::kPermissionDenied: e.http = 403; break;
    case StatusCode::kFailedPrecondition: e.http = kv ? 403 : 409; break;
    case StatusCode::kUnavailable: e.http = 503; break;
    default: e.http = 500; break;
  }
  const std::string& m = status.message();
  size_t colon = m.find(": ");
  if (colon != std::string::npos && LooksLikeCode(m.substr(0, colon))) {
    e.code = m.substr(0, colon);
    e.message = m.substr(colon + 2);
  } else {
    e.code = GenericCode(e.http);
    e.message = m;
  }
  if (e.code == "Forbidden") e.http = 403;
  return e;
}

ServerResponse JsonResponse(int status, const Json& body) {
  ServerResponse r;
  r.status = status;
  if (!body.is_null()) r.body = body.dump();
  return r;
}

ServerResponse ArmError(int status, const std::string& code, const std::string& message) {
  return JsonResponse(status, Json{{"error", {{"code", code}, {"message", message}}}});
}

ServerResponse ArmError(const Status& status) {
  WireError e = ToWireError(status, false);
  return ArmError(e.http, e.code, e.message);
}

ServerResponse KvError(int status, const std::string& code, const std::string& message) {
  Json err{{"code", code}, {"message", message}};
  if (code == "ObjectIsDeletedButRecoverable") {
    err["code"] = "Conflict";
    err["innererror"] = Json{{"code", code}};
  }
  return JsonResponse(status, Json{{"error", err}});
}

ServerResponse KvError(const Status& status) {
  WireError e = ToWireError(status, true);
  return KvError(e.http, e.code, e.message);
}

std::string EncodeSkipToken(size_t offset) {
  std::string text = "{\"o\":" + std::to_string(offset) + "}";
  return Base64UrlEncode(Bytes(text.begin(), text.end()));
}

std::optional<size_t> DecodeSkipToken(const std::string& token) {
  auto bytes = Base64AnyDecode(token);
  if (!bytes.ok()) return std::nullopt;
  Json j = Json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (!j.is_object() || !j.contains("o") || !j["o"].is_number_unsigned()) return std::nullopt;
  return j["o"].get<size_t>();
}

Result<Json> ParseBody(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return InvalidArgument("BadRequest: the request body is not a JSON object.");
  return j;
}

std::string JString(const Json& j, const char* key, const std::string& def) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}

std::optional<bool> JBool(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

std::optional<int64_t> JInt(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  return it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(it->get<double>());
}

const Json& JObject(const Json& j, const char* key) {
  static const Json kEmpty = Json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

Tags JTags(const Json& j, const char* key) {
  Tags out;
  for (auto& [k, v] : JObject(j, key).items())
    if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

std::vector<std::string> JStrings(const Json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& v : j[key])
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace cmk
