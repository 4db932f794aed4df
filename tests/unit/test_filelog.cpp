// The embedded file log: record codec, torn-tail repair, corruption, seeks,
// following, retention and meta settings (LogWriter/LogReader level).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "filelog/filelog.h"
#include "test_filelog_util.h"

using namespace sluice;
using namespace sluice::filelog;
using filelog_test::TempDir;
using filelog_test::WarningCapture;

namespace {

using filelog_test::read_all;
using filelog_test::write_all_file;

std::unique_ptr<LogWriter> open_writer(const std::string& dir, Env* env = Env::Default(),
                                       StreamSettings settings = {}) {
  WriterOptions wo;
  wo.env = env;
  wo.fsync = FsyncPolicy::kNever;
  wo.create_settings = settings;
  auto w = LogWriter::Open(dir, wo);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  return std::move(*w);
}

std::unique_ptr<LogReader> open_reader(const std::string& dir, Env* env = Env::Default()) {
  ReaderOptions ro;
  ro.env = env;
  auto r = LogReader::Open(dir, "s", ro);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(*r);
}

StartPosition at(StartPosition::Kind k, int64_t v = 0) {
  StartPosition p;
  p.kind = k;
  p.value = v;
  return p;
}

}  // namespace

TEST_CASE("filelog: crc32c matches the standard check value") {
  CHECK(crc32c("123456789", 9) == 0xE3069283u);
  CHECK(crc32c("", 0) == 0u);
  // Extending over two pieces equals one pass.
  CHECK(crc32c("56789", 5, crc32c("1234", 4)) == 0xE3069283u);
}

TEST_CASE("filelog: segment names round-trip and reject other names") {
  CHECK(segment_file_name(1234) == "00000000000000001234.log");
  int64_t b = -1;
  CHECK(parse_segment_file_name("00000000000000001234.log", &b));
  CHECK(b == 1234);
  CHECK_FALSE(parse_segment_file_name("0000000000000001234.log", &b));
  CHECK_FALSE(parse_segment_file_name("0000000000000000123x.log", &b));
  CHECK_FALSE(parse_segment_file_name("00000000000000001234.tmp", &b));
  CHECK_FALSE(parse_segment_file_name("99999999999999999999.log", &b));  // > int64
}

TEST_CASE("filelog: record encode/decode round trip") {
  const std::string binary("\0\xff\x01\n\r", 5);
  std::vector<Header> hs = {{"dup", "1"}, {"dup", "2"}, {"", ""}, {"bin", binary}};
  Message m;
  m.key = std::string_view(binary);
  m.headers = hs;
  m.payload = std::string_view("payload\0with nul", 16);

  std::string buf = "prefix";
  encode_record(m, 42, 1700000000123456, buf);
  REQUIRE(buf.size() == 6 + record_size(m));

  Message out;
  std::vector<Header> headers;
  size_t size = 0;
  REQUIRE(decode_record(buf.data() + 6, buf.size() - 6, &out, &headers, &size) ==
          DecodeStatus::kOk);
  CHECK(size == record_size(m));
  CHECK(out.seq == 42);
  CHECK(out.ts_us == 1700000000123456);
  REQUIRE(out.key.has_value());
  CHECK(*out.key == binary);
  REQUIRE(out.payload.has_value());
  CHECK(*out.payload == std::string_view("payload\0with nul", 16));
  REQUIRE(out.headers.size() == 4);
  CHECK(out.headers[0].name == "dup");
  CHECK(out.headers[0].value == "1");
  CHECK(out.headers[1].name == "dup");
  CHECK(out.headers[1].value == "2");
  CHECK(out.headers[2].name.empty());
  CHECK(out.headers[3].value == binary);

  SUBCASE("absent vs empty key and payload are distinct") {
    for (int variant = 0; variant < 4; ++variant) {
      Message v;
      if (variant & 1) v.key = std::string_view("");
      if (variant & 2) v.payload = std::string_view("");
      std::string b;
      encode_record(v, 7, 1, b);
      Message d;
      headers.clear();
      REQUIRE(decode_record(b.data(), b.size(), &d, &headers, &size) == DecodeStatus::kOk);
      CHECK(d.key.has_value() == bool(variant & 1));
      CHECK(d.payload.has_value() == bool(variant & 2));
      if (d.key) CHECK(d.key->empty());
      if (d.payload) CHECK(d.payload->empty());
      CHECK(d.headers.empty());
    }
  }

  SUBCASE("every strict prefix is incomplete, never ok") {
    std::string rec = buf.substr(6);
    for (size_t n = 0; n < rec.size(); ++n) {
      headers.clear();
      CHECK(decode_record(rec.data(), n, &out, &headers, &size) == DecodeStatus::kIncomplete);
    }
  }

  SUBCASE("any flipped bit is detected") {
    std::string rec = buf.substr(6);
    for (size_t i = 0; i < rec.size(); ++i) {
      std::string bad = rec;
      bad[i] ^= 0x10;
      headers.clear();
      CHECK(decode_record(bad.data(), bad.size(), &out, &headers, &size) != DecodeStatus::kOk);
    }
  }

  SUBCASE("seal_record rewrites seq and ts with a valid crc") {
    std::string rec = buf.substr(6);
    seal_record(rec.data(), 99, 5);
    headers.clear();
    REQUIRE(decode_record(rec.data(), rec.size(), &out, &headers, &size) == DecodeStatus::kOk);
    CHECK(out.seq == 99);
    CHECK(out.ts_us == 5);
  }
}

