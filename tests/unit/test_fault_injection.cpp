// Fault injection through the Env seam (leveldb's fault_injection_test):
// crashes that drop every byte not yet synced under each fsync policy,
// short writes, EIO and ENOSPC on write and on fsync, and a failed rename of
// a group offset file. For each: nothing acknowledged is lost, no seq that
// was durable is reused, and the error names the path and exits 74.
#include <doctest/doctest.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "backends/file_backend.h"
#include "filelog/filelog.h"
#include "sluice/env.h"
#include "test_filelog_util.h"

using namespace sluice;
using namespace sluice::filelog;
using filelog_test::TempDir;
using filelog_test::uri_of;

namespace {

constexpr int64_t kSecond = 1'000'000;

// A record as written or read back: its seq and its payload bytes.
struct Rec {
  int64_t seq;
  std::string payload;
  bool operator==(const Rec&) const = default;
};

std::unique_ptr<LogWriter> open_writer(const std::string& dir, FaultInjectionEnv& env,
                                       FsyncPolicy policy, int64_t segment_bytes = 1024) {
  WriterOptions wo;
  wo.env = &env;
  wo.fsync = policy;
  wo.fsync_interval = Millis(1000);
  wo.create_settings.segment_bytes = segment_bytes;
  auto w = LogWriter::Open(dir, wo);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  return std::move(*w);
}

// Records of ~92 bytes, so a 1 KiB segment holds about eleven.
std::string payload(const std::string& prefix, int i) {
  return prefix + std::to_string(i) + std::string(48, static_cast<char>('a' + i % 26));
}

// Adds `n` records and writes them as one batch; on success appends them to
// *acked with their seqs.
Status write(LogWriter& w, const std::string& prefix, int n, std::vector<Rec>* acked) {
  std::vector<std::string> ps;
  for (int i = 0; i < n; ++i) ps.push_back(payload(prefix, i));
  for (const std::string& p : ps) REQUIRE(w.add(filelog_test::payload_msg(p)).ok());
  int64_t first = -1;
  Status st = w.write_batch(&first);
  if (st.ok() && acked) {
    for (int i = 0; i < n; ++i) acked->push_back({first + i, ps[static_cast<size_t>(i)]});
  }
  return st;
}

// Everything a fresh reader finds, from the beginning; any corruption fails.
std::vector<Rec> read_back(const std::string& dir, FaultInjectionEnv& env) {
  ReaderOptions ro;
  ro.env = &env;
  auto r = LogReader::Open(dir, "s", ro);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  StartPosition from;
  from.kind = StartPosition::Kind::kBeginning;
  REQUIRE((*r)->seek(from).ok());
  std::vector<Rec> out;
  for (const OwnedMessage& m : filelog_test::drain(**r)) {
    out.push_back({m.seq, m.payload ? *m.payload : std::string()});
  }
  return out;
}

}  // namespace

namespace doctest {
template <>
struct StringMaker<std::vector<Rec>> {
  static String convert(const std::vector<Rec>& v) {
    std::string s = "[";
    for (const Rec& r : v) s += " " + std::to_string(r.seq) + ":" + r.payload.substr(0, 8);
    return (s + " ]").c_str();
  }
};
}  // namespace doctest

