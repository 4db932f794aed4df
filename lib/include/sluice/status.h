// Status and Result: how every libsluice call reports failure.
//
// Errors are values at library boundaries: no exception leaves lib/, and lib/
// never exits the process. Each Status carries a code that maps one-to-one to
// a sysexits(3) exit status, so a tool's main() only has to return
// status.exit_code(). Messages follow the toolkit's convention: lowercase,
// no trailing full stop, the subject quoted, and a hint of what to do.
//
// Status and Result are plain values; they are not thread-safe to mutate
// concurrently but may be copied across threads freely.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sluice {

// sysexits(3) values, the only exit statuses the tools use.
enum class ExitCode : int {
  kOk = 0,
  kUsage = 64,        // bad flag or argument, malformed URI
  kDataErr = 65,      // input data was malformed
  kNoInput = 66,      // an input file or stream does not exist
  kUnavailable = 69,  // a server or service cannot be reached
  kSoftware = 70,     // internal error (a bug)
  kCantCreate = 73,   // cannot create an output file or pipe
  kIoErr = 74,        // read/write error
  kTempFail = 75,     // temporary failure, retrying later may work
  kNoPerm = 77,       // permission or authentication denied
  kConfig = 78,       // configuration error
};

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,   // -> 64
  kBadData,           // -> 65
  kNotFound,          // -> 66
  kUnavailable,       // -> 69
  kInternal,          // -> 70
  kCannotCreate,      // -> 73
  kIoError,           // -> 74
  kTryAgain,          // -> 75
  kPermissionDenied,  // -> 77
  kConfig,            // -> 78
  kEndOfStream,       // not an error: the source has nothing more (--exit)
  kTimedOut,          // a wait ran out; -> 75
  kClosed,            // the other end went away (EPIPE): a normal end, -> 0
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status BadData(std::string m) { return {StatusCode::kBadData, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status CannotCreate(std::string m) { return {StatusCode::kCannotCreate, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status TryAgain(std::string m) { return {StatusCode::kTryAgain, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {StatusCode::kPermissionDenied, std::move(m)};
  }
  static Status Config(std::string m) { return {StatusCode::kConfig, std::move(m)}; }
  static Status EndOfStream() { return {StatusCode::kEndOfStream, "end of stream"}; }
  static Status TimedOut(std::string m) { return {StatusCode::kTimedOut, std::move(m)}; }
  static Status Closed(std::string m) { return {StatusCode::kClosed, std::move(m)}; }

  // Builds a Status from an errno value: "<what>: <strerror>" (its first
  // letter lowercased: "write: no space left on device") with a code chosen
  // from the errno (EACCES -> kPermissionDenied, ENOENT -> kNotFound,
  // ENOSPC/EDQUOT/EIO/EROFS -> kIoError, EPIPE -> kClosed, ...). `fallback` is
  // used for errno values with no better mapping.
  static Status FromErrno(int err, std::string_view what,
                          StatusCode fallback = StatusCode::kIoError);

  bool ok() const { return code_ == StatusCode::kOk; }
  bool is(StatusCode c) const { return code_ == c; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // The sysexits status a tool should exit with for this Status.
  ExitCode exit_code() const;

  // Returns a copy whose message is "<context>: <message>".
  Status With(std::string_view context) const;

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status saying why there is none (std::expected in spirit;
// g++ 12 in C++20 mode has no std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status s) : v_(std::move(s)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

#define SLUICE_RETURN_IF_ERROR(expr)         \
  do {                                       \
    ::sluice::Status sluice_st_ = (expr);    \
    if (!sluice_st_.ok()) return sluice_st_; \
  } while (0)

// Diagnostics: the library reports warnings (a repaired torn tail, records
// lost to retention) through this hook instead of printing. The default
// writes "<program>: warning: <text>" to stderr. Thread-safe to call; set it
// once at start-up before other threads exist.
void set_program_name(std::string_view name);
const std::string& program_name();
using WarningHandler = void (*)(std::string_view text);
void set_warning_handler(WarningHandler handler);
void warn(std::string_view text);

}  // namespace sluice