TEST_CASE("filelog: a torn last record is repaired at every byte offset") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  {
    auto w = open_writer(dir);
    filelog_test::append(*w, "first-", 1);
    filelog_test::append(*w, "second-", 1);
    filelog_test::append(*w, "third-record-", 1);
  }
  std::string seg = segment_path(dir, 0);
  const std::string full = read_all(seg);
  // The last record starts after the header and the first two records.
  Message probe;
  std::vector<Header> hs;
  size_t s1 = 0, s2 = 0;
  REQUIRE(decode_record(full.data() + kSegmentHeaderBytes, full.size(), &probe, &hs, &s1) ==
          DecodeStatus::kOk);
  REQUIRE(decode_record(full.data() + kSegmentHeaderBytes + s1, full.size(), &probe, &hs, &s2) ==
          DecodeStatus::kOk);
  const size_t last_start = kSegmentHeaderBytes + s1 + s2;
  REQUIRE(last_start < full.size());

  WarningCapture warnings;
  for (size_t cut = last_start + 1; cut < full.size(); ++cut) {
    CAPTURE(cut);
    write_all_file(seg, full.substr(0, cut));
    auto w = open_writer(dir);
    auto lines = warnings.take();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find(seg) != std::string::npos);
    CHECK(lines[0].find("offset " + std::to_string(last_start)) != std::string::npos);
    CHECK(lines[0].find("dropped " + std::to_string(cut - last_start) + " bytes") !=
          std::string::npos);
    CHECK(w->next_seq() == 2);
    CHECK(filelog_test::append(*w, "again-", 1) == 2);

    auto r = open_reader(dir);
    REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
    auto got = filelog_test::drain(*r);
    REQUIRE(got.size() == 3);
    CHECK(*got[0].payload == "first-0");
    CHECK(*got[1].payload == "second-0");
    CHECK(got[2].seq == 2);
    CHECK(*got[2].payload == "again-0");
  }
  // A cut exactly at a record boundary loses nothing and warns nothing.
  write_all_file(seg, full.substr(0, last_start));
  auto w = open_writer(dir);
  CHECK(warnings.take().empty());
  CHECK(w->next_seq() == 2);
}

TEST_CASE("filelog: a reader waits on a torn tail and sees the repaired append") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  {
    auto w = open_writer(dir);
    filelog_test::append(*w, "a", 2);
  }
  std::string seg = segment_path(dir, 0);
  std::string full = read_all(seg);
  write_all_file(seg, full + std::string("\x50\x00\x00\x00garbage", 11));
  auto r = open_reader(dir);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  auto got = filelog_test::drain(*r);  // stops at the tail without an error
  CHECK(got.size() == 2);
  WarningCapture warnings;
  auto w = open_writer(dir);
  CHECK(warnings.take().size() == 1);
  filelog_test::append(*w, "b", 1);
  got = filelog_test::drain(*r);
  REQUIRE(got.size() == 1);
  CHECK(got[0].seq == 2);
  CHECK(*got[0].payload == "b0");
}

