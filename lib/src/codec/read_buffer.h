// ReadBuffer: the growing buffer the record readers (RecordReader,
// CsvReader, MsgpackReader) fill from a file descriptor. Bytes
// [begin, end) are unread; a reader takes bytes by moving `begin`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/status.h"

namespace sluice {

struct ReadBuffer {
  std::string bytes;
  size_t begin = 0, end = 0;
  bool eof = false;
  Status status;       // the read error, if any
  uint64_t total = 0;  // bytes read so far

  std::string_view unread() const { return std::string_view(bytes).substr(begin, end - begin); }

  // Reads more bytes after `end`, first making room: when the buffer is
  // full, the unread bytes move to the front (positions drop by *shifted)
  // or, if they fill it, it doubles. The first call sizes it for records of
  // up to `max_record` bytes. false on EOF (eof), EAGAIN, or an error
  // (status); EINTR is retried.
  bool fill(int fd, size_t max_record, size_t* shifted);
};

}  // namespace sluice
