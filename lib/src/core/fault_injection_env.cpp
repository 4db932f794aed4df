// FaultInjectionEnv: an Env for tests that forwards to a base Env and
// injects faults (failed or short writes, failed syncs, renames, mkdir and
// temporary files, a fake clock) and models a crash: what was not made
// durable by a sync is lost (see sluice/env.h).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <iterator>
#include <memory>

#include "core/env_internal.h"
#include "sluice/env.h"

namespace sluice {

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

Result<int64_t> FaultInjectionEnv::mtime_us(const std::string& path) {
  return base_->mtime_us(path);
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
