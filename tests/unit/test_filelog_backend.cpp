// The file: backend (FileProducer/FileConsumer/FileAdmin): delivery tickets
// under write faults, concurrent producers, consumer groups, describe.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "backends/file_backend.h"
#include "filelog/filelog.h"
#include "test_filelog_util.h"

using namespace sluice;
using filelog_test::TempDir;
using filelog_test::uri_of;
using filelog_test::WarningCapture;

namespace {

std::unique_ptr<Producer> producer(const StreamUri& u, ProducerOptions po = {},
                                   Env* env = Env::Default()) {
  po.fsync = FsyncPolicy::kNever;
  auto p = open_file_producer(u, po, env);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return std::move(*p);
}

std::unique_ptr<Consumer> consumer(const StreamUri& u, ConsumerOptions co) {
  auto c = open_file_consumer(u, co);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return std::move(*c);
}

ConsumerOptions from_beginning(std::string group = "", bool exit_at_end = true) {
  ConsumerOptions co;
  co.from.kind = StartPosition::Kind::kBeginning;
  co.group = std::move(group);
  co.exit_at_end = exit_at_end;
  return co;
}

void produce_n(Producer& p, const std::string& prefix, int n, int first = 0) {
  for (int i = 0; i < n; ++i) {
    std::string payload = prefix + std::to_string(first + i);
    REQUIRE(p.produce(filelog_test::payload_msg(payload)).ok());
  }
}

// Everything up to the end, as owned copies.
std::vector<OwnedMessage> consume_all(Consumer& c, size_t limit = SIZE_MAX) {
  std::vector<OwnedMessage> out;
  MessageBatch batch;
  while (out.size() < limit) {
    Status st = c.poll(batch, Millis(2000));
    for (const Message& m : batch.messages) out.emplace_back(m);
    if (st.is(StatusCode::kEndOfStream)) break;
    REQUIRE_MESSAGE(st.ok(), st.message());
    if (batch.empty()) break;
  }
  return out;
}

}  // namespace

TEST_CASE("file backend: tickets, acknowledged watermark, and the round trip") {
  TempDir tmp;
  auto p = producer(uri_of(tmp));
  std::vector<Header> hs = {{"h", "1"}, {"h", "2"}};
  Message m;
  m.key = std::string_view("");
  m.headers = hs;
  m.payload = std::string_view("one");
  uint64_t t1 = 0, t2 = 0;
  REQUIRE(p->produce(m, &t1).ok());
  Message tomb;
  tomb.key = std::string_view("k");
  REQUIRE(p->produce(tomb, &t2).ok());
  CHECK(t1 == 1);
  CHECK(t2 == 2);
  CHECK(p->acknowledged() == 0);  // buffered, not written yet
  REQUIRE(p->flush(Millis(1000)).ok());
  CHECK(p->acknowledged() == 2);
  CHECK(p->failed() == 0);

  auto c = consumer(uri_of(tmp), from_beginning());
  auto got = consume_all(*c);
  REQUIRE(got.size() == 2);
  CHECK(got[0].stream == "s");
  CHECK(got[0].shard == 0);
  CHECK(got[0].seq == 0);
  REQUIRE(got[0].key.has_value());
  CHECK(got[0].key->empty());
  REQUIRE(got[0].headers.size() == 2);
  CHECK(got[0].headers[1].second == "2");
  CHECK(*got[0].payload == "one");
  CHECK(*got[1].key == "k");
  CHECK_FALSE(got[1].payload.has_value());
}

TEST_CASE("file backend: ENOSPC on a write fails exactly that batch's tickets") {
  TempDir tmp;
  FaultInjectionEnv env;
  auto p = producer(uri_of(tmp), {}, &env);
  std::vector<std::pair<uint64_t, StatusCode>> failures;
  p->set_delivery_listener(
      [&](uint64_t t, const Status& st) { failures.emplace_back(t, st.code()); });
  produce_n(*p, "ok", 10);
  REQUIRE(p->flush(Millis(1000)).ok());

  SUBCASE("the write fails outright") {
    env.fail_write(1, ENOSPC);
  }
  SUBCASE("part of the batch lands, then the disk fills") {
    env.set_short_writes(100);
    env.fail_write(3, ENOSPC);
  }
  produce_n(*p, "lost", 5);
  Status st = p->flush(Millis(1000));
  CHECK(st.is(StatusCode::kIoError));
  CHECK(st.message().find("no space left on device") != std::string::npos);
  CHECK(p->acknowledged() == 15);
  CHECK(p->failed() == 5);
  REQUIRE(failures.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    CHECK(failures[i].first == 11 + i);
    CHECK(failures[i].second == StatusCode::kIoError);
  }
  // Nothing half-written stays: the segment ends right after record 9.
  env.clear_faults();
  produce_n(*p, "after", 3);
  REQUIRE(p->flush(Millis(1000)).ok());
  CHECK(p->acknowledged() == 18);

  auto c = consumer(uri_of(tmp), from_beginning());
  auto got = consume_all(*c);
  REQUIRE(got.size() == 13);
  for (size_t i = 0; i < got.size(); ++i) CHECK(got[i].seq == static_cast<int64_t>(i));
  CHECK(*got[9].payload == "ok9");
  CHECK(*got[10].payload == "after0");
}

