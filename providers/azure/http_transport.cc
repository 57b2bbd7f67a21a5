// The libcurl door. Nothing else in cmkctl includes curl.h.
#include "azure/http_transport.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "azure/redaction.h"

namespace cmk::azure {

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
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

std::string UrlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

namespace {

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t WriteBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t WriteHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<HeaderMap*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100-continue or a redirect)
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon == std::string::npos) return size * n;
  std::string name = line.substr(0, colon);
  std::string value = line.substr(colon + 1);
  auto trim = [](std::string& s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    s.erase(0, i);
  };
  trim(name);
  trim(value);
  (*headers)[name] = value;
  return size * n;
}

int Progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* cancel = static_cast<std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
    static GlobalInit init;
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    easy_ = curl_easy_init();
  }
  ~CurlTransport() override {
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
    if (share_ != nullptr) curl_share_cleanup(share_);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (easy_ == nullptr) return Internal("HTTP transport: curl_easy_init failed");
    if (options_.cancel && options_.cancel->load())
      return FailedPrecondition("cancelled before " + request.method + " " + Origin(request.url));
    curl_easy_reset(easy_);  // keeps the connection, DNS and TLS session caches
    HttpResponse response;
    curl_slist* header_list = nullptr;
    for (const auto& [name, value] : request.headers)
      header_list = curl_slist_append(header_list, (name + ": " + value).c_str());
    // curl adds "Expect: 100-continue" for large bodies; Azure does not need it.
    header_list = curl_slist_append(header_list, "Expect:");

    // RFC 6761: *.localhost is loopback. curl 7.88 does not resolve
    // subdomains of localhost itself; the sandbox serves vaults on them.
    curl_slist* resolve_list = nullptr;
    if (Result<UrlParts> u = ParseUrl(request.url);
        u.ok() && u->host.size() > 10 && u->host.compare(u->host.size() - 10, 10, ".localhost") == 0)
      resolve_list = curl_slist_append(
          resolve_list, (u->host + ":" + std::to_string(u->port) + ":127.0.0.1").c_str());

    CURL* h = easy_;
    curl_easy_setopt(h, CURLOPT_SHARE, share_);
    if (resolve_list != nullptr) curl_easy_setopt(h, CURLOPT_RESOLVE, resolve_list);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    if (options_.http2) curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);  // Location is an LRO poll URL, not a redirect
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    long connect_ms = static_cast<long>((request.connect_timeout.count() > 0
                                             ? request.connect_timeout
                                             : options_.connect_timeout)
                                            .count());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, Progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, options_.cancel.get());
    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }

    if (spdlog::should_log(spdlog::level::trace)) {
      spdlog::trace("HTTP > {} {}\n{}{}", request.method, request.url,
                    RedactHeaders(request.headers), RedactBody(request.url, request.body));
    }
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(header_list);
    curl_slist_free_all(resolve_list);
    if (rc != CURLE_OK) {
      std::string what = request.method + " " + Origin(request.url);
      if (rc == CURLE_ABORTED_BY_CALLBACK) return FailedPrecondition("cancelled: " + what);
      if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
        return InvalidArgument("bad URL for " + what + ": " + curl_easy_strerror(rc));
      if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
          rc == CURLE_SSL_CERTPROBLEM)
        return Unavailable("TLS verification failed for " + what + ": " + curl_easy_strerror(rc) +
                           " (set --ca-bundle or CMKCTL_CA_BUNDLE for a private CA)");
      return Unavailable("connection failed for " + what + ": " + curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    response.status = static_cast<int>(status);
    spdlog::debug("HTTP {} {} -> {}", request.method, StripQuery(request.url), response.status);
    if (spdlog::should_log(spdlog::level::trace)) {
      spdlog::trace("HTTP < {}\n{}{}", response.status, RedactHeaders(response.headers),
                    RedactBody(request.url, response.body));
    }
    return response;
  }

 private:
  static std::string Origin(const std::string& url) {
    auto p = ParseUrl(url);
    return p.ok() ? p->scheme + "://" + p->host + ":" + std::to_string(p->port) : std::string("?");
  }
  static std::string StripQuery(const std::string& url) { return url.substr(0, url.find('?')); }

  CurlTransportOptions options_;
  std::mutex mu_;
  CURLSH* share_ = nullptr;
  CURL* easy_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace cmk::azure
