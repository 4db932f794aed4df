// Unit tests of the Redis backend: pure helpers (entry ID <-> seq, --from
// mapping, RESP and field encoding, URI config) and, against a real
// redis-server started on a free loopback port, the pipelined producer,
// the consumer's start positions and multi-stream fairness, groups with
// claiming, admin and the error mapping.
//
// The live cases need redis-server on PATH; without it they are skipped with
// a message, and with CI=true they fail.
#include <arpa/inet.h>
#include <doctest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "backends/redis_backend.h"
#include "sluice/backend.h"
#include "sluice/uri.h"

namespace sluice {
namespace {

using redis::EntryId;

// ------------------------------------------------------------ pure helpers

TEST_CASE("redis: entry ids parse, format and map to seq both ways") {
  EntryId id;
  REQUIRE(redis::parse_entry_id("1700000000123-7", &id));
  CHECK(id.ms == 1700000000123u);
  CHECK(id.n == 7u);
  CHECK(redis::format_entry_id(id) == "1700000000123-7");
  REQUIRE(redis::parse_entry_id("42", &id));
  CHECK(id == EntryId{42, 0});
  CHECK_FALSE(redis::parse_entry_id("", &id));
  CHECK_FALSE(redis::parse_entry_id("a-1", &id));
  CHECK_FALSE(redis::parse_entry_id("1-", &id));
  CHECK_FALSE(redis::parse_entry_id("-1", &id));

  const EntryId a{1700000000123, 7};
  const int64_t seq = redis::entry_id_to_seq(a);
  CHECK(seq == (int64_t{1700000000123} << 20) + 7);
  CHECK(redis::seq_to_entry_id(seq) == a);
  // Monotonic: a later ID always has a larger seq.
  CHECK(redis::entry_id_to_seq({1700000000123, 8}) > seq);
  CHECK(redis::entry_id_to_seq({1700000000124, 0}) >
        redis::entry_id_to_seq({1700000000123, 999999}));
  // N beyond 2^20 saturates rather than wrapping into the next millisecond.
  CHECK(redis::entry_id_to_seq({5, 1u << 21}) == (int64_t{5} << 20) + int64_t(redis::kSeqMaxN));
  CHECK(redis::seq_to_entry_id(-1) == EntryId{});
}

TEST_CASE("redis: pred is the greatest id below") {
  CHECK(redis::pred({10, 3}) == EntryId{10, 2});
  CHECK(redis::pred({10, 0}) == EntryId{9, UINT64_MAX});
  CHECK(redis::pred({0, 0}) == EntryId{});
}

TEST_CASE("redis: --from maps to the id to read after") {
  EntryId after;
  StartPosition p;
  p.kind = StartPosition::Kind::kBeginning;
  REQUIRE(redis::start_after_id(p, &after));
  CHECK(after == EntryId{});

  p.kind = StartPosition::Kind::kSeq;
  p.value = redis::entry_id_to_seq({1000, 5});
  REQUIRE(redis::start_after_id(p, &after));
  CHECK(after == EntryId{1000, 4});  // the entry itself is delivered

  p.kind = StartPosition::Kind::kTime;
  p.value = 1'000'000'500;  // 1000000.5 ms: the first entry is at ms 1000001
  REQUIRE(redis::start_after_id(p, &after));
  CHECK(after == EntryId{1000000, UINT64_MAX});
  p.value = 2'000'000'000;
  REQUIRE(redis::start_after_id(p, &after));
  CHECK(after == EntryId{1999999, UINT64_MAX});

  p.kind = StartPosition::Kind::kEnd;
  CHECK_FALSE(redis::start_after_id(p, &after));
  p.kind = StartPosition::Kind::kFromEnd;
  CHECK_FALSE(redis::start_after_id(p, &after));

  // --from MS-N (issue 9.5): that entry is delivered, whatever `value` says.
  p.kind = StartPosition::Kind::kSeq;
  p.value = 0;
  p.id = "1795747979255-1";
  REQUIRE(redis::start_after_id(p, &after));
  CHECK(after == EntryId{1795747979255, 0});
  p.id = "1795747979255-0";
  REQUIRE(redis::start_after_id(p, &after));
  CHECK(after == EntryId{1795747979254, UINT64_MAX});
  p.id = "bad";
  CHECK_FALSE(redis::start_after_id(p, &after));
}

TEST_CASE("redis: RESP encoding is binary safe") {
  std::string out;
  redis::RespCommand c(out);
  c.begin(3).arg("XADD").arg(std::string_view("a\0b\r\n", 5)).arg(int64_t{-12});
  CHECK(out == std::string("*3\r\n$4\r\nXADD\r\n$5\r\na\0b\r\n\r\n$3\r\n-12\r\n", 34));
}

namespace {
std::vector<std::string> xadd_fields(const Message& m) {
  std::string out;
  redis::RespCommand c(out);
  c.begin(redis::xadd_field_args(m));
  redis::append_xadd_fields(c, m);
  // Decode the bulk strings back (test-only, trusted input).
  std::vector<std::string> args;
  size_t pos = out.find("\r\n") + 2;
  while (pos < out.size()) {
    const size_t eol = out.find("\r\n", pos);
    const size_t len = std::stoul(out.substr(pos + 1, eol - pos - 1));
    args.push_back(out.substr(eol + 2, len));
    pos = eol + 2 + len + 2;
  }
  CHECK(args.size() == redis::xadd_field_args(m));
  return args;
}
}  // namespace

TEST_CASE("redis: field layout p, k, h.<name>, tombstone") {
  Message m;
  m.payload = "hello";
  CHECK(xadd_fields(m) == std::vector<std::string>{"p", "hello"});

  const Header hs[] = {{"trace", "abc"}, {"trace", "def"}};
  m.key = "k1";
  m.headers = hs;
  CHECK(xadd_fields(m) ==
        std::vector<std::string>{"p", "hello", "k", "k1", "h.trace", "abc", "h.trace", "def"});

  Message tomb;
  tomb.key = "gone";
  CHECK(xadd_fields(tomb) == std::vector<std::string>{"k", "gone"});
  Message bare;
  CHECK(xadd_fields(bare) == std::vector<std::string>{"n", ""});
  Message empty_payload;
  empty_payload.payload = "";
  CHECK(xadd_fields(empty_payload) == std::vector<std::string>{"p", ""});
}

TEST_CASE("redis: uri to connection config") {
  auto uri = parse_stream_uri("redis://alice:s3cret@example.org/s?db=3");
  REQUIRE(uri.ok());
  auto cfg = redis::conn_config(*uri, Millis(100));
  REQUIRE(cfg.ok());
  CHECK(cfg->host == "example.org");
  CHECK(cfg->port == "6379");
  CHECK(cfg->user == "alice");
  CHECK(cfg->password == "s3cret");
  CHECK(cfg->db == 3);
  CHECK_FALSE(cfg->tls);

  uri = parse_stream_uri("rediss://[::1]:7000/s?tls_insecure=1");
  REQUIRE(uri.ok());
  cfg = redis::conn_config(*uri, Millis(100));
  REQUIRE(cfg.ok());
  CHECK(cfg->host == "::1");
  CHECK(cfg->port == "7000");
  CHECK(cfg->tls);
  CHECK(cfg->tls_insecure);

  uri = parse_stream_uri("redis://h/s?db=99999999");
  REQUIRE(uri.ok());
  cfg = redis::conn_config(*uri, Millis(100));
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.status().is(StatusCode::kInvalidArgument));

