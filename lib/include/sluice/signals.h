// Stop signals for the tools: SIGINT, SIGTERM and SIGHUP only set a flag
// (and write a byte to a self-pipe so a poll() wakes up); the tools' loops
// then drain and acknowledge before exiting. SIGPIPE is ignored so a closed
// reader shows up as EPIPE, a normal end.
//
// Handlers are installed without SA_RESTART, so blocking calls return EINTR
// and loops get a chance to look at the flag.
#pragma once

namespace sluice {

// Installs the handlers once per process. Not thread-safe; call from main().
void install_stop_handlers();
// The flag the handlers set (non-zero after the first stop signal). Lives
// for the whole process.
const volatile int* stop_flag();
inline bool stop_requested() {
  return *stop_flag() != 0;
}
// Readable once a stop signal arrived; add it to poll() sets.
int stop_fd();
// The signal number that requested the stop, or 0.
int stop_signal();

}  // namespace sluice
