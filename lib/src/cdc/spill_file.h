// SpillFile: scratch space on disk for a transaction PostgreSQL streams
// while it is still in progress (cdc-pg, pgoutput "streaming 'on'"). Its
// changes are appended as they arrive and read back once, from the start,
// at Stream Commit; nothing uncommitted is emitted meanwhile.
//
// The file has no name (Env::open_temp in `dir`, TMPDIR by default), so it
// disappears with its descriptor, even when the process is killed. Appends
// and reads are buffered (1 MiB) and go through the Env, so a test can fail
// them. Errors name the directory, the only name the file has; a full disk
// is kIoError (exit 74).
//
// Usage: append() any number of times, then rewind() and read() until it
// returns 0. Not thread-safe; owned by one streamed transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/env.h"
#include "sluice/status.h"

namespace sluice::pg {

class SpillFile {
 public:
  // Creates the file in `dir`. `env` must outlive the SpillFile.
  static Result<std::unique_ptr<SpillFile>> Create(Env* env, std::string dir);
  // $TMPDIR, or /tmp when it is unset or empty.
  static std::string default_dir();

  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  // Adds `data` at the end. On error the file is unusable.
  Status append(std::string_view data);
  // Writes out what is buffered and moves the read position to the start.
  Status rewind();
  // Reads up to `n` bytes into `out`; fewer only at the end of the file (0
  // there).
  Result<size_t> read(void* out, size_t n);

  const std::string& dir() const { return dir_; }

 private:
  SpillFile(Env* env, std::string dir, UniqueFd fd);
  Status write_out();

  Env* env_;
  std::string dir_;
  UniqueFd fd_;
  std::string buf_;      // appended bytes not yet written, or bytes read ahead
  int64_t size_ = 0;     // bytes written to the file
  int64_t read_at_ = 0;  // file offset just past buf_ while reading
  size_t buf_pos_ = 0;   // next unread byte of buf_ while reading
  bool reading_ = false;
};

}  // namespace sluice::pg
