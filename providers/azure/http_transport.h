// HttpTransport: one HTTP exchange, and its libcurl implementation.
//
// The interface is all the Azure clients see, so tests substitute a fake or
// point the curl transport at a local server. The curl transport is the only
// libcurl user in cmkctl: TLS verification is always on (the CA bundle is
// configurable), connections, DNS and TLS sessions are reused, HTTP/2 is used
// when the server offers it, proxies come from the environment as curl reads
// them, and an atomic flag cancels a transfer in flight. It never logs header
// values named Authorization nor token bodies (see redaction.h).
//
// Status codes of Send: kUnavailable for connection failures and timeouts
// (retryable), kFailedPrecondition when cancelled, kInvalidArgument for a bad
// URL. An HTTP error status is not an error of Send: it is a response.
//
// SendAll runs a batch on one curl multi handle (HTTP/2 multiplexing, with a
// capped number of connections per host) with the same per-request settings
// as Send. CurlTransport serializes calls (Send and SendAll) with a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/header_map.h"
#include "base/status.h"
#include "base/url.h"  // UrlEncode

namespace cmk {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  HeaderMap headers;
  std::string body;
  std::chrono::milliseconds timeout{60000};          // whole transfer
  std::chrono::milliseconds connect_timeout{0};      // 0: the transport's default
  // Send on a new connection. libcurl silently sends a request again when
  // the reused connection it went out on closes before any byte of an
  // answer: right for a stale keep-alive connection, wrong when the server
  // did the work and the answer was lost. A request that must not be
  // repeated blindly (the Retrier sets this for non-idempotent ones) goes on
  // a fresh connection, which libcurl never retries.
  bool fresh_connection = false;
};

struct HttpResponse {
  int status = 0;
  HeaderMap headers;
  std::string body;
  // The header's value, any case of its name.
  std::optional<std::string> Header(const std::string& name) const;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
  // Independent requests at once; result i answers request i, whatever the
  // order of completion. The default sends them one after another.
  virtual std::vector<Result<HttpResponse>> SendAll(const std::vector<HttpRequest>& requests);
};

struct CurlTransportOptions {
  std::string ca_bundle;  // PEM file; "" = the system store
  std::chrono::milliseconds connect_timeout{10000};
  bool http2 = true;      // CURL_HTTP_VERSION_2TLS
  std::string user_agent = "cmkctl";
  // SendAll: at most this many connections open at once, in all and per
  // host. Over HTTP/2 a host's requests share one multiplexed connection;
  // an HTTP/1.1 server gets up to this many connections in parallel. When
  // a batch moves on to another host, the oldest idle connection closes.
  int max_connections = 8;
  // Set to true (from any thread) to abort transfers in flight and refuse new ones.
  std::shared_ptr<std::atomic<bool>> cancel;
};

std::unique_ptr<HttpTransport> MakeCurlTransport(const CurlTransportOptions& options);

// Parts of an absolute URL. Port defaults from the scheme (443/80).
struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // lower case, without brackets or port
  int port = 0;
  std::string path_and_query;
};
Result<UrlParts> ParseUrl(const std::string& url);
// True when both URLs have the same scheme, host and port.
bool SameOrigin(const std::string& a, const std::string& b);

}  // namespace cmk