  setenv("REDISCLI_AUTH", "from-env", 1);
  uri = parse_stream_uri("redis://h:1/s");
  REQUIRE(uri.ok());
  cfg = redis::conn_config(*uri, Millis(100));
  unsetenv("REDISCLI_AUTH");
  REQUIRE(cfg.ok());
  CHECK(cfg->password == "from-env");
}

TEST_CASE("redis: several hosts are seeds, the first aimed at") {
  auto uri = parse_stream_uri("redis://:pw@10.0.0.1:7000,10.0.0.2:7001,[::1]:7002/s");
  REQUIRE(uri.ok());
  auto cfg = redis::conn_config(*uri, Millis(100));
  REQUIRE(cfg.ok());
  CHECK(cfg->endpoint == "10.0.0.1:7000");
  CHECK(cfg->seeds == std::vector<std::string>{"10.0.0.1:7000", "10.0.0.2:7001", "[::1]:7002"});
  const redis::ConnConfig node = redis::for_endpoint(*cfg, "[::1]:7002");
  CHECK(node.host == "::1");
  CHECK(node.port == "7002");
  CHECK(node.password == "pw");
  // A node announcing no host (":port") is on the host already dialled.
  const redis::ConnConfig bare = redis::for_endpoint(*cfg, ":7005");
  CHECK(bare.host == "10.0.0.1");
  CHECK(bare.port == "7005");
  CHECK(bare.endpoint == "10.0.0.1:7005");
}

TEST_CASE("redis: cluster key slots are CRC16 mod 16384 with hash tags") {
  CHECK(redis::key_slot("123456789") == 12739);  // the specification's vector
  CHECK(redis::key_slot("") == 0);
  CHECK(redis::key_slot("foo") == 12182);  // redis-cli cluster keyslot foo
  CHECK(redis::key_slot("bar") == 5061);
  CHECK(redis::key_slot("{user1000}.following") == redis::key_slot("{user1000}.followers"));
  CHECK(redis::key_slot("{user1000}.following") == redis::key_slot("user1000"));
  // An empty tag does not count: the whole key is hashed.
  CHECK(redis::key_slot("foo{}{bar}") != redis::key_slot("bar"));
  CHECK(redis::key_slot("foo{}{bar}") == 8363);
  // Only the first tag counts; an unclosed brace hashes the whole key.
  CHECK(redis::key_slot("foo{{bar}}zap") == redis::key_slot("{bar"));
  CHECK(redis::key_slot("foo{bar}{zap}") == redis::key_slot("bar"));
  CHECK(redis::key_slot("foo{bar") != redis::key_slot("bar"));
}

TEST_CASE("redis: MOVED and ASK replies are parsed, others are not") {
  redis::Redirect r;
  REQUIRE(redis::parse_redirect("MOVED 3999 127.0.0.1:6381", &r));
  CHECK_FALSE(r.ask);
  CHECK(r.slot == 3999);
  CHECK(r.endpoint == "127.0.0.1:6381");
  REQUIRE(redis::parse_redirect("ASK 16383 [::1]:7000", &r));
  CHECK(r.ask);
  CHECK(r.slot == 16383);
  CHECK(r.endpoint == "[::1]:7000");
  REQUIRE(redis::parse_redirect("MOVED 0 :7001", &r));
  CHECK(r.endpoint == ":7001");
  CHECK_FALSE(redis::parse_redirect("MOVED 16384 h:1", &r));
  CHECK_FALSE(redis::parse_redirect("MOVED x h:1", &r));
  CHECK_FALSE(redis::parse_redirect("MOVED 12", &r));
  CHECK_FALSE(redis::parse_redirect("MOVED 12 host", &r));
  CHECK_FALSE(redis::parse_redirect("ERR MOVED 1 h:1", &r));
  CHECK_FALSE(redis::parse_redirect("CLUSTERDOWN The cluster is down", &r));
  CHECK_FALSE(redis::parse_redirect("ASKING", &r));
}

TEST_CASE("redis: CLUSTERDOWN is unavailable and says what to check") {
  redis::ConnConfig cfg;
  cfg.endpoint = "127.0.0.1:7000";
  const Status st = redis::cluster_state_error(cfg, "CLUSTERDOWN The cluster is down");
  CHECK(st.is(StatusCode::kUnavailable));
  CHECK(st.message().find("127.0.0.1:7000") != std::string::npos);
  CHECK(st.message().find("cluster info") != std::string::npos);
  CHECK(redis::cluster_state_error(cfg, "WRONGTYPE x").ok());
}

// ------------------------------------------------------------ live server

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A throwaway redis-server on a free loopback port; stopped by pid.
class RedisServer {
 public:
  explicit RedisServer(const std::string& extra = "") {
    char tmpl[] = "/tmp/sluice-redis-unit.XXXXXX";
    dir_ = mkdtemp(tmpl);
    port_ = free_port();
    const std::string cmd = "redis-server --port " + std::to_string(port_) +
                            " --bind 127.0.0.1 --dir " + dir_ +
                            " --save '' --appendonly no --daemonize yes --pidfile " + dir_ +
                            "/pid --logfile " + dir_ + "/log " + extra + " >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) return;
    for (int i = 0; i < 200; ++i) {
      std::ifstream f(dir_ + "/pid");
      if (f >> pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Wait until it answers.
    for (int i = 0; i < 200; ++i) {
      const std::string ping = "redis-cli -p " + std::to_string(port_) + " " + extra_auth(extra) +
                               " ping >/dev/null 2>&1";
      if (std::system(ping.c_str()) == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~RedisServer() {
    if (pid_ > 0) kill(pid_, SIGKILL);
    std::system(("rm -rf " + dir_).c_str());
  }
  bool up() const { return pid_ > 0; }
  std::string uri(const std::string& rest) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + rest;
  }
  int port() const { return port_; }
  int cli(const std::string& args) const {
    return std::system(
        ("redis-cli -p " + std::to_string(port_) + " " + args + " >/dev/null").c_str());
  }
  // redis-cli's output for `args`, one reply element a line.
  std::string cli_out(const std::string& args) const {
    std::string out;
    FILE* f = popen(("redis-cli -p " + std::to_string(port_) + " " + args).c_str(), "r");
    if (!f) return out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    pclose(f);
    return out;
  }

 private:
  static std::string extra_auth(const std::string& extra) {
    const size_t p = extra.find("--requirepass ");
    return p == std::string::npos ? "" : "-a " + extra.substr(p + 14) + " --no-auth-warning";
  }
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

bool have_server(const RedisServer& s) {
  if (s.up()) return true;
  const char* ci = std::getenv("CI");
  if (ci && std::string(ci) == "true") {
    FAIL("redis-server did not start (CI=true: not skipping)");
  }
  MESSAGE("redis-server not available: skipping live redis test");
  return false;
}

std::unique_ptr<Producer> producer(const std::string& uri_text) {
  auto uri = parse_stream_uri(uri_text);
  REQUIRE(uri.ok());
  ProducerOptions o;
  o.timeout = Millis(5000);
  auto p = open_producer(*uri, o);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return std::move(*p);
}

std::unique_ptr<Consumer> consumer(const std::string& uri_text, StartPosition from,
                                   bool exit_at_end, const std::string& group = "",
                                   const std::string& member = "") {
  auto uri = parse_stream_uri(uri_text);
  REQUIRE(uri.ok());
  ConsumerOptions o;
  o.from = from;
  o.exit_at_end = exit_at_end;
  o.group = group;
  o.consumer = member;
  o.timeout = Millis(5000);
  auto c = open_consumer(*uri, o);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return std::move(*c);
}

StartPosition from(StartPosition::Kind k, int64_t v = 0) {
  StartPosition p;
  p.kind = k;
  p.value = v;
  return p;
}

// Drains until kEndOfStream (or `limit` empty polls when following).
std::vector<OwnedMessage> drain(Consumer& c, int empty_polls_limit = 1000000) {
  std::vector<OwnedMessage> out;
  MessageBatch b;
  int empty = 0;
  for (;;) {
    Status st = c.poll(b, Millis(100));
    for (const Message& m : b.messages) out.emplace_back(m);
    if (st.is(StatusCode::kEndOfStream)) break;
    REQUIRE_MESSAGE(st.ok(), st.message());
    if (b.empty() && ++empty >= empty_polls_limit) break;
  }
  return out;
}

TEST_CASE("redis live: pipelined produce, then read back with every field") {
  RedisServer srv;
  if (!have_server(srv)) return;
  auto p = producer(srv.uri("s"));
  const Header hs[] = {{"trace", "abc"}, {"bin", std::string_view("\0\xff", 2)}};
  const int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    Message m;
    std::string payload = "rec-" + std::to_string(i) + std::string("\0\n\xfe", 3);
    if (i % 100 != 7) m.payload = payload;  // some tombstones
    const std::string key = std::string("k").append(std::to_string(i % 10));
    if (i % 3 == 0) m.key = key;
    if (i % 5 == 0) m.headers = hs;
    uint64_t t = 0;
    REQUIRE(p->produce(m, &t).ok());
    CHECK(t == uint64_t(i + 1));
  }
  REQUIRE(p->flush(Millis(10000)).ok());
  CHECK(p->acknowledged() == uint64_t(kN));
  CHECK(p->failed() == 0);

  auto c = consumer(srv.uri("s"), from(StartPosition::Kind::kBeginning), true);
  auto got = drain(*c);
  REQUIRE(got.size() == size_t(kN));
  int64_t prev = -1;
  for (int i = 0; i < kN; ++i) {
    const OwnedMessage& m = got[size_t(i)];
    CHECK(m.stream == "s");
    CHECK(m.shard == 0);
    CHECK(m.seq > prev);
    prev = m.seq;
    CHECK(m.ts_us == int64_t(redis::seq_to_entry_id(m.seq).ms) * 1000);
    if (i % 100 != 7) {
      REQUIRE(m.payload.has_value());
      CHECK(*m.payload == "rec-" + std::to_string(i) + std::string("\0\n\xfe", 3));
    } else {
      CHECK_FALSE(m.payload.has_value());
    }
    CHECK(m.key.has_value() == (i % 3 == 0));
    if (i % 5 == 0) {
      REQUIRE(m.headers.size() == 2);
      CHECK(m.headers[0].first == "trace");
      CHECK(m.headers[1].second == std::string("\0\xff", 2));
    } else {
      CHECK(m.headers.empty());
    }
  }
}

TEST_CASE("redis live: an error reply fails only its ticket, naming the key") {
  RedisServer srv;
  if (!have_server(srv)) return;
  srv.cli("set notastream x");
  auto p = producer(srv.uri("s"));
  std::vector<std::pair<uint64_t, Status>> failures;
  p->set_delivery_listener([&](uint64_t t, const Status& st) { failures.emplace_back(t, st); });
  Message m;
  m.payload = "x";
  REQUIRE(p->produce(m).ok());
  Message bad = m;
  bad.stream = "notastream";
  REQUIRE(p->produce(bad).ok());
  REQUIRE(p->produce(m).ok());
  REQUIRE(p->flush(Millis(5000)).ok());
  CHECK(p->acknowledged() == 3);
  CHECK(p->failed() == 1);
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].first == 2);
  CHECK(failures[0].second.is(StatusCode::kBadData));
  CHECK(failures[0].second.message().find("'notastream'") != std::string::npos);
  CHECK(failures[0].second.message().find("WRONGTYPE") != std::string::npos);

  // The consumer names the key too.
  auto uri = parse_stream_uri(srv.uri("notastream"));
  REQUIRE(uri.ok());
  ConsumerOptions o;
  o.from = from(StartPosition::Kind::kBeginning);
  o.exit_at_end = true;
  auto c = open_consumer(*uri, o);
  Status st = c.ok() ? Status() : c.status();
  if (c.ok()) {
    MessageBatch b;
    st = (*c)->poll(b, Millis(100));
  }
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message().find("'notastream'") != std::string::npos);
}

TEST_CASE("redis live: --from end, -N, SEQ and @TIME") {
  RedisServer srv;
  if (!have_server(srv)) return;
  // Entries at explicit times so @TIME is exact.
  for (int i = 1; i <= 10; ++i) {
    srv.cli("xadd s " + std::to_string(i * 1000) + "-0 p v" + std::to_string(i));
  }
  auto last3 = drain(*consumer(srv.uri("s"), from(StartPosition::Kind::kFromEnd, 3), true));
  REQUIRE(last3.size() == 3);
  CHECK(*last3[0].payload == "v8");
  auto last30 = drain(*consumer(srv.uri("s"), from(StartPosition::Kind::kFromEnd, 30), true));
  CHECK(last30.size() == 10);
  auto at = drain(*consumer(srv.uri("s"), from(StartPosition::Kind::kTime, 7'000'000), true));
  REQUIRE(at.size() == 4);
  CHECK(*at[0].payload == "v7");
  auto seq = drain(*consumer(
      srv.uri("s"), from(StartPosition::Kind::kSeq, redis::entry_id_to_seq({9000, 0})), true));
  REQUIRE(seq.size() == 2);
  CHECK(*seq[0].payload == "v9");
  auto end = drain(*consumer(srv.uri("s"), from(StartPosition::Kind::kEnd), true));
  CHECK(end.empty());
  auto by_id =
      drain(*consumer(srv.uri("s?from_id=10000-0"), from(StartPosition::Kind::kEnd), true));
  REQUIRE(by_id.size() == 1);
  CHECK(*by_id[0].payload == "v10");
  // A foreign entry (fields outside the layout) reads as a JSON object.
  srv.cli("xadd s 11000-0 name alice age 3");
  auto foreign = drain(*consumer(srv.uri("s"), from(StartPosition::Kind::kFromEnd, 1), true));
  REQUIRE(foreign.size() == 1);
  CHECK(*foreign[0].payload == R"({"name":"alice","age":"3"})");
}

TEST_CASE("redis live: a quiet stream is not starved by a busy one") {
  RedisServer srv;
  if (!have_server(srv)) return;
  auto c = consumer(srv.uri("busy,quiet"), from(StartPosition::Kind::kEnd), false);
  auto p = producer(srv.uri("busy"));
  Message m;
  m.payload = "x";
  Message q;
  q.payload = "q";
  q.stream = "quiet";
  for (int i = 0; i < 30000; ++i) {
    REQUIRE(p->produce(i % 10000 == 5000 ? q : m).ok());
  }
  REQUIRE(p->flush(Millis(10000)).ok());
  size_t busy = 0, quiet = 0;
  MessageBatch b;
  for (int i = 0; i < 200 && busy + quiet < 30000; ++i) {
    REQUIRE(c->poll(b, Millis(100)).ok());
    for (const Message& x : b.messages) (x.stream == "quiet" ? quiet : busy)++;
  }
  CHECK(busy == 29997);
  CHECK(quiet == 3);
}

TEST_CASE("redis live: wake() makes a following poll return at once") {
  RedisServer srv;
  if (!have_server(srv)) return;
  auto c = consumer(srv.uri("s"), from(StartPosition::Kind::kEnd), false);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    c->wake();
  });
  MessageBatch b;
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(c->poll(b, Millis(5000)).ok());
  t.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(900));
  // The read left in flight is picked up by the next poll.
  srv.cli("xadd s '*' p after-wake");
  std::vector<OwnedMessage> got;
  for (int i = 0; i < 30 && got.empty(); ++i) {
    REQUIRE(c->poll(b, Millis(100)).ok());
    for (const Message& m : b.messages) got.emplace_back(m);
  }
  REQUIRE(got.size() == 1);
  CHECK(*got[0].payload == "after-wake");
}

