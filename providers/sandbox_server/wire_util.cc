#include "sandbox_server/wire_util.h"

#include <algorithm>
#include <cctype>
#include <cmath>

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
    case StatusCode::kUnauthenticated: e.http = 401; break;
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
  if (e.http == 503) e.retry_after_seconds = kBusyRetryAfterSeconds;
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
  ServerResponse r = ArmError(e.http, e.code, e.message);
  if (e.retry_after_seconds > 0) r.headers["Retry-After"] = std::to_string(e.retry_after_seconds);
  return r;
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
  ServerResponse r = KvError(e.http, e.code, e.message);
  if (e.retry_after_seconds > 0) r.headers["Retry-After"] = std::to_string(e.retry_after_seconds);
  return r;
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

namespace {

// 2^63: doubles at or beyond it do not convert to int64_t (undefined behaviour).
constexpr double kTwo63 = 9223372036854775808.0;

std::vector<std::string> FieldSteps(const std::string& path) {
  std::vector<std::string> steps;
  size_t i = 0;
  while (i <= path.size()) {
    size_t dot = path.find('.', i);
    if (dot == std::string::npos) dot = path.size();
    std::string step = path.substr(i, dot - i);
    bool each = step.size() > 2 && step.compare(step.size() - 2, 2, "[]") == 0;
    if (each) step.resize(step.size() - 2);
    if (!step.empty()) steps.push_back(step);
    if (each) steps.push_back("[]");
    i = dot + 1;
  }
  return steps;
}

// Whether `v` is of the rule's type; `range` tells a number outside [min, max].
bool FieldFits(const Json& v, const FieldRule& r, bool& range) {
  range = false;
  switch (r.type) {
    case JType::kString: return v.is_string();
    case JType::kBool: return v.is_boolean();
    case JType::kObject: return v.is_object();
    case JType::kArray: return v.is_array();
    case JType::kInt: break;
  }
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    range = r.max < 0 || u > static_cast<uint64_t>(r.max) ||
            (r.min > 0 && u < static_cast<uint64_t>(r.min));
    return !range;
  }
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    range = n < r.min || n > r.max;
    return !range;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d) || std::floor(d) != d) return false;  // 7.5 is no integer
    range = d >= kTwo63 || d < -kTwo63 || d < static_cast<double>(r.min) ||
            d > static_cast<double>(r.max);
    return !range;
  }
  return false;
}

// Walks `steps` below `node`, checking every member the path reaches.
// An array element that is null is wrong (["a", null] is no list of
// strings); a member that is null is absent.
void WalkField(const Json& node, const std::vector<std::string>& steps, size_t i,
               const std::string& at, const FieldRule& rule, std::optional<FieldError>& out,
               bool element = false) {
  if (out) return;
  if (i == steps.size()) {
    bool range = false;
    if ((node.is_null() && !element) || FieldFits(node, rule, range)) return;
    std::string text = node.dump();
    if (text.size() > 64) text = text.substr(0, 61) + "...";
    out = FieldError{at, text, rule, range};
    return;
  }
  const std::string& step = steps[i];
  if (step == "[]") {
    if (!node.is_array()) return;
    for (size_t k = 0; k < node.size() && !out; ++k)
      WalkField(node[k], steps, i + 1, at + "[" + std::to_string(k) + "]", rule, out, true);
    return;
  }
  if (!node.is_object()) return;
  auto child = [&](const std::string& name) { return at.empty() ? name : at + "." + name; };
  if (step == "*") {
    for (auto it = node.begin(); it != node.end() && !out; ++it)
      WalkField(it.value(), steps, i + 1, child(it.key()), rule, out);
    return;
  }
  auto it = node.find(step);
  if (it != node.end()) WalkField(*it, steps, i + 1, child(step), rule, out);
}

bool FitsInt32(const FieldRule& r) {
  return r.min >= std::numeric_limits<int32_t>::min() && r.max <= std::numeric_limits<int32_t>::max();
}

}  // namespace

std::optional<FieldError> CheckFields(const Json& body, const std::vector<FieldRule>& rules) {
  std::optional<FieldError> out;
  for (const auto& rule : rules) {
    WalkField(body, FieldSteps(rule.path), 0, "", rule, out);
    if (out) break;
  }
  return out;
}

ServerResponse ArmFieldError(const FieldError& e) {
  // ARM's resource providers deserialize with Json.NET; these are its words.
  const char* type = "String";
  switch (e.rule.type) {
    case JType::kString: type = "String"; break;
    case JType::kBool: type = "Boolean"; break;
    case JType::kInt: type = FitsInt32(e.rule) ? "Int32" : "Int64"; break;
    case JType::kObject: type = "Object"; break;
    case JType::kArray: type = "Array"; break;
  }
  std::string inner = e.out_of_range
                          ? "JSON integer " + e.value + " is too large or small for an " + type
                          : "Error converting value " + e.value + " to type '" + type + "'";
  return ArmError(400, "InvalidRequestContent",
                  "The request content was invalid and could not be deserialized: '" + inner +
                      ". Path '" + e.path + "'.'.");
}

ServerResponse KvFieldError(const FieldError& e) {
  std::string expected;
  switch (e.rule.type) {
    case JType::kString: expected = "a string"; break;
    case JType::kBool: expected = "a boolean"; break;
    case JType::kObject: expected = "an object"; break;
    case JType::kArray: expected = "an array"; break;
    case JType::kInt:
      expected = "an integer from " + std::to_string(e.rule.min) + " to " + std::to_string(e.rule.max);
      break;
  }
  return KvError(400, "BadParameter",
                 "The parameter '" + e.path + "' has an invalid value " + e.value + ": expected " +
                     expected + ".");
}

std::optional<int64_t> JInt(const Json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::nullopt;
  if (it->is_number_unsigned()) {
    uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (it->is_number_integer()) return it->get<int64_t>();
  double d = it->get<double>();
  if (!std::isfinite(d) || d >= kTwo63 || d < -kTwo63) return std::nullopt;
  return static_cast<int64_t>(d);
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