TEST_CASE("filelog: a bad crc inside a sealed segment is reported as corruption") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  StreamSettings small;
  small.segment_bytes = 150;
  {
    auto w = open_writer(dir, Env::Default(), small);
    filelog_test::append(*w, "x", 3);  // segment 0
    filelog_test::append(*w, "y", 3);  // rolls: segment 3
  }
  auto bases = list_segments(Env::Default(), dir);
  REQUIRE(bases.ok());
  REQUIRE(bases->size() == 2);
  std::string seg = segment_path(dir, 0);
  std::string data = read_all(seg);
  size_t second = kSegmentHeaderBytes + record_size(filelog_test::payload_msg("x0"));
  data[second + kRecordHeaderBytes] ^= 1;  // a payload byte of record 1
  write_all_file(seg, data);

  auto r = open_reader(dir);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  std::vector<Message> batch;
  bool at_end = false;
  Status st = r->read(&batch, 100, &at_end);
  REQUIRE(st.ok());
  CHECK(batch.size() == 1);  // the record before the damage
  batch.clear();
  st = r->read(&batch, 100, &at_end);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message().find(seg) != std::string::npos);
  CHECK(st.message().find("offset " + std::to_string(second)) != std::string::npos);
}

TEST_CASE("filelog: seek by seq, time, -N, beginning and end") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  FaultInjectionEnv env;
  const int64_t t0 = 1'700'000'000'000'000;
  env.set_clock(t0);
  StreamSettings small;
  small.segment_bytes = 1000;  // several segments
  auto w = open_writer(dir, &env, small);
  for (int b = 0; b < 10; ++b) {
    filelog_test::append(*w, "r", 10, b * 10);  // batch b: seqs 10b..10b+9 at t0+b s
    env.advance_clock(1'000'000);
  }
  auto bases = list_segments(&env, dir);
  REQUIRE(bases.ok());
  CHECK(bases->size() > 3);
  auto r = open_reader(dir, &env);

  auto first_seq_after = [&](const StartPosition& p) {
    REQUIRE(r->seek(p).ok());
    auto got = filelog_test::drain(*r);
    return got.empty() ? int64_t{-1} : got[0].seq;
  };
  CHECK(first_seq_after(at(StartPosition::Kind::kBeginning)) == 0);
  CHECK(first_seq_after(at(StartPosition::Kind::kSeq, 37)) == 37);
  CHECK(first_seq_after(at(StartPosition::Kind::kSeq, 99)) == 99);
  CHECK(first_seq_after(at(StartPosition::Kind::kFromEnd, 5)) == 95);
  CHECK(first_seq_after(at(StartPosition::Kind::kFromEnd, 1000)) == 0);
  CHECK(first_seq_after(at(StartPosition::Kind::kTime, t0 + 5'000'000)) == 50);
  CHECK(first_seq_after(at(StartPosition::Kind::kTime, t0 + 4'500'000)) == 50);
  CHECK(first_seq_after(at(StartPosition::Kind::kTime, t0)) == 0);
  CHECK(first_seq_after(at(StartPosition::Kind::kTime, t0 + 60'000'000)) == -1);
  CHECK(first_seq_after(at(StartPosition::Kind::kEnd)) == -1);

  // From the end only new records arrive; a seq beyond the end waits for it.
  REQUIRE(r->seek(at(StartPosition::Kind::kEnd)).ok());
  auto r2 = open_reader(dir, &env);
  REQUIRE(r2->seek(at(StartPosition::Kind::kSeq, 102)).ok());
  filelog_test::append(*w, "new", 5);
  auto got = filelog_test::drain(*r);
  REQUIRE(got.size() == 5);
  CHECK(got[0].seq == 100);
  got = filelog_test::drain(*r2);
  REQUIRE(got.size() == 3);
  CHECK(got[0].seq == 102);
  CHECK(got[0].ts_us == t0 + 10'000'000);
  // Time-seek to the new batch.
  CHECK(first_seq_after(at(StartPosition::Kind::kTime, t0 + 9'500'000)) == 100);
}