TEST_CASE("file backend: fsync failure under the always policy fails the batch") {
  TempDir tmp;
  FaultInjectionEnv env;
  auto pr = open_file_producer(
      uri_of(tmp),
      [&] {
        ProducerOptions o;
        o.fsync = FsyncPolicy::kAlways;
        return o;
      }(),
      &env);
  REQUIRE(pr.ok());
  auto& p = *pr;
  produce_n(*p, "a", 3);
  env.fail_sync(EIO);
  CHECK(p->flush(Millis(1000)).is(StatusCode::kIoError));
  CHECK(p->failed() == 3);
  produce_n(*p, "b", 2);
  REQUIRE(p->flush(Millis(1000)).ok());
  auto c = consumer(uri_of(tmp), from_beginning());
  auto got = consume_all(*c);
  REQUIRE(got.size() == 2);
  CHECK(*got[0].payload == "b0");
}

TEST_CASE("file backend: concurrent producers never corrupt the log") {
  TempDir tmp;
  ProducerOptions po;
  po.segment_bytes = 64 << 10;  // rolls happen under contention too
  const int kPerWriter = 20000;
  auto run = [&](const std::string& prefix) {
    auto p = producer(uri_of(tmp), po);
    for (int i = 0; i < kPerWriter; ++i) {
      std::string payload = prefix + std::to_string(i);
      REQUIRE(p->produce(filelog_test::payload_msg(payload)).ok());
      if (i % 97 == 0) REQUIRE(p->flush(Millis(1000)).ok());
    }
    REQUIRE(p->flush(Millis(1000)).ok());
  };
  SUBCASE("two threads") {
    std::thread a([&] { run("A"); });
    std::thread b([&] { run("B"); });
    a.join();
    b.join();
  }
  SUBCASE("two processes") {
    // Create the stream first so both processes open an existing one.
    { producer(uri_of(tmp), po); }
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Minimal work in the child: no doctest assertions.
      auto p = open_file_producer(uri_of(tmp), po);
      if (!p.ok()) _exit(1);
      for (int i = 0; i < kPerWriter; ++i) {
        std::string payload = "B" + std::to_string(i);
        if (!(*p)->produce(filelog_test::payload_msg(payload)).ok()) _exit(2);
        if (i % 97 == 0 && !(*p)->flush(Millis(1000)).ok()) _exit(3);
      }
      _exit((*p)->flush(Millis(1000)).ok() ? 0 : 4);
    }
    run("A");
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
  }
  auto c = consumer(uri_of(tmp), from_beginning());
  auto got = consume_all(*c);
  REQUIRE(got.size() == 2 * kPerWriter);
  std::map<char, int> next = {{'A', 0}, {'B', 0}};
  for (size_t i = 0; i < got.size(); ++i) {
    REQUIRE(got[i].seq == static_cast<int64_t>(i));
    const std::string& pl = *got[i].payload;
    // Each writer's records appear in its own order.
    REQUIRE(pl == std::string(1, pl[0]) + std::to_string(next[pl[0]]));
    ++next[pl[0]];
    if (i > 0) REQUIRE(got[i].ts_us >= got[i - 1].ts_us);
  }
}

TEST_CASE("file backend: a following consumer sees records from another thread") {
  TempDir tmp;
  auto p = producer(uri_of(tmp));
  ConsumerOptions co;
  co.from.kind = StartPosition::Kind::kEnd;
  auto c = consumer(uri_of(tmp), co);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    produce_n(*p, "live", 3);
    REQUIRE(p->flush(Millis(1000)).ok());
  });
  std::vector<OwnedMessage> got;
  MessageBatch batch;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (got.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    REQUIRE(c->poll(batch, Millis(500)).ok());
    for (const Message& m : batch.messages) got.emplace_back(m);
  }
  t.join();
  REQUIRE(got.size() == 3);
  CHECK(*got[2].payload == "live2");
}

TEST_CASE("file backend: wake() returns a blocked poll with an empty batch") {
  TempDir tmp;
  { producer(uri_of(tmp)); }
  ConsumerOptions co;
  auto c = consumer(uri_of(tmp), co);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    c->wake();
  });
  MessageBatch batch;
  auto start = std::chrono::steady_clock::now();
  CHECK(c->poll(batch, Millis(10000)).ok());
  CHECK(batch.empty());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  t.join();
}

