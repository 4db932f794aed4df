// The file log you can trust: records of any size read back byte for byte,
// and a bad record with valid ones after it is corruption (reported, never
// truncated, no seq reused), while a torn tail is repaired. Named after the
// failures of issue 8.
#include <doctest/doctest.h>

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

std::unique_ptr<LogWriter> open_writer(const std::string& dir, StreamSettings settings = {}) {
  WriterOptions wo;
  wo.fsync = FsyncPolicy::kNever;
  wo.create_settings = settings;
  auto w = LogWriter::Open(dir, wo);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  return std::move(*w);
}

std::unique_ptr<LogReader> open_reader(const std::string& dir, OnCorrupt on = OnCorrupt::kFail,
                                       size_t chunk = 1 << 20) {
  ReaderOptions ro;
  ro.on_corrupt = on;
  ro.read_chunk = chunk;
  auto r = LogReader::Open(dir, "s", ro);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(*r);
}

// Reads from `r` until the end or an error; the error goes to *st.
std::vector<OwnedMessage> read_until_stop(LogReader& r, Status* st) {
  std::vector<OwnedMessage> out;
  std::vector<Message> batch;
  for (;;) {
    batch.clear();
    bool at_end = false;
    *st = r.read(&batch, 1000, &at_end);
    for (const Message& m : batch) out.emplace_back(m);
    if (!st->ok() || at_end) return out;
  }
}

std::vector<int64_t> seqs(const std::vector<OwnedMessage>& ms) {
  std::vector<int64_t> out;
  for (const OwnedMessage& m : ms) out.push_back(m.seq);
  return out;
}

StartPosition at_seq(int64_t seq) {
  StartPosition p;
  p.kind = StartPosition::Kind::kSeq;
  p.value = seq;
  return p;
}

}  // namespace

TEST_CASE("filelog: tap-1MiB-record-segfault: records of 1 B to 16 MiB read back byte-identical") {
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  // Sizes on either side of the record header, the 4 KiB test chunk, the
  // 1 MiB default read chunk and the scan buffer, up to 16 MiB.
  std::vector<size_t> sizes = {1, 39, 40, 41, 4000, 4095, 4096, 4097, 65535, 65536};
  for (size_t s : {size_t{1} << 20, size_t{2} << 20, size_t{16} << 20}) {
    sizes.push_back(s - kRecordHeaderBytes - 1);
    sizes.push_back(s - kRecordHeaderBytes);
    sizes.push_back(s - 1);
    sizes.push_back(s);
    sizes.push_back(s + 1);
  }
  std::vector<std::string> payloads;
  for (size_t i = 0; i < sizes.size(); ++i) {
    std::string p(sizes[i], '\0');
    for (size_t j = 0; j < p.size(); ++j) p[j] = static_cast<char>('a' + (i * 7 + j) % 26);
    payloads.push_back(std::move(p));
  }
  {
    auto w = open_writer(dir);
    for (const std::string& p : payloads) {  // one batch each, and one big batch
      REQUIRE(w->add(filelog_test::payload_msg(p)).ok());
      REQUIRE(w->write_batch().ok());
    }
    for (const std::string& p : payloads) REQUIRE(w->add(filelog_test::payload_msg(p)).ok());
    REQUIRE(w->write_batch().ok());
  }
  for (size_t chunk : {size_t{4096}, size_t{1} << 20}) {
    CAPTURE(chunk);
    // A huge record alone at the start, and after small ones.
    const auto n = static_cast<int64_t>(sizes.size());
    for (int64_t from : {int64_t{0}, n - 1, n}) {
      CAPTURE(from);
      auto r = open_reader(dir, OnCorrupt::kFail, chunk);
      REQUIRE(r->seek(at_seq(from)).ok());
      Status st;
      auto got = read_until_stop(*r, &st);
      REQUIRE_MESSAGE(st.ok(), st.message());
      REQUIRE(got.size() == 2 * payloads.size() - static_cast<size_t>(from));
      for (size_t i = 0; i < got.size(); ++i) {
        const size_t k = (static_cast<size_t>(from) + i) % payloads.size();
        REQUIRE(got[i].payload.has_value());
        REQUIRE(got[i].payload->size() == payloads[k].size());
        CHECK(*got[i].payload == payloads[k]);
      }
    }
  }
  auto check = check_stream(Env::Default(), dir);
  REQUIRE(check.ok());
  CHECK(check->ok());
  CHECK(check->records == static_cast<int64_t>(2 * payloads.size()));
}

