#include "sluice/fifo.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "sluice/signals.h"

namespace sluice {

PipeArg classify_pipe_arg(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    // A dangling symbolic link is not "nothing": mkfifo would fail on it.
    return lstat(path.c_str(), &st) == 0 ? PipeArg::kOther : PipeArg::kMissing;
  }
  if (S_ISFIFO(st.st_mode)) return PipeArg::kFifo;
  if (S_ISREG(st.st_mode)) return PipeArg::kRegularFile;
  return PipeArg::kOther;
}

bool looks_like_stream_uri(std::string_view arg) {
  for (std::string_view scheme : {"file:", "stdio:", "kafka://", "redis://", "rediss://"}) {
    if (arg.size() >= scheme.size() &&
        std::equal(scheme.begin(), scheme.end(), arg.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      return true;
    }
  }
  return false;
}

NamedPipe::~NamedPipe() {
  close_fd();
  if (created_) unlink(path_.c_str());
}

Status NamedPipe::open(const std::string& path, unsigned mode) {
  path_ = path;
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISFIFO(st.st_mode)) {
      return Status::CannotCreate("'" + path +
                                  "' exists and is not a named pipe (remove "
                                  "it or choose another path)");
    }
    return Status::Ok();  // an existing FIFO: use it, leave it in place
  }
  if (mkfifo(path.c_str(), static_cast<mode_t>(mode)) != 0) {
    int err = errno;
    Status s = Status::FromErrno(err, "cannot create named pipe '" + path + "'",
                                 StatusCode::kCannotCreate);
    // Whatever the errno, failing to make the pipe is "cannot create".
    return Status::CannotCreate(s.message());
  }
  created_ = true;
  return Status::Ok();
}

Result<int> NamedPipe::open_for_reading() {
  close_fd();
  fd_ = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    return Status::FromErrno(errno, "cannot open named pipe '" + path_ + "'");
  }
  return fd_;
}

Result<int> NamedPipe::wait_for_reader() {
  close_fd();
  for (;;) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ >= 0) break;
    if (errno != ENXIO && errno != EINTR) {
      return Status::FromErrno(errno, "cannot open named pipe '" + path_ + "'");
    }
    if (stop_requested()) return Status::TryAgain("interrupted");
    struct pollfd p = {stop_fd(), POLLIN, 0};
    ::poll(&p, stop_fd() >= 0 ? 1 : 0, 10);
    if (stop_requested()) return Status::TryAgain("interrupted");
  }
  // Writes block while the reader is slow; EPIPE tells when it left.
  int flags = fcntl(fd_, F_GETFL);
  fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
  return fd_;
}

void NamedPipe::close_fd() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace sluice
