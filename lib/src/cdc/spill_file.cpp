#include "cdc/spill_file.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace sluice::pg {

namespace {
constexpr size_t kBufferSize = 1u << 20;
}  // namespace

std::string SpillFile::default_dir() {
  const char* dir = std::getenv("TMPDIR");  // configuration, as for mktemp(1)
  return dir && *dir ? dir : "/tmp";
}

Result<std::unique_ptr<SpillFile>> SpillFile::Create(Env* env, std::string dir) {
  Result<UniqueFd> fd = env->open_temp(dir);
  if (!fd.ok()) {
    return fd.status().With("cannot spill a streamed transaction to disk (check TMPDIR)");
  }
  return std::unique_ptr<SpillFile>(new SpillFile(env, std::move(dir), std::move(*fd)));
}

SpillFile::SpillFile(Env* env, std::string dir, UniqueFd fd)
    : env_(env), dir_(std::move(dir)), fd_(std::move(fd)) {
  buf_.reserve(kBufferSize);
}

Status SpillFile::write_out() {
  if (buf_.empty()) return Status::Ok();
  Status st = env_->write_all(fd_.get(), buf_.data(), buf_.size(), size_);
  if (!st.ok()) {
    return st.With("cannot write a streamed transaction to a temporary file in '" + dir_ + "'");
  }
  size_ += static_cast<int64_t>(buf_.size());
  buf_.clear();
  return Status::Ok();
}

Status SpillFile::append(std::string_view data) {
  if (reading_) return Status::Internal("spill file: append after rewind");
  if (buf_.size() + data.size() > kBufferSize) SLUICE_RETURN_IF_ERROR(write_out());
  if (data.size() >= kBufferSize) {
    Status st = env_->write_all(fd_.get(), data.data(), data.size(), size_);
    if (!st.ok()) {
      return st.With("cannot write a streamed transaction to a temporary file in '" + dir_ + "'");
    }
    size_ += static_cast<int64_t>(data.size());
    return Status::Ok();
  }
  buf_.append(data);
  return Status::Ok();
}

Status SpillFile::rewind() {
  if (!reading_) SLUICE_RETURN_IF_ERROR(write_out());
  reading_ = true;
  buf_.clear();
  buf_pos_ = 0;
  read_at_ = 0;
  return Status::Ok();
}

Result<size_t> SpillFile::read(void* out, size_t n) {
  if (!reading_) return Status::Internal("spill file: read before rewind");
  char* dst = static_cast<char*>(out);
  size_t done = 0;
  while (done < n) {
    if (buf_pos_ == buf_.size()) {
      if (read_at_ >= size_) break;
      size_t want = static_cast<size_t>(std::min<int64_t>(size_ - read_at_, kBufferSize));
      buf_.resize(want);
      buf_pos_ = 0;
      Result<size_t> got = env_->pread(fd_.get(), buf_.data(), want, read_at_);
      if (!got.ok()) {
        buf_.clear();
        return got.status().With(
            "cannot read back a streamed transaction from a temporary file in "
            "'" +
            dir_ + "'");
      }
      buf_.resize(*got);
      if (*got == 0) break;  // shorter than written: the caller sees truncation
      read_at_ += static_cast<int64_t>(*got);
    }
    size_t take = std::min(n - done, buf_.size() - buf_pos_);
    memcpy(dst + done, buf_.data() + buf_pos_, take);
    buf_pos_ += take;
    done += take;
  }
  return done;
}

}  // namespace sluice::pg
