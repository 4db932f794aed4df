#include "sluice/signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace sluice {
namespace {
volatile int g_stop = 0;
volatile sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
  int saved = errno;
  g_stop = 1;
  g_signal = sig;
  if (g_pipe[1] >= 0) (void)!write(g_pipe[1], "s", 1);
  errno = saved;
}
}  // namespace

void install_stop_handlers() {
  if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    g_pipe[0] = g_pipe[1] = -1;
  }
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

const volatile int* stop_flag() {
  return &g_stop;
}
int stop_fd() {
  return g_pipe[0];
}
int stop_signal() {
  return g_signal;
}

}  // namespace sluice
