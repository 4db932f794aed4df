#include "sluice/status.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace sluice {

Status Status::FromErrno(int err, std::string_view what, StatusCode fallback) {
  StatusCode c = fallback;
  switch (err) {
    case EACCES:
    case EPERM:
      c = StatusCode::kPermissionDenied;
      break;
    case ENOENT:
    case ENOTDIR:
      c = StatusCode::kNotFound;
      break;
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EROFS:  // the medium, not the user's rights: an I/O error (74)
      c = StatusCode::kIoError;
      break;
    case EPIPE:
      c = StatusCode::kClosed;
      break;
    case EAGAIN:
    case EINTR:
    case ENXIO:  // a FIFO opened for writing has no reader yet
      c = StatusCode::kTryAgain;
      break;
    case ECONNREFUSED:
    case EHOSTUNREACH:
    case ENETUNREACH:
      c = StatusCode::kUnavailable;
      break;
    default:
      break;
  }
  std::string m(what);
  m += ": ";
  size_t reason = m.size();
  m += std::strerror(err);
  // Messages are lowercase: "no space left on device", as in DESIGN.md.
  if (m[reason] >= 'A' && m[reason] <= 'Z' &&
      !(m.size() > reason + 1 && m[reason + 1] >= 'A' && m[reason + 1] <= 'Z')) {
    m[reason] = static_cast<char>(m[reason] - 'A' + 'a');
  }
  return Status(c, std::move(m));
}

ExitCode Status::exit_code() const {
  switch (code_) {
    case StatusCode::kOk:
    case StatusCode::kEndOfStream:
    case StatusCode::kClosed:
      return ExitCode::kOk;
    case StatusCode::kInvalidArgument:
      return ExitCode::kUsage;
    case StatusCode::kBadData:
      return ExitCode::kDataErr;
    case StatusCode::kNotFound:
      return ExitCode::kNoInput;
    case StatusCode::kUnavailable:
      return ExitCode::kUnavailable;
    case StatusCode::kInternal:
      return ExitCode::kSoftware;
    case StatusCode::kCannotCreate:
      return ExitCode::kCantCreate;
    case StatusCode::kIoError:
      return ExitCode::kIoErr;
    case StatusCode::kTryAgain:
    case StatusCode::kTimedOut:
      return ExitCode::kTempFail;
    case StatusCode::kPermissionDenied:
      return ExitCode::kNoPerm;
    case StatusCode::kConfig:
      return ExitCode::kConfig;
  }
  return ExitCode::kSoftware;
}

Status Status::With(std::string_view context) const {
  if (ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

namespace {
std::string& prog() {
  static std::string name = "sluice";
  return name;
}
void default_warning(std::string_view text) {
  std::string line = prog();
  line += ": warning: ";
  line += text;
  line += '\n';
  fwrite(line.data(), 1, line.size(), stderr);
}
WarningHandler g_handler = default_warning;
std::mutex g_warn_mu;
}  // namespace

void set_program_name(std::string_view name) {
  prog() = std::string(name);
}
const std::string& program_name() {
  return prog();
}
void set_warning_handler(WarningHandler handler) {
  g_handler = handler ? handler : default_warning;
}
void warn(std::string_view text) {
  std::lock_guard<std::mutex> lock(g_warn_mu);
  g_handler(text);
}

}  // namespace sluice
