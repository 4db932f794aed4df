// run_shell_command and append_event_env (see sluice/command.h).
#include "sluice/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace sluice {

std::string CommandOutcome::describe(std::chrono::milliseconds timeout) const {
  if (stopped) return "cut short by a stop";
  if (timed_out) return "timed out after " + std::to_string(timeout.count()) + " ms";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit status " + std::to_string(exit_code);
}

namespace {

using Clock = std::chrono::steady_clock;

bool stop_requested_by(const CommandStop* stop) {
  return stop != nullptr && stop->requested && stop->requested();
}

// Writes `input` into the child's stdin without blocking past `deadline`
// or a stop.
void feed(int fd, std::string_view input, Clock::time_point deadline, bool bounded,
          const CommandStop* stop) {
  size_t off = 0;
  while (off < input.size()) {
    if (stop_requested_by(stop)) return;
    ssize_t n = write(fd, input.data() + off, input.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      int wait_ms = 100;
      if (bounded) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return;
        wait_ms = static_cast<int>(std::min<long long>(left, 100));
      }
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, wait_ms);
      continue;
    }
    return;  // EPIPE: the command does not read its stdin, which is fine
  }
}

// Cuts the command short: SIGTERM to its process group, then SIGKILL to
// what is left of the group after the grace period. Reaps the shell.
void cut_short(pid_t pid, int* status, std::chrono::milliseconds grace) {
  kill(-pid, SIGTERM);
  kill(pid, SIGTERM);
  const Clock::time_point kill_at = Clock::now() + grace;
  bool reaped = false;
  auto nap = std::chrono::microseconds(200);
  while (Clock::now() < kill_at) {
    if (!reaped) {
      const pid_t r = waitpid(pid, status, WNOHANG);
      reaped = r == pid || (r < 0 && errno != EINTR);
    }
    // Done once the shell is reaped and nothing of its group is left.
    if (reaped && kill(-pid, 0) != 0 && errno == ESRCH) return;
    std::this_thread::sleep_for(nap);
    if (nap < std::chrono::milliseconds(10)) nap *= 2;
  }
  kill(-pid, SIGKILL);
  kill(pid, SIGKILL);
  if (!reaped) {
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace

Result<CommandOutcome> run_shell_command(const std::string& command, std::string_view input,
                                         const std::vector<std::string>& env,
                                         std::chrono::milliseconds timeout,
                                         const CommandStop* stop) {
  // Everything the child needs is built before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> merged;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    const std::string_view name = entry.substr(0, entry.find('=') + 1);
    bool overridden = false;
    for (const std::string& x : env) {
      if (x.compare(0, name.size(), name) == 0) {
        overridden = true;
        break;
      }
    }
    if (!overridden) merged.emplace_back(entry);
  }
  merged.insert(merged.end(), env.begin(), env.end());
  std::vector<char*> envp;
  envp.reserve(merged.size() + 1);
  for (std::string& s : merged) envp.push_back(s.data());
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::FromErrno(errno, "pipe", StatusCode::kUnavailable);
  const pid_t pid = fork();
  if (pid < 0) {
    const int err = errno;
    close(fds[0]);
    close(fds[1]);
    return Status::FromErrno(err, "fork", StatusCode::kUnavailable);
  }
  if (pid == 0) {
    setpgid(0, 0);
    struct sigaction sa;
    std::memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD})
      sigaction(sig, &sa, nullptr);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    if (dup2(fds[0], 0) < 0) _exit(127);
    execve("/bin/sh", const_cast<char* const*>(argv), envp.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also here, so a kill after a fast return finds the group
  close(fds[0]);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  const bool bounded = timeout.count() > 0;
  const Clock::time_point deadline = Clock::now() + timeout;
  feed(fds[1], input, deadline, bounded, stop);
  close(fds[1]);

  CommandOutcome out;
  int status = 0;
  auto nap = std::chrono::microseconds(200);
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) {
      out.exit_code = -1;
      return out;
    }
    if (stop_requested_by(stop)) {
      cut_short(pid, &status, stop->grace);
      out.stopped = true;
      if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
      return out;
    }
    if (bounded && Clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      out.timed_out = true;
      out.signal = SIGKILL;
      return out;
    }
    std::this_thread::sleep_for(nap);
    if (nap < std::chrono::milliseconds(10)) nap *= 2;
  }
  if (WIFEXITED(status)) out.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

void append_event_env(std::string_view event, std::vector<std::string>& env) {
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(event);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return;
  for (auto field : obj) {
    std::string_view name;
    if (field.unescaped_key().get(name) || name.empty()) return;
    std::string var = "SLUICE_";
    for (char c : name) {
      const unsigned char u = static_cast<unsigned char>(c);
      var += std::isalnum(u) && u < 0x80 ? static_cast<char>(std::toupper(u)) : '_';
    }
    simdjson::ondemand::value v = field.value();
    simdjson::ondemand::json_type t{};
    if (v.type().get(t)) return;
    std::string_view text;
    switch (t) {
      case simdjson::ondemand::json_type::string:
        if (v.get_string().get(text)) return;
        break;
      case simdjson::ondemand::json_type::number:
      case simdjson::ondemand::json_type::boolean:
        text = v.raw_json_token();
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
          text.remove_suffix(1);
        break;
      case simdjson::ondemand::json_type::null:
        break;
      default:
        continue;  // objects and arrays are skipped over by the loop
    }
    if (text.find('\0') != std::string_view::npos) continue;
    var += '=';
    var += text;
    env.push_back(std::move(var));
  }
}

}  // namespace sluice
