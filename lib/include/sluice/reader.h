// RecordReader: splits bytes from a file descriptor into records by a
// Framing (lines, a delimiter, NUL), without per-record allocation.
//
// Records are string_views into the reader's buffer, valid until the next
// next() call. Line framing also strips one trailing '\r' (CRLF input). A
// final record without a delimiter at EOF is returned as a record. A record
// longer than max_record_bytes is reported as kBadData ("record at line N is
// longer than the limit of M bytes") and skipped up to its delimiter, so the
// records after it are still read. Length-prefixed framing (u32be, varint)
// skips an oversized record by its length; a record cut short by EOF is
// kCutShort (its bytes are handed over, so that a dead-letter stream keeps
// them), and an invalid varint is kError with a kBadData status naming the
// record. The caller owns the fd.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/format.h"
#include "sluice/status.h"

namespace sluice {

struct ReadBuffer;

class RecordReader {
 public:
  RecordReader(int fd, Framing framing, size_t max_record_bytes);
  ~RecordReader();

  enum class Next { kRecord, kEof, kWouldBlock, kOversized, kCutShort, kError };

  // Reads the next record into *record. kWouldBlock only for non-blocking
  // fds (poll the fd, then call again). kOversized: the record was skipped;
  // record_number() says which one. kCutShort (length-prefixed framing): the
  // input ended inside a record; *record holds the bytes there were, its
  // length prefix included, cut_short_reason() says how many, and the next
  // call returns kEof. kError: status() has the errno.
  Next next(std::string_view* record);
  // As next(), but never reads: kWouldBlock when the next record is not
  // wholly in the buffer. The views next() and then next_buffered() return
  // stay valid together until the next call of next(), which may move the
  // buffer: a batch of records at hand.
  Next next_buffered(std::string_view* record);

  // 1-based number of the record last returned or skipped (the line number
  // for line framing).
  uint64_t record_number() const { return record_number_; }
  uint64_t bytes_read() const;
  // How many bytes of the reader's buffer follow `record` (a view next()
  // returned, while it is valid): a parser that reads past the end of its
  // input (simdjson's padding) may use them instead of a padded copy.
  size_t bytes_after(std::string_view record) const;
  const Status& status() const;
  const std::string& cut_short_reason() const { return cut_short_reason_; }
  // Starts over on a new fd (the next writer of a named pipe) after the
  // previous one reached kEof. Numbering restarts at 1.
  void reset(int fd);

 private:
  bool fill();
  Next next_prefixed(std::string_view* record);
  int fd_;
  Framing framing_;
  size_t max_record_;
  std::unique_ptr<ReadBuffer> in_;
  size_t scan_ = 0;  // where to resume looking for the delimiter
  bool skipping_ = false;
  bool no_fill_ = false;     // next_buffered(): kWouldBlock instead of a read
  uint64_t skip_bytes_ = 0;  // length-prefixed: what is left of an oversized record
  uint64_t record_number_ = 0;
  std::string cut_short_reason_;
};

}  // namespace sluice
