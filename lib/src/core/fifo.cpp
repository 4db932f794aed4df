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

PipeArg classify_pipe_arg(const std::string& path, Env* env) {
  switch (env->file_type(path)) {
    case Env::FileType::kFifo:
      return PipeArg::kFifo;
    case Env::FileType::kRegular:
      return PipeArg::kRegularFile;
    case Env::FileType::kMissing:
      // A dangling symbolic link is not "nothing": mkfifo would fail on it.
      return env->file_type(path, /*follow=*/false) == Env::FileType::kMissing ? PipeArg::kMissing
                                                                               : PipeArg::kOther;
    default:
      return PipeArg::kOther;
  }
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
  if (created_) (void)env_->unlink(path_);
}

Status NamedPipe::open(const std::string& path, unsigned mode) {
  path_ = path;
  Env::FileType type = env_->file_type(path, /*follow=*/false);
  if (type == Env::FileType::kFifo) return Status::Ok();  // use it, leave it in place
  if (type != Env::FileType::kMissing) {
    return Status::CannotCreate("'" + path +
                                "' exists and is not a named pipe (remove "
                                "it or choose another path)");
  }
  SLUICE_RETURN_IF_ERROR(env_->mkfifo(path, static_cast<mode_t>(mode)));
  created_ = true;
  return Status::Ok();
}

Result<int> NamedPipe::open_for_reading() {
  close_fd();
  Result<UniqueFd> fd = env_->open(path_, O_RDONLY | O_NONBLOCK);
  if (!fd.ok()) return fd.status();
  fd_ = std::move(*fd);
  return fd_.get();
}

Result<int> NamedPipe::wait_for_reader() {
  close_fd();
  for (;;) {
    Result<UniqueFd> fd = env_->open(path_, O_WRONLY | O_NONBLOCK);
    if (fd.ok()) {
      fd_ = std::move(*fd);
      break;
    }
    // kTryAgain: ENXIO, no reader has the pipe open yet.
    if (!fd.status().is(StatusCode::kTryAgain)) return fd.status();
    if (stop_requested()) return Status::TryAgain("interrupted");
    struct pollfd p = {stop_fd(), POLLIN, 0};
    ::poll(&p, stop_fd() >= 0 ? 1 : 0, 10);
    if (stop_requested()) return Status::TryAgain("interrupted");
  }
  // Writes block while the reader is slow; EPIPE tells when it left.
  int flags = fcntl(fd_.get(), F_GETFL);
  fcntl(fd_.get(), F_SETFL, flags & ~O_NONBLOCK);
  return fd_.get();
}

void NamedPipe::close_fd() {
  fd_.reset();
}

}  // namespace sluice
