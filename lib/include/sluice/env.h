// Env: the seam between the library (the embedded file log, cdc-pg's
// snapshot marker and spill files) and the operating system.
//
// Every file-system call and every wall-clock read the library makes goes
// through an Env (the leveldb model), so tests can swap in a
// FaultInjectionEnv that fails the Nth write with ENOSPC or EIO, cuts writes
// short, fails syncs or renames, simulates a crash that loses every byte not
// yet synced, or runs a fake clock, and check that the log stays valid. The
// calls are thin wrappers over POSIX on file descriptors; a failure comes back
// as a Status built from errno (Status::FromErrno) whose message names the
// operation and, for path operations, the path.
//
// Ownership: open() and open_temp() hand back a UniqueFd that closes its
// descriptor on destruction. Every other call borrows the descriptor it is
// given.
//
// Thread safety: PosixEnv (Env::Default()) is stateless and may be used from
// any number of threads. FaultInjectionEnv guards its counters with a mutex,
// so it too may be shared between threads.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>
#include <map>
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
  virtual Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0644) = 0;
  // A new, empty read-write file in directory `dir` that has no name, so it
  // is gone once its descriptor is closed, even after a crash: O_TMPFILE, or
  // where the file system lacks it, mkstemp(3) then unlink(2). For scratch
  // data (a streamed transaction spilled to disk). On failure the message
  // names `dir`.
  virtual Result<UniqueFd> open_temp(const std::string& dir) = 0;
  // One pwrite(2)/pwritev(2): may write fewer bytes than asked (the caller
  // loops). Returns the number of bytes written.
  virtual Result<size_t> pwritev(int fd, const struct iovec* iov, int iovcnt, int64_t offset) = 0;
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
  // Last modification of the file at `path`, in microseconds since the
  // epoch (kNotFound when it does not exist).
  virtual Result<int64_t> mtime_us(const std::string& path) = 0;
  virtual bool exists(const std::string& path) = 0;
  // What is at `path`: stat(2), or lstat(2) with `follow` false (a
  // dangling symbolic link is then kOther, not kMissing).
  enum class FileType { kMissing, kRegular, kDirectory, kFifo, kOther };
  virtual FileType file_type(const std::string& path, bool follow = true) = 0;
  // mkfifo(3); kCannotCreate naming the path when it fails.
  virtual Status mkfifo(const std::string& path, mode_t mode) = 0;

  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status unlink(const std::string& path) = 0;
  // Creates one directory; ok when it already exists as a directory.
  virtual Status mkdir(const std::string& path) = 0;
  // Removes an empty directory (kIoError-like errno status otherwise, e.g.
  // ENOTEMPTY when something was put in it meanwhile).
  virtual Status rmdir(const std::string& path) = 0;
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
  // Convenience: pread until `n` bytes or the end of the file (a short
  // read is not the end). Returns the bytes read.
  Result<size_t> pread_full(int fd, void* buf, size_t n, int64_t offset);
  // Creates `path` and its missing parents (mkdir -p). Each directory it
  // creates is made durable by a sync of its parent (best effort where the
  // parent cannot be opened for reading).
  Status mkdirs(const std::string& path);
  // fsync on a directory, making renames and creations in it durable. On
  // failure the message names `dir`.
  Status sync_dir(const std::string& dir);
  // Writes `data` to `path` atomically: temp file, fsync, rename, fsync dir.
  // On failure before the rename, `path` is untouched and the temp file is
  // removed.
  Status write_file_atomic(const std::string& path, std::string_view data);
  // Reads a whole (small) file.
  Result<std::string> read_file(const std::string& path);
};

// Forwards to a base Env and injects faults for tests. Write faults count
// pwritev() calls made after they are armed.
//
// It also models what survives a crash, as leveldb's FaultInjectionTestEnv
// does. For every file opened or created through it, it remembers the
// length made durable by the last successful fdatasync/fsync of a
// descriptor on it, and whether its directory entry is durable: a file or
// directory created (or renamed into place) through this Env is not, until
// a successful fsync of its parent directory (sync_dir). Files it first sees
// already existing count as durable at the size they had then.
// drop_unsynced() is the crash: it truncates every file to its durable
// length and removes entries that were never made durable (a replaced file
// comes back when the rename that replaced it was not made durable).
//
// A failed sync (fail_sync) models Linux after "fsyncgate": the dirty pages
// may be gone, so bytes past the durable length at that moment stay lost in
// a crash even if a later sync succeeds, until the file is truncated back
// to that length.
//
// Limits of the model: only lengths are tracked (an overwrite of synced bytes
// is taken as durable), an unlinked file never comes back, a renamed file
// does not come back under its old name, and descriptors are mapped to
// paths when opened through this Env (those opened elsewhere are unknown).
class FaultInjectionEnv : public Env {
 public:
  explicit FaultInjectionEnv(Env* base = Env::Default()) : base_(base) {}