TEST_CASE("filelog: timestamps are append time and never decrease") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.set_clock(5'000'000);
  auto w = open_writer(tmp.sub("s"), &env);
  filelog_test::append(*w, "a", 1);
  env.set_clock(1'000'000);  // the clock steps back
  filelog_test::append(*w, "b", 1);
  auto r = open_reader(tmp.sub("s"), &env);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  auto got = filelog_test::drain(*r);
  REQUIRE(got.size() == 2);
  CHECK(got[0].ts_us == 5'000'000);
  CHECK(got[1].ts_us == 5'000'000);
}

TEST_CASE("filelog: readers follow appends across segment rolls") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  StreamSettings small;
  small.segment_bytes = 2000;
  auto w = open_writer(dir, Env::Default(), small);
  auto r = open_reader(dir);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  int64_t expect = 0;
  for (int b = 0; b < 30; ++b) {
    filelog_test::append(*w, "p", 7, b * 7);
    for (const auto& m : filelog_test::drain(*r)) {
      CHECK(m.seq == expect);
      CHECK(*m.payload == "p" + std::to_string(expect));
      CHECK(m.stream == "s");
      ++expect;
    }
  }
  CHECK(expect == 210);
  auto bases = list_segments(Env::Default(), dir);
  REQUIRE(bases.ok());
  CHECK(bases->size() > 3);
}

TEST_CASE("filelog: a waiting reader is woken by the append itself") {
  // How fast is B10's business (docs/BENCHMARKS.md); here: with inotify the
  // wait ends because of the append, never by running out its (long)
  // timeout; with polling every wait ends so that the caller looks again.
  for (bool use_inotify : {true, false}) {
    CAPTURE(use_inotify);
    TempDir tmp;
    std::string dir = tmp.sub("s");
    auto w = open_writer(dir);
    auto r = open_reader(dir);
    REQUIRE(r->seek(at(StartPosition::Kind::kEnd)).ok());
    auto waiter = ChangeWaiter::Create(use_inotify);
    REQUIRE(waiter.ok());
    (*waiter)->watch(dir);
    CHECK((*waiter)->polling() == !use_inotify);

    std::thread producer([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      filelog_test::append(*w, "late", 1);
    });
    std::vector<Message> batch;
    int timeouts = 0;
    int waits = 0;
    while (batch.empty() && waits < 10000) {
      bool at_end = false;
      REQUIRE(r->read(&batch, 10, &at_end).ok());
      if (batch.empty()) {
        ++waits;
        if ((*waiter)->wait(Millis(60'000)) == ChangeWaiter::Event::kTimedOut) ++timeouts;
      }
    }
    producer.join();
    REQUIRE(batch.size() == 1);
    CHECK(*batch[0].payload == "late0");
    CHECK(timeouts == 0);
  }
}

TEST_CASE("filelog: wake() interrupts a wait") {
  auto waiter = ChangeWaiter::Create();
  REQUIRE(waiter.ok());
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    (*waiter)->wake();
  });
  auto start = std::chrono::steady_clock::now();
  CHECK((*waiter)->wait(Millis(5000)) == ChangeWaiter::Event::kWoken);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  t.join();
}

TEST_CASE("filelog: retention by size drops whole old segments, never the active one") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  StreamSettings st;
  st.segment_bytes = 1000;
  st.retention_bytes = 2500;
  auto w = open_writer(dir, Env::Default(), st);
  for (int b = 0; b < 40; ++b) filelog_test::append(*w, "retained-record-", 5, b * 5);
  auto bases = list_segments(Env::Default(), dir);
  REQUIRE(bases.ok());
  int64_t total = 0;
  for (int64_t b : *bases) total += *Env::Default()->path_size(segment_path(dir, b));
  // Only whole segments go, and only while over the limit at roll time.
  CHECK(bases->size() >= 2);
  CHECK(total <= 2500 + 1000);
  CHECK(bases->front() > 0);
  CHECK(bases->back() <= 195);  // the active segment holds the newest records
  auto r = open_reader(dir);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  auto got = filelog_test::drain(*r);
  REQUIRE(!got.empty());
  CHECK(got.front().seq == bases->front());
  CHECK(got.back().seq == 199);

  SUBCASE("a single huge active segment is never dropped") {
    StreamSettings one;
    one.segment_bytes = 1 << 20;
    one.retention_bytes = 10;
    auto w2 = open_writer(tmp.sub("t"), Env::Default(), one);
    for (int b = 0; b < 5; ++b) filelog_test::append(*w2, "x", 20);
    auto b2 = list_segments(Env::Default(), tmp.sub("t"));
    REQUIRE(b2.ok());
    REQUIRE(b2->size() == 1);
    CHECK(w2->next_seq() == 100);
  }
}

