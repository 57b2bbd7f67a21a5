// The libcurl door. Nothing else in cmkctl includes curl.h.
#include "azure/http_transport.h"

#include <curl/curl.h>
#include "base/log.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "azure/redaction.h"

namespace cmk {

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

std::string Origin(const std::string& url) {
  auto p = ParseUrl(url);
  return p.ok() ? p->scheme + "://" + p->host + ":" + std::to_string(p->port) : std::string("?");
}
std::string StripQuery(const std::string& url) { return url.substr(0, url.find('?')); }

// One exchange's buffers and lists, alive from Setup until Finish.
struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse response;
  curl_slist* header_list = nullptr;
  curl_slist* resolve_list = nullptr;
  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() {
    curl_slist_free_all(header_list);
    curl_slist_free_all(resolve_list);
  }
};

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
    static GlobalInit init;
    share_ = curl_share_init();
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    easy_ = curl_easy_init();
    multi_ = curl_multi_init();
    if (multi_ != nullptr) {
      curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
      const long connections = std::max(1, options_.max_connections);
      curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
      curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, connections);
    }
  }
  ~CurlTransport() override {
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
    if (share_ != nullptr) curl_share_cleanup(share_);
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (easy_ == nullptr) return Internal("HTTP transport: curl_easy_init failed");
    if (Cancelled()) return FailedPrecondition("cancelled before " + request.method + " " + Origin(request.url));
    curl_easy_reset(easy_);  // keeps the connection, DNS and TLS session caches
    Transfer t;
    Setup(easy_, request, t);
    return Finish(easy_, curl_easy_perform(easy_), t);
  }

  std::vector<Result<HttpResponse>> SendAll(const std::vector<HttpRequest>& requests) override {
    if (requests.size() <= 1) return HttpTransport::SendAll(requests);
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = requests.size();
    std::vector<std::optional<Result<HttpResponse>>> done(n);
    std::vector<Transfer> transfers(n);
    std::vector<CURL*> handles(n, nullptr);
    for (size_t i = 0; i < n; ++i) {
      const HttpRequest& r = requests[i];
      if (Cancelled()) {
        done[i] = FailedPrecondition("cancelled before " + r.method + " " + Origin(r.url));
        continue;
      }
      CURL* h = multi_ == nullptr ? nullptr : curl_easy_init();
      if (h == nullptr) {
        done[i] = Internal("HTTP transport: curl handle allocation failed");
        continue;
      }
      Setup(h, r, transfers[i]);
      // Over TLS (where HTTP/2 is negotiated) wait for the first connection
      // to the host to tell whether it multiplexes rather than opening one
      // connection per request. Plain http is HTTP/1.1 here: waiting would
      // only hold requests back (curl 7.88 then serializes some of them).
      if (options_.http2 && r.url.rfind("https://", 0) == 0)
        curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
      curl_easy_setopt(h, CURLOPT_PRIVATE, reinterpret_cast<void*>(i));
      if (curl_multi_add_handle(multi_, h) != CURLM_OK) {
        curl_easy_cleanup(h);
        done[i] = Internal("HTTP transport: curl_multi_add_handle failed");
        continue;
      }
      handles[i] = h;
    }
    CURLMcode mc = CURLM_OK;
    for (int running = 1; running > 0 && mc == CURLM_OK;) {
      mc = curl_multi_perform(multi_, &running);
      if (mc == CURLM_OK && running > 0) mc = curl_multi_poll(multi_, nullptr, 0, 500, nullptr);
      Collect(transfers, done);
    }
    Collect(transfers, done);
    for (size_t i = 0; i < n; ++i) {
      if (handles[i] == nullptr) continue;
      curl_multi_remove_handle(multi_, handles[i]);
      curl_easy_cleanup(handles[i]);
      if (!done[i])
        done[i] = Internal(std::string("HTTP transport: ") + requests[i].method + " " +
                           Origin(requests[i].url) + " did not complete: " +
                           curl_multi_strerror(mc));
    }
    std::vector<Result<HttpResponse>> out;
    out.reserve(n);
    for (auto& d : done) out.push_back(std::move(*d));
    return out;
  }

 private:
  bool Cancelled() const { return options_.cancel && options_.cancel->load(); }

  // Everything both paths set on a handle: TLS, CA, proxy (from the
  // environment, curl's default), timeouts, cancellation and the request.
  void Setup(CURL* h, const HttpRequest& request, Transfer& t) {
    t.request = &request;
    for (const auto& [name, value] : request.headers)
      t.header_list = curl_slist_append(t.header_list, (name + ": " + value).c_str());
    // curl adds "Expect: 100-continue" for large bodies; Azure does not need it.
    t.header_list = curl_slist_append(t.header_list, "Expect:");

    // RFC 6761: *.localhost is loopback. curl 7.88 does not resolve
    // subdomains of localhost itself; the sandbox serves vaults on them.
    if (Result<UrlParts> u = ParseUrl(request.url);
        u.ok() && u->host.size() > 10 && u->host.compare(u->host.size() - 10, 10, ".localhost") == 0)
      t.resolve_list = curl_slist_append(
          t.resolve_list, (u->host + ":" + std::to_string(u->port) + ":127.0.0.1").c_str());

    curl_easy_setopt(h, CURLOPT_SHARE, share_);
    if (t.resolve_list != nullptr) curl_easy_setopt(h, CURLOPT_RESOLVE, t.resolve_list);
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
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, request.fresh_connection ? 1L : 0L);
    long connect_ms = static_cast<long>((request.connect_timeout.count() > 0
                                             ? request.connect_timeout
                                             : options_.connect_timeout)
                                            .count());
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, t.header_list);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t.response.body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t.response.headers);
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

    CMK_LOG(kTrace, "HTTP > ", request.method, " ", request.url, "\n", RedactHeaders(request.headers),
            RedactBody(request.url, request.body));
  }

  // The outcome of a finished transfer, as Send reports it.
  static Result<HttpResponse> Finish(CURL* h, CURLcode rc, Transfer& t) {
    const HttpRequest& request = *t.request;
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
    HttpResponse response = std::move(t.response);
    response.status = static_cast<int>(status);
    CMK_LOG(kDebug, "HTTP ", request.method, " ", StripQuery(request.url), " -> ", response.status);
    CMK_LOG(kTrace, "HTTP < ", response.status, "\n", RedactHeaders(response.headers),
            RedactBody(request.url, response.body));
    return response;
  }

  // Finishes every transfer the multi handle reports as done.
  void Collect(std::vector<Transfer>& transfers, std::vector<std::optional<Result<HttpResponse>>>& done) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      void* p = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &p);
      size_t i = reinterpret_cast<size_t>(p);
      if (i < done.size() && !done[i]) done[i] = Finish(msg->easy_handle, msg->data.result, transfers[i]);
    }
  }

  CurlTransportOptions options_;
  std::mutex mu_;
  CURLSH* share_ = nullptr;
  CURL* easy_ = nullptr;
  CURLM* multi_ = nullptr;
};

}  // namespace

std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

}  // namespace cmk
