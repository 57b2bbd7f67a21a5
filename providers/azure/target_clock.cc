#include "azure/target_clock.h"

#include "base/log.h"

#include "base/duration.h"

namespace cmk {

void TargetClock::Observe(const HttpResponse& response) {
  std::optional<std::string> date = response.Header("Date");
  if (!date) return;
  std::optional<int64_t> t = ParseHttpDate(*date);
  if (!t) {
    CMK_LOG(kDebug, "ignoring a Date header that is not an HTTP date: '", *date, "'");
    return;
  }
  int64_t seen = latest_.load();
  while (*t > seen && !latest_.compare_exchange_weak(seen, *t)) {
  }
}

int64_t TargetClock::Now() const {
  int64_t latest = latest_.load();
  if (latest != kNone) return latest;
  if (!told_fallback_.exchange(true))
    CMK_LOG(kInfo, "no response from the target has carried a Date header yet: using this "
                   "machine's clock as the target's time");
  return local_();
}

Result<HttpResponse> ClockObservingTransport::Send(const HttpRequest& request) {
  Result<HttpResponse> r = inner_.Send(request);
  if (r.ok()) clock_.Observe(*r);
  return r;
}

std::vector<Result<HttpResponse>> ClockObservingTransport::SendAll(
    const std::vector<HttpRequest>& requests) {
  std::vector<Result<HttpResponse>> out = inner_.SendAll(requests);
  for (const auto& r : out)
    if (r.ok()) clock_.Observe(*r);
  return out;
}

}  // namespace cmk
