// OutputSink: what counts as "taken" for each kind of output.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "backends/stdio_backend.h"
#include "sluice/message.h"
#include "sluice/sink.h"

using sluice::OutputSink;
using sluice::StatusCode;

namespace {
// A closed reader must show up as EPIPE, as in the tools.
const bool kIgnoreSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

void add(OutputSink& s, const std::string& rec) {
  s.buffer() += rec;
  s.end_record();
}
std::string read_n(int fd, size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, out.data() + got, n - got);
    REQUIRE(r > 0);
    got += static_cast<size_t>(r);
  }
  return out;
}
}  // namespace

TEST_CASE("pipe: records in the pipe buffer are not taken until read") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  OutputSink sink(p[1], false);
  CHECK(sink.is_pipe());
  add(sink, "a1\n");
  add(sink, "b22\n");
  add(sink, "c333\n");
  REQUIRE(sink.flush().ok());
  CHECK(sink.taken() == 0);
  CHECK(read_n(p[0], 3) == "a1\n");
  CHECK(sink.taken() == 1);
  CHECK(read_n(p[0], 2) == "b2");  // half a record is not taken
  CHECK(sink.taken() == 1);
  CHECK(read_n(p[0], 7) == "2\nc333\n");
  CHECK(sink.taken() == 3);
  close(p[0]);
  close(p[1]);
}

TEST_CASE("pipe: reader gone -> kClosed, untaken records go to the next reader") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  OutputSink sink(p[1], false);
  add(sink, "one\n");
  add(sink, "two\n");
  REQUIRE(sink.flush().ok());
  CHECK(read_n(p[0], 4) == "one\n");
  close(p[0]);  // the reader leaves with "two" unread in the pipe
  CHECK(sink.reader_gone());
  CHECK(sink.taken() == 1);
  add(sink, "three\n");
  CHECK(sink.flush().is(StatusCode::kClosed));
  close(p[1]);

  int q[2];
  REQUIRE(pipe(q) == 0);
  sink.reattach(q[1]);
  REQUIRE(sink.flush().ok());
  CHECK(read_n(q[0], 10) == "two\nthree\n");
  CHECK(sink.taken() == 3);
  close(q[0]);
  close(q[1]);
}

TEST_CASE("exact mode writes one record first so a one-line reader takes one") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  OutputSink sink(p[1], true);
  for (int i = 0; i < 10; ++i) add(sink, "r" + std::to_string(i) + "\n");
  // The reader takes one record and leaves (like `head -1`).
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    char buf[4096];
    ssize_t n = read(p[0], buf, sizeof buf);
    _exit(n == 3 ? 0 : 1);  // exactly "r0\n" was in the pipe
  }
  close(p[0]);
  sluice::Status st = sink.flush();
  CHECK(st.is(StatusCode::kClosed));
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(sink.taken() == 1);
  close(p[1]);
}

TEST_CASE("regular file: taken after write, or after sync in exact mode") {
  char path[] = "/tmp/sluice-sink-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  {
    OutputSink sink(fd, false);
    add(sink, "x\n");
    REQUIRE(sink.flush().ok());
    CHECK(sink.taken() == 1);
  }
  {
    OutputSink sink(fd, true);
    add(sink, "y\n");
    REQUIRE(sink.flush().ok());
    CHECK(sink.taken() == 0);
    REQUIRE(sink.sync().ok());
    CHECK(sink.taken() == 1);
  }
  close(fd);
  std::string content(16, '\0');
  int rfd = open(path, O_RDONLY);
  ssize_t n = read(rfd, content.data(), content.size());
  close(rfd);
  unlink(path);
  CHECK(content.substr(0, static_cast<size_t>(n)) == "x\ny\n");
}

// One meaning of "acknowledged" on stdout: the stdio producer (flux ... -)
// counts a record done when the reader took it, as tap and the CDC tools do.
TEST_CASE("stdio producer: acknowledged once the reader took the record; a gone reader fails it") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  auto prod = sluice::open_stdio_producer(sluice::StreamUri{}, sluice::ProducerOptions{}, p[1]);
  REQUIRE(prod.ok());
  uint64_t failed_ticket = 0;
  (*prod)->set_delivery_listener([&](uint64_t t, const sluice::Status&) { failed_ticket = t; });
  sluice::Message m;
  m.stream = "s";
  m.ts_us = 1;
  uint64_t t1 = 0, t2 = 0;
  m.payload = "a";
  REQUIRE((*prod)->produce(m, &t1).ok());
  m.payload = "b";
  REQUIRE((*prod)->produce(m, &t2).ok());
  CHECK(t1 == 1);
  CHECK(t2 == 2);
  CHECK((*prod)->flush(sluice::Millis(20)).is(StatusCode::kTimedOut));  // written, not read
  CHECK((*prod)->acknowledged() == 0);
  std::string first;  // read exactly the first line
  for (char c = 0; c != '\n';) {
    REQUIRE(read(p[0], &c, 1) == 1);
    first.push_back(c);
  }
  CHECK(first.find("\"payload\":\"a\"") != std::string::npos);
  CHECK((*prod)->acknowledged() == 1);
  close(p[0]);  // the reader goes away with the second line unread
  CHECK((*prod)->flush(sluice::Millis(1000)).is(StatusCode::kClosed));
  CHECK(failed_ticket == 2);
  CHECK((*prod)->failed() == 1);
  CHECK((*prod)->acknowledged() == 2);
  m.payload = "c";
  CHECK((*prod)->produce(m, &t1).is(StatusCode::kClosed));
  close(p[1]);
}
