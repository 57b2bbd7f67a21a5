#include "azure/challenge.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "azure/credentials.h"
#include "azure/http_transport.h"

namespace cmk {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<AuthChallenge> ParseWwwAuthenticate(const std::string& header) {
  size_t i = 0;
  while (i < header.size() && std::isspace(static_cast<unsigned char>(header[i]))) ++i;
  size_t scheme_end = header.find(' ', i);
  if (scheme_end == std::string::npos) return InvalidArgument("WWW-Authenticate without parameters");
  AuthChallenge c;
  c.scheme = header.substr(i, scheme_end - i);
  if (Lower(c.scheme) != "bearer" && Lower(c.scheme) != "pop")
    return InvalidArgument("unsupported WWW-Authenticate scheme '" + c.scheme + "'");
  std::map<std::string, std::string> params;
  size_t pos = scheme_end;
  while (pos < header.size()) {
    while (pos < header.size() && (header[pos] == ',' || std::isspace(static_cast<unsigned char>(header[pos]))))
      ++pos;
    size_t eq = header.find('=', pos);
    if (eq == std::string::npos) break;
    std::string name = Lower(header.substr(pos, eq - pos));
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.pop_back();
    pos = eq + 1;
    std::string value;
    if (pos < header.size() && header[pos] == '"') {
      size_t close = header.find('"', pos + 1);
      if (close == std::string::npos) return InvalidArgument("unterminated quote in WWW-Authenticate");
      value = header.substr(pos + 1, close - pos - 1);
      pos = close + 1;
    } else {
      size_t comma = header.find(',', pos);
      value = header.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.pop_back();
      pos = comma == std::string::npos ? header.size() : comma;
    }
    params[name] = value;
  }
  c.authority = params.count("authorization") ? params["authorization"] : params["authorization_uri"];
  if (c.authority.empty())
    return InvalidArgument("WWW-Authenticate challenge names no authorization/authorization_uri");
  Result<UrlParts> auth = ParseUrl(c.authority);
  if (!auth.ok()) return InvalidArgument("challenge authority is not a URL: " + c.authority);
  std::string path = auth->path_and_query.substr(1);
  c.tenant = path.substr(0, path.find_first_of("/?"));
  c.resource = params["resource"];
  c.scope = params["scope"];
  if (c.scope.empty()) {
    if (c.resource.empty()) return InvalidArgument("WWW-Authenticate challenge names no resource or scope");
    std::string r = c.resource;
    while (!r.empty() && r.back() == '/') r.pop_back();
    c.scope = r + "/.default";
  }
  return c;
}

Status VerifyChallengeResource(const AuthChallenge& challenge, const std::string& vault_url) {
  std::string resource = challenge.resource.empty() ? ScopeToResource(challenge.scope)
                                                    : challenge.resource;
  Result<UrlParts> res = ParseUrl(resource);
  Result<UrlParts> vault = ParseUrl(vault_url);
  if (!res.ok() || !vault.ok())
    return PermissionDenied("the Key Vault challenge resource '" + resource +
                            "' is not a URL; refusing to request a token for it");
  if (!EndsWith(vault->host, "." + res->host))
    return PermissionDenied("the Key Vault challenge resource '" + resource +
                            "' does not match the requested domain " + vault->host +
                            "; refusing to request a token for it");
  return Status::Ok();
}

}  // namespace cmk
