// trim_shard() and set_retention() (streams trim, streams config on
// file:): whole sealed segments only, the active one never, the report
// exact; the retention rewritten in meta without touching the rest.
#include <doctest/doctest.h>

#include "backends/file_backend.h"
#include "filelog/filelog.h"
#include "sluice/backend.h"
#include "test_filelog_util.h"

using namespace sluice;
using namespace sluice::filelog;
using filelog_test::TempDir;

namespace {

// A stream "s" of `batches` batches of 10 records, one segment each.
std::vector<int64_t> segmented_stream(const TempDir& tmp, int batches) {
  WriterOptions wo;
  wo.fsync = FsyncPolicy::kNever;
  wo.create_settings.segment_bytes = 200;  // a batch of 10 overflows it: one per segment
  auto w = LogWriter::Open(tmp.sub("s"), wo);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  for (int b = 0; b < batches; ++b) filelog_test::append(**w, "r", 10, 10 * b);
  auto bases = list_segments(Env::Default(), tmp.sub("s"));
  REQUIRE(bases.ok());
  return *bases;
}

StartPosition at(StartPosition::Kind kind, int64_t value = 0) {
  StartPosition p;
  p.kind = kind;
  p.value = value;
  return p;
}

}  // namespace

TEST_CASE("trim_shard: whole segments before the position, never the active one") {
  TempDir tmp;
  std::vector<int64_t> bases = segmented_stream(tmp, 4);
  REQUIRE(bases == std::vector<int64_t>{0, 10, 20, 30});
  Env* env = Env::Default();

  // Seq 15 is in the second segment: only the first goes.
  auto r = trim_shard(env, tmp.sub("s"), "s", at(StartPosition::Kind::kSeq, 15));
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  CHECK(r->first_before == 0);
  CHECK(r->first_after == 10);
  CHECK(r->segments == 1);
  CHECK(r->bytes > 0);
  CHECK(r->end == 40);
  CHECK(list_segments(env, tmp.sub("s")).value() == std::vector<int64_t>{10, 20, 30});

  // Nothing before the position: nothing dropped.
  r = trim_shard(env, tmp.sub("s"), "s", at(StartPosition::Kind::kBeginning));
  REQUIRE(r.ok());
  CHECK(r->segments == 0);
  CHECK(r->first_after == 10);

  // Everything: every sealed segment goes, the active one stays.
  r = trim_shard(env, tmp.sub("s"), "s", at(StartPosition::Kind::kEnd));
  REQUIRE(r.ok());
  CHECK(r->segments == 2);
  CHECK(r->first_after == 30);
  CHECK(list_segments(env, tmp.sub("s")).value() == std::vector<int64_t>{30});
  ReaderOptions ro;
  auto reader = LogReader::Open(tmp.sub("s"), "s", ro);
  REQUIRE(reader.ok());
  auto left = filelog_test::drain(**reader);
  REQUIRE(left.size() == 10);
  CHECK(left.front().seq == 30);
}

TEST_CASE("file admin trim: --keep N per shard reports the records dropped") {
  TempDir tmp;
  segmented_stream(tmp, 3);
  auto admin = open_file_admin(filelog_test::uri_of(tmp, {}));
  REQUIRE(admin.ok());
  auto t = (*admin)->trim("s", at(StartPosition::Kind::kFromEnd, 12));
  REQUIRE_MESSAGE(t.ok(), t.status().message());
  REQUIRE(t->size() == 1);
  CHECK((*t)[0].first_before == 0);
  CHECK((*t)[0].first_after == 10);  // seq 18 is the first kept: its segment stays
  CHECK((*t)[0].dropped == 10);
  CHECK((*t)[0].bytes_dropped > 0);
  CHECK((*admin)->trim("ghost", at(StartPosition::Kind::kEnd)).status().is(StatusCode::kNotFound));
}

TEST_CASE("set_retention: changes only the retention in meta") {
  TempDir tmp;
  segmented_stream(tmp, 1);
  Env* env = Env::Default();
  REQUIRE(set_retention(env, tmp.sub("s"), true, 60000, false, 0).ok());
  auto s = read_settings(env, tmp.sub("s"));
  REQUIRE(s.ok());
  CHECK(s->retention_ms == 60000);
  CHECK(s->retention_bytes == -1);
  CHECK(s->segment_bytes == 200);
  REQUIRE(set_retention(env, tmp.sub("s"), false, 0, true, 4096).ok());
  s = read_settings(env, tmp.sub("s"));
  CHECK(s->retention_ms == 60000);
  CHECK(s->retention_bytes == 4096);
  REQUIRE(set_retention(env, tmp.sub("s"), true, -1, true, -1).ok());
  s = read_settings(env, tmp.sub("s"));
  CHECK(s->retention_ms == -1);
  CHECK(s->retention_bytes == -1);
}
