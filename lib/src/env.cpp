#include "sluice/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "sluice/message.h"

namespace sluice {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

std::string quoted(std::string_view what, const std::string& path) {
  std::string m(what);
  m += " '";
  m += path;
  m += '\'';
  return m;
}

// Failing to create something is kPermissionDenied when access was denied,
// else kCannotCreate (not kNotFound/kIoError as the errno alone suggests).
Status creation_error(int err, const std::string& what) {
  Status s = Status::FromErrno(err, what, StatusCode::kCannotCreate);
  // A read-only file system is an I/O condition (74), as for writes.
  if (!s.is(StatusCode::kPermissionDenied) && err != EROFS) {
    s = Status::CannotCreate(s.message());
  }
  return s;
}

struct DirCloser {
  void operator()(DIR* d) const { ::closedir(d); }
};

class PosixEnv final : public Env {
 public:
  Result<UniqueFd> open(const std::string& path, int flags,
                        mode_t mode) override {
    int fd;
    do {
      fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
      int err = errno;
      if ((flags & O_CREAT) && err != ENOENT) {
        return creation_error(err, quoted("cannot create", path));
      }
      return Status::FromErrno(err, quoted("cannot open", path));
    }
    return UniqueFd(fd);
  }

  Result<size_t> pwritev(int fd, const struct iovec* iov, int iovcnt,
                         int64_t offset) override {
    ssize_t n;
    do {
      n = ::pwritev(fd, iov, iovcnt, offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return Status::FromErrno(errno, "write");
    return static_cast<size_t>(n);
  }

  Result<size_t> pread(int fd, void* buf, size_t n, int64_t offset) override {
    ssize_t r;
    do {
      r = ::pread(fd, buf, n, offset);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return Status::FromErrno(errno, "read");
    return static_cast<size_t>(r);
  }

  Status fdatasync(int fd) override {
    if (::fdatasync(fd) != 0) return Status::FromErrno(errno, "fdatasync");
    return Status::Ok();
  }

  Status fsync(int fd) override {
    if (::fsync(fd) != 0) return Status::FromErrno(errno, "fsync");
    return Status::Ok();
  }

  Status ftruncate(int fd, int64_t size) override {
    int r;
    do {
      r = ::ftruncate(fd, size);
    } while (r != 0 && errno == EINTR);
    if (r != 0) return Status::FromErrno(errno, "truncate");
    return Status::Ok();
  }

  Result<int64_t> file_size(int fd, uint64_t* nlink) override {
    struct stat st;
    if (::fstat(fd, &st) != 0) return Status::FromErrno(errno, "fstat");
    if (nlink) *nlink = st.st_nlink;
    return static_cast<int64_t>(st.st_size);
  }

  Result<int64_t> path_size(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::FromErrno(errno, quoted("cannot stat", path));
    }
    return static_cast<int64_t>(st.st_size);
  }

  bool exists(const std::string& path) override {
    return ::access(path.c_str(), F_OK) == 0;
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno(errno, quoted("cannot rename", from) + " to '" +
                                          to + "'");
    }
    return Status::Ok();
  }

  Status unlink(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) {
      return Status::FromErrno(errno, quoted("cannot remove", path));
    }
    return Status::Ok();
  }

  Status mkdir(const std::string& path) override {
    if (::mkdir(path.c_str(), 0755) == 0) return Status::Ok();
    int err = errno;
    struct stat st;
    if (err == EEXIST && ::stat(path.c_str(), &st) == 0 &&
        S_ISDIR(st.st_mode)) {
      return Status::Ok();
    }
    return creation_error(err, quoted("cannot create directory", path));
  }

  Result<std::vector<std::string>> list_dir(const std::string& dir) override {
    std::unique_ptr<DIR, DirCloser> d(::opendir(dir.c_str()));
    if (!d) return Status::FromErrno(errno, quoted("cannot list", dir));
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d.get())) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    if (errno != 0) return Status::FromErrno(errno, quoted("cannot list", dir));
    return names;
  }

  Status lock(int fd, bool nonblocking) override {
    int r;
    do {
      r = ::flock(fd, LOCK_EX | (nonblocking ? LOCK_NB : 0));
    } while (r != 0 && errno == EINTR);
    if (r != 0) return Status::FromErrno(errno, "lock");
    return Status::Ok();
  }

  Status unlock(int fd) override {
    if (::flock(fd, LOCK_UN) != 0) return Status::FromErrno(errno, "unlock");
    return Status::Ok();
  }

  int64_t now_us() override { return sluice::now_us(); }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: used at exit
  return env;
}

