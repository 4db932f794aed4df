// cdc-pg's files through Env: the snapshot marker and the spill file of a
// transaction streamed in progress, with faults injected.
#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "cdc/snapshot_marker.h"
#include "cdc/spill_file.h"
#include "sluice/env.h"
#include "test_filelog_util.h"

using namespace sluice;
using filelog_test::TempDir;

namespace {

std::string read_all(pg::SpillFile& f, size_t chunk) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    auto n = f.read(buf.data(), buf.size());
    REQUIRE(n.ok());
    if (*n == 0) return out;
    out.append(buf, 0, *n);
  }
}

}  // namespace

TEST_CASE(
    "cdc spill file: what is appended reads back in order, across buffer and "
    "short writes") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.set_short_writes(4096);
  auto f = pg::SpillFile::Create(&env, tmp.path());
  REQUIRE(f.ok());
  std::string expect;
  for (int i = 0; i < 3000; ++i) {
    std::string rec =
        "record " + std::to_string(i) + " " + std::string(static_cast<size_t>(i % 700), 'x') + "\n";
    REQUIRE((*f)->append(rec).ok());
    expect += rec;
  }
  std::string big(3u << 20, 'b');  // larger than the buffer: written directly
  REQUIRE((*f)->append(big).ok());
  expect += big;
  REQUIRE((*f)->append("tail").ok());
  expect += "tail";
  CHECK(env.writes() > 0);
  REQUIRE((*f)->rewind().ok());
  CHECK(read_all(**f, 17) == expect);
  // The file has no name: nothing is left in the directory.
  auto names = env.list_dir(tmp.path());
  REQUIRE(names.ok());
  CHECK(names->empty());
}

TEST_CASE("cdc spill file: a full disk is an i/o error naming the directory") {
  TempDir tmp;
  FaultInjectionEnv env;
  auto f = pg::SpillFile::Create(&env, tmp.path());
  REQUIRE(f.ok());
  env.fail_write(1, ENOSPC);
  Status st = (*f)->append(std::string(2u << 20, 'x'));
  CHECK(st.is(StatusCode::kIoError));  // exit 74
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK(st.message() == "cannot write a streamed transaction to a temporary file in '" +
                            tmp.path() + "': write: no space left on device");

  // A failure while writing out the buffer at rewind (Stream Commit) too.
  auto g = pg::SpillFile::Create(&env, tmp.path());
  REQUIRE(g.ok());
  REQUIRE((*g)->append("buffered").ok());
  env.fail_write(1, EIO);
  Status at_commit = (*g)->rewind();
  CHECK(at_commit.is(StatusCode::kIoError));
  CHECK(at_commit.message().find(tmp.path()) != std::string::npos);
}

TEST_CASE(
    "cdc spill file: no temporary file is a clear error naming the directory "
    "and TMPDIR") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.fail_open_temp(EROFS);
  auto f = pg::SpillFile::Create(&env, tmp.path());
  REQUIRE_FALSE(f.ok());
  CHECK(f.status().is(StatusCode::kIoError));
  CHECK(f.status().message() ==
        "cannot spill a streamed transaction to disk (check TMPDIR): cannot "
        "create a "
        "temporary file in '" +
            tmp.path() + "': read-only file system");
}

TEST_CASE("cdc snapshot marker: written durably, then removed") {
  TempDir tmp;
  FaultInjectionEnv env;
  pg::SnapshotMarker m(&env, tmp.sub("state/sluice"), "u@h:5432/db", "slot1");
  CHECK(m.path() == tmp.sub("state/sluice") + "/cdc-pg-u_h_5432_db-slot1.snapshot");
  CHECK_FALSE(m.exists());
  REQUIRE(m.write("slot1").ok());
  CHECK(m.exists());
  CHECK(env.durable_size(m.path()) > 0);  // file and its directory entry synced
  REQUIRE(env.drop_unsynced().ok());      // a crash right after keeps it
  CHECK(m.exists());
  REQUIRE(m.remove().ok());
  CHECK_FALSE(m.exists());
  CHECK(m.remove().ok());  // gone already: fine
}

TEST_CASE(
    "cdc snapshot marker: a failed write names the path, is exit 74 and leaves "
    "no marker") {
  TempDir tmp;
  FaultInjectionEnv env;
  pg::SnapshotMarker m(&env, tmp.path(), "u@h:5432/db", "s");
  SUBCASE("write") {
    env.fail_write(1, ENOSPC);
  }
  SUBCASE("sync") {
    env.fail_sync(EIO);
  }
  Status st = m.write("s");
  REQUIRE_FALSE(st.ok());
  CHECK(st.is(StatusCode::kIoError));
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK(st.message().rfind("cannot write snapshot marker '" + m.path() + "': ", 0) == 0);
  CHECK_FALSE(m.exists());  // a half-written marker would not be trusted; none is left
}

TEST_CASE("cdc snapshot marker: an uncreatable state directory says so") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.fail_mkdir(EACCES);
  pg::SnapshotMarker m(&env, tmp.sub("state"), "u@h:5432/db", "s");
  Status st = m.write("s");
  CHECK(st.is(StatusCode::kPermissionDenied));
  CHECK(st.message().rfind(
            "cannot create state directory '" + tmp.sub("state") + "' (set SLUICE_STATE_DIR): ",
            0) == 0);
}
