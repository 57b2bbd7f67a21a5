#include "azure/pipeline.h"

#include "base/strings.h"
#include "base/url.h"

#include "base/log.h"

namespace cmk {

Pipeline::Pipeline(HttpTransport& transport, CachingCredential& credential, Retrier& retrier,
                   RateLimiter& limiter, bool allow_insecure_http_for_tests)
    : transport_(transport),
      credential_(credential),
      retrier_(retrier),
      limiter_(limiter),
      allow_insecure_(allow_insecure_http_for_tests) {}

Status Pipeline::CheckBearerUrl(const std::string& url) const {
  CMK_ASSIGN_OR_RETURN(UrlParts p, ParseUrl(url));
  if (p.scheme == "https" || (allow_insecure_ && p.scheme == "http")) return Status::Ok();
  return InvalidArgument("refusing to send a bearer token over " + p.scheme + " to " + p.host +
                         ": Azure endpoints must be https");
}

Status Pipeline::CheckHostAnswers(const std::string& url) const {
  if (down_hosts_.empty()) return Status::Ok();
  auto parts = ParseUrl(url);
  if (!parts.ok()) return Status::Ok();
  auto it = down_hosts_.find(Lower(parts->host));
  if (it == down_hosts_.end()) return Status::Ok();
  return Unavailable(parts->host + " did not answer earlier in this run (" + it->second + ")");
}

Pipeline::Deadline Pipeline::DeadlineFromNow() const {
  if (request_timeout_.count() <= 0) return Deadline::max();
  return std::chrono::steady_clock::now() + request_timeout_;
}

void Pipeline::Bound(HttpRequest& request) const {
  if (request_timeout_.count() > 0) request.timeout = std::min(request.timeout, request_timeout_);
}

void Pipeline::NoteTransportFailure(const std::string& url, const Result<HttpResponse>& r) {
  if (r.ok() || r.status().code() != StatusCode::kUnavailable) return;
  auto parts = ParseUrl(url);
  if (parts.ok()) down_hosts_.try_emplace(Lower(parts->host), r.status().message());
}

Result<HttpResponse> Pipeline::Send(HttpRequest request, const std::string& scope, RateClass cls,
                                    const std::string& rate_key, SendOptions options,
                                    bool* applied_elsewhere) {
  if (!scope.empty()) CMK_RETURN_IF_ERROR(CheckBearerUrl(request.url));
  CMK_RETURN_IF_ERROR(CheckHostAnswers(request.url));
  const Deadline deadline = DeadlineFromNow();
  if (deadline != Deadline::max()) options.deadline = deadline;
  if (!request.headers.count("Accept")) request.headers["Accept"] = "application/json";
  if (!request.body.empty() && !request.headers.count("Content-Type"))
    request.headers["Content-Type"] = "application/json";
  auto caller_hook = options.before_attempt;
  options.before_attempt = [&, caller_hook](HttpRequest& r) -> Status {
    Bound(r);
    limiter_.Acquire(cls, rate_key);
    if (!scope.empty()) {
      Result<AccessToken> token = credential_.GetToken(scope);
      if (!token.ok()) return Unauthenticated(token.status().message());
      r.headers["Authorization"] = "Bearer " + token->token;
    }
    return caller_hook ? caller_hook(r) : Status::Ok();
  };
  Result<HttpResponse> r = retrier_.Send(transport_, request, options, applied_elsewhere);
  if (r.ok() && r->status == 401 && !scope.empty()) {
    CMK_LOG(kDebug, "HTTP 401 from ", request.url.substr(0, request.url.find('?')),
            ": refreshing the token for ", scope, " and retrying once");
    credential_.Invalidate(scope);
    r = retrier_.Send(transport_, request, options, applied_elsewhere);
  }
  NoteTransportFailure(request.url, r);
  return r;
}

}  // namespace cmk
