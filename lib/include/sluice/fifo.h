// NamedPipe: the FIFO that flux reads from and tap writes to.
//
// open() uses an existing FIFO at the path (and leaves it in place) or
// creates one with the given mode (and unlinks it when the NamedPipe is
// destroyed, i.e. on every orderly exit). An existing path that is not a
// FIFO is an error, never touched. Writers (flux) and readers (tap) come and
// go in turn: each wait_*() call waits for the next one. Waits give up with
// kTryAgain when a stop signal arrives (see signals.h). Not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "sluice/env.h"
#include "sluice/status.h"

namespace sluice {

// What a PIPE argument names on the file system (stat(2), so a symbolic
// link counts as what it points to).
enum class PipeArg {
  kMissing,      // nothing there: a pipe will be created
  kFifo,         // an existing named pipe: used and left in place
  kRegularFile,  // flux reads it like cat(1); tap refuses it (use >)
  kOther,        // a directory, socket, device: an error
};
PipeArg classify_pipe_arg(const std::string& path, Env* env = Env::Default());

// True when `arg` starts with a stream URI scheme ("file:", "kafka://",
// "redis://", "rediss://", "stdio:"): given where a pipe path goes, it is
// almost surely a stream URI in the wrong place.
bool looks_like_stream_uri(std::string_view arg);

class NamedPipe {
 public:
  // Every file call goes through `env`.
  explicit NamedPipe(Env* env = Env::Default()) : env_(env) {}
  ~NamedPipe();
  NamedPipe(const NamedPipe&) = delete;
  NamedPipe& operator=(const NamedPipe&) = delete;

  // kCannotCreate (exit 73) when the path exists and is not a FIFO or the
  // FIFO cannot be made (the message names the path and the reason).
  Status open(const std::string& path, unsigned mode);

  // Opens the read end, non-blocking, ready for the next writer: poll() it
  // for POLLIN; read() returns 0 once that writer (and any other) closed.
  // The fd is owned by the pipe object; close_fd() before waiting again.
  Result<int> open_for_reading();
  // Blocks (polling every 10 ms and the stop fd) until a reader opens the
  // pipe, then returns a blocking write fd owned by this object.
  Result<int> wait_for_reader();
  void close_fd();

  const std::string& path() const { return path_; }
  bool created() const { return created_; }

 private:
  Env* env_;
  std::string path_;
  bool created_ = false;
  UniqueFd fd_;
};

}  // namespace sluice
