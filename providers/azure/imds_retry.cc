#include "azure/imds_retry.h"

#include "base/log.h"

#include <algorithm>
#include <ctime>

namespace cmk {

bool IsImdsRetryableStatus(int status) {
  return status == 404 || status == 410 || status == 429 || (status >= 500 && status <= 599);
}

Millis ImdsRetryDelay(const ImdsRetryOptions& options, int retry, int status) {
  Millis base = status == 410 ? std::max(options.base_delay, options.gone_base_delay)
                              : options.base_delay;
  int64_t ms = base.count();
  for (int i = 1; i < retry && ms < options.max_delay.count(); ++i) ms *= 2;
  return std::min(Millis(ms), options.max_delay);
}

ImdsSendResult SendWithImdsRetries(HttpTransport& transport, const HttpRequest& request,
                                   const ImdsRetryOptions& options, const Sleeper& sleeper) {
  ImdsSendResult out{transport.Send(request), 1, Millis(0)};
  bool reached = out.response.ok();
  for (int retry = 1;; ++retry) {
    const Result<HttpResponse>& r = out.response;
    int status = r.ok() ? r->status : 0;
    bool retryable = r.ok() ? IsImdsRetryableStatus(status)
                            : reached && r.status().code() == StatusCode::kUnavailable;
    if (!retryable) return out;
    Millis delay = ImdsRetryDelay(options, retry, status);
    bool gone_budget_left =
        status == 410 && out.slept < options.gone_min_total && delay.count() > 0;
    if (retry > options.max_retries && !gone_budget_left) return out;
    if (r.ok()) {
      if (std::optional<Millis> server =
              ServerRetryAfter(*r, static_cast<int64_t>(std::time(nullptr))))
        delay = std::min(std::max(*server, delay), options.max_delay);
    }
    CMK_LOG(kDebug, "managed identity: token request got ",
            r.ok() ? "HTTP " + std::to_string(status) : r.status().message(), "; retry ", retry,
            " in ", delay.count(), " ms");
    sleeper(delay);
    out.slept += delay;
    out.response = transport.Send(request);
    ++out.attempts;
    reached |= out.response.ok();
  }
}

}  // namespace cmk
