#include "sluice/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <iterator>
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
  Result<UniqueFd> open(const std::string& path, int flags, mode_t mode) override {
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

  Result<UniqueFd> open_temp(const std::string& dir) override {
    const std::string& d = dir.empty() ? std::string(".") : dir;
    int fd;
    do {
      fd = ::open(d.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    } while (fd < 0 && errno == EINTR);
    // EOPNOTSUPP/EISDIR: the file system or kernel has no O_TMPFILE.
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
      std::string path = d + "/.sluice-tmp.XXXXXX";
      fd = ::mkostemp(path.data(), O_CLOEXEC);
      if (fd >= 0 && ::unlink(path.c_str()) != 0) {
        int err = errno;
        ::close(fd);
        errno = err;
        fd = -1;
      }
    }
    if (fd < 0) {
      return creation_error(errno, quoted("cannot create a temporary file in", d));
    }
    return UniqueFd(fd);
  }

  Result<size_t> pwritev(int fd, const struct iovec* iov, int iovcnt, int64_t offset) override {
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

  bool exists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  FileType file_type(const std::string& path, bool follow) override {
    struct stat st;
    if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) {
      return FileType::kMissing;
    }
    if (S_ISREG(st.st_mode)) return FileType::kRegular;
    if (S_ISDIR(st.st_mode)) return FileType::kDirectory;
    if (S_ISFIFO(st.st_mode)) return FileType::kFifo;
    return FileType::kOther;
  }

  Status mkfifo(const std::string& path, mode_t mode) override {
    if (::mkfifo(path.c_str(), mode) == 0) return Status::Ok();
    // Whatever the errno, failing to make the pipe is "cannot create".
    return Status::CannotCreate(
        Status::FromErrno(errno, quoted("cannot create named pipe", path)).message());
  }

  Status rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return Status::FromErrno(errno, quoted("cannot rename", from) + " to '" + to + "'");
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
    if (err == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      return Status::Ok();
    }
    return creation_error(err, quoted("cannot create directory", path));
  }

  Status rmdir(const std::string& path) override {
    if (::rmdir(path.c_str()) != 0) {
      return Status::FromErrno(errno, quoted("cannot remove directory", path));
    }
    return Status::Ok();
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

  int64_t now_us() override {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: used at exit
  return env;
}

Status Env::write_all(int fd, const struct iovec* iov, int iovcnt, int64_t offset) {
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
  struct iovec v {
    const_cast<void*>(buf), n
  };
  return write_all(fd, &v, 1, offset);
}

Status Env::mkdirs(const std::string& path) {
  if (path.empty() || exists(path)) return Status::Ok();
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    SLUICE_RETURN_IF_ERROR(mkdirs(path.substr(0, slash)));
  }
  SLUICE_RETURN_IF_ERROR(mkdir(path));
  // The new entry is durable only once its parent is synced; without it a
  // crash can take the directory, and every synced file in it, away.
  std::string parent = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  Status st = sync_dir(parent);
  if (st.is(StatusCode::kPermissionDenied)) return Status::Ok();  // write-only parent
  return st;
}

