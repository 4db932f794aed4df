// A file-log stream's settings after creation (issue 8 part 4: never a
// silent no-op) and the removal of a stream a failed run created.
#include <doctest/doctest.h>

#include <string>

#include "backends/file_backend.h"
#include "filelog/filelog.h"
#include "sluice/units.h"
#include "test_filelog_util.h"

using namespace sluice;
using filelog_test::TempDir;
using filelog_test::WarningCapture;

namespace {

std::unique_ptr<filelog::LogWriter> open_writer(const std::string& dir,
                                                const filelog::WriterOptions& wo) {
  auto w = filelog::LogWriter::Open(dir, wo);
  REQUIRE_MESSAGE(w.ok(), w.status().message());
  return std::move(*w);
}

}  // namespace

TEST_CASE("sizes, durations and retentions format as the flags take them") {
  CHECK(format_size(64ll << 20) == "64M");
  CHECK(format_size(1536) == "1536");
  CHECK(format_size(1536 * 1024) == "1536K");
  CHECK(format_size(100) == "100");
  CHECK(format_duration_ms(7 * 86400000LL) == "7d");
  CHECK(format_duration_ms(90 * 60000LL) == "90m");
  CHECK(format_duration_ms(1500) == "1500ms");
  CHECK(format_retention(-1, -1) == "none");
  CHECK(format_retention(86400000LL, 10ll << 30) == "1d,10G");
  CHECK(format_retention(-1, 256 << 10) == "256K");
}

TEST_CASE("settings given for an existing stream are applied and reported") {
  TempDir tmp;
  const std::string dir = tmp.sub("s");
  filelog::WriterOptions wo;
  wo.create_settings.retention_ms = 7 * 86400000LL;
  {
    auto w = open_writer(dir, wo);
    CHECK(w->created());
  }

  WarningCapture warnings;
  // Without change_*, other settings are ignored, as before.
  filelog::WriterOptions quiet;
  quiet.create_settings.retention_ms = 1000;
  {
    auto w = open_writer(dir, quiet);
    CHECK(!w->created());
    CHECK(w->settings().retention_ms == 7 * 86400000LL);
  }
  CHECK(warnings.take().empty());

  filelog::WriterOptions change;
  change.create_settings.retention_ms = 86400000LL;
  change.create_settings.segment_bytes = 1 << 20;
  change.change_retention = true;
  change.change_segment_bytes = true;
  auto w = open_writer(dir, change);
  CHECK(w->settings().retention_ms == 86400000LL);
  CHECK(w->settings().segment_bytes == 1 << 20);
  auto meta = filelog::read_settings(Env::Default(), dir);
  REQUIRE(meta.ok());
  CHECK(meta->retention_ms == 86400000LL);
  CHECK(meta->segment_bytes == 1 << 20);
  auto lines = warnings.take();
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("segment size changed from 64M to 1M") != std::string::npos);
  CHECK(lines[1].find("retention changed from 7d to 1d") != std::string::npos);

  // The same again: nothing changes, nothing is said.
  w.reset();
  w = open_writer(dir, change);
  CHECK(warnings.take().empty());
}

TEST_CASE("a stream a failed run created is removed; one with records or made before stays") {
  TempDir tmp;
  StreamUri u;
  u.scheme = Scheme::kFile;
  u.dir = tmp.sub("made/by/flux");
  u.streams = {"s"};
  ProducerOptions po;
  po.fsync = FsyncPolicy::kNever;
  {
    auto p = open_file_producer(u, po);
    REQUIRE(p.ok());
    REQUIRE((*p)->flush(Millis(100)).ok());
    (*p)->discard_if_unused();
  }
  CHECK(!Env::Default()->exists(tmp.sub("made")));

  // A stream that got a record stays.
  {
    auto p = open_file_producer(u, po);
    REQUIRE(p.ok());
    Message m;
    m.payload = std::string_view("x");
    REQUIRE((*p)->produce(m).ok());
    REQUIRE((*p)->flush(Millis(100)).ok());
    (*p)->discard_if_unused();
  }
  CHECK(Env::Default()->exists(u.stream_path("s") + "/meta"));

  // An existing (empty) stream is not this run's to remove.
  StreamUri v = u;
  v.streams = {"empty"};
  {
    auto p = open_file_producer(v, po);
    REQUIRE(p.ok());
  }
  {
    auto p = open_file_producer(v, po);
    REQUIRE(p.ok());
    (*p)->discard_if_unused();
  }
  CHECK(Env::Default()->exists(v.stream_path("empty") + "/meta"));
}