TEST_CASE("redis live: group commits, pending first on restart, claims dead members") {
  RedisServer srv;
  if (!have_server(srv)) return;
  auto p = producer(srv.uri("s"));
  for (int i = 0; i < 10; ++i) {
    Message m;
    const std::string v = std::string("m").append(std::to_string(i));
    m.payload = v;
    REQUIRE(p->produce(m).ok());
  }
  REQUIRE(p->flush(Millis(5000)).ok());

  const std::string a_uri = srv.uri("s?consumer=a&claim_idle_ms=200");
  std::vector<OwnedMessage> first;
  {
    auto a = consumer(a_uri, from(StartPosition::Kind::kBeginning), true, "g");
    first = drain(*a);
    REQUIRE(first.size() == 10);
    a->mark_taken(first[3].view());  // took m0..m3 only
    REQUIRE(a->commit().ok());
  }
  // Restart of "a": its 6 unacknowledged entries come first.
  {
    auto a = consumer(a_uri, from(StartPosition::Kind::kBeginning), true, "g");
    auto again = drain(*a);
    REQUIRE(again.size() == 6);
    CHECK(*again[0].payload == "m4");
  }
  // "a" dies with them pending; "b" claims them once idle.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto b = consumer(srv.uri("s?consumer=b&claim_idle_ms=200"),
                    from(StartPosition::Kind::kBeginning), false, "g");
  auto claimed = drain(*b, 5);
  REQUIRE(claimed.size() == 6);
  for (const OwnedMessage& m : claimed) b->mark_taken(m.view());
  REQUIRE(b->commit().ok());

  auto uri = parse_stream_uri("redis://127.0.0.1:" + std::to_string(srv.port()), UriKind::kCluster);
  REQUIRE(uri.ok());
  auto admin = open_admin(*uri);
  REQUIRE_MESSAGE(admin.ok(), admin.status().message());
  auto info = (*admin)->describe({});
  REQUIRE(info.ok());
  REQUIRE(info->size() == 1);
  CHECK((*info)[0].name == "s");
  CHECK((*info)[0].messages == 10);
  REQUIRE((*info)[0].groups.size() == 1);
  CHECK((*info)[0].groups[0].name == "g");
  CHECK((*info)[0].groups[0].lag == 0);
  CHECK((*info)[0].shards[0].last_seq == first[9].seq);
}

