// Shards of the file log: Kafka's key partitioner, creation and the fixed
// count, reading every shard, and consumer groups spread over shards.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>

#include "backends/file_backend.h"
#include "core/partition.h"
#include "filelog/filelog.h"
#include "test_filelog_util.h"

using namespace sluice;
using filelog_test::TempDir;
using filelog_test::uri_of;
using filelog_test::WarningCapture;

namespace {

std::unique_ptr<Producer> producer(const StreamUri& u, int32_t shards) {
  ProducerOptions po;
  po.fsync = FsyncPolicy::kNever;
  po.shards = shards;
  auto p = open_file_producer(u, po);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return std::move(*p);
}

void produce_keyed(Producer& p, int n, int first = 0) {
  for (int i = first; i < first + n; ++i) {
    std::string key = "key-" + std::to_string(i % 97);
    std::string payload = std::to_string(i);
    Message m = filelog_test::payload_msg(payload);
    m.key = key;
    REQUIRE(p.produce(m).ok());
  }
  REQUIRE(p.flush(Millis(1000)).ok());
}

ConsumerOptions options(std::string group = "", bool exit_at_end = true) {
  ConsumerOptions co;
  co.from.kind = StartPosition::Kind::kBeginning;
  co.group = std::move(group);
  co.exit_at_end = exit_at_end;
  co.session_timeout = Millis(40);  // look at the group every 10 ms
  co.max_batch = 50;                // many polls, so that members interleave
  return co;
}

std::unique_ptr<Consumer> consumer(const StreamUri& u, ConsumerOptions co) {
  auto c = open_file_consumer(u, co);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return std::move(*c);
}

// Polls once; marks everything taken and commits.
std::vector<OwnedMessage> poll_take(Consumer& c, Status* st = nullptr) {
  MessageBatch batch;
  Status s = c.poll(batch, Millis(20));
  std::vector<OwnedMessage> out;
  for (const Message& m : batch.messages) {
    out.emplace_back(m);
    c.mark_taken(m);
  }
  REQUIRE(c.commit().ok());
  if (st) *st = s;
  return out;
}

}  // namespace

