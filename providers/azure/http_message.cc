// The transport's plain values: headers, URLs, and the default batch.
#include <algorithm>
#include <cctype>

#include "azure/http_transport.h"

namespace cmk {

std::vector<Result<HttpResponse>> HttpTransport::SendAll(const std::vector<HttpRequest>& requests) {
  std::vector<Result<HttpResponse>> out;
  out.reserve(requests.size());
  for (const HttpRequest& r : requests) out.push_back(Send(r));
  return out;
}

std::optional<std::string> HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

Result<UrlParts> ParseUrl(const std::string& url) {
  UrlParts p;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return InvalidArgument("not an absolute URL: " + url);
  p.scheme = url.substr(0, scheme_end);
  std::transform(p.scheme.begin(), p.scheme.end(), p.scheme.begin(), ::tolower);
  size_t host_start = scheme_end + 3;
  size_t path_start = url.find_first_of("/?#", host_start);
  std::string authority = url.substr(host_start, path_start == std::string::npos
                                                     ? std::string::npos
                                                     : path_start - host_start);
  p.path_and_query = path_start == std::string::npos ? "/" : url.substr(path_start);
  if (size_t at = authority.rfind('@'); at != std::string::npos) authority = authority.substr(at + 1);
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return InvalidArgument("bad host in URL: " + url);
    p.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (size_t colon = authority.rfind(':'); colon != std::string::npos) {
    p.host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  } else {
    p.host = authority;
  }
  std::transform(p.host.begin(), p.host.end(), p.host.begin(), ::tolower);
  if (p.host.empty()) return InvalidArgument("URL without host: " + url);
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit))
      return InvalidArgument("bad port in URL: " + url);
    p.port = std::stoi(port);
  } else {
    p.port = p.scheme == "https" ? 443 : p.scheme == "http" ? 80 : 0;
  }
  return p;
}

bool SameOrigin(const std::string& a, const std::string& b) {
  auto pa = ParseUrl(a);
  auto pb = ParseUrl(b);
  return pa.ok() && pb.ok() && pa->scheme == pb->scheme && pa->host == pb->host &&
         pa->port == pb->port;
}

}  // namespace cmk