TEST_CASE("filelog: retention by age and meta keeps the creation settings") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  FaultInjectionEnv env;
  const int64_t t0 = 1'000'000'000'000'000;
  env.set_clock(t0);
  StreamSettings st;
  st.segment_bytes = 600;
  st.retention_ms = 10'000;  // 10 s
  {
    auto w = open_writer(dir, &env, st);
    for (int b = 0; b < 8; ++b) {
      filelog_test::append(*w, "aged", 5, b * 5);  // ~1 segment per batch
      env.advance_clock(1'000'000);
    }
    auto bases = list_segments(&env, dir);
    REQUIRE(bases.ok());
    CHECK(bases->front() == 0);  // nothing is 10 s old yet
  }
  // Reopen with other settings: the stream keeps its own.
  StreamSettings other;
  other.segment_bytes = 1 << 20;
  auto w = open_writer(dir, &env, other);
  CHECK(w->settings().segment_bytes == 600);
  CHECK(w->settings().retention_ms == 10'000);
  CHECK(w->settings().retention_bytes == -1);
  auto meta = read_settings(&env, dir);
  REQUIRE(meta.ok());
  CHECK(meta->segment_bytes == 600);

  env.advance_clock(20'000'000);            // everything so far is now old
  filelog_test::append(*w, "fresh", 5, 0);  // rolls, drops the aged ones
  auto bases = list_segments(&env, dir);
  REQUIRE(bases.ok());
  // Only the segment whose successor is young survives besides the active.
  CHECK(bases->size() <= 2);
  CHECK(bases->back() == 40);
  auto r = open_reader(dir, &env);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  auto got = filelog_test::drain(*r);
  REQUIRE(!got.empty());
  CHECK(got.back().seq == 44);
  CHECK(*got.back().payload == "fresh4");
}

TEST_CASE("filelog: a reader overtaken by retention warns and continues") {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  StreamSettings st;
  st.segment_bytes = 500;
  st.retention_bytes = 1200;
  auto w = open_writer(dir, Env::Default(), st);
  filelog_test::append(*w, "early", 5);
  auto r = open_reader(dir);
  REQUIRE(r->seek(at(StartPosition::Kind::kBeginning)).ok());
  std::vector<Message> batch;
  bool at_end = false;
  REQUIRE(r->read(&batch, 2, &at_end).ok());  // opened segment 0, read 2
  REQUIRE(batch.size() == 2);
  for (int b = 1; b < 20; ++b) filelog_test::append(*w, "later", 5, b * 5);
  WarningCapture warnings;
  auto got = filelog_test::drain(*r);
  auto lines = warnings.take();
  // Segment 0 is unlinked but still open: its records are read, then the
  // reader jumps over what retention removed and says how much.
  REQUIRE(!got.empty());
  CHECK(got.front().seq == 2);
  CHECK(got.back().seq == 99);
  int gaps = 0;
  for (size_t i = 1; i < got.size(); ++i) gaps += got[i].seq != got[i - 1].seq + 1;
  CHECK(gaps == 1);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("lost to retention") != std::string::npos);
}
