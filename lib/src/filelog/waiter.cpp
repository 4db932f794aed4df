// ChangeWaiter: inotify on stream directories (sub-millisecond wake-ups)
// with a 10 ms polling fallback, plus an eventfd so wake() can interrupt a
// wait from a signal handler.

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "filelog/filelog.h"

namespace sluice::filelog {

namespace {
constexpr int kPollFallbackMs = 10;
}

Result<std::unique_ptr<ChangeWaiter>> ChangeWaiter::Create(bool use_inotify) {
  std::unique_ptr<ChangeWaiter> w(new ChangeWaiter());
  int efd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (efd < 0) return Status::FromErrno(errno, "eventfd");
  w->wake_fd_.reset(efd);
  if (use_inotify) {
    int ifd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (ifd >= 0) w->inotify_fd_.reset(ifd);
  }
  w->polling_ = !w->inotify_fd_.valid();
  return w;
}

ChangeWaiter::~ChangeWaiter() = default;

void ChangeWaiter::watch(const std::string& dir) {
  if (!inotify_fd_.valid()) return;
  int wd = ::inotify_add_watch(
      inotify_fd_.get(), dir.c_str(),
      IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB);
  // Out of watches, or the directory is missing: poll instead.
  if (wd < 0) polling_ = true;
}

ChangeWaiter::Event ChangeWaiter::wait(Millis timeout) {
  struct pollfd fds[2];
  fds[0] = {wake_fd_.get(), POLLIN, 0};
  fds[1] = {inotify_fd_.get(), POLLIN, 0};
  int nfds = inotify_fd_.valid() ? 2 : 1;
  int64_t ms = timeout.count();
  if (ms < 0) ms = 0;
  if (polling_ && ms > kPollFallbackMs) ms = kPollFallbackMs;
  int r = ::poll(fds, static_cast<nfds_t>(nfds), static_cast<int>(ms));
  if (r <= 0) {
    // On timeout in polling mode, the caller must look at the files anyway.
    return polling_ && timeout.count() > 0 ? Event::kChanged : Event::kTimedOut;
  }
  if (fds[0].revents & POLLIN) {
    uint64_t v;
    while (::read(wake_fd_.get(), &v, sizeof v) > 0) {
    }
    return Event::kWoken;
  }
  if (nfds == 2 && (fds[1].revents & POLLIN)) {
    // Drain the events: we only need to know that something changed.
    alignas(struct inotify_event) char buf[4096];
    while (::read(inotify_fd_.get(), buf, sizeof buf) > 0) {
    }
  }
  return Event::kChanged;
}

void ChangeWaiter::wake() {
  // write(2) on an eventfd is async-signal-safe; errors (counter full) mean
  // a wake-up is already pending.
  uint64_t one = 1;
  ssize_t r = ::write(wake_fd_.get(), &one, sizeof one);
  (void)r;
}

}  // namespace sluice::filelog