namespace {

bool is_prefix(const std::vector<Rec>& got, const std::vector<Rec>& written) {
  return got.size() <= written.size() && std::equal(got.begin(), got.end(), written.begin());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// ------------------------------------------------------------------ status

TEST_CASE(
    "fault injection: ENOSPC, EDQUOT, EIO and EROFS exit 74 with a lowercase "
    "reason") {
  Status nospc = Status::FromErrno(ENOSPC, "write");
  CHECK(nospc.message() == "write: no space left on device");
  CHECK(nospc.exit_code() == ExitCode::kIoErr);
  CHECK(Status::FromErrno(EDQUOT, "write").exit_code() == ExitCode::kIoErr);
  CHECK(Status::FromErrno(EIO, "fsync").message() == "fsync: input/output error");
  CHECK(Status::FromErrno(EIO, "fsync").exit_code() == ExitCode::kIoErr);
  // A read-only file system is the medium, not a permission problem (DESIGN 5).
  CHECK(Status::FromErrno(EROFS, "write").exit_code() == ExitCode::kIoErr);
  CHECK(Status::FromErrno(EACCES, "open").exit_code() == ExitCode::kNoPerm);
}

// ------------------------------------------------------- crash per policy

TEST_CASE("fault injection: fsync=always loses nothing acknowledged in a crash") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  std::vector<Rec> acked;
  {
    auto w = open_writer(dir, env, FsyncPolicy::kAlways);
    // Enough batches to roll several 1 KiB segments.
    for (int b = 0; b < 12; ++b) REQUIRE(write(*w, "b" + std::to_string(b) + "-", 4, &acked).ok());
    REQUIRE(list_segments(&env, dir)->size() > 3);
  }
  REQUIRE(env.drop_unsynced().ok());
  CHECK(read_back(dir, env) == acked);
  // No acknowledged seq is ever handed out again.
  auto w = open_writer(dir, env, FsyncPolicy::kAlways);
  CHECK(w->next_seq() == static_cast<int64_t>(acked.size()));
  REQUIRE(write(*w, "after-", 1, &acked).ok());
  CHECK(acked.back().seq == 48);
  w.reset();
  REQUIRE(env.drop_unsynced().ok());
  CHECK(read_back(dir, env) == acked);
}

TEST_CASE(
    "fault injection: fsync=interval keeps exactly what the last sync "
    "covered") {
  // The interval policy acknowledges a batch once it is written and syncs
  // at most every fsync_interval (1 s here), on the first write_batch() or
  // maybe_sync() after it elapsed. A crash keeps every record written
  // before the last sync, nothing after it in this model (a real disk may
  // keep more), and what survives is a prefix: no hole, no garbage.
  TempDir tmp;
  FaultInjectionEnv env;
  env.set_clock(1000 * kSecond);
  std::string dir = tmp.sub("s");
  std::vector<Rec> written;
  size_t synced = 0;
  {
    auto w = open_writer(dir, env, FsyncPolicy::kInterval);
    int syncs = env.syncs();
    REQUIRE(write(*w, "a", 5, &written).ok());
    REQUIRE(write(*w, "b", 5, &written).ok());
    CHECK(env.syncs() == syncs);  // the interval has not elapsed
    env.advance_clock(999'999);
    REQUIRE(w->maybe_sync().ok());
    CHECK(env.syncs() == syncs);
    env.advance_clock(1);
    REQUIRE(write(*w, "c", 30, &written).ok());  // rolls segments, then syncs
    CHECK(env.syncs() > syncs);
    synced = written.size();
    syncs = env.syncs();
    env.advance_clock(kSecond / 2);
    REQUIRE(write(*w, "d", 20, &written).ok());  // acknowledged, not synced
    REQUIRE(w->maybe_sync().ok());
    CHECK(env.syncs() == syncs);
  }
  REQUIRE(env.drop_unsynced().ok());
  std::vector<Rec> got = read_back(dir, env);
  CHECK(is_prefix(got, written));
  CHECK(got.size() == synced);
  // Seqs continue after the durable records: those of the lost, never
  // synced records are handed out again; those a sync covered never are.
  auto w = open_writer(dir, env, FsyncPolicy::kInterval);
  CHECK(w->next_seq() == static_cast<int64_t>(got.size()));
  std::vector<Rec> again;
  REQUIRE(write(*w, "e", 1, &again).ok());
  CHECK(again[0].seq == static_cast<int64_t>(synced));
}

TEST_CASE(
    "fault injection: fsync=never leaves the tail to the OS, and a crash keeps "
    "a prefix") {
  // The never policy promises nothing beyond what was durable before: here
  // an earlier writer under always made 6 records durable; what a never
  // writer appended after them may vanish, whole segments included, but
  // what survives is a prefix of what was written.
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  std::vector<Rec> written;
  {
    auto w = open_writer(dir, env, FsyncPolicy::kAlways);
    REQUIRE(write(*w, "durable", 6, &written).ok());
  }
  size_t durable = written.size();
  {
    auto w = open_writer(dir, env, FsyncPolicy::kNever);
    for (int b = 0; b < 6; ++b) REQUIRE(write(*w, "n" + std::to_string(b) + "-", 5, &written).ok());
    REQUIRE(list_segments(&env, dir)->size() > 2);
  }
  REQUIRE(env.drop_unsynced().ok());
  std::vector<Rec> got = read_back(dir, env);
  CHECK(is_prefix(got, written));
  CHECK(got.size() == durable);
  auto w = open_writer(dir, env, FsyncPolicy::kNever);
  CHECK(w->next_seq() == static_cast<int64_t>(durable));
}

TEST_CASE("fault injection: short writes still produce whole records") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  std::vector<Rec> acked;
  {
    auto w = open_writer(dir, env, FsyncPolicy::kAlways);
    env.set_short_writes(7);
    for (int b = 0; b < 5; ++b) REQUIRE(write(*w, "s" + std::to_string(b) + "-", 3, &acked).ok());
    CHECK(env.writes() > 100);
    // Part of the next batch lands, then the disk fills.
    env.fail_write(4, ENOSPC);
    Status st = write(*w, "lost", 3, &acked);
    CHECK(st.is(StatusCode::kIoError));
    CHECK(read_back(dir, env) == acked);  // nothing of the failed batch
    env.clear_faults();
    env.set_short_writes(5);
    REQUIRE(write(*w, "after", 2, &acked).ok());
  }
  REQUIRE(env.drop_unsynced().ok());
  std::vector<Rec> got = read_back(dir, env);
  CHECK(got == acked);
  CHECK(got.back().seq == 16);
}

// ------------------------------------------------- EIO and ENOSPC, writer

TEST_CASE(
    "fault injection: EIO and ENOSPC on write and on fsync fail the batch and "
    "name the segment") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  FsyncPolicy policy = FsyncPolicy::kAlways;
  int err = 0;
  bool on_sync = false;
  SUBCASE("ENOSPC on write, always") {
    err = ENOSPC;
  }
  SUBCASE("EIO on write, always") {
    err = EIO;
  }
  SUBCASE("ENOSPC on fsync, always") {
    err = ENOSPC;
    on_sync = true;
  }
  SUBCASE("EIO on fsync, always") {
    err = EIO;
    on_sync = true;
  }
  SUBCASE("ENOSPC on write, interval") {
    err = ENOSPC;
    policy = FsyncPolicy::kInterval;
  }
  SUBCASE("EIO on write, never") {
    err = EIO;
    policy = FsyncPolicy::kNever;
  }
  env.set_clock(1000 * kSecond);
  std::vector<Rec> acked;
  auto w = open_writer(dir, env, policy, 1 << 20);
  REQUIRE(write(*w, "ok", 3, &acked).ok());
  if (on_sync) {
    env.fail_sync(err);
  } else {
    env.fail_write(1, err);
  }
  Status st = write(*w, "lost", 2, &acked);
  REQUIRE_FALSE(st.ok());
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK(contains(st.message(), "'" + segment_path(dir, 0) + "'"));
  CHECK(contains(st.message(), err == ENOSPC ? "no space left on device" : "input/output error"));
  CHECK(acked.size() == 3);
  CHECK(read_back(dir, env) == acked);  // nothing of the failed batch is readable
  env.clear_faults();
  REQUIRE(write(*w, "after", 2, &acked).ok());
  CHECK(acked[3].seq == 3);  // the next seq: none reused, none skipped
  CHECK(read_back(dir, env) == acked);
  if (policy == FsyncPolicy::kNever) return;  // nothing is promised in a crash
  if (policy == FsyncPolicy::kInterval) REQUIRE(w->sync().ok());
  w.reset();
  REQUIRE(env.drop_unsynced().ok());
  CHECK(read_back(dir, env) == acked);
}

