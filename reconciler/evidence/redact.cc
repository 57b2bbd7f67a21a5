#include "evidence/redact.h"

#include <algorithm>
#include <cctype>
#include <regex>

namespace cmk {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool SecretOptionName(const std::string& name) {
  static const char* const kWords[] = {"secret", "token", "password", "passwd", "passphrase",
                                       "credential-value", "private-key", "sas", "api-key",
                                       "apikey", "client-assertion"};
  std::string n = Lower(name);
  return std::any_of(std::begin(kWords), std::end(kWords),
                     [&](const char* w) { return n.find(w) != std::string::npos; });
}

bool LooksSecret(const std::string& arg) {
  static const std::regex kJwt(R"(eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)");
  static const std::regex kParam(
      R"((^|[?&;,\s])(sig|token|access_token|secret|client_secret|password|pwd|key|apikey|api_key)=)",
      std::regex::icase);
  static const std::regex kBearer(R"(^\s*(bearer|basic)\s+\S)", std::regex::icase);
  return std::regex_search(arg, kJwt) || std::regex_search(arg, kParam) ||
         std::regex_search(arg, kBearer) || arg.find("-----BEGIN") != std::string::npos;
}

}  // namespace

std::vector<std::string> RedactArguments(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool redact_next = false;
  for (const std::string& arg : args) {
    if (redact_next) {
      out.push_back(kRedacted);
      redact_next = false;
      continue;
    }
    if (arg.rfind("--", 0) == 0 && arg.size() > 2) {
      size_t eq = arg.find('=');
      std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (SecretOptionName(name)) {
        if (eq == std::string::npos) {
          out.push_back(arg);
          redact_next = true;
        } else {
          out.push_back(arg.substr(0, eq + 1) + kRedacted);
        }
        continue;
      }
    }
    out.push_back(LooksSecret(arg) ? kRedacted : arg);
  }
  return out;
}

}  // namespace cmk
