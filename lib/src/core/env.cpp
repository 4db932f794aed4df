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

#include "core/env_internal.h"
#include "sluice/message.h"

namespace sluice {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status creation_error(int err, const std::string& what) {
  Status s = Status::FromErrno(err, what, StatusCode::kCannotCreate);
  // A read-only file system is an I/O condition (74), as for writes.
  if (!s.is(StatusCode::kPermissionDenied) && err != EROFS) {
    s = Status::CannotCreate(s.message());
  }
  return s;
}

namespace {

std::string quoted(std::string_view what, const std::string& path) {
  std::string m(what);
  m += " '";
  m += path;
  m += '\'';
  return m;
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

  Result<int64_t> mtime_us(const std::string& path) override {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      return Status::FromErrno(errno, quoted("cannot stat", path));
    }
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
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

Result<size_t> Env::pread_full(int fd, void* buf, size_t n, int64_t offset) {
  char* p = static_cast<char*>(buf);
  size_t got = 0;
  while (got < n) {
    Result<size_t> r = pread(fd, p + got, n - got, offset + static_cast<int64_t>(got));
    if (!r.ok()) return r.status();
    if (*r == 0) break;
    got += *r;
  }
  return got;
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

}  // namespace sluice