  // The `nth` next write (1 = the very next) and the `count - 1` after it
  // fail with `err` (ENOSPC, EIO, ...) without writing anything.
  void fail_write(int nth, int err, int count = 1);
  // Every write from now on writes at most `max_bytes` (0 = no limit).
  void set_short_writes(size_t max_bytes);
  // The next fdatasync/fsync calls fail with `err` (`count` of them),
  // without syncing anything.
  void fail_sync(int err, int count = 1);
  // The next open_temp calls fail with `err` (`count` of them).
  void fail_open_temp(int err, int count = 1);
  // The next renames fail with `err` (`count` of them), renaming nothing.
  void fail_rename(int err, int count = 1);
  // Every mkdir from now on fails with `err` (EACCES, ...).
  void fail_mkdir(int err);
  // Freezes the clock at `us`; advance_clock moves it. Without a call the
  // base clock is used.
  void set_clock(int64_t us);
  void advance_clock(int64_t us);
  // Disarms every fault above (not the clock, not the crash model).
  void clear_faults();

  // Simulates a crash of the machine: every file seen by this Env is cut
  // back to its durable length, entries never made durable are removed.
  // Call it after the writers and readers using the files are gone (their
  // process "died"); afterwards everything on disk counts as durable.
  Status drop_unsynced();
  // The length of `path` that would survive a crash now; -1 when the file
  // would not survive at all or is not known to this Env.
  int64_t durable_size(const std::string& path) const;

  int writes() const;  // pwritev calls seen so far
  int failed_writes() const;
  int syncs() const;  // successful fdatasync/fsync calls so far

  Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0644) override;
  Result<UniqueFd> open_temp(const std::string& dir) override;
  Result<size_t> pwritev(int fd, const struct iovec* iov, int iovcnt, int64_t offset) override;
  Result<size_t> pread(int fd, void* buf, size_t n, int64_t offset) override;
  Status fdatasync(int fd) override;
  Status fsync(int fd) override;
  Status ftruncate(int fd, int64_t size) override;
  Result<int64_t> file_size(int fd, uint64_t* nlink) override;
  Result<int64_t> path_size(const std::string& path) override;
  Result<int64_t> mtime_us(const std::string& path) override;
  bool exists(const std::string& path) override;
  FileType file_type(const std::string& path, bool follow = true) override;
  Status mkfifo(const std::string& path, mode_t mode) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status unlink(const std::string& path) override;
  Status mkdir(const std::string& path) override;
  Status rmdir(const std::string& path) override;
  Result<std::vector<std::string>> list_dir(const std::string& dir) override;
  Status lock(int fd, bool nonblocking) override;
  Status unlock(int fd) override;
  int64_t now_us() override;

 private:
  // What a crash would leave of one path.
  struct FileState {
    bool is_dir = false;
    bool entry_durable = true;  // the directory entry survives a crash
    int64_t durable_size = 0;   // bytes that survive a crash
    int64_t poisoned_at = -1;   // a sync failed: bytes from here are lost
    bool has_replaced = false;  // a non-durable rename replaced a durable
    std::string replaced;       // file, whose content was this
  };
  Status sync_fd(int fd, const char* what, Status (Env::*op)(int));

  Env* base_;
  mutable std::mutex mu_;
  int writes_ = 0;
  int failed_writes_ = 0;
  int syncs_ = 0;
  int fail_at_ = 0;  // absolute write number of the first failing write
  int fail_count_ = 0;
  int fail_errno_ = 0;
  size_t short_max_ = 0;
  int sync_fail_count_ = 0;
  int sync_errno_ = 0;
  int open_temp_fail_count_ = 0;
  int open_temp_errno_ = 0;
  int rename_fail_count_ = 0;
  int rename_errno_ = 0;
  int mkdir_errno_ = 0;
  bool fake_clock_ = false;
  int64_t clock_us_ = 0;
  std::map<std::string, FileState> files_;  // by normalized path
  struct FdInfo {
    std::string path;
    bool is_dir = false;
  };
  std::map<int, FdInfo> fds_;  // descriptors opened through this Env
};

}  // namespace sluice