TEST_CASE("file backend: a missing stream") {
  TempDir tmp;
  SUBCASE("with exit_at_end is kNotFound") {
    auto c = open_file_consumer(uri_of(tmp, {"nope"}), from_beginning());
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().is(StatusCode::kNotFound));
    CHECK(c.status().message() == "stream 'nope' does not exist in '" + tmp.path() + "'");
  }
  SUBCASE("when following is waited for") {
    auto c = consumer(uri_of(tmp, {"later"}), from_beginning("", false));
    MessageBatch batch;
    REQUIRE(c->poll(batch, Millis(20)).ok());
    CHECK(batch.empty());
    CHECK_FALSE(std::filesystem::exists(tmp.sub("later")));  // not created by us
    auto p = producer(uri_of(tmp, {"later"}));
    produce_n(*p, "x", 2);
    REQUIRE(p->flush(Millis(1000)).ok());
    std::vector<OwnedMessage> got;
    for (int i = 0; i < 50 && got.size() < 2; ++i) {
      REQUIRE(c->poll(batch, Millis(100)).ok());
      for (const Message& m : batch.messages) got.emplace_back(m);
    }
    REQUIRE(got.size() == 2);
    CHECK(got[0].stream == "later");
  }
}

TEST_CASE("file backend: an uncreatable stream directory names the path") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.fail_mkdir(EACCES);
  auto p = open_file_producer(uri_of(tmp, {"denied"}), {}, &env);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().is(StatusCode::kPermissionDenied));
  CHECK(p.status().message().find(tmp.sub("denied")) != std::string::npos);

  // A real failure: a regular file where the cluster directory should be.
  std::string file = tmp.sub("plainfile");
  { std::ofstream(file) << "x"; }
  StreamUri u;
  u.dir = file;
  u.streams = {"s"};
  auto p2 = open_file_producer(u, {});
  REQUIRE_FALSE(p2.ok());
  CHECK(
      (p2.status().is(StatusCode::kCannotCreate) || p2.status().is(StatusCode::kPermissionDenied)));
  CHECK(p2.status().message().find(file + "/s") != std::string::npos);
}

TEST_CASE("file backend: Message.stream routes to a sibling stream") {
  TempDir tmp;
  auto p = producer(uri_of(tmp, {"main"}));
  Message m = filelog_test::payload_msg("to-orders");
  m.stream = "orders";
  REQUIRE(p->produce(m).ok());
  REQUIRE(p->produce(filelog_test::payload_msg("to-main")).ok());
  m.stream = "bad/name";
  CHECK(p->produce(m).is(StatusCode::kInvalidArgument));
  REQUIRE(p->flush(Millis(1000)).ok());
  CHECK(p->acknowledged() == 2);
  auto c = consumer(uri_of(tmp, {"orders", "main"}), from_beginning());
  auto got = consume_all(*c);
  REQUIRE(got.size() == 2);
  std::map<std::string, std::string> by_stream;
  for (auto& g : got) by_stream[g.stream] = *g.payload;
  CHECK(by_stream["orders"] == "to-orders");
  CHECK(by_stream["main"] == "to-main");
}

TEST_CASE("file backend: consumer groups commit, resume, and share one shard") {
  TempDir tmp;
  auto p = producer(uri_of(tmp));
  produce_n(*p, "g", 10);
  REQUIRE(p->flush(Millis(1000)).ok());
  {
    auto c = consumer(uri_of(tmp), from_beginning("workers"));
    MessageBatch batch;
    REQUIRE(c->poll(batch, Millis(1000)).ok());
    REQUIRE(batch.size() == 10);
    c->mark_taken(batch.messages[4]);
    REQUIRE(c->commit().ok());

    // A second member of the group finds no shard left for it while this
    // one lives: with exit_at_end it ends at once, having read nothing.
    auto second = consumer(uri_of(tmp), from_beginning("workers"));
    CHECK(consume_all(*second).empty());
  }
  CHECK(filelog::ConsumerGroup::ReadCommitted(Env::Default(), tmp.sub("s"), "workers").value() ==
        5);
  {
    // Resume exactly after the last taken message, whatever `from` says.
    ConsumerOptions co = from_beginning("workers");
    co.from.kind = StartPosition::Kind::kEnd;
    auto c = consumer(uri_of(tmp), co);
    auto got = consume_all(*c);
    REQUIRE(got.size() == 5);
    CHECK(got[0].seq == 5);
    // commit() without new marks writes nothing new.
    REQUIRE(c->commit().ok());
  }
  CHECK(filelog::ConsumerGroup::ReadCommitted(Env::Default(), tmp.sub("s"), "workers").value() ==
        5);

  auto admin = open_file_admin(uri_of(tmp, {}));
  REQUIRE(admin.ok());
  auto info = (*admin)->describe({});
  REQUIRE(info.ok());
  REQUIRE(info->size() == 1);
  const StreamInfo& s = (*info)[0];
  CHECK(s.name == "s");
  CHECK(s.messages == 10);
  REQUIRE(s.shards.size() == 1);
  CHECK(s.shards[0].first_seq == 0);
  CHECK(s.shards[0].last_seq == 9);
  CHECK(s.shards[0].last_ts_us >= s.shards[0].first_ts_us);
  CHECK(s.bytes > 0);
  REQUIRE(s.groups.size() == 1);
  CHECK(s.groups[0].name == "workers");
  CHECK(s.groups[0].committed == std::vector<int64_t>{5});
  CHECK(s.groups[0].lag == 5);
  auto missing = (*admin)->describe({"ghost"});
  CHECK(missing.status().is(StatusCode::kNotFound));
}

