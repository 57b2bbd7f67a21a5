// Retries with exponential backoff and jitter, idempotency-aware.
//
// Retryable: HTTP 408, 429, 500, 502, 503, 504 and connection failures
// (kUnavailable from the transport). The server's Retry-After (seconds or an
// HTTP date), retry-after-ms and x-ms-retry-after-ms win over the computed
// backoff. Attempts and the total time slept are both capped.
//
// GET/PUT/PATCH/DELETE/HEAD are retried freely. A non-idempotent request
// (POST: create key, rotate key) is never retried blindly: after a retryable
// failure the caller's ReRead runs, and the request is sent again only when
// ReRead proves the operation did not take effect; when it did, Send reports
// `applied_elsewhere` instead of sending twice (the ReRead also runs after
// the last attempt fails). Without a ReRead a POST is sent once. A
// non-idempotent request goes on a fresh connection, so that libcurl does not
// resend it on its own when a reused connection closes with no answer. Sleeper, random source and clock are injectable (tests never
// sleep). A Retrier is not thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "azure/http_transport.h"
#include "base/status.h"

namespace cmk {

using Millis = std::chrono::milliseconds;
using Sleeper = std::function<void(Millis)>;
Sleeper RealSleeper();

struct RetryOptions {
  int max_attempts = 4;             // first try included
  Millis base_delay{800};           // 0.8 s, 1.6 s, 3.2 s, ... before jitter
  Millis max_delay{60000};          // one wait, computed or server-given
  Millis max_total_delay{180000};   // sum of waits for one request
  double jitter = 0.2;              // +/- fraction of the computed delay
};

bool IsRetryableHttpStatus(int status);
bool IsIdempotentMethod(const std::string& method);

// The server's requested wait, from retry-after-ms, x-ms-retry-after-ms or
// Retry-After (delta seconds, or an HTTP date measured against the
// response's own Date header when it has one, else against `now_unix`: the
// server's clock need not agree with this machine's).
std::optional<Millis> ServerRetryAfter(const HttpResponse& response, int64_t now_unix);
// Exponential backoff for retry number `retry` (1 = first retry) with jitter
// drawn from `random01` in [0, 1): base * 2^(retry-1) * (1 +/- jitter), capped.
Millis BackoffDelay(const RetryOptions& options, int retry, double random01);

// Answers "did the failed operation take effect anyway?" (true = it did).
using ReRead = std::function<Result<bool>()>;

struct SendOptions {
  std::optional<bool> idempotent;  // default: from the method
  ReRead reread;                   // for non-idempotent requests
  // Called before every attempt (rate limiting, fresh auth headers).
  std::function<Status(HttpRequest&)> before_attempt;
  // After a failure without an answer (no connection, no response in time),
  // no wait for another attempt that would end after this; the failure is
  // returned instead. Answers asking to wait are not bound by it.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

class Retrier {
 public:
  Retrier(RetryOptions options, Sleeper sleeper, std::function<double()> random01,
          std::function<int64_t()> now_unix);
  // Default: real sleeps, std::random_device jitter, the system clock.
  explicit Retrier(RetryOptions options = {});

  // The final response (possibly an HTTP error after the last attempt), or a
  // transport error. `*applied_elsewhere` is set when a ReRead proved that a
  // failed non-idempotent request took effect; the response is then empty.
  Result<HttpResponse> Send(HttpTransport& transport, HttpRequest request,
                            const SendOptions& options = {}, bool* applied_elsewhere = nullptr);

  // Whether an outcome is worth another attempt: HTTP 408/429/5xx or a
  // connection failure (kUnavailable).
  static bool IsRetryable(const Result<HttpResponse>& result);
  // The wait after attempt number `attempt` ended in `result`: the server's
  // (capped at max_delay) when it gave one, else the jittered backoff.
  Millis DelayAfter(const Result<HttpResponse>& result, int attempt);

  const RetryOptions& options() const { return options_; }
  void Sleep(Millis d) { sleeper_(d); }
  double Random01() { return random01_(); }

 private:
  RetryOptions options_;
  Sleeper sleeper_;
  std::function<double()> random01_;
  std::function<int64_t()> now_unix_;
};

}  // namespace cmk
