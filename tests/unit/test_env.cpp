// Env: the POSIX file-system seam and its fault-injecting test double.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/uio.h>

#include <cerrno>
#include <string>
#include <vector>

#include "sluice/env.h"
#include "test_filelog_util.h"

using namespace sluice;
using filelog_test::TempDir;

TEST_CASE("env: write_all completes across short writes and vectors") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.set_short_writes(3);
  auto fd = env.open(tmp.sub("f"), O_RDWR | O_CREAT);
  REQUIRE(fd.ok());
  std::string a = "hello ", b = "vectored ", c = "world";
  struct iovec iov[3] = {{a.data(), a.size()}, {b.data(), b.size()}, {c.data(), c.size()}};
  REQUIRE(env.write_all(fd->get(), iov, 3, 0).ok());
  CHECK(env.writes() == 7);  // 20 bytes, 3 at a time
  auto text = env.read_file(tmp.sub("f"));
  REQUIRE(text.ok());
  CHECK(*text == "hello vectored world");
}

TEST_CASE("env: the Nth write fails with the injected errno") {
  TempDir tmp;
  FaultInjectionEnv env;
  auto fd = env.open(tmp.sub("f"), O_RDWR | O_CREAT);
  REQUIRE(fd.ok());
  env.fail_write(2, ENOSPC);
  CHECK(env.write_all(fd->get(), "1", 1, 0).ok());
  Status st = env.write_all(fd->get(), "2", 1, 1);
  CHECK(st.is(StatusCode::kIoError));
  CHECK(st.message() == "write: no space left on device");
  CHECK(env.write_all(fd->get(), "3", 1, 1).ok());
  CHECK(env.failed_writes() == 1);
  CHECK(*env.read_file(tmp.sub("f")) == "13");
  env.fail_write(1, EIO, 2);
  CHECK_FALSE(env.write_all(fd->get(), "x", 1, 0).ok());
  CHECK_FALSE(env.write_all(fd->get(), "x", 1, 0).ok());
  CHECK(env.write_all(fd->get(), "x", 1, 0).ok());
}

TEST_CASE("env: fake clock, atomic files, listing and locks") {
  TempDir tmp;
  FaultInjectionEnv env;
  int64_t real = env.now_us();
  CHECK(real > 1'600'000'000'000'000);  // after 2020: the real clock
  env.set_clock(42);
  env.advance_clock(8);
  CHECK(env.now_us() == 50);

  REQUIRE(env.write_file_atomic(tmp.sub("meta"), "a=1\n").ok());
  REQUIRE(env.write_file_atomic(tmp.sub("meta"), "a=2\n").ok());
  CHECK(*env.read_file(tmp.sub("meta")) == "a=2\n");
  auto names = env.list_dir(tmp.path());
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"meta"});  // no temp file left
  CHECK(env.read_file(tmp.sub("nope")).status().is(StatusCode::kNotFound));

  REQUIRE(env.mkdirs(tmp.sub("a/b/c")).ok());
  CHECK(env.exists(tmp.sub("a/b/c")));
  CHECK(env.mkdir(tmp.sub("a/b/c")).ok());  // exists already: fine

  auto l1 = env.open(tmp.sub("lock"), O_RDWR | O_CREAT);
  auto l2 = env.open(tmp.sub("lock"), O_RDWR | O_CREAT);
  REQUIRE(l1.ok());
  REQUIRE(l2.ok());
  REQUIRE(env.lock(l1->get(), true).ok());
  CHECK(env.lock(l2->get(), true).is(StatusCode::kTryAgain));
  REQUIRE(env.unlock(l1->get()).ok());
  CHECK(env.lock(l2->get(), true).ok());

  env.fail_sync(EIO);
  CHECK(env.fsync(l1->get()).is(StatusCode::kIoError));
  CHECK(env.fsync(l1->get()).ok());
}

// The crash model of FaultInjectionEnv (what drop_unsynced() keeps).