TEST_CASE("murmur2 is the Java Kafka client's (Utils.murmur2 test vectors)") {
  CHECK(static_cast<int32_t>(kafka_murmur2("21")) == -973932308);
  CHECK(static_cast<int32_t>(kafka_murmur2("foobar")) == -790332482);
  CHECK(static_cast<int32_t>(kafka_murmur2("a-little-bit-long-string")) == -985981536);
  CHECK(static_cast<int32_t>(kafka_murmur2("a-little-bit-longer-string")) == -1486304829);
  CHECK(static_cast<int32_t>(kafka_murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")) ==
        -58897971);
  CHECK(static_cast<int32_t>(kafka_murmur2("abc")) == 479470107);
  for (int32_t n : {1, 3, 4, 7}) {
    int32_t k = shard_for_key("foobar", n);
    CHECK(k == static_cast<int32_t>((kafka_murmur2("foobar") & 0x7fffffff) % n));
  }
}

TEST_CASE("group assignment: shard k to member k mod M, every shard once") {
  for (int32_t shards : {1, 2, 4, 7}) {
    for (size_t members = 1; members <= 5; ++members) {
      std::vector<int> owners(shards, 0);
      for (size_t i = 0; i < members; ++i) {
        for (int32_t k : filelog::GroupMembership::assign(shards, i, members)) {
          ++owners[k];
          CHECK(static_cast<size_t>(k) % members == i);
        }
      }
      for (int o : owners) CHECK(o == 1);
    }
  }
  CHECK(filelog::GroupMembership::assign(1, 1, 2).empty());
}

TEST_CASE("shards: keys go where Kafka would put them, keyless records a batch at a time") {
  TempDir tmp;
  auto p = producer(uri_of(tmp), 4);
  produce_keyed(*p, 1000);
  // Keyless: one batch per flush, each on the next shard.
  for (int b = 0; b < 4; ++b) {
    for (int i = 0; i < 3; ++i) REQUIRE(p->produce(filelog_test::payload_msg("nokey")).ok());
    REQUIRE(p->flush(Millis(1000)).ok());
  }
  CHECK(filelog_test::read_all(tmp.sub("s/meta")).find("shards=4\n") != std::string::npos);
  for (int k = 0; k < 4; ++k)
    CHECK(std::filesystem::is_directory(tmp.sub("s/shards/" + std::to_string(k))));

  auto c = consumer(uri_of(tmp), options());
  std::map<int32_t, int64_t> next_seq;
  std::map<int32_t, int> keyless;
  size_t n = 0;
  MessageBatch batch;
  for (;;) {
    Status st = c->poll(batch, Millis(1000));
    for (const Message& m : batch.messages) {
      ++n;
      CHECK(m.stream == "s");
      // Each shard has its own seqs, from 0, in order.
      CHECK(m.seq == next_seq[m.shard]);
      next_seq[m.shard] = m.seq + 1;
      if (m.key) {
        CHECK(m.shard == shard_for_key(*m.key, 4));
      } else {
        ++keyless[m.shard];
      }
    }
    if (st.is(StatusCode::kEndOfStream)) break;
    REQUIRE(st.ok());
  }
  CHECK(n == 1012);
  CHECK(keyless.size() == 4);
  for (auto& [shard, count] : keyless) CHECK(count == 3);

  auto admin = open_file_admin(uri_of(tmp, {}));
  REQUIRE(admin.ok());
  auto info = (*admin)->describe({});
  REQUIRE(info.ok());
  REQUIRE(info->size() == 1);
  CHECK((*info)[0].shards.size() == 4);
  CHECK((*info)[0].messages == 1012);
  int64_t sum = 0;
  for (const ShardInfo& s : (*info)[0].shards) sum += s.last_seq - s.first_seq + 1;
  CHECK(sum == 1012);
}

TEST_CASE("shards: a stream keeps the count it was created with") {
  TempDir tmp;
  { auto p = producer(uri_of(tmp), 3); }
  ProducerOptions po;
  po.shards = 2;
  auto refused = open_file_producer(uri_of(tmp), po);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().is(StatusCode::kInvalidArgument));
  CHECK(refused.status().message().find("has 3 shards, not 2") != std::string::npos);
  // Without a count asked for, an existing stream is taken as it is.
  auto p = producer(uri_of(tmp), 0);
  produce_keyed(*p, 10);
  CHECK(filelog_test::read_all(tmp.sub("s/meta")).find("shards=3\n") != std::string::npos);
  // An explicit shard beyond the count is refused, not wrapped around.
  Message m = filelog_test::payload_msg("x");
  m.shard = 3;
  CHECK(p->produce(m).is(StatusCode::kInvalidArgument));
}

TEST_CASE("shards: a failed run's new sharded stream is removed whole") {
  TempDir tmp;
  auto p = producer(uri_of(tmp), 4);
  p->discard_if_unused();
  CHECK_FALSE(std::filesystem::exists(tmp.sub("s")));
  // One with records stays.
  auto q = producer(uri_of(tmp, {"t"}), 4);
  produce_keyed(*q, 5);
  q->discard_if_unused();
  CHECK(std::filesystem::exists(tmp.sub("t/meta")));
}

TEST_CASE("shards: --from -N and SEQ apply to each shard") {
  TempDir tmp;
  auto p = producer(uri_of(tmp), 4);
  produce_keyed(*p, 400);
  ConsumerOptions co = options();
  co.from.kind = StartPosition::Kind::kFromEnd;
  co.from.value = 2;
  auto c = consumer(uri_of(tmp), co);
  std::map<int32_t, int> per_shard;
  Status st;
  while (!st.is(StatusCode::kEndOfStream)) {
    for (const OwnedMessage& m : poll_take(*c, &st)) ++per_shard[m.shard];
  }
  CHECK(per_shard.size() == 4);
  for (auto& [k, n] : per_shard) CHECK(n == 2);

  co.from.kind = StartPosition::Kind::kSeq;
  co.from.value = 5;
  auto d = consumer(uri_of(tmp), co);
  std::map<int32_t, int64_t> first;
  st = Status::Ok();
  while (!st.is(StatusCode::kEndOfStream)) {
    for (const OwnedMessage& m : poll_take(*d, &st)) {
      if (!first.count(m.shard)) first[m.shard] = m.seq;
    }
  }
  REQUIRE(first.size() == 4);
  for (auto& [k, s] : first) CHECK(s == 5);
}

