#include "sluice/sink.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "sluice/env.h"

namespace sluice {

namespace {
constexpr uint64_t kMaxWindow = 1u << 16;
constexpr size_t kCompactBytes = 1u << 20;
// A committing reader keeps each record written to a regular file until a
// fdatasync covers it; past this many unsynced bytes flush() syncs at once,
// so memory stays bounded however long the commit interval (one sync per
// 16 MiB costs little next to writing them).
constexpr uint64_t kMaxUnsyncedBytes = 16u << 20;
}  // namespace

OutputSink::OutputSink(int fd, bool exact) : fd_(fd), exact_(exact) {
  detect_kind();
  grow_pipe();
}

void OutputSink::grow_pipe() {
  // A 64 KiB pipe makes writer and reader take turns every 64 KiB; a
  // larger one (up to the system's pipe-max-size) halves tap's wall time
  // into a pipe. Best effort: a failure leaves the default.
  if (kind_ == Kind::kPipe) (void)fcntl(fd_, F_SETPIPE_SZ, 1 << 20);
}

void OutputSink::detect_kind() {
  struct stat st;
  kind_ = Kind::kOther;
  if (fstat(fd_, &st) == 0) {
    if (S_ISFIFO(st.st_mode)) kind_ = Kind::kPipe;
    if (S_ISREG(st.st_mode)) kind_ = Kind::kFile;
  }
}

uint64_t OutputSink::pipe_taken_bytes() const {
  int unread = 0;
  if (ioctl(fd_, FIONREAD, &unread) != 0 || unread < 0) return written_;
  return written_ - std::min<uint64_t>(written_, static_cast<uint64_t>(unread));
}

bool OutputSink::reader_gone() const {
  if (kind_ != Kind::kPipe) return false;
  struct pollfd p = {fd_, 0, 0};
  return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) != 0;
}

void OutputSink::release_taken(uint64_t taken_bytes) {
  while (!ends_.empty() && ends_.front() <= taken_bytes) {
    released_ = ends_.front();
    ends_.pop_front();
    ++records_base_;
  }
  compact();
}

void OutputSink::compact() {
  uint64_t drop = released_ - base_;
  if (drop == 0) return;
  if (drop == buf_.size()) {
    buf_.clear();
  } else if (drop >= kCompactBytes && drop * 2 >= buf_.size()) {
    buf_.erase(0, drop);
  } else {
    return;
  }
  base_ = released_;
}

uint64_t OutputSink::taken() {
  switch (kind_) {
    case Kind::kPipe:
      release_taken(pipe_taken_bytes());
      break;
    case Kind::kFile:
      // Only a committing reader (exact) needs data on disk first.
      release_taken(exact_ ? synced_ : written_);
      break;
    case Kind::kOther:
      release_taken(written_);
      break;
  }
  return records_base_;
}

Status OutputSink::write_upto(uint64_t end) {
  while (written_ < end) {
    const char* p = buf_.data() + (written_ - base_);
    ssize_t n = ::write(fd_, p, end - written_);
    if (n > 0) {
      written_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      if (stopped()) return Status::TryAgain("interrupted");
      continue;
    }
    if (n < 0 && errno == EAGAIN) {
      struct pollfd pfd = {fd_, POLLOUT, 0};
      poll(&pfd, 1, 100);
      if (stopped()) return Status::TryAgain("interrupted");
      continue;
    }
    if (n < 0 && errno == EPIPE) return Status::Closed("reader went away");
    return Status::FromErrno(n < 0 ? errno : EIO, "cannot write output");
  }
  return Status::Ok();
}

Status OutputSink::flush() {
  const uint64_t end = base_ + buf_.size();
  if (!(exact_ && kind_ == Kind::kPipe)) {
    Status st = write_upto(end);
    if (st.ok() && exact_ && kind_ == Kind::kFile && written_ - synced_ >= kMaxUnsyncedBytes) {
      st = sync();
    }
    taken();  // releases what no longer needs keeping
    return st;
  }

  // Slow start: never more than window_ records in the pipe, so a reader
  // that takes one record and leaves lets us commit exactly one. The window
  // doubles whenever the reader took more since the last look: waiting for
  // the pipe to run empty instead kept it small whenever the reader was a
  // little behind (a busy machine), and every few records became a sleep.
  int idle_us = 50;
  uint64_t seen_taken = pipe_taken_bytes();
  while (written_ < end) {
    uint64_t taken_bytes = pipe_taken_bytes();
    if (taken_bytes > seen_taken) {
      window_ = std::min(window_ * 2, kMaxWindow);
      seen_taken = taken_bytes;
    }
    release_taken(taken_bytes);
    auto first_unwritten = std::upper_bound(ends_.begin(), ends_.end(), written_);
    size_t in_pipe = static_cast<size_t>(first_unwritten - ends_.begin());
    if (in_pipe == 0 && written_ > released_) in_pipe = 1;  // partial record
    if (in_pipe < window_) {
      size_t allowed = window_ - in_pipe;
      size_t idx = static_cast<size_t>(first_unwritten - ends_.begin());
      size_t last = std::min(ends_.size(), idx + allowed);
      uint64_t upto = last > idx ? ends_[last - 1] : end;
      if (Status st = write_upto(std::min(upto, end)); !st.ok()) {
        taken();
        return st;
      }
      idle_us = 50;
      continue;
    }
    if (taken_bytes == written_) {
      window_ = std::min(window_ * 2, kMaxWindow);
      continue;
    }
    if (reader_gone()) {
      // The pipe still holds what the reader left unread: settle now, so
      // the next reader starts at the first record not read in full.
      taken();
      return Status::Closed("reader went away");
    }
    if (stopped()) return Status::TryAgain("interrupted");
    std::this_thread::sleep_for(std::chrono::microseconds(idle_us));
    idle_us = std::min(idle_us * 2, 1000);
  }
  if (pipe_taken_bytes() == written_) window_ = std::min(window_ * 2, kMaxWindow);
  return Status::Ok();
}

Status OutputSink::drain() {
  return drain_until(std::nullopt);
}

Status OutputSink::drain(std::chrono::milliseconds timeout) {
  return drain_until(std::chrono::steady_clock::now() + timeout);
}

Status OutputSink::drain_until(std::optional<std::chrono::steady_clock::time_point> deadline) {
  SLUICE_RETURN_IF_ERROR(flush());
  if (kind_ == Kind::kFile) return sync();
  if (kind_ != Kind::kPipe) return Status::Ok();
  int idle_us = 50;
  while (pipe_taken_bytes() < written_) {
    if (reader_gone()) {
      // The pipe still holds what the reader left unread: settle now, so
      // the next reader starts at the first record not read in full.
      taken();
      return Status::Closed("reader went away");
    }
    if (stopped()) return Status::TryAgain("interrupted");
    if (deadline && std::chrono::steady_clock::now() >= *deadline) {
      taken();
      return Status::TimedOut("the reader has not taken every record");
    }
    std::this_thread::sleep_for(std::chrono::microseconds(idle_us));
    idle_us = std::min(idle_us * 2, 1000);
  }
  taken();
  return Status::Ok();
}

Status OutputSink::sync() {
  if (kind_ != Kind::kFile || synced_ == written_) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(Env::Default()->fdatasync(fd_).With("cannot sync output"));
  synced_ = written_;
  return Status::Ok();
}

void OutputSink::reattach(int fd) {
  fd_ = fd;
  detect_kind();
  grow_pipe();
  written_ = released_;
  synced_ = released_;
  window_ = 1;
}

}  // namespace sluice