// Issue 9, point 5: the entry id was hidden behind a packed seq.
TEST_CASE("redis live: messages carry their entry id; --from ID starts at it (issue 9.5)") {
  RedisServer srv;
  if (!have_server(srv)) return;
  for (int i = 1; i <= 5; ++i) {
    srv.cli("xadd s 1795747979255-" + std::to_string(i) + " p v" + std::to_string(i));
  }
  auto all = drain(*consumer(srv.uri("s"), from(StartPosition::Kind::kBeginning), true));
  REQUIRE(all.size() == 5);
  CHECK(all[0].id == "1795747979255-1");
  CHECK(all[4].id == "1795747979255-5");
  CHECK(all[0].seq == redis::entry_id_to_seq({1795747979255, 1}));
  StartPosition at;
  at.kind = StartPosition::Kind::kSeq;
  at.id = "1795747979255-3";
  auto rest = drain(*consumer(srv.uri("s"), at, true));
  REQUIRE(rest.size() == 3);
  CHECK(rest[0].id == "1795747979255-3");  // inclusive, as with a SEQ
  // A group created at an id starts there too.
  auto grouped = drain(*consumer(srv.uri("s"), at, true, "g"));
  REQUIRE(grouped.size() == 3);
  CHECK(*grouped[0].payload == "v3");
  CHECK(grouped[0].id == "1795747979255-3");
}

