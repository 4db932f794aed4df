// Env: the seam between the embedded file log and the operating system.
//
// Every file-system call and every clock read the file log makes goes
// through an Env (the leveldb model), so tests can swap in a
// FaultInjectionEnv that fails the Nth write with ENOSPC or EIO, cuts writes
// short, or runs a fake clock, and check that the log stays valid. The calls
// are thin wrappers over POSIX on file descriptors; a failure comes back as
// a Status built from errno (Status::FromErrno) whose message names the
// operation and, for path operations, the path.
//
// Ownership: open() hands back a UniqueFd that closes its descriptor on
// destruction. Every other call borrows the descriptor it is given.
//
// Thread safety: PosixEnv (Env::Default()) is stateless and may be used from
// any number of threads. FaultInjectionEnv guards its counters with a mutex,
// so it too may be shared between threads.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "sluice/status.h"

namespace sluice {

// Owns a file descriptor; closes it on destruction. Movable, not copyable.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide PosixEnv. Never null, never destroyed.
  static Env* Default();

  // open(2) with O_CLOEXEC added. On failure the message names `path`.
  virtual Result<UniqueFd> open(const std::string& path, int flags,
                                mode_t mode = 0644) = 0;
  // One pwrite(2)/pwritev(2): may write fewer bytes than asked (the caller
  // loops). Returns the number of bytes written.
  virtual Result<size_t> pwritev(int fd, const struct iovec* iov, int iovcnt,
                                 int64_t offset) = 0;
  // One pread(2): returns the bytes read (0 at end of file).
  virtual Result<size_t> pread(int fd, void* buf, size_t n, int64_t offset) = 0;
  virtual Status fdatasync(int fd) = 0;
  virtual Status fsync(int fd) = 0;
  virtual Status ftruncate(int fd, int64_t size) = 0;
  // Size of the open file; *nlink (optional) gets its link count, which is 0
  // once the file was unlinked (a segment dropped by retention).
  virtual Result<int64_t> file_size(int fd, uint64_t* nlink = nullptr) = 0;
  // Size of the file at `path` (kNotFound when it does not exist).
  virtual Result<int64_t> path_size(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;

  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status unlink(const std::string& path) = 0;
  // Creates one directory; ok when it already exists as a directory.
  virtual Status mkdir(const std::string& path) = 0;
  // Names in `dir`, without "." and "..", in no particular order.
  virtual Result<std::vector<std::string>> list_dir(const std::string& dir) = 0;

  // flock(2) on an open descriptor. With `nonblocking`, a lock held
  // elsewhere gives kTryAgain.
  virtual Status lock(int fd, bool nonblocking) = 0;
  virtual Status unlock(int fd) = 0;

  // Wall-clock time in microseconds since the Unix epoch.
  virtual int64_t now_us() = 0;

  // Convenience: one full write (loops over short writes). On error the
  // file may hold a prefix of the data; callers truncate it away.
  Status write_all(int fd, const struct iovec* iov, int iovcnt, int64_t offset);
  Status write_all(int fd, const void* buf, size_t n, int64_t offset);
  // Creates `path` and its missing parents (mkdir -p).
  Status mkdirs(const std::string& path);
  // fsync on a directory, making renames and creations in it durable.
  Status sync_dir(const std::string& dir);
  // Writes `data` to `path` atomically: temp file, fsync, rename, fsync dir.
  Status write_file_atomic(const std::string& path, std::string_view data);
  // Reads a whole (small) file.
  Result<std::string> read_file(const std::string& path);
};

// Forwards to a base Env and injects faults for tests. Write faults count
// pwritev() calls made after they are armed.
class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  // The `nth` next write (1 = the very next) and the `count - 1` after it
  // fail with `err` (ENOSPC, EIO, ...) without writing anything.
  void fail_write(int nth, int err, int count = 1);
  // Every write from now on writes at most `max_bytes` (0 = no limit).
  void set_short_writes(size_t max_bytes);
  // The next fdatasync/fsync calls fail with `err` (`count` of them).
  void fail_sync(int err, int count = 1);
  // Every mkdir from now on fails with `err` (EACCES, ...).
  void fail_mkdir(int err);
  // Freezes the clock at `us`; advance_clock moves it. Without a call the
  // base clock is used.
  void set_clock(int64_t us);
  void advance_clock(int64_t us);
  void clear_faults();

  int writes() const;  // pwritev calls seen so far
  int failed_writes() const;

  Result<UniqueFd> open(const std::string& path, int flags,
                        mode_t mode = 0644) override;
  Result<size_t> pwritev(int fd, const struct iovec* iov, int iovcnt,
                         int64_t offset) override;
  Result<size_t> pread(int fd, void* buf, size_t n, int64_t offset) override;
  Status fdatasync(int fd) override;
  Status fsync(int fd) override;
  Status ftruncate(int fd, int64_t size) override;
  Result<int64_t> file_size(int fd, uint64_t* nlink) override;
  Result<int64_t> path_size(const std::string& path) override;
  bool exists(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status unlink(const std::string& path) override;
  Status mkdir(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& dir) override;
  Status lock(int fd, bool nonblocking) override;
  Status unlock(int fd) override;
  int64_t now_us() override;

 private:
  Env* base_;
  mutable std::mutex mu_;
  int writes_ = 0;
  int failed_writes_ = 0;
  int fail_at_ = 0;  // absolute write number of the first failing write
  int fail_count_ = 0;
  int fail_errno_ = 0;
  size_t short_max_ = 0;
  int sync_fail_count_ = 0;
  int sync_errno_ = 0;
  int mkdir_errno_ = 0;
  bool fake_clock_ = false;
  int64_t clock_us_ = 0;
};

}  // namespace sluice
