// Running a shell command for one event (trigger --exec): the event goes on
// the command's stdin as one line, its top-level scalar fields into the
// environment, and the command is killed when it runs past a timeout.
//
// The child runs `/bin/sh -c COMMAND` in a process group of its own (so a
// timeout kills the pipeline it started, not only the shell), with default
// signal dispositions and the parent's stdout and stderr. Its stdin is a
// pipe that the parent writes the input into and then closes; a command that
// does not read its stdin is not an error. No file descriptor of the parent
// leaks into it except 0, 1 and 2 (everything else is close-on-exec in
// libsluice).
//
// A command can also be cut short from outside (trigger's stop signals):
// its process group gets SIGTERM, then SIGKILL once a grace period passed.
//
// Thread safety: run_shell_command may be called from several threads at
// once (it uses fork and waitpid on its own child only).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice {

struct CommandOutcome {
  int exit_code = -1;      // when exited normally
  int signal = 0;          // when killed by a signal (also set on timeout)
  bool timed_out = false;  // killed by us after the timeout
  bool stopped = false;    // cut short by CommandStop
  bool ok() const { return exit_code == 0 && !timed_out && !stopped && signal == 0; }
  // "exit status 3", "killed by signal 9", "timed out after 5000 ms",
  // "cut short by a stop".
  std::string describe(std::chrono::milliseconds timeout) const;
};

// How a running command is cut short: `requested` is asked every few
// milliseconds (from the thread that runs the command); once it returns
// true the command's process group gets SIGTERM, and SIGKILL when any of it
// is still there after `grace`.
struct CommandStop {
  std::function<bool()> requested;
  std::chrono::milliseconds grace{2000};
};

// Runs `command` through /bin/sh -c with `input` on its stdin and `env`
// ("NAME=VALUE" entries) added to (and overriding) the environment.
// timeout <= 0: no limit. With `stop`, the command is cut short as
// CommandStop says (the outcome is then `stopped`). Errors (kUnavailable) only when the command
// could not be started at all (fork or pipe failed); a command that ran and failed is an outcome,
// not an error.
Result<CommandOutcome> run_shell_command(const std::string& command, std::string_view input,
                                         const std::vector<std::string>& env,
                                         std::chrono::milliseconds timeout,
                                         const CommandStop* stop = nullptr);

// Appends SLUICE_<NAME>=<value> to `env` for each top-level field of the
// JSON object `event` whose value is a scalar: strings as their text,
// numbers and booleans as written, null as the empty string. NAME is the
// field name in upper case with every character other than A-Z, 0-9 and _
// replaced by _; a field whose name is empty, or whose value holds a NUL, is
// left out. Nothing is appended when the event is not a JSON object.
void append_event_env(std::string_view event, std::vector<std::string>& env);

}  // namespace sluice