// Issue 9, point 4: every `tap --group` run added a HOSTNAME-PID member and
// never removed it.
TEST_CASE("redis live: members that exit cleanly leave no dead member behind (issue 9.4)") {
  RedisServer srv;
  if (!have_server(srv)) return;
  for (int i = 0; i < 10; ++i) srv.cli("xadd s '*' p m" + std::to_string(i));
  auto members = [&](const std::string& group) {
    return srv.cli_out("xinfo consumers s " + group +
                       " | grep -A1 -x name | grep -vx -e -- -e name");
  };
  const StartPosition beginning = from(StartPosition::Kind::kBeginning);
  {
    // Takes everything: it deletes itself at exit.
    auto x = consumer(srv.uri("s?consumer=x"), beginning, true, "g1");
    auto got = drain(*x);
    REQUIRE(got.size() == 10);
    x->mark_taken(got[9].view());
    REQUIRE(x->commit().ok());
    CHECK(members("g1") == "x\n");
  }
  CHECK(members("g1").empty());
  {
    // Takes m0..m3 only: it keeps the other 6 pending at exit.
    auto a = consumer(srv.uri("s?consumer=a"), beginning, true, "g2");
    auto got = drain(*a);
    REQUIRE(got.size() == 10);
    a->mark_taken(got[3].view());
    REQUIRE(a->commit().ok());
  }
  CHECK(members("g2") == "a\n");
  {
    // The next member takes them over and then deletes "a". Its name comes
    // from ConsumerOptions::consumer (tap --consumer), not ?consumer=.
    auto b = consumer(srv.uri("s?consumer=a"), beginning, false, "g2", "b");
    auto got = drain(*b, 3);
    REQUIRE(got.size() == 6);
    CHECK(*got[0].payload == "m4");
    CHECK(members("g2") == "b\n");
    for (const OwnedMessage& m : got) b->mark_taken(m.view());
    REQUIRE(b->commit().ok());
  }
  CHECK(members("g2").empty());
  CHECK(srv.cli_out("xpending s g2 | head -n 1") == "0\n");
}