TEST_CASE("filelog: a reader following a writer sees a 16 MiB record only once it is whole") {
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  auto w = open_writer(dir);
  filelog_test::append(*w, "small", 1);
  auto r = open_reader(dir);
  REQUIRE(r->seek(at_seq(0)).ok());
  Status st;
  REQUIRE(read_until_stop(*r, &st).size() == 1);
  // Write the big record's bytes by hand in two halves, as a slow writer
  // would: the reader must wait, not fail and not skip.
  std::string big(16 << 20, 'z');
  Message m = filelog_test::payload_msg(big);
  std::string rec;
  encode_record(m, 1, 1, rec);
  const std::string seg = segment_path(dir, 0);
  const std::string before = read_all(seg);
  write_all_file(seg, before + rec.substr(0, rec.size() / 2));
  auto got = read_until_stop(*r, &st);
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(got.empty());
  write_all_file(seg, before + rec);
  got = read_until_stop(*r, &st);
  REQUIRE_MESSAGE(st.ok(), st.message());
  REQUIRE(got.size() == 1);
  CHECK(got[0].seq == 1);
  CHECK(*got[0].payload == big);
}

// Five records in segment 0 ("r0".."r4") and three more in segment 5, with
// record 2 damaged at byte `flip` of it.
struct DamagedStream {
  TempDir tmp;
  std::string dir = tmp.sub("s");
  std::string seg;
  size_t rec2 = 0;  // offset of record 2
  size_t rec2_size = 0;
  std::string pristine;

  DamagedStream() {
    StreamSettings small;
    small.segment_bytes = 300;
    {
      auto w = open_writer(dir, small);
      filelog_test::append(*w, "r", 5);
      filelog_test::append(*w, "r", 3, 5);  // rolls to segment 5
    }
    seg = segment_path(dir, 0);
    pristine = read_all(seg);
    rec2_size = record_size(filelog_test::payload_msg("r2"));
    rec2 = kSegmentHeaderBytes + 2 * rec2_size;
    REQUIRE(list_segments(Env::Default(), dir)->size() == 2);
  }
  void damage(size_t byte) {
    std::string data = pristine;
    data[rec2 + byte] = static_cast<char>(data[rec2 + byte] ^ 0x5a);
    write_all_file(seg, data);
  }
};

TEST_CASE("filelog: corrupt-byte-deletes-good-data: a bad byte anywhere in a middle record") {
  DamagedStream s;
  WarningCapture warnings;
  for (size_t byte = 0; byte < s.rec2_size; ++byte) {
    CAPTURE(byte);
    s.damage(byte);
    // Without skip: the records before it, then kBadData naming it.
    {
      auto r = open_reader(s.dir);
      REQUIRE(r->seek(at_seq(0)).ok());
      Status st;
      auto got = read_until_stop(*r, &st);
      CHECK(seqs(got) == std::vector<int64_t>{0, 1});
      REQUIRE(st.is(StatusCode::kBadData));
      CHECK(st.message().find("stream 's'") != std::string::npos);
      CHECK(st.message().find(s.seg) != std::string::npos);
      CHECK(st.message().find("at offset " + std::to_string(s.rec2)) != std::string::npos);
      CHECK(st.message().find("last good seq 1") != std::string::npos);
      CHECK(st.message().find("--on-error skip") != std::string::npos);
    }
    // With skip: only that record is lost, and it is counted.
    {
      auto r = open_reader(s.dir, OnCorrupt::kSkip);
      REQUIRE(r->seek(at_seq(0)).ok());
      Status st;
      auto got = read_until_stop(*r, &st);
      REQUIRE_MESSAGE(st.ok(), st.message());
      CHECK(seqs(got) == std::vector<int64_t>{0, 1, 3, 4, 5, 6, 7});
      CHECK(*got[2].payload == "r3");
      CHECK(r->skipped_records() == 1);
      REQUIRE(r->skipped().size() == 1);
      CHECK(r->skipped()[0].offset == static_cast<int64_t>(s.rec2));
      auto lines = warnings.take();
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].find("skipped seq 2") != std::string::npos);
    }
    // The whole-stream check lists it.
    auto check = check_stream(Env::Default(), s.dir);
    REQUIRE(check.ok());
    REQUIRE(check->bad.size() == 1);
    CHECK(check->bad[0].offset == static_cast<int64_t>(s.rec2));
    CHECK(check->bad[0].first_lost_seq == 2);
    CHECK(check->bad[0].next_seq == 3);
    CHECK(check->records == 7);
    CHECK(check->next_seq == 8);
  }
}