TEST_CASE(
    "fault injection: a failed fsync of a new segment under always loses "
    "nothing acknowledged") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  std::vector<Rec> acked;
  {
    auto w = open_writer(dir, env, FsyncPolicy::kAlways);
    REQUIRE(write(*w, "a", 12, &acked).ok());  // fills the first segment
    env.fail_sync(EIO);                        // the sync of the next segment's header
    Status st = write(*w, "b", 3, &acked);
    CHECK(st.is(StatusCode::kIoError));
    CHECK(contains(st.message(), "'" + segment_path(dir, 12) + "'"));
    REQUIRE(write(*w, "c", 3, &acked).ok());
    CHECK(acked.back().seq == 14);
    REQUIRE(list_segments(&env, dir)->size() == 2);
  }
  REQUIRE(env.drop_unsynced().ok());
  CHECK(read_back(dir, env) == acked);
}

// ---------------------------------------------- file producer (what flux sees)

TEST_CASE("fault injection: a failed interval sync is reported and stays reported") {
  // Under interval, records are acknowledged before they are synced. When
  // the sync then fails, the kernel may have dropped them: a later sync that
  // succeeds proves nothing, so the writer must keep failing (flux exits 74)
  // instead of going on as if they were durable.
  TempDir tmp;
  FaultInjectionEnv env;
  env.set_clock(1000 * kSecond);
  ProducerOptions po;
  po.fsync = FsyncPolicy::kInterval;
  po.fsync_interval = Millis(1000);
  auto p = open_file_producer(uri_of(tmp), po, &env);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  std::vector<uint64_t> failed;
  (*p)->set_delivery_listener([&](uint64_t t, const Status&) { failed.push_back(t); });
  for (int i = 0; i < 3; ++i)
    REQUIRE((*p)->produce(filelog_test::payload_msg(payload("a", i))).ok());
  REQUIRE((*p)->flush(Millis(1000)).ok());
  CHECK((*p)->acknowledged() == 3);  // written; the interval allows the wait
  env.advance_clock(kSecond);
  int syncs = env.syncs();
  REQUIRE((*p)->poll(Millis(0)).ok());
  CHECK(env.syncs() > syncs);
  for (int i = 3; i < 6; ++i)
    REQUIRE((*p)->produce(filelog_test::payload_msg(payload("a", i))).ok());
  REQUIRE((*p)->flush(Millis(1000)).ok());
  CHECK((*p)->acknowledged() == 6);

  env.advance_clock(kSecond);
  env.fail_sync(EIO);
  Status st = (*p)->poll(Millis(0));
  REQUIRE_FALSE(st.ok());
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK(contains(st.message(), "'" + segment_path(tmp.sub("s"), 0) + "'"));
  CHECK(contains(st.message(), "input/output error"));

  env.clear_faults();
  env.advance_clock(kSecond);
  st = (*p)->poll(Millis(0));
  CHECK(st.exit_code() == ExitCode::kIoErr);  // a retry that "works" is no proof
  for (int i = 0; i < 2; ++i)
    REQUIRE((*p)->produce(filelog_test::payload_msg(payload("b", i))).ok());
  st = (*p)->flush(Millis(1000));
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK((*p)->failed() == 2);
  CHECK(failed == std::vector<uint64_t>{7, 8});
}

