#include <doctest/doctest.h>

#include <csignal>
#include <string>

#include "sluice/command.h"
#include "sluice/webhook.h"

using namespace sluice;

TEST_CASE("webhook: the Standard Webhooks signature of the spec's example") {
  // The example of the Standard Webhooks specification (and svix's docs).
  auto key = decode_webhook_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  REQUIRE(key.ok());
  CHECK(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                          R"({"test": 2432232314})") ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(webhook_signature(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265331,
                          R"({"test": 2432232314})") !=
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK_FALSE(decode_webhook_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").ok());
  CHECK_FALSE(decode_webhook_secret("whsec_").ok());
  CHECK_FALSE(decode_webhook_secret("whsec_!!!").ok());
}

TEST_CASE("webhook: Retry-After as seconds or an HTTP date") {
  using std::chrono::milliseconds;
  CHECK(parse_retry_after("120", 0) == milliseconds(120000));
  CHECK(parse_retry_after("0", 0) == milliseconds(0));
  CHECK(parse_retry_after("", 0) == milliseconds(-1));
  CHECK(parse_retry_after("soon", 0) == milliseconds(-1));
  // 2026-11-27T10:00:00Z is 1795773600.
  CHECK(parse_retry_after("Fri, 27 Nov 2026 10:00:30 GMT", 1795773600) == milliseconds(30000));
  CHECK(parse_retry_after("Fri, 27 Nov 2026 09:00:00 GMT", 1795773600) == milliseconds(0));
  CHECK(parse_retry_after("Fri, 27 Foo 2026 10:00:30 GMT", 1795773600) == milliseconds(-1));
}

TEST_CASE("command: top-level scalars become SLUICE_* variables") {
  std::vector<std::string> env;
  append_event_env(
      R"({"op":"u","id":7,"ok":true,"none":null,"after":{"x":1},"tags":[1],"a-b c":"é\n","":1})",
      env);
  const std::vector<std::string> expect = {"SLUICE_OP=u", "SLUICE_ID=7", "SLUICE_OK=true",
                                           "SLUICE_NONE=", "SLUICE_A_B_C=é\n"};
  CHECK(env == expect);
  env.clear();
  append_event_env("[1,2]", env);
  append_event_env("not json", env);
  CHECK(env.empty());
}

TEST_CASE("command: exit status, stdin, environment and timeout") {
  auto r = run_shell_command("read x; test \"$x\" = hello && test \"$V\" = 1", "hello\n", {"V=1"},
                             std::chrono::milliseconds(5000));
  REQUIRE(r.ok());
  CHECK(r->ok());
  r = run_shell_command("exit 3", "", {}, std::chrono::milliseconds(5000));
  REQUIRE(r.ok());
  CHECK(r->exit_code == 3);
  CHECK(r->describe(std::chrono::milliseconds(5000)) == "exit status 3");
  r = run_shell_command("sleep 10", "", {}, std::chrono::milliseconds(100));
  REQUIRE(r.ok());
  CHECK(r->timed_out);
  CHECK(r->describe(std::chrono::milliseconds(100)) == "timed out after 100 ms");
  // A command that ignores a large stdin is no error.
  r = run_shell_command("exit 0", std::string(1 << 20, 'x'), {}, std::chrono::milliseconds(5000));
  REQUIRE(r.ok());
  CHECK(r->ok());
}

TEST_CASE("command: a stop cuts the command short, TERM first, KILL after the grace") {
  using std::chrono::milliseconds;
  CommandStop stop;
  // Not at first: the command starts (and sets its traps), then the stop
  // comes.
  auto at = std::chrono::steady_clock::now() + milliseconds(300);
  stop.requested = [&at] { return std::chrono::steady_clock::now() >= at; };
  stop.grace = milliseconds(100);
  auto r = run_shell_command("sleep 10", "", {}, milliseconds(0), &stop);
  REQUIRE(r.ok());
  CHECK(r->stopped);
  CHECK_FALSE(r->ok());
  CHECK(r->signal == SIGTERM);
  CHECK(r->describe(milliseconds(0)) == "cut short by a stop");
  // A shell that ignores TERM (and so do its children) gets KILL.
  at = std::chrono::steady_clock::now() + milliseconds(300);
  r = run_shell_command("trap '' TERM; sleep 10; sleep 10", "", {}, milliseconds(0), &stop);
  REQUIRE(r.ok());
  CHECK(r->stopped);
  CHECK(r->signal == SIGKILL);
  // A stop that never comes changes nothing.
  stop.requested = [] { return false; };
  r = run_shell_command("exit 0", "", {}, milliseconds(5000), &stop);
  REQUIRE(r.ok());
  CHECK(r->ok());
}
