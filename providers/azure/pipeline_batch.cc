// Pipeline::SendAll: the batch twin of Pipeline::Send (see pipeline.h).
#include "base/log.h"

#include <algorithm>

#include "azure/pipeline.h"

namespace cmk {
namespace {

void AddDefaultHeaders(HttpRequest& r) {
  if (!r.headers.count("Accept")) r.headers["Accept"] = "application/json";
  if (!r.body.empty() && !r.headers.count("Content-Type"))
    r.headers["Content-Type"] = "application/json";
}

}  // namespace

std::vector<Result<HttpResponse>> Pipeline::SendAll(std::vector<BatchRequest> batch) {
  const size_t n = batch.size();
  const RetryOptions& ro = retrier_.options();
  std::vector<std::optional<Result<HttpResponse>>> results(n);
  std::vector<int> attempts(n, 0);
  std::vector<bool> refreshed(n, false);
  std::vector<size_t> pending;
  for (size_t i = 0; i < n; ++i) {
    BatchRequest& b = batch[i];
    if (!IsIdempotentMethod(b.request.method)) {
      results[i] = InvalidArgument("a " + b.request.method + " cannot be sent in a batch");
      continue;
    }
    if (!b.scope.empty()) {
      if (Status s = CheckBearerUrl(b.request.url); !s.ok()) {
        results[i] = s;
        continue;
      }
    }
    if (Status s = CheckHostAnswers(b.request.url); !s.ok()) {
      results[i] = s;
      continue;
    }
    AddDefaultHeaders(b.request);
    pending.push_back(i);
  }

  Millis slept{0};
  const Deadline deadline = DeadlineFromNow();  // the batch's requests share one
  for (int round = 1; !pending.empty(); ++round) {
    std::vector<size_t> sent;
    std::vector<HttpRequest> requests;
    for (size_t i : pending) {
      BatchRequest& b = batch[i];
      Bound(b.request);
      limiter_.Acquire(b.cls, b.rate_key);
      if (!b.scope.empty()) {
        Result<AccessToken> token = credential_.GetToken(b.scope);
        if (!token.ok()) {
          results[i] = Unauthenticated(token.status().message());
          continue;
        }
        b.request.headers["Authorization"] = "Bearer " + token->token;
      }
      sent.push_back(i);
      requests.push_back(b.request);
    }
    std::vector<Result<HttpResponse>> got = transport_.SendAll(requests);

    std::vector<size_t> again;
    Millis wait{0};
    for (size_t k = 0; k < sent.size() && k < got.size(); ++k) {
      size_t i = sent[k];
      const BatchRequest& b = batch[i];
      Result<HttpResponse>& r = got[k];
      if (r.ok() && r->status == 401 && !b.scope.empty() && !refreshed[i]) {
        // As Send: drop the cached token and try once more with a fresh one.
        refreshed[i] = true;
        credential_.Invalidate(b.scope);
        again.push_back(i);
        results[i] = std::move(r);
        continue;
      }
      ++attempts[i];
      if (Retrier::IsRetryable(r) && attempts[i] < ro.max_attempts) {
        Millis delay = retrier_.DelayAfter(r, attempts[i]);
        // No answer at all: retried only while the timeout lasts.
        bool unanswered_too_long =
            !r.ok() && deadline != Deadline::max() && std::chrono::steady_clock::now() + delay >= deadline;
        if (!unanswered_too_long) {
          wait = std::max(wait, delay);
          again.push_back(i);
        }
      }
      results[i] = std::move(r);
    }
    if (again.empty()) break;
    if (slept + wait > ro.max_total_delay) {
      CMK_LOG(kDebug, "batch: giving up on ", again.size(), " request(s), next wait ", wait.count(),
              " ms exceeds the total budget");
      break;
    }
    if (wait.count() > 0) {
      CMK_LOG(kDebug, "batch: round ", round, " leaves ", again.size(),
              " request(s) to retry; waiting ", wait.count(), " ms");
      retrier_.Sleep(wait);
      slept += wait;
    }
    pending = std::move(again);
  }

  for (size_t i = 0; i < n; ++i)
    if (results[i]) NoteTransportFailure(batch[i].request.url, *results[i]);
  std::vector<Result<HttpResponse>> out;
  out.reserve(n);
  for (auto& r : results)
    out.push_back(r ? std::move(*r) : Result<HttpResponse>(Internal("batch request was not sent")));
  return out;
}

}  // namespace cmk
