// Retries for managed-identity token requests, as the Azure SDKs do them.
//
// IMDS answers 404 while an identity is not yet available, 410 while it is
// being updated (Azure asks clients to keep retrying for at least 70 s),
// 429 when throttled and 5xx on transient failures: all are retried with
// exponential backoff (a Retry-After from the server wins, capped). Anything
// else, notably 400 "Identity not found", is final. A connection failure on
// the very first attempt is final too, so that a host without IMDS is
// detected at once (the probe); later connection failures are retried.
// Sleeping goes through an injectable Sleeper so tests never wait. Stateless.
#pragma once

#include "azure/http_transport.h"
#include "azure/retry_policy.h"

namespace cmk {

struct ImdsRetryOptions {
  int max_retries = 5;              // retries after the first attempt
  Millis base_delay{800};           // 0.8 s, 1.6 s, 3.2 s, ...
  Millis gone_base_delay{3000};     // 410: 3 s, 6 s, 12 s, ... (93 s over 5 retries)
  Millis gone_min_total{70000};     // 410: keep retrying until this much was waited
  Millis max_delay{64000};          // one wait
};

bool IsImdsRetryableStatus(int status);
// Wait before retry number `retry` (1 = first retry) after HTTP `status`.
Millis ImdsRetryDelay(const ImdsRetryOptions& options, int retry, int status);

struct ImdsSendResult {
  Result<HttpResponse> response;
  int attempts = 0;
  Millis slept{0};
};

// Sends `request` with the IMDS retry schedule; the last response (or error)
// is returned with how many attempts were made and how long was waited.
ImdsSendResult SendWithImdsRetries(HttpTransport& transport, const HttpRequest& request,
                                   const ImdsRetryOptions& options, const Sleeper& sleeper);

}  // namespace cmk
