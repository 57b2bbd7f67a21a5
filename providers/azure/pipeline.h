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

 private:
  HttpTransport& transport_;
  CachingCredential& credential_;
  Retrier& retrier_;
  RateLimiter& limiter_;
  bool allow_insecure_;
};

}  // namespace cmk