Status Env::write_all(int fd, const struct iovec* iov, int iovcnt,
                      int64_t offset) {
  // The iovec array is copied only when a short write forces us to advance.
  std::vector<struct iovec> rest;
  const struct iovec* cur = iov;
  int cnt = iovcnt;
  size_t total = 0;
  for (int i = 0; i < iovcnt; ++i) total += iov[i].iov_len;
  while (total > 0) {
    Result<size_t> n = pwritev(fd, cur, cnt, offset);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::IoError("write: wrote nothing");
    size_t done = *n;
    total -= done;
    offset += static_cast<int64_t>(done);
    if (total == 0) break;
    // Short write: drop the fully written vectors, trim the partial one.
    std::vector<struct iovec> next;
    for (int k = 0; k < cnt; ++k) {
      struct iovec v = cur[k];
      if (done >= v.iov_len) {
        done -= v.iov_len;
        continue;
      }
      v.iov_base = static_cast<char*>(v.iov_base) + done;
      v.iov_len -= done;
      done = 0;
      next.push_back(v);
    }
    rest.swap(next);
    cur = rest.data();
    cnt = static_cast<int>(rest.size());
  }
  return Status::Ok();
}

Status Env::write_all(int fd, const void* buf, size_t n, int64_t offset) {
  struct iovec v{const_cast<void*>(buf), n};
  return write_all(fd, &v, 1, offset);
}

Status Env::mkdirs(const std::string& path) {
  if (path.empty() || exists(path)) return Status::Ok();
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    SLUICE_RETURN_IF_ERROR(mkdirs(path.substr(0, slash)));
  }
  return mkdir(path);
}

Status Env::sync_dir(const std::string& dir) {
  Result<UniqueFd> fd = open(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  return fsync(fd->get());
}

Status Env::write_file_atomic(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos) {
    // A dot prefix keeps the temp file out of directory listings of names.
    tmp = path.substr(0, slash + 1) + "." + path.substr(slash + 1) + ".tmp";
  }
  {
    Result<UniqueFd> fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.ok()) return fd.status();
    Status st = write_all(fd->get(), data.data(), data.size(), 0);
    if (st.ok()) st = fsync(fd->get());
    if (!st.ok()) {
      (void)unlink(tmp);
      return st.With("cannot write '" + tmp + "'");
    }
  }
  SLUICE_RETURN_IF_ERROR(rename(tmp, path));
  return sync_dir(slash == std::string::npos ? "." : path.substr(0, slash));
}

Result<std::string> Env::read_file(const std::string& path) {
  Result<UniqueFd> fd = open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[4096];
  int64_t off = 0;
  for (;;) {
    Result<size_t> n = pread(fd->get(), buf, sizeof buf, off);
    if (!n.ok()) return n.status().With("cannot read '" + path + "'");
    if (*n == 0) break;
    out.append(buf, *n);
    off += static_cast<int64_t>(*n);
  }
  return out;
}

// ------------------------------------------------------- FaultInjectionEnv

void FaultInjectionEnv::fail_write(int nth, int err, int count) {
  std::lock_guard<std::mutex> l(mu_);
  fail_at_ = writes_ + nth;
  fail_count_ = count;
  fail_errno_ = err;
}

void FaultInjectionEnv::set_short_writes(size_t max_bytes) {
  std::lock_guard<std::mutex> l(mu_);
  short_max_ = max_bytes;
}

void FaultInjectionEnv::fail_sync(int err, int count) {
  std::lock_guard<std::mutex> l(mu_);
  sync_errno_ = err;
  sync_fail_count_ = count;
}

void FaultInjectionEnv::set_clock(int64_t us) {
  std::lock_guard<std::mutex> l(mu_);
  fake_clock_ = true;
  clock_us_ = us;
}