// Three cluster-enabled servers joined into one cluster of three masters.
struct RedisCluster {
  RedisCluster()
      : nodes{RedisServer(node_args()), RedisServer(node_args()), RedisServer(node_args())} {
    std::string create = "redis-cli --cluster create";
    for (const RedisServer& n : nodes) {
      if (!n.up()) return;
      create += " 127.0.0.1:" + std::to_string(n.port());
    }
    if (std::system((create + " --cluster-replicas 0 --cluster-yes >/dev/null 2>&1").c_str()) !=
        0) {
      return;
    }
    for (const RedisServer& n : nodes) {
      bool ok = false;
      for (int i = 0; i < 1500 && !ok; ++i) {
        ok = n.cli("cluster info | grep -q cluster_state:ok") == 0;
        if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!ok) return;
    }
    formed = true;
  }
  static std::string node_args() {
    // The bus port would be PORT + 10000: give it a free one.
    return "--cluster-enabled yes --cluster-config-file nodes.conf --cluster-port " +
           std::to_string(free_port());
  }
  RedisServer nodes[3];
  bool formed = false;
};

TEST_CASE("redis live: cluster admin lists the streams of every master") {
  RedisCluster cl;
  if (!have_server(cl.nodes[0])) return;
  REQUIRE(cl.formed);
  // One stream per node: "{a}" hashes to slot 15495, "{b}" 3300, "{c}" 7365.
  const std::vector<std::string> names = {"{b}s", "{c}s", "{a}s"};
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t k = 0; k <= i; ++k) {
      REQUIRE(cl.nodes[0].cli("-c xadd " + names[i] + " '*' f v") == 0);
    }
  }
  // Written through redirects, they live one on each node.
  for (const RedisServer& node : cl.nodes) {
    int held = 0;
    for (const std::string& n : names) held += node.cli("exists " + n + " | grep -qx 1") == 0;
    CHECK(held == 1);
  }
  auto uri = parse_stream_uri("redis://127.0.0.1:" + std::to_string(cl.nodes[0].port()),
                              UriKind::kCluster);
  REQUIRE(uri.ok());
  auto admin = open_admin(*uri);
  REQUIRE_MESSAGE(admin.ok(), admin.status().message());
  auto info = (*admin)->describe({});
  REQUIRE_MESSAGE(info.ok(), info.status().message());
  REQUIRE(info->size() == 3);
  CHECK((*info)[0].name == "{a}s");
  CHECK((*info)[0].messages == 3);
  CHECK((*info)[1].name == "{b}s");
  CHECK((*info)[1].messages == 1);
  CHECK((*info)[2].name == "{c}s");
  CHECK((*info)[2].messages == 2);
  info = (*admin)->describe({"{c}s"});
  REQUIRE_MESSAGE(info.ok(), info.status().message());
  REQUIRE(info->size() == 1);
  CHECK((*info)[0].messages == 2);
}