TEST_CASE("file backend: a group behind retention warns how many records were lost") {
  TempDir tmp;
  ProducerOptions po;
  po.segment_bytes = 500;
  po.retention_bytes = 1200;
  auto p = producer(uri_of(tmp), po);
  produce_n(*p, "r", 3);
  REQUIRE(p->flush(Millis(1000)).ok());
  {
    auto c = consumer(uri_of(tmp), from_beginning("slow"));
    MessageBatch batch;
    REQUIRE(c->poll(batch, Millis(1000)).ok());
    REQUIRE(batch.size() == 3);
    c->mark_taken(batch.messages[0]);
    REQUIRE(c->commit().ok());  // committed next = 1
  }
  for (int b = 1; b < 30; ++b) {
    produce_n(*p, "r", 3, b * 3);
    REQUIRE(p->flush(Millis(1000)).ok());
  }
  auto bases = filelog::list_segments(Env::Default(), tmp.sub("s"));
  REQUIRE(bases.ok());
  REQUIRE(bases->front() > 1);
  WarningCapture warnings;
  auto c = consumer(uri_of(tmp), from_beginning("slow"));
  auto lines = warnings.take();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("group 'slow' of stream 's': " + std::to_string(bases->front() - 1) +
                      " records lost to retention") != std::string::npos);
  auto got = consume_all(*c);
  REQUIRE(!got.empty());
  CHECK(got[0].seq == bases->front());
  CHECK(got.back().seq == 89);
}

TEST_CASE("file backend: records a crash lost after a group read them: no seq is reused") {
  // Under --fsync never a crash may drop acknowledged records that a group
  // already read and committed past. The next writer must not hand those
  // seqs out again (the group would skip the new records): it goes on at
  // the group's seq, and readers see the loss as a gap.
  TempDir tmp;
  ProducerOptions never;
  never.fsync = FsyncPolicy::kNever;
  {
    auto p = producer(uri_of(tmp), never);
    produce_n(*p, "r", 5);
    REQUIRE(p->flush(Millis(1000)).ok());
  }
  {
    auto c = consumer(uri_of(tmp), from_beginning("g"));
    auto got = consume_all(*c);
    REQUIRE(got.size() == 5);
    c->mark_taken(got.back().view());
    REQUIRE(c->commit().ok());  // committed next = 5
  }
  // The crash: the segment loses its last three records.
  const std::string seg = filelog::segment_path(tmp.sub("s"), 0);
  const size_t rs = filelog::record_size(filelog_test::payload_msg("r0"));
  REQUIRE(truncate(seg.c_str(), static_cast<off_t>(filelog::kSegmentHeaderBytes + 2 * rs)) == 0);
  WarningCapture warnings;
  {
    auto p = producer(uri_of(tmp), never);
    produce_n(*p, "new", 2);
    REQUIRE(p->flush(Millis(1000)).ok());
  }
  auto lines = warnings.take();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("ends at seq 2 but group 'g' has read up to seq 5: records 2 to 4 were "
                      "lost") != std::string::npos);
  auto c = consumer(uri_of(tmp), from_beginning("g"));
  auto got = consume_all(*c);
  REQUIRE(got.size() == 2);
  CHECK(got[0].seq == 5);
  CHECK(*got[0].payload == "new0");
  CHECK(got[1].seq == 6);
  // A reader from the start meets the gap as corruption: reported, not hidden.
  auto plain = consumer(uri_of(tmp), from_beginning());
  MessageBatch batch;
  Status st = plain->poll(batch, Millis(1000));
  REQUIRE(st.ok());
  CHECK(batch.size() == 2);
  st = plain->poll(batch, Millis(1000));
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message().find("the next segment starts at seq 5") != std::string::npos);
}
