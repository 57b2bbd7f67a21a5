#include "azure/redaction.h"

#include <algorithm>
#include <array>
#include <cctype>

#include <nlohmann/json.hpp>

namespace cmk {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Members that carry credentials or key material wherever they appear.
bool IsSecretMember(const std::string& name) {
  static const std::array<const char*, 16> kNames = {
      "access_token", "accesstoken",    "refresh_token", "id_token",   "client_secret",
      "client_assertion", "assertion",  "password",      "secret",     "d",
      "dp",           "dq",             "qi",            "p",          "q",
      "k"};
  std::string n = Lower(name);
  return std::any_of(kNames.begin(), kNames.end(), [&](const char* k) { return n == k; });
}

bool IsCryptoOperation(const std::string& url) {
  std::string path = Lower(url.substr(0, url.find('?')));
  for (const char* op : {"/wrapkey", "/unwrapkey", "/encrypt", "/decrypt", "/sign", "/release"})
    if (path.size() >= std::string(op).size() &&
        path.compare(path.size() - std::string(op).size(), std::string::npos, op) == 0)
      return true;
  return false;
}

bool IsTokenEndpoint(const std::string& url) {
  std::string u = Lower(url);
  return u.find("/oauth2/") != std::string::npos || u.find("/token") != std::string::npos ||
         u.find("identity") != std::string::npos;
}

void RedactJson(nlohmann::json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (IsSecretMember(it.key()))
        it.value() = kRedacted;
      else
        RedactJson(it.value());
    }
  } else if (j.is_array()) {
    for (auto& e : j) RedactJson(e);
  }
}

std::string RedactForm(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string pair = body.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    std::string name = eq == std::string::npos ? pair : pair.substr(0, eq);
    if (!out.empty()) out += '&';
    out += IsSecretMember(name) ? name + "=" + kRedacted : pair;
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

}  // namespace

bool IsSecretHeader(const std::string& name) {
  std::string n = Lower(name);
  return n == "authorization" || n == "proxy-authorization" || n == "x-identity-header" ||
         n == "secret" || n == "cookie" || n == "set-cookie";
}

std::string RedactHeaders(const HeaderMap& headers) {
  std::string out;
  for (const auto& [name, value] : headers)
    out += name + ": " + (IsSecretHeader(name) ? std::string(kRedacted) : value) + "\n";
  return out;
}

std::string RedactBody(const std::string& url, const std::string& body, size_t max_chars) {
  if (body.empty()) return "";
  std::string out;
  if (IsCryptoOperation(url)) {
    out = "[crypto operation body omitted]";
  } else {
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) {
      RedactJson(j);
      out = j.dump();
    } else if (body.find('=') != std::string::npos && body.find('{') == std::string::npos) {
      out = RedactForm(body);
    } else if (IsTokenEndpoint(url)) {
      out = "[unparsed token endpoint body omitted]";
    } else {
      out = body;
    }
  }
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...[truncated]";
  return out + "\n";
}

}  // namespace cmk