TEST_CASE("env: a crash keeps only what was synced") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string d = tmp.sub("d");
  REQUIRE(env.mkdirs(d).ok());  // made durable in its parent
  auto fd = env.open(d + "/f", O_RDWR | O_CREAT);
  REQUIRE(fd.ok());
  REQUIRE(env.write_all(fd->get(), "synced", 6, 0).ok());
  REQUIRE(env.fdatasync(fd->get()).ok());
  REQUIRE(env.write_all(fd->get(), "+lost", 5, 6).ok());
  CHECK(env.durable_size(d + "/f") == -1);  // its entry is not durable yet
  REQUIRE(env.sync_dir(d).ok());
  CHECK(env.durable_size(d + "/f") == 6);
  auto g = env.open(d + "/g", O_RDWR | O_CREAT);  // never reaches the directory
  REQUIRE(g.ok());
  REQUIRE(env.write_all(g->get(), "x", 1, 0).ok());
  REQUIRE(env.fsync(g->get()).ok());
  REQUIRE(env.mkdir(d + "/sub").ok());  // neither does this directory
  REQUIRE(env.write_file_atomic(d + "/sub/h", "h").ok());

  REQUIRE(env.drop_unsynced().ok());
  CHECK(*env.read_file(d + "/f") == "synced");
  CHECK_FALSE(env.exists(d + "/g"));
  CHECK_FALSE(env.exists(d + "/sub"));
  // After the crash what is on disk is durable.
  CHECK(env.durable_size(d + "/f") == 6);
  REQUIRE(env.drop_unsynced().ok());
  CHECK(*env.read_file(d + "/f") == "synced");
}

TEST_CASE("env: a rename not made durable is undone by a crash") {
  TempDir tmp;
  FaultInjectionEnv env;
  std::string f = tmp.sub("offset");
  REQUIRE(env.write_file_atomic(f, "5\n").ok());
  REQUIRE(env.write_file_atomic(tmp.sub("tmp"), "9\n").ok());
  REQUIRE(env.rename(tmp.sub("tmp"), f).ok());  // no sync of the directory
  CHECK(*env.read_file(f) == "9\n");
  REQUIRE(env.drop_unsynced().ok());
  CHECK(*env.read_file(f) == "5\n");
}

TEST_CASE("env: after a failed sync the unsynced bytes stay lost") {
  // Linux may drop the dirty pages when fsync fails ("fsyncgate"): a later
  // successful sync does not bring them back. Truncating them away does.
  TempDir tmp;
  FaultInjectionEnv env;
  auto fd = env.open(tmp.sub("f"), O_RDWR | O_CREAT);
  REQUIRE(fd.ok());
  REQUIRE(env.sync_dir(tmp.path()).ok());
  REQUIRE(env.write_all(fd->get(), "good", 4, 0).ok());
  REQUIRE(env.fdatasync(fd->get()).ok());
  REQUIRE(env.write_all(fd->get(), "lost", 4, 4).ok());
  env.fail_sync(EIO);
  CHECK(env.fdatasync(fd->get()).is(StatusCode::kIoError));
  REQUIRE(env.write_all(fd->get(), "more", 4, 8).ok());
  REQUIRE(env.fdatasync(fd->get()).ok());
  CHECK(env.durable_size(tmp.sub("f")) == 4);
  SUBCASE("crash") {
    REQUIRE(env.drop_unsynced().ok());
    CHECK(*env.read_file(tmp.sub("f")) == "good");
  }
  SUBCASE("truncated back and rewritten") {
    REQUIRE(env.ftruncate(fd->get(), 4).ok());
    REQUIRE(env.write_all(fd->get(), "redo", 4, 4).ok());
    REQUIRE(env.fdatasync(fd->get()).ok());
    REQUIRE(env.drop_unsynced().ok());
    CHECK(*env.read_file(tmp.sub("f")) == "goodredo");
  }
}

TEST_CASE("env: a failed rename leaves the target and no temp file") {
  TempDir tmp;
  FaultInjectionEnv env;
  REQUIRE(env.write_file_atomic(tmp.sub("meta"), "a=1\n").ok());
  env.fail_rename(EIO);
  Status st = env.write_file_atomic(tmp.sub("meta"), "a=2\n");
  CHECK(st.is(StatusCode::kIoError));
  CHECK(st.message() == "cannot rename '" + tmp.sub(".meta.tmp") + "' to '" + tmp.sub("meta") +
                            "': input/output error");
  CHECK(*env.read_file(tmp.sub("meta")) == "a=1\n");
  CHECK(*env.list_dir(tmp.path()) == std::vector<std::string>{"meta"});
  REQUIRE(env.write_file_atomic(tmp.sub("meta"), "a=3\n").ok());
  CHECK(*env.read_file(tmp.sub("meta")) == "a=3\n");
}