TEST_CASE("redis live: a producer routing to streams on three cluster nodes") {
  RedisCluster cl;
  if (!have_server(cl.nodes[0])) return;
  REQUIRE(cl.formed);
  // As a cdc sink routes per table: interleaved streams on three nodes
  // ("{b}" on the first, "{c}" on the second, "{a}" on the third).
  auto p = producer("redis://127.0.0.1:" + std::to_string(cl.nodes[0].port()) + "/{b}t");
  std::vector<uint64_t> failed;
  p->set_delivery_listener([&](uint64_t t, const Status&) { failed.push_back(t); });
  const std::string names[3] = {"{b}t", "{c}t", "{a}t"};
  const std::string payload = "x";
  uint64_t last = 0;
  for (int i = 0; i < 30000; ++i) {
    Message m;
    m.stream = names[i % 3];
    m.payload = payload;
    REQUIRE(p->produce(m, &last).ok());
  }
  REQUIRE(p->flush(Millis(10000)).ok());
  CHECK(failed.empty());
  CHECK(p->acknowledged() == last);
  // Each record once (no re-sends), one connection to each node.
  for (int n = 0; n < 3; ++n) {
    CHECK(cl.nodes[n].cli("xlen " + names[n] + " | grep -qx 10000") == 0);
    CHECK(cl.nodes[n].cli("client list | grep -c cmd=xadd | grep -qx 1") == 0);
  }
}

TEST_CASE("redis live: wrong password is 77, unreachable is 69") {
  RedisServer srv("--requirepass right");
  if (!have_server(srv)) return;
  auto uri = parse_stream_uri("redis://:wrong@127.0.0.1:" + std::to_string(srv.port()) + "/s");
  REQUIRE(uri.ok());
  auto p = open_producer(*uri, ProducerOptions());
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().exit_code() == ExitCode::kNoPerm);
  CHECK(p.status().message().find("refused authentication: WRONGPASS") != std::string::npos);
  CHECK(p.status().message().find("wrong") == std::string::npos);  // never print it

  uri = parse_stream_uri("redis://127.0.0.1:" + std::to_string(srv.port()) + "/s");
  REQUIRE(uri.ok());
  auto c = open_consumer(*uri, ConsumerOptions());
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().exit_code() == ExitCode::kNoPerm);

  uri = parse_stream_uri("redis://127.0.0.1:" + std::to_string(free_port()) + "/s");
  REQUIRE(uri.ok());
  p = open_producer(*uri, ProducerOptions());
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().exit_code() == ExitCode::kUnavailable);
  CHECK(p.status().message().find("connection refused (is it running?)") != std::string::npos);
}

}  // namespace
}  // namespace sluice
