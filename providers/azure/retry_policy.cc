#include "azure/retry_policy.h"

#include "base/duration.h"

#include "base/log.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <random>
#include <thread>

namespace cmk {

Sleeper RealSleeper() {
  return [](Millis d) { std::this_thread::sleep_for(d); };
}

bool IsRetryableHttpStatus(int status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

bool IsIdempotentMethod(const std::string& method) {
  return method == "GET" || method == "PUT" || method == "PATCH" || method == "DELETE" ||
         method == "HEAD" || method == "OPTIONS";
}

namespace {

std::optional<int64_t> ParseNonNegativeNumber(const std::string& text) {
  std::string t = text;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  size_t i = 0;
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  t = t.substr(i);
  if (t.empty() || t.size() > 12) return std::nullopt;
  // Accept "1.5" style fractions for the -ms headers by truncation.
  size_t dot = t.find('.');
  std::string whole = t.substr(0, dot);
  if (whole.empty() || !std::all_of(whole.begin(), whole.end(), ::isdigit)) return std::nullopt;
  return std::stoll(whole);
}

}  // namespace

std::optional<Millis> ServerRetryAfter(const HttpResponse& response, int64_t now_unix) {
  for (const char* name : {"retry-after-ms", "x-ms-retry-after-ms"}) {
    if (auto v = response.Header(name)) {
      if (auto ms = ParseNonNegativeNumber(*v)) return Millis(*ms);
    }
  }
  if (auto v = response.Header("Retry-After")) {
    if (auto s = ParseNonNegativeNumber(*v)) return Millis(*s * 1000);
    if (auto when = ParseHttpDate(*v)) {
      std::optional<std::string> date = response.Header("Date");
      std::optional<int64_t> sent = date ? ParseHttpDate(*date) : std::nullopt;
      return Millis(std::max<int64_t>(0, *when - sent.value_or(now_unix)) * 1000);
    }
  }
  return std::nullopt;
}

Millis BackoffDelay(const RetryOptions& options, int retry, double random01) {
  double base = static_cast<double>(options.base_delay.count()) * std::pow(2.0, std::max(0, retry - 1));
  double factor = 1.0 + options.jitter * (2.0 * random01 - 1.0);
  double ms = std::min(base * factor, static_cast<double>(options.max_delay.count()));
  return Millis(static_cast<int64_t>(std::max(0.0, ms)));
}

Retrier::Retrier(RetryOptions options, Sleeper sleeper, std::function<double()> random01,
                 std::function<int64_t()> now_unix)
    : options_(options),
      sleeper_(std::move(sleeper)),
      random01_(std::move(random01)),
      now_unix_(std::move(now_unix)) {}

Retrier::Retrier(RetryOptions options)
    : Retrier(
          options, RealSleeper(),
          [] {
            static thread_local std::mt19937_64 gen{std::random_device{}()};
            return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
          },
          [] { return static_cast<int64_t>(std::time(nullptr)); }) {}

bool Retrier::IsRetryable(const Result<HttpResponse>& result) {
  return result.ok() ? IsRetryableHttpStatus(result->status)
                     : result.status().code() == StatusCode::kUnavailable;
}

Millis Retrier::DelayAfter(const Result<HttpResponse>& result, int attempt) {
  std::optional<Millis> server =
      result.ok() ? ServerRetryAfter(*result, now_unix_()) : std::nullopt;
  return server ? std::min(*server, options_.max_delay)
                : BackoffDelay(options_, attempt, random01_());
}

Result<HttpResponse> Retrier::Send(HttpTransport& transport, HttpRequest request,
                                   const SendOptions& send_options, bool* applied_elsewhere) {
  if (applied_elsewhere != nullptr) *applied_elsewhere = false;
  bool idempotent = send_options.idempotent.value_or(IsIdempotentMethod(request.method));
  // Never resent behind our back by the transport either (see HttpRequest).
  if (!idempotent) request.fresh_connection = true;
  Millis slept{0};
  bool unanswered_before = false;  // an earlier attempt got no answer at all
  for (int attempt = 1;; ++attempt) {
    if (send_options.before_attempt) CMK_RETURN_IF_ERROR(send_options.before_attempt(request));
    Result<HttpResponse> result = transport.Send(request);
    // A DELETE sent again after an attempt whose answer was lost finds the
    // object gone: the lost attempt deleted it. That is the DELETE's success.
    if (request.method == "DELETE" && unanswered_before && result.ok() && result->status == 404) {
      CMK_LOG(kDebug, "retry: DELETE ", request.url.substr(0, request.url.find('?')),
              " finds the object gone after a lost answer; the earlier attempt took effect");
      if (applied_elsewhere != nullptr) *applied_elsewhere = true;
      HttpResponse gone;
      gone.status = 204;
      return gone;
    }
    if (!result.ok()) unanswered_before = true;
    if (!IsRetryable(result)) return result;

    // A non-idempotent request is re-read even after its last attempt: its
    // answer may have been lost after it took effect (the caller then sees
    // `applied_elsewhere`, not a failure of something that happened).
    if (!idempotent) {
      if (!send_options.reread) return result;  // never retried blindly
      Result<bool> happened = send_options.reread();
      if (!happened.ok()) {
        CMK_LOG(kDebug, "retry: re-read after a failed ", request.method, " failed too: ",
                happened.status().ToString());
        return result;
      }
      if (*happened) {
        CMK_LOG(kDebug, "retry: re-read shows the ", request.method,
                " took effect; not sending it again");
        if (applied_elsewhere != nullptr) *applied_elsewhere = true;
        return HttpResponse{};
      }
    }
    if (attempt >= options_.max_attempts) return result;

    Millis delay = DelayAfter(result, attempt);
    if (!result.ok() && send_options.deadline &&
        std::chrono::steady_clock::now() + delay >= *send_options.deadline) {
      CMK_LOG(kDebug, "retry: giving up on a host that has not answered: the next wait ends after the timeout");
      return result;
    }
    if (slept + delay > options_.max_total_delay) {
      CMK_LOG(kDebug, "retry: giving up, next wait ", delay.count(), " ms exceeds the total budget");
      return result;
    }
    CMK_LOG(kDebug, "retry: ", request.method, " ", request.url.substr(0, request.url.find('?')),
            " attempt ", attempt, " got ",
            result.ok() ? std::to_string(result->status) : result.status().ToString(), "; waiting ",
            delay.count(), " ms");
    sleeper_(delay);
    slept += delay;
  }
}

}  // namespace cmk