TEST_CASE("env: a failed directory sync names the directory") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.fail_sync(EIO);
  Status st = env.sync_dir(tmp.path());
  CHECK(st.is(StatusCode::kIoError));
  CHECK(st.message() == "cannot sync directory '" + tmp.path() + "': fsync: input/output error");
}

TEST_CASE("env: open_temp makes a nameless file, gone with its descriptor") {
  TempDir tmp;
  Env* env = Env::Default();
  auto fd = env->open_temp(tmp.path());
  REQUIRE(fd.ok());
  auto names = env->list_dir(tmp.path());
  REQUIRE(names.ok());
  CHECK(names->empty());  // no name in the directory, not even briefly left
  REQUIRE(env->write_all(fd->get(), "scratch", 7, 0).ok());
  char buf[8] = {};
  auto n = env->pread(fd->get(), buf, sizeof buf, 0);
  REQUIRE(n.ok());
  CHECK(std::string(buf, *n) == "scratch");
  uint64_t nlink = 1;
  REQUIRE(env->file_size(fd->get(), &nlink).ok());
  CHECK(nlink == 0);

  Result<UniqueFd> missing = env->open_temp(tmp.sub("nope"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message() ==
        "cannot create a temporary file in '" + tmp.sub("nope") + "': no such file or directory");
}

TEST_CASE("env: an injected open_temp failure names the directory") {
  TempDir tmp;
  FaultInjectionEnv env;
  env.fail_open_temp(ENOSPC);
  Result<UniqueFd> fd = env.open_temp(tmp.path());
  REQUIRE_FALSE(fd.ok());
  CHECK(fd.status().is(StatusCode::kCannotCreate));  // as every failed creation
  CHECK(fd.status().message() ==
        "cannot create a temporary file in '" + tmp.path() + "': no space left on device");
  CHECK(env.open_temp(tmp.path()).ok());  // only the one failure was armed
}

TEST_CASE("env: rmdir removes an empty directory and refuses a full one") {
  TempDir tmp;
  Env* env = Env::Default();
  const std::string dir = tmp.sub("d");
  REQUIRE(env->mkdir(dir).ok());
  REQUIRE(env->write_file_atomic(dir + "/f", "x").ok());
  Status st = env->rmdir(dir);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("cannot remove directory '" + dir + "'") != std::string::npos);
  CHECK(env->exists(dir + "/f"));
  REQUIRE(env->unlink(dir + "/f").ok());
  FaultInjectionEnv fenv;
  CHECK(fenv.rmdir(dir).ok());
  CHECK_FALSE(env->exists(dir));
}

TEST_CASE("env: file_type and mkfifo, as named pipes use them") {
  TempDir tmp;
  Env* env = Env::Default();
  using T = Env::FileType;
  CHECK(env->file_type(tmp.sub("none")) == T::kMissing);
  CHECK(env->file_type(tmp.path()) == T::kDirectory);
  REQUIRE(env->write_file_atomic(tmp.sub("f"), "x").ok());
  CHECK(env->file_type(tmp.sub("f")) == T::kRegular);
  REQUIRE(env->mkfifo(tmp.sub("p"), 0600).ok());
  CHECK(env->file_type(tmp.sub("p")) == T::kFifo);
  REQUIRE(symlink(tmp.sub("gone").c_str(), tmp.sub("dangling").c_str()) == 0);
  CHECK(env->file_type(tmp.sub("dangling")) == T::kMissing);
  CHECK(env->file_type(tmp.sub("dangling"), /*follow=*/false) == T::kOther);
  Status st = env->mkfifo(tmp.sub("f"), 0600);
  CHECK(st.is(StatusCode::kCannotCreate));
  CHECK(st.message().find("cannot create named pipe '" + tmp.sub("f") + "'") != std::string::npos);
}