TEST_CASE(
    "fault injection: the file producer's acknowledged records survive a crash "
    "as its policy says") {
  // acknowledged() is what flux waits for before it exits 0.
  TempDir tmp;
  FaultInjectionEnv env;
  env.set_clock(1000 * kSecond);
  ProducerOptions po;
  po.fsync_interval = Millis(1000);
  po.segment_bytes = 4096;
  SUBCASE("always") {
    po.fsync = FsyncPolicy::kAlways;
  }
  SUBCASE("interval") {
    po.fsync = FsyncPolicy::kInterval;
  }
  SUBCASE("never") {
    po.fsync = FsyncPolicy::kNever;
  }
  std::vector<Rec> produced;
  uint64_t acked = 0;
  size_t synced = 0;  // records a completed interval sync covered
  {
    auto p = open_file_producer(uri_of(tmp), po, &env);
    REQUIRE_MESSAGE(p.ok(), p.status().message());
    for (int round = 0; round < 6; ++round) {
      for (int i = 0; i < 10; ++i) {
        std::string text = payload("r" + std::to_string(round) + "-", i);
        produced.push_back({static_cast<int64_t>(produced.size()), text});
        REQUIRE((*p)->produce(filelog_test::payload_msg(text)).ok());
      }
      if (round == 3) env.advance_clock(kSecond);  // this flush syncs under interval
      int syncs = env.syncs();
      REQUIRE((*p)->flush(Millis(1000)).ok());
      if (env.syncs() > syncs) synced = produced.size();
    }
    acked = (*p)->acknowledged();
    CHECK(acked == produced.size());
    CHECK((*p)->failed() == 0);
  }
  REQUIRE(env.drop_unsynced().ok());
  std::vector<Rec> got = read_back(tmp.sub("s"), env);
  CHECK(is_prefix(got, produced));
  if (po.fsync == FsyncPolicy::kAlways) {
    CHECK(got.size() == acked);
  } else if (po.fsync == FsyncPolicy::kInterval) {
    CHECK(synced == 40);
    CHECK(got.size() == synced);
  } else {
    CHECK(got.empty());  // not even the stream's first segment was synced
  }
}