void FaultInjectionEnv::advance_clock(int64_t us) {
  std::lock_guard<std::mutex> l(mu_);
  clock_us_ += us;
}

void FaultInjectionEnv::clear_faults() {
  std::lock_guard<std::mutex> l(mu_);
  fail_count_ = 0;
  short_max_ = 0;
  sync_fail_count_ = 0;
  mkdir_errno_ = 0;
}

int FaultInjectionEnv::writes() const {
  std::lock_guard<std::mutex> l(mu_);
  return writes_;
}

int FaultInjectionEnv::failed_writes() const {
  std::lock_guard<std::mutex> l(mu_);
  return failed_writes_;
}

Result<UniqueFd> FaultInjectionEnv::open(const std::string& path, int flags,
                                         mode_t mode) {
  return base_->open(path, flags, mode);
}

Result<size_t> FaultInjectionEnv::pwritev(int fd, const struct iovec* iov,
                                          int iovcnt, int64_t offset) {
  size_t limit = 0;
  {
    std::lock_guard<std::mutex> l(mu_);
    int n = ++writes_;
    if (fail_count_ > 0 && n >= fail_at_) {
      --fail_count_;
      ++failed_writes_;
      return Status::FromErrno(fail_errno_, "write");
    }
    limit = short_max_;
  }
  if (limit == 0) return base_->pwritev(fd, iov, iovcnt, offset);
  // Cut the request down to `limit` bytes.
  std::vector<struct iovec> cut;
  size_t left = limit;
  for (int i = 0; i < iovcnt && left > 0; ++i) {
    struct iovec v = iov[i];
    if (v.iov_len > left) v.iov_len = left;
    left -= v.iov_len;
    cut.push_back(v);
  }
  return base_->pwritev(fd, cut.data(), static_cast<int>(cut.size()), offset);
}

Result<size_t> FaultInjectionEnv::pread(int fd, void* buf, size_t n,
                                        int64_t offset) {
  return base_->pread(fd, buf, n, offset);
}

Status FaultInjectionEnv::fdatasync(int fd) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (sync_fail_count_ > 0) {
      --sync_fail_count_;
      return Status::FromErrno(sync_errno_, "fdatasync");
    }
  }
  return base_->fdatasync(fd);
}

Status FaultInjectionEnv::fsync(int fd) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (sync_fail_count_ > 0) {
      --sync_fail_count_;
      return Status::FromErrno(sync_errno_, "fsync");
    }
  }
  return base_->fsync(fd);
}

Status FaultInjectionEnv::ftruncate(int fd, int64_t size) {
  return base_->ftruncate(fd, size);
}
Result<int64_t> FaultInjectionEnv::file_size(int fd, uint64_t* nlink) {
  return base_->file_size(fd, nlink);
}
Result<int64_t> FaultInjectionEnv::path_size(const std::string& path) {
  return base_->path_size(path);
}
bool FaultInjectionEnv::exists(const std::string& path) {
  return base_->exists(path);
}
Status FaultInjectionEnv::rename(const std::string& from,
                                 const std::string& to) {
  return base_->rename(from, to);
}
Status FaultInjectionEnv::unlink(const std::string& path) {
  return base_->unlink(path);
}
void FaultInjectionEnv::fail_mkdir(int err) {
  std::lock_guard<std::mutex> l(mu_);
  mkdir_errno_ = err;
}

Status FaultInjectionEnv::mkdir(const std::string& path) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (mkdir_errno_ != 0) {
      return creation_error(mkdir_errno_, "cannot create directory '" + path + "'");
    }
  }
  return base_->mkdir(path);
}
Result<std::vector<std::string>> FaultInjectionEnv::list_dir(
    const std::string& dir) {
  return base_->list_dir(dir);
}
Status FaultInjectionEnv::lock(int fd, bool nonblocking) {
  return base_->lock(fd, nonblocking);
}
Status FaultInjectionEnv::unlock(int fd) { return base_->unlock(fd); }

int64_t FaultInjectionEnv::now_us() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (fake_clock_) return clock_us_;
  }
  return base_->now_us();
}

}  // namespace sluice
