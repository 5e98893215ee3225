// Status and Result<T>: how every fallible call in concord reports its outcome.
//
// The record path never throws; a failure is a value. Codes are a short fixed list, and whether a
// failure is worth retrying is decided in one place (IsRetryable), never by callers guessing.
// Both types are plain values: copyable, movable, no shared state, safe to pass between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace concord {

enum class Code {
  kOk = 0,
  kInvalidArgument,    // the input is wrong; retrying the same input fails the same way
  kNotFound,           // a named thing (table, column, record, file) does not exist
  kConflict,           // the target changed under us (constraint, version guard)
  kUnauthenticated,
  kPermissionDenied,
  kUnavailable,        // transient: database locked/busy, server down, connection dropped
  kDeadlineExceeded,   // transient: a timeout
  kResourceExhausted,  // transient: disk full, too many connections
  kDataLoss,           // something that must not happen happened; an operator must act
  kInternal,           // a bug in concord
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "Unavailable: crm: database is locked" — for logs and the CLI.
  std::string ToString() const;

  // Returns a copy whose message is prefixed by `context` ("crm.accounts: ").
  Status WithContext(std::string_view context) const;

  // The one place that decides which failures are transient (worth a retry with backoff).
  bool IsRetryable() const;

  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status ConflictError(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status DataLoss(std::string m) { return {Code::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(data_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(data_);
  }
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace concord

#define CONCORD_CONCAT_INNER(a, b) a##b
#define CONCORD_CONCAT(a, b) CONCORD_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::concord::Status concord_status_ = (expr);      \
    if (!concord_status_.ok()) return concord_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, ResultExpr()) — binds the value or returns the error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CONCORD_CONCAT(concord_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
