// Status: errno -> code -> sysexits mapping.
#include <doctest/doctest.h>

#include <cerrno>

#include "filelog/filelog.h"
#include "sluice/env.h"
#include "sluice/status.h"
#include "test_filelog_util.h"

using namespace sluice;

TEST_CASE("a read-only file system is an I/O error (74), not a permission (77)") {
  Status st = Status::FromErrno(EROFS, "cannot create 'x'");
  CHECK(st.is(StatusCode::kIoError));
  CHECK(st.exit_code() == ExitCode::kIoErr);
  CHECK(st.message().find("ead-only file system") != std::string::npos);
  // Permission stays permission.
  CHECK(Status::FromErrno(EACCES, "x").exit_code() == ExitCode::kNoPerm);
  CHECK(Status::FromErrno(EPERM, "x").exit_code() == ExitCode::kNoPerm);
}

TEST_CASE("a read-only file system when creating a stream: exit 74, not 73") {
  filelog_test::TempDir tmp;
  FaultInjectionEnv env;
  env.fail_mkdir(EROFS);
  filelog::WriterOptions wo;
  wo.env = &env;
  auto w = filelog::LogWriter::Open(tmp.sub("s"), wo);
  REQUIRE(!w.ok());
  CHECK(w.status().is(StatusCode::kIoError));
  CHECK(w.status().exit_code() == ExitCode::kIoErr);
  // Any other reason a directory cannot be made is still "cannot create".
  env.fail_mkdir(ENOTDIR);
  w = filelog::LogWriter::Open(tmp.sub("t"), wo);
  REQUIRE(!w.ok());
  CHECK(w.status().exit_code() == ExitCode::kCantCreate);
}
