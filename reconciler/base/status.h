// Status and Result<T>: errors as values.
//
// Every fallible operation in cmkctl returns a Status (no value) or a Result<T>
// (a value or a Status). Codes are few and coarse; the message is the part a
// user reads, so it names the object involved. Messages must never contain
// secrets (tokens, client secrets, key material). Thread-compatible values.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace cmk {

enum class StatusCode {
  kOk,
  kInvalidArgument,
  kNotFound,
  kConflict,
  kUnavailable,
  kPermissionDenied,
  kFailedPrecondition,
  kInternal,
  // No credential gave a token: nothing can be read or changed (unlike
  // kPermissionDenied, which is about one object or scope).
  kUnauthenticated,
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "not found: key/bank-cmk does not exist" style rendering.
  std::string ToString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  T& value() & { assert(ok()); return std::get<T>(v_); }
  const T& value() const& { assert(ok()); return std::get<T>(v_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(v_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cmk

// Early-return helpers. The macro argument is evaluated once.
#define CMK_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::cmk::Status cmk_status_ = (expr);        \
    if (!cmk_status_.ok()) return cmk_status_; \
  } while (0)

#define CMK_CONCAT_INNER_(a, b) a##b
#define CMK_CONCAT_(a, b) CMK_CONCAT_INNER_(a, b)
#define CMK_ASSIGN_OR_RETURN(lhs, expr) \
  CMK_ASSIGN_OR_RETURN_IMPL_(CMK_CONCAT_(cmk_result_, __LINE__), lhs, expr)
#define CMK_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
