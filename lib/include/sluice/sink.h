// OutputSink: writes formatted records to a file descriptor (stdout or a
// named pipe) and knows which of them the reader has actually taken, so a
// consumer commits only those (at-least-once end to end).
//
// "Taken" depends on what the fd is:
//  - a pipe or FIFO: bytes the reader has read() out of the pipe. Bytes still
//    sitting in the pipe buffer are not taken (FIONREAD tells how many); when
//    the reader goes away they are lost with the pipe, so the sink keeps
//    every untaken record and can send them again to the next reader
//    (reattach()). With `exact` set, the sink writes into a pipe in a slow
//    start (1 record, then 2, 4, ... each time the pipe was found drained) so
//    that `tap --group g | head -1` commits exactly one message.
//  - a regular file: written; with `exact` (a committing reader) also
//    fdatasync'ed: sync() does it, taken() reports what it covered, and
//    flush() syncs by itself once 16 MiB are written and not yet synced, so
//    the bytes kept for them stay bounded.
//  - anything else (tty, socket, /dev/null): written.
//
// This is the one meaning of "acknowledged" for stdout: tap's output, the
// stdio producer (a "-" or stdio: destination) and the CDC tools' stdout
// all count a record done when taken() covers it.
//
// A closed reader (EPIPE) is reported as StatusCode::kClosed, which tools
// treat as a normal end. The sink never closes the fd it was given.
// Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/status.h"

namespace sluice {

class OutputSink {
 public:
  OutputSink(int fd, bool exact);
  OutputSink(const OutputSink&) = delete;
  OutputSink& operator=(const OutputSink&) = delete;

  // The buffer that the next record is appended to; call end_record() after
  // appending one record's bytes.
  std::string& buffer() { return buf_; }
  void end_record() { ends_.push_back(base_ + buf_.size()); }

  // Writes as much as allowed (all of it unless `exact` limits the window).
  // Blocks while the reader is slow. kClosed when the reader went away;
  // kTryAgain when interrupted by a signal (call again after checking).
  Status flush();

  // Records taken by the reader so far (a count since construction).
  uint64_t taken();
  // Records accepted by end_record() so far.
  uint64_t records() const { return records_base_ + ends_.size(); }
  bool pending() const { return !ends_.empty() || !buf_.empty(); }

  // Writes everything, then waits until every record is taken or the
  // reader is gone (kClosed); kTryAgain when the stop flag was set.
  Status drain();
  // The same, giving up with kTimedOut after `timeout`.
  Status drain(std::chrono::milliseconds timeout);

  // For regular files: fdatasync so that taken() may advance.
  Status sync();

  // Switches to a new fd (the next reader of a named pipe). Records not
  // taken on the old fd are written again, from their first byte.
  void reattach(int fd);

  bool is_pipe() const { return kind_ == Kind::kPipe; }

  // True when the fd is a pipe whose reader has gone away (checked without
  // writing: poll() reports POLLERR on such a pipe).
  bool reader_gone() const;

  // A flag set by the tool's signal handler; waits inside flush() and
  // drain() give up with kTryAgain once it is non-zero.
  void set_stop_flag(const volatile int* stop) { stop_ = stop; }

 private:
  enum class Kind { kPipe, kFile, kOther };
  Status drain_until(std::optional<std::chrono::steady_clock::time_point> deadline);
  void detect_kind();
  void grow_pipe();
  void release_taken(uint64_t taken_bytes);
  uint64_t pipe_taken_bytes() const;
  bool stopped() const { return stop_ && *stop_; }
  Status write_upto(uint64_t end);
  void compact();
  int fd_;
  const volatile int* stop_ = nullptr;
  uint64_t released_ = 0;  // absolute offset: bytes of taken records
  bool exact_;
  Kind kind_ = Kind::kOther;
  std::string buf_;            // bytes from offset base_ on, not yet released
  uint64_t base_ = 0;          // absolute offset of buf_[0]
  uint64_t written_ = 0;       // absolute offset written to the fd
  uint64_t synced_ = 0;        // files: absolute offset covered by fdatasync
  std::deque<uint64_t> ends_;  // absolute end offsets of unreleased records
  uint64_t records_base_ = 0;  // records released (taken) so far
  uint64_t window_ = 1;        // exact mode: records allowed in the pipe
};

}  // namespace sluice