Status Env::sync_dir(const std::string& dir) {
  const std::string& d = dir.empty() ? std::string(".") : dir;
  Result<UniqueFd> fd = open(d, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  return fsync(fd->get()).With("cannot sync directory '" + d + "'");
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
  Status renamed = rename(tmp, path);
  if (!renamed.ok()) {
    (void)unlink(tmp);  // `path` still holds the previous content
    return renamed;
  }
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

namespace {

// One spelling per path, so "d//f" and "d/f" share their crash state.
std::string normal(const std::string& path) {
  std::string n = std::filesystem::path(path).lexically_normal().string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n.empty() ? std::string(".") : n;
}

std::string parent_of(const std::string& normal_path) {
  std::string p = std::filesystem::path(normal_path).parent_path().string();
  return p.empty() ? std::string(".") : p;
}

bool is_under(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

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

void FaultInjectionEnv::fail_rename(int err, int count) {
  std::lock_guard<std::mutex> l(mu_);
  rename_errno_ = err;
  rename_fail_count_ = count;
}

void FaultInjectionEnv::fail_open_temp(int err, int count) {
  std::lock_guard<std::mutex> l(mu_);
  open_temp_errno_ = err;
  open_temp_fail_count_ = count;
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
  rename_fail_count_ = 0;
  open_temp_fail_count_ = 0;
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

int FaultInjectionEnv::syncs() const {
  std::lock_guard<std::mutex> l(mu_);
  return syncs_;
}

int64_t FaultInjectionEnv::durable_size(const std::string& path) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = files_.find(normal(path));
  if (it == files_.end() || !it->second.entry_durable) return -1;
  const FileState& f = it->second;
  if (f.poisoned_at >= 0) return std::min(f.durable_size, f.poisoned_at);
  return f.durable_size;
}

Result<UniqueFd> FaultInjectionEnv::open(const std::string& path, int flags, mode_t mode) {
  bool existed = !(flags & O_CREAT) || base_->exists(path);
  Result<UniqueFd> fd = base_->open(path, flags, mode);
  if (!fd.ok()) return fd;
  std::string p = normal(path);
  bool dir = (flags & O_DIRECTORY) != 0;
  std::lock_guard<std::mutex> l(mu_);
  fds_[fd->get()] = FdInfo{p, dir};
  if (dir) return fd;
  auto it = files_.find(p);
  if (it == files_.end()) {
    FileState f;
    if (existed) {
      Result<int64_t> size = base_->file_size(fd->get());
      f.durable_size = size.ok() ? *size : 0;
    } else {
      f.entry_durable = false;
    }
    it = files_.emplace(p, f).first;
  }
  if (flags & O_TRUNC) {
    it->second.durable_size = 0;
    it->second.poisoned_at = -1;
  }
  return fd;
}

// A nameless file survives no crash, so the crash model has nothing to
// track: only its failure is injected.
Result<UniqueFd> FaultInjectionEnv::open_temp(const std::string& dir) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (open_temp_fail_count_ > 0) {
      --open_temp_fail_count_;
      return creation_error(open_temp_errno_, "cannot create a temporary file in '" + dir + "'");
    }
  }
  return base_->open_temp(dir);
}

Result<size_t> FaultInjectionEnv::pwritev(int fd, const struct iovec* iov, int iovcnt,
                                          int64_t offset) {
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

Result<size_t> FaultInjectionEnv::pread(int fd, void* buf, size_t n, int64_t offset) {
  return base_->pread(fd, buf, n, offset);
}

Status FaultInjectionEnv::sync_fd(int fd, const char* what, Status (Env::*op)(int)) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (sync_fail_count_ > 0) {
      --sync_fail_count_;
      // The kernel may have dropped the dirty pages: what was not durable
      // before this sync may never be.
      auto fi = fds_.find(fd);
      if (fi != fds_.end() && !fi->second.is_dir) {
        auto it = files_.find(fi->second.path);
        if (it != files_.end() && it->second.poisoned_at < 0) {
          it->second.poisoned_at = it->second.durable_size;
        }
      }
      return Status::FromErrno(sync_errno_, what);
    }
  }
  SLUICE_RETURN_IF_ERROR((base_->*op)(fd));
  Result<int64_t> size = base_->file_size(fd);
  std::lock_guard<std::mutex> l(mu_);
  ++syncs_;
  auto fi = fds_.find(fd);
  if (fi == fds_.end()) return Status::Ok();
  if (fi->second.is_dir) {
    for (auto& [p, f] : files_) {
      if (parent_of(p) == fi->second.path) {
        f.entry_durable = true;
        f.has_replaced = false;
        f.replaced.clear();
      }
    }
    return Status::Ok();
  }
  auto it = files_.find(fi->second.path);
  if (it != files_.end() && size.ok()) it->second.durable_size = *size;
  return Status::Ok();
}

Status FaultInjectionEnv::fdatasync(int fd) {
  return sync_fd(fd, "fdatasync", &Env::fdatasync);
}

Status FaultInjectionEnv::fsync(int fd) {
  return sync_fd(fd, "fsync", &Env::fsync);
}

Status FaultInjectionEnv::ftruncate(int fd, int64_t size) {
  SLUICE_RETURN_IF_ERROR(base_->ftruncate(fd, size));
  std::lock_guard<std::mutex> l(mu_);
  auto fi = fds_.find(fd);
  if (fi == fds_.end()) return Status::Ok();
  auto it = files_.find(fi->second.path);
  if (it == files_.end()) return Status::Ok();
  FileState& f = it->second;
  if (size < f.durable_size) f.durable_size = size;
  if (f.poisoned_at >= 0 && size <= f.poisoned_at) f.poisoned_at = -1;
  return Status::Ok();
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

Env::FileType FaultInjectionEnv::file_type(const std::string& path, bool follow) {
  return base_->file_type(path, follow);
}

Status FaultInjectionEnv::mkfifo(const std::string& path, mode_t mode) {
  return base_->mkfifo(path, mode);
}

Status FaultInjectionEnv::rename(const std::string& from, const std::string& to) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (rename_fail_count_ > 0) {
      --rename_fail_count_;
      return Status::FromErrno(rename_errno_, "cannot rename '" + from + "' to '" + to + "'");
    }
  }
  std::string f = normal(from), t = normal(to);
  // What a crash before the next sync of the directory brings back at `to`.
  bool has_prior = false;
  std::string prior;
  {
    std::unique_lock<std::mutex> l(mu_);
    auto old = files_.find(t);
    if (old != files_.end() && !old->second.is_dir) {
      if (old->second.entry_durable) {
        int64_t keep = old->second.durable_size;
        if (old->second.poisoned_at >= 0) keep = std::min(keep, old->second.poisoned_at);
        l.unlock();
        Result<std::string> text = base_->read_file(to);
        l.lock();
        if (text.ok()) {
          has_prior = true;
          prior = text->substr(0, static_cast<size_t>(std::max<int64_t>(keep, 0)));
        }
      } else {
        has_prior = old->second.has_replaced;
        prior = old->second.replaced;
      }
    } else if (old == files_.end() && base_->exists(to)) {
      l.unlock();
      Result<std::string> text = base_->read_file(to);
      l.lock();
      if (text.ok()) {
        has_prior = true;
        prior = std::move(*text);
      }
    }
  }
  SLUICE_RETURN_IF_ERROR(base_->rename(from, to));
  std::lock_guard<std::mutex> l(mu_);
  FileState moved;
  auto src = files_.find(f);
  if (src != files_.end()) {
    moved = src->second;
    files_.erase(src);
  } else {
    Result<int64_t> size = base_->path_size(to);
    moved.durable_size = size.ok() ? *size : 0;
  }
  moved.entry_durable = false;
  moved.has_replaced = has_prior;
  moved.replaced = std::move(prior);
  files_[t] = std::move(moved);
  for (auto& [fd, info] : fds_) {
    if (info.path == f) info.path = t;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::unlink(const std::string& path) {
  SLUICE_RETURN_IF_ERROR(base_->unlink(path));
  std::lock_guard<std::mutex> l(mu_);
  files_.erase(normal(path));
  return Status::Ok();
}

Status FaultInjectionEnv::rmdir(const std::string& path) {
  SLUICE_RETURN_IF_ERROR(base_->rmdir(path));
  std::lock_guard<std::mutex> l(mu_);
  files_.erase(normal(path));
  return Status::Ok();
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
  bool existed = base_->exists(path);
  SLUICE_RETURN_IF_ERROR(base_->mkdir(path));
  if (!existed) {
    std::lock_guard<std::mutex> l(mu_);
    FileState d;
    d.is_dir = true;
    d.entry_durable = false;
    files_[normal(path)] = d;
  }
  return Status::Ok();
}

Status FaultInjectionEnv::drop_unsynced() {
  std::lock_guard<std::mutex> l(mu_);
  fds_.clear();  // the processes that had them open are gone
  Status first;
  auto note = [&](const Status& st) {
    if (first.ok() && !st.ok()) first = st;
  };
  // Directories never made durable go first, with everything in them.
  for (auto it = files_.begin(); it != files_.end();) {
    if (!it->second.is_dir || it->second.entry_durable) {
      ++it;
      continue;
    }
    std::string dir = it->first;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    if (ec) note(Status::FromErrno(ec.value(), "crash: cannot remove '" + dir + "'"));
    for (auto k = files_.begin(); k != files_.end();) {
      k = (k->first == dir || is_under(k->first, dir)) ? files_.erase(k) : std::next(k);
    }
    it = files_.begin();
  }
  for (auto it = files_.begin(); it != files_.end();) {
    FileState& f = it->second;
    const std::string& p = it->first;
    if (f.is_dir) {
      ++it;
      continue;
    }
    if (!f.entry_durable && !f.has_replaced) {
      Status st = base_->unlink(p);
      if (!st.is(StatusCode::kNotFound)) note(st);
      it = files_.erase(it);
      continue;
    }
    int64_t keep = f.durable_size;
    if (f.poisoned_at >= 0) keep = std::min(keep, f.poisoned_at);
    if (!f.entry_durable) {
      // A rename over a durable file that was not made durable: the old
      // content is what the directory still points at.
      Result<UniqueFd> fd = base_->open(p, O_WRONLY | O_CREAT | O_TRUNC);
      if (fd.ok()) {
        note(base_->write_all(fd->get(), f.replaced.data(), f.replaced.size(), 0));
      } else {
        note(fd.status());
      }
      keep = static_cast<int64_t>(f.replaced.size());
    } else {
      Result<int64_t> size = base_->path_size(p);
      if (size.ok() && *size > keep) {
        Result<UniqueFd> fd = base_->open(p, O_WRONLY);
        if (fd.ok()) {
          note(base_->ftruncate(fd->get(), keep));
        } else {
          note(fd.status());
        }
      } else if (!size.ok() && !size.status().is(StatusCode::kNotFound)) {
        note(size.status());
      }
    }
    f = FileState{};
    f.durable_size = keep;
    ++it;
  }
  return first;
}

Result<std::vector<std::string>> FaultInjectionEnv::list_dir(const std::string& dir) {
  return base_->list_dir(dir);
}
Status FaultInjectionEnv::lock(int fd, bool nonblocking) {
  return base_->lock(fd, nonblocking);
}
Status FaultInjectionEnv::unlock(int fd) {
  return base_->unlock(fd);
}

int64_t FaultInjectionEnv::now_us() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (fake_clock_) return clock_us_;
  }
  return base_->now_us();
}

}  // namespace sluice
