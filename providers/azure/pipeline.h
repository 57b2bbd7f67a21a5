// Pipeline: what every authenticated Azure call goes through.
//
// rate limiter -> bearer token for the scope -> retrier -> transport. Bearer
// tokens are only ever sent over https (tests may allow plain http through
// `allow_insecure_http_for_tests`). A 401 drops the cached token and the
// call is retried once with a fresh one. SendAll runs independent
// idempotent requests as one transport batch per round: each request gets
// its own rate-limit token, bearer token, 401 refresh and retries, and the
// requests to retry go together in the next round after the longest wait any
// of them needs. Not thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "azure/credentials.h"
#include "azure/rate_limiter.h"
#include "azure/retry_policy.h"

namespace cmk {

// One request of a batch.
struct BatchRequest {
  HttpRequest request;
  std::string scope;  // "" = anonymous
  RateClass cls = RateClass::kArmRead;
  std::string rate_key;
};

class Pipeline {
 public:
  Pipeline(HttpTransport& transport, CachingCredential& credential, Retrier& retrier,
           RateLimiter& limiter, bool allow_insecure_http_for_tests);

  // `scope` "" = anonymous (no Authorization header).
  Result<HttpResponse> Send(HttpRequest request, const std::string& scope, RateClass cls,
                            const std::string& rate_key, SendOptions options = {},
                            bool* applied_elsewhere = nullptr);
  // Result i answers batch[i]. Only idempotent methods (others are refused
  // with kInvalidArgument without being sent).
  std::vector<Result<HttpResponse>> SendAll(std::vector<BatchRequest> batch);
  // kInvalidArgument unless `url` is https (or insecure http is allowed).
  Status CheckBearerUrl(const std::string& url) const;

  CachingCredential& credential() { return credential_; }
  Retrier& retrier() { return retrier_; }
  // How long to wait for a host that does not answer (0 = the request's
  // own timeout): each attempt's bound, and the end of a request's retries
  // after failures without an answer (no connection, no response in time).
  // Answers that ask to wait (429, 503 with Retry-After) are waited for as
  // the retry policy says.
  void set_request_timeout(Millis timeout) { request_timeout_ = timeout; }

 private:
  // A host whose requests failed at the transport (no connection, no answer
  // in time) after every retry is not asked again in this run: its later
  // requests fail at once with kUnavailable naming the first failure, so
  // one unreachable vault costs one timeout, not one per object.
  Status CheckHostAnswers(const std::string& url) const;
  void NoteTransportFailure(const std::string& url, const Result<HttpResponse>& r);
  using Deadline = std::chrono::steady_clock::time_point;
  Deadline DeadlineFromNow() const;
  void Bound(HttpRequest& request) const;

  HttpTransport& transport_;
  CachingCredential& credential_;
  Retrier& retrier_;
  RateLimiter& limiter_;
  bool allow_insecure_;
  Millis request_timeout_{0};
  std::map<std::string, std::string> down_hosts_;  // lower-case host -> first failure
};

}  // namespace cmk