TEST_CASE("filelog: a writer never truncates corruption in the newest segment nor reuses a seq") {
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  {
    auto w = open_writer(dir);
    filelog_test::append(*w, "r", 5);
  }
  const std::string seg = segment_path(dir, 0);
  const std::string pristine = read_all(seg);
  const size_t rec_size = record_size(filelog_test::payload_msg("r1"));
  WarningCapture warnings;
  for (size_t byte = 0; byte < rec_size; ++byte) {
    CAPTURE(byte);
    std::string data = pristine;
    data[kSegmentHeaderBytes + rec_size + byte] ^= 0x21;  // record 1 of 0..4
    write_all_file(seg, data);
    {
      auto w = open_writer(dir);
      auto lines = warnings.take();
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].find("corrupt record in '" + seg + "'") != std::string::npos);
      CHECK(lines[0].find("appending after seq 4") != std::string::npos);
      CHECK(w->next_seq() == 5);
      CHECK(filelog_test::append(*w, "new", 2) == 5);
      CHECK(warnings.take().empty());  // once per writer
    }
    CHECK(read_all(seg).substr(0, data.size()) == data);  // nothing truncated
    auto r = open_reader(dir, OnCorrupt::kSkip);
    REQUIRE(r->seek(at_seq(0)).ok());
    Status st;
    auto got = read_until_stop(*r, &st);
    REQUIRE(st.ok());
    CHECK(seqs(got) == std::vector<int64_t>{0, 2, 3, 4, 5, 6});
    CHECK(*got[4].payload == "new0");
    warnings.take();
  }
}

TEST_CASE("filelog: corruption followed by a torn tail: only the tail is truncated") {
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  {
    auto w = open_writer(dir);
    filelog_test::append(*w, "r", 4);
  }
  const std::string seg = segment_path(dir, 0);
  std::string data = read_all(seg);
  const size_t rec_size = record_size(filelog_test::payload_msg("r1"));
  data[kSegmentHeaderBytes + rec_size + kRecordHeaderBytes] ^= 1;  // record 1's payload
  const std::string torn("\x60\x00\x00\x00half a record", 17);
  write_all_file(seg, data + torn);
  WarningCapture warnings;
  auto w = open_writer(dir);
  auto lines = warnings.take();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("corrupt record") != std::string::npos);
  CHECK(lines[1].find("repaired torn tail") != std::string::npos);
  CHECK(lines[1].find("dropped " + std::to_string(torn.size()) + " bytes") != std::string::npos);
  CHECK(read_all(seg) == data);
  CHECK(filelog_test::append(*w, "x", 1) == 4);
}

TEST_CASE("filelog: seeks and group positions beyond a corrupt record read without error") {
  DamagedStream s;
  s.damage(kRecordHeaderBytes);  // the payload of seq 2
  WarningCapture warnings;
  for (int64_t from : {3, 4, 6}) {
    CAPTURE(from);
    auto r = open_reader(s.dir);  // the fail policy
    REQUIRE(r->seek(at_seq(from)).ok());
    Status st;
    auto got = read_until_stop(*r, &st);
    REQUIRE_MESSAGE(st.ok(), st.message());
    REQUIRE(!got.empty());
    CHECK(got.front().seq == from);
    CHECK(got.back().seq == 7);
  }
  // -N counts from the true end, past the damage.
  auto r = open_reader(s.dir);
  StartPosition last3;
  last3.kind = StartPosition::Kind::kFromEnd;
  last3.value = 3;
  REQUIRE(r->seek(last3).ok());
  Status st;
  CHECK(seqs(read_until_stop(*r, &st)) == std::vector<int64_t>{5, 6, 7});
  int64_t first = 0, end = 0;
  REQUIRE(r->bounds(&first, &end).ok());
  CHECK(end == 8);
  // A seek to the lost seq itself is an error under fail.
  REQUIRE(r->seek(at_seq(2)).ok());
  read_until_stop(*r, &st);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(warnings.take().empty());
}

