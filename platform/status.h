// Status and Result<T>: the one way fallible calls report failure in shoko.
//
// No exception crosses a module boundary. A Status carries a small kind, used to
// pick exit codes and retry policy, and a message that names the thing at fault
// ("/etc/shoko/agent.yaml:7: interval: not a duration").
#ifndef SHOKO_PLATFORM_STATUS_H_
#define SHOKO_PLATFORM_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace shoko {

// [[nodiscard]]: a Status dropped on the floor is an error ignored.
class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kNotFound,
    kInvalidArgument,  // bad input: config, flag, host file, peer message
    kCorruption,       // stored data failed an integrity check
    kIOError,
    kPermissionDenied,
    kUnavailable,  // a needed service cannot be reached
    kNotSupported,
    kInternal,
  };

  Status() = default;  // OK
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status NotSupported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }
  // A Status of kind `code` (another room's code mapped to ours, e.g. gRPC's).
  static Status FromCode(Code code, std::string msg) { return {code, std::move(msg)}; }
  // An I/O failure described by errno, e.g. FromErrno("open /etc/x", ENOENT) is NotFound.
  static Status FromErrno(std::string_view what, int err);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  const std::string& message() const { return message_; }
  // The message, prefixed with the kind for anything but OK.
  std::string ToString() const;
  // A copy whose message is "context: message".
  Status WithContext(std::string_view context) const;
  // A copy whose message is "message (note)".
  Status WithNote(std::string_view note) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // By value, so that `for (x : *MakeResult())` does not dangle.
  T operator*() && { return std::move(*this).value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace shoko

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define SHOKO_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::shoko::Status shoko_status_ = (expr);        \
    if (!shoko_status_.ok()) return shoko_status_; \
  } while (0)

#define SHOKO_STATUS_CONCAT_(a, b) a##b
#define SHOKO_STATUS_CONCAT(a, b) SHOKO_STATUS_CONCAT_(a, b)
// `SHOKO_ASSIGN_OR_RETURN(auto x, MakeX());` declares `x` from the Result's
// value, or returns its Status from the enclosing function.
#define SHOKO_ASSIGN_OR_RETURN(lhs, expr) \
  SHOKO_ASSIGN_OR_RETURN_(SHOKO_STATUS_CONCAT(shoko_result_, __LINE__), lhs, expr)
#define SHOKO_ASSIGN_OR_RETURN_(result, lhs, expr) \
  auto result = (expr);                            \
  if (!result.ok()) return result.status();        \
  lhs = std::move(result).value()

#endif  // SHOKO_PLATFORM_STATUS_H_