TEST_CASE("groups over shards: a joining member takes shards, nothing is read twice") {
  TempDir tmp;
  auto p = producer(uri_of(tmp), 4);
  produce_keyed(*p, 2000);
  WarningCapture warnings;
  auto a = consumer(uri_of(tmp), options("g", /*exit_at_end=*/false));
  std::vector<OwnedMessage> got;
  for (int i = 0; i < 4; ++i) {
    for (auto& m : poll_take(*a)) got.push_back(m);
  }
  std::set<int32_t> a_first;
  for (auto& m : got) a_first.insert(m.shard);
  CHECK(a_first.size() == 4);  // alone, it owns every shard (they take turns)

  auto b = consumer(uri_of(tmp), options("g", /*exit_at_end=*/false));
  std::map<std::pair<int32_t, int64_t>, int> seen;
  for (auto& m : got) ++seen[{m.shard, m.seq}];
  std::set<int32_t> b_shards;
  for (int round = 0; round < 2000 && seen.size() < 2000; ++round) {
    for (auto& m : poll_take(*a)) ++seen[{m.shard, m.seq}];
    for (auto& m : poll_take(*b)) {
      ++seen[{m.shard, m.seq}];
      b_shards.insert(m.shard);
    }
  }
  CHECK(seen.size() == 2000);
  for (auto& [pos, count] : seen) CHECK_MESSAGE(count == 1, pos.first << "/" << pos.second);
  // The newcomer got its share: shards 1 and 3 of 4.
  CHECK(b_shards == std::set<int32_t>{1, 3});
  for (int k = 0; k < 4; ++k) {
    auto committed = filelog::ConsumerGroup::ReadCommitted(
        Env::Default(), filelog::shard_dir(tmp.sub("s"), 4, k), "g");
    REQUIRE(committed.ok());
    CHECK(*committed > 0);
  }

  // A third member in a 1-shard stream's group with more members than
  // shards says so once, and with exit_at_end stops at once.
  auto q = producer(uri_of(tmp, {"one"}), 1);
  produce_keyed(*q, 5);
  auto x = consumer(uri_of(tmp, {"one"}), options("h", false));
  REQUIRE(poll_take(*x).size() == 5);
  (void)warnings.take();
  auto y = consumer(uri_of(tmp, {"one"}), options("h", true));
  Status st;
  CHECK(poll_take(*y, &st).empty());
  CHECK(st.is(StatusCode::kEndOfStream));
  auto w = warnings.take();
  REQUIRE(w.size() == 1);
  CHECK(w[0] == "group 'h' of stream 'one': 2 members for 1 shard; this one has none and stops");
}

TEST_CASE("groups over shards: a dead member's file is removed and its shards move") {
  TempDir tmp;
  auto p = producer(uri_of(tmp), 2);
  produce_keyed(*p, 100);
  // A member in another process that dies without leaving (as kill -9).
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto m = filelog::GroupMembership::Join(Env::Default(), tmp.sub("s"), "g");
    auto g0 = filelog::ConsumerGroup::Join(Env::Default(), filelog::shard_dir(tmp.sub("s"), 2, 0),
                                           "s", "g");
    _exit(m.ok() && g0.ok() ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  std::string members_dir = tmp.sub("s/groups/.g.members");
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(members_dir)) files += e.exists();
  CHECK(files == 1);  // the dead member's file is still there

  auto c = consumer(uri_of(tmp), options("g"));
  std::set<std::pair<int32_t, int64_t>> seen;
  Status st;
  while (!st.is(StatusCode::kEndOfStream)) {
    for (auto& m : poll_take(*c, &st)) seen.insert({m.shard, m.seq});
  }
  CHECK(seen.size() == 100);
  auto m = filelog::GroupMembership::Join(Env::Default(), tmp.sub("s"), "g2");
  REQUIRE(m.ok());
  files = 0;
  for (auto& e : std::filesystem::directory_iterator(members_dir)) files += e.exists();
  CHECK(files == 1);  // only the live consumer's
}