TEST_CASE(
    "fault injection: ENOSPC through the file producer fails only unwritten "
    "records") {
  // What flux sees: the records of the failed batch are reported failed, the
  // others acknowledged; after a crash every acknowledged record is there
  // and no failed one is.
  TempDir tmp;
  FaultInjectionEnv env;
  ProducerOptions po;
  po.fsync = FsyncPolicy::kAlways;
  std::vector<std::string> ok_payloads;
  {
    auto p = open_file_producer(uri_of(tmp), po, &env);
    REQUIRE_MESSAGE(p.ok(), p.status().message());
    std::vector<std::pair<uint64_t, Status>> failures;
    (*p)->set_delivery_listener(
        [&](uint64_t t, const Status& st) { failures.emplace_back(t, st); });
    uint64_t ticket = 0;
    for (int i = 0; i < 4; ++i) {
      ok_payloads.push_back(payload("ok", i));
      REQUIRE((*p)->produce(filelog_test::payload_msg(ok_payloads.back()), &ticket).ok());
    }
    REQUIRE((*p)->flush(Millis(1000)).ok());
    env.set_short_writes(50);
    env.fail_write(2, ENOSPC);
    for (int i = 0; i < 3; ++i)
      REQUIRE((*p)->produce(filelog_test::payload_msg(payload("lost", i))).ok());
    Status st = (*p)->flush(Millis(1000));
    CHECK(st.exit_code() == ExitCode::kIoErr);
    CHECK(contains(st.message(), "cannot append to '" + segment_path(tmp.sub("s"), 0) + "'"));
    CHECK(contains(st.message(), "no space left on device"));
    CHECK((*p)->failed() == 3);
    REQUIRE(failures.size() == 3);
    CHECK(failures[0].first == 5);
    CHECK(failures[2].first == 7);
    CHECK(failures[0].second.exit_code() == ExitCode::kIoErr);
    env.clear_faults();
    ok_payloads.push_back(payload("after", 0));
    REQUIRE((*p)->produce(filelog_test::payload_msg(ok_payloads.back())).ok());
    REQUIRE((*p)->flush(Millis(1000)).ok());
    CHECK((*p)->acknowledged() == 8);
  }
  REQUIRE(env.drop_unsynced().ok());
  std::vector<Rec> got = read_back(tmp.sub("s"), env);
  REQUIRE(got.size() == ok_payloads.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].seq == static_cast<int64_t>(i));
    CHECK(got[i].payload == ok_payloads[i]);
  }
}

// ------------------------------------------------------------ group store

TEST_CASE(
    "fault injection: a failed rename of a group offset keeps the previous "
    "offset") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  {
    auto w = open_writer(dir, env, FsyncPolicy::kAlways);
    REQUIRE(write(*w, "r", 3, nullptr).ok());
  }
  auto g = ConsumerGroup::Join(&env, dir, "s", "g");
  REQUIRE_MESSAGE(g.ok(), g.status().message());
  REQUIRE((*g)->store(2).ok());

  env.fail_write(1, ENOSPC);  // writing the temp file
  Status full = (*g)->store(3);
  CHECK(full.exit_code() == ExitCode::kIoErr);
  CHECK(contains(full.message(), "no space left on device"));
  CHECK(*(*g)->load() == 2);

  env.fail_rename(EIO);
  Status st = (*g)->store(3);
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK(contains(st.message(), "'" + dir + "/groups/g'"));
  CHECK(contains(st.message(), "input/output error"));
  CHECK(*(*g)->load() == 2);
  CHECK(*ConsumerGroup::ReadCommitted(&env, dir, "g") == 2);
  CHECK(*ConsumerGroup::List(&env, dir) == std::vector<std::string>{"g"});
  auto names = env.list_dir(dir + "/groups");
  REQUIRE(names.ok());
  CHECK(std::count(names->begin(), names->end(), ".g.tmp") == 0);  // no stray temp

  SUBCASE("the next store works") {
    REQUIRE((*g)->store(3).ok());
    CHECK(*(*g)->load() == 3);
    g->reset();
    REQUIRE(env.drop_unsynced().ok());
    CHECK(*ConsumerGroup::ReadCommitted(&env, dir, "g") == 3);
  }
  SUBCASE("a crash keeps the previous offset") {
    g->reset();
    REQUIRE(env.drop_unsynced().ok());
    CHECK(*ConsumerGroup::ReadCommitted(&env, dir, "g") == 2);
  }
}

TEST_CASE(
    "fault injection: a group created just before a crash keeps its synced "
    "offset") {
  // The groups directory is created by Join(); unless its entry in the
  // stream directory is synced, a crash can take it and the offset away.
  TempDir tmp;
  FaultInjectionEnv env;
  std::string dir = tmp.sub("s");
  {
    auto w = open_writer(dir, env, FsyncPolicy::kAlways);
    REQUIRE(write(*w, "r", 3, nullptr).ok());
  }
  {
    auto g = ConsumerGroup::Join(&env, dir, "s", "g");
    REQUIRE(g.ok());
    REQUIRE((*g)->store(3).ok());
  }
  REQUIRE(env.drop_unsynced().ok());
  CHECK(*ConsumerGroup::ReadCommitted(&env, dir, "g") == 3);
}
