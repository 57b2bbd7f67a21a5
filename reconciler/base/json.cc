#include "base/json.h"

namespace cmk {

const Json& JsonMember(const Json& j, std::string_view key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const Json& JsonObject(const Json& j, std::string_view key) {
  static const Json kEmpty = Json::object();
  const Json& m = JsonMember(j, key);
  return m.is_object() ? m : kEmpty;
}

bool JsonBool(const Json& j, std::string_view key, bool fallback) {
  const Json& m = JsonMember(j, key);
  return m.is_boolean() ? m.get<bool>() : fallback;
}

std::string JsonString(const Json& j, std::string_view key) {
  const Json& m = JsonMember(j, key);
  return m.is_string() ? m.get<std::string>() : std::string();
}

int64_t JsonInt(const Json& j, std::string_view key, int64_t fallback) {
  const Json& m = JsonMember(j, key);
  return m.is_number_integer() ? m.get<int64_t>() : fallback;
}

std::vector<std::string> JsonStrings(const Json& j, std::string_view key) {
  std::vector<std::string> out;
  const Json& m = JsonMember(j, key);
  if (!m.is_array()) return out;
  for (const auto& e : m)
    if (e.is_string()) out.push_back(e.get<std::string>());
  return out;
}

}  // namespace cmk