TEST_CASE("filelog: a sealed segment cut short is corruption, not a torn tail") {
  DamagedStream s;
  // Cut segment 0 inside record 3: records 3 and 4 are gone for good, and
  // segment 5 exists, so this is no torn tail.
  write_all_file(s.seg, s.pristine.substr(0, s.rec2 + s.rec2_size + 5));
  auto r = open_reader(s.dir);
  REQUIRE(r->seek(at_seq(0)).ok());
  Status st;
  auto got = read_until_stop(*r, &st);
  CHECK(seqs(got) == std::vector<int64_t>{0, 1, 2});
  REQUIRE(st.is(StatusCode::kBadData));
  CHECK(st.message().find("next valid seq 5") != std::string::npos);
  WarningCapture warnings;
  auto skip = open_reader(s.dir, OnCorrupt::kSkip);
  REQUIRE(skip->seek(at_seq(0)).ok());
  got = read_until_stop(*skip, &st);
  REQUIRE(st.ok());
  CHECK(seqs(got) == std::vector<int64_t>{0, 1, 2, 5, 6, 7});
  CHECK(skip->skipped_records() == 2);
  CHECK(warnings.take().size() == 1);
  // Cut exactly at record 3's start: records 3 and 4 are missing all the same.
  write_all_file(s.seg, s.pristine.substr(0, s.rec2 + s.rec2_size));
  auto check = check_stream(Env::Default(), s.dir);
  REQUIRE(check.ok());
  REQUIRE(check->bad.size() == 1);
  CHECK(check->bad[0].length == 0);
  CHECK(check->bad[0].lost() == 2);
  CHECK(check->bad[0].describe().find("next segment starts at seq 5") != std::string::npos);
}

TEST_CASE("filelog: check_stream lists every bad record and a torn tail apart") {
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  StreamSettings small;
  small.segment_bytes = 300;
  {
    auto w = open_writer(dir, small);
    filelog_test::append(*w, "r", 5);
    filelog_test::append(*w, "r", 5, 5);
  }
  auto bases = list_segments(Env::Default(), dir);
  REQUIRE(bases->size() == 2);
  const size_t rs = record_size(filelog_test::payload_msg("r1"));
  for (int64_t base : *bases) {
    std::string seg = segment_path(dir, base);
    std::string data = read_all(seg);
    data[kSegmentHeaderBytes + rs + 30] ^= 4;                       // the second record of each
    if (base == bases->back()) data += std::string("\x50\x00", 2);  // and a torn tail
    write_all_file(seg, data);
  }
  auto check = check_stream(Env::Default(), dir);
  REQUIRE(check.ok());
  CHECK(check->segments == 2);
  REQUIRE(check->bad.size() == 2);
  CHECK(check->bad[0].first_lost_seq == 1);
  CHECK(check->bad[1].first_lost_seq == 6);
  CHECK(check->records == 8);
  CHECK(check->torn_bytes == 2);
  CHECK(check->next_seq == 10);
  CHECK_FALSE(check->ok());
  CHECK(check_stream(Env::Default(), tmp.sub("nope")).status().is(StatusCode::kNotFound));
}

TEST_CASE("filelog: record-like bytes inside a payload are not taken for a record") {
  // A payload that holds a whole valid record (a log stored in a log): when
  // the record around it is damaged, resynchronisation must not land inside
  // it, since its seq cannot fit in the few bytes lost. (An inner record
  // whose seq does fit would be taken; no resynchronising reader can tell.)
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  std::string inner;
  encode_record(filelog_test::payload_msg("inner"), 123456, 1, inner);
  {
    auto w = open_writer(dir);
    filelog_test::append(*w, "a", 1);
    REQUIRE(w->add(filelog_test::payload_msg(inner)).ok());
    REQUIRE(w->write_batch().ok());
    filelog_test::append(*w, "b", 1);
  }
  const std::string seg = segment_path(dir, 0);
  std::string data = read_all(seg);
  const size_t rs = record_size(filelog_test::payload_msg("a0"));
  data[kSegmentHeaderBytes + rs + 4] ^= 1;  // CRC of the record holding `inner`
  write_all_file(seg, data);
  auto check = check_stream(Env::Default(), dir);
  REQUIRE(check.ok());
  REQUIRE(check->bad.size() == 1);
  CHECK(check->bad[0].next_seq == 2);
  CHECK(check->next_seq == 3);
}
