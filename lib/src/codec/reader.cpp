// RecordReader: one large buffer, refilled with read(2) and scanned with
// memchr/memmem. Records are handed out as views, so the only copying is
// the occasional move of a partial record to the front of the buffer.
//
// Invariants: buf_[begin_, end_) holds unread bytes; no delimiter starts in
// [begin_, scan_) (so a refill never rescans). While skipping_, the bytes
// before the next delimiter belong to an oversized record and are dropped.
#include "sluice/reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sluice {
namespace {

// Large reads keep syscalls rare; readers with a small record limit (tests,
// fuzzing) start smaller since the first fill zeroes the whole buffer.
constexpr size_t kInitialBuffer = 1 << 20;
constexpr size_t kSmallBuffer = 64 << 10;

const char* find_delimiter(const char* p, size_t n, const std::string& d) {
  if (d.size() == 1) return static_cast<const char*>(std::memchr(p, d[0], n));
  return static_cast<const char*>(memmem(p, n, d.data(), d.size()));
}

}  // namespace

RecordReader::RecordReader(int fd, Framing framing, size_t max_record_bytes)
    : fd_(fd), framing_(std::move(framing)), max_record_(max_record_bytes) {
  // An empty delimiter would match everywhere; fall back to lines.
  if (framing_.delimiter.empty() && !framing_.length_prefixed()) framing_ = Framing::Line();
}

void RecordReader::reset(int fd) {
  fd_ = fd;
  begin_ = end_ = scan_ = 0;
  eof_ = false;
  skipping_ = false;
  skip_bytes_ = 0;
  record_number_ = 0;
  status_ = Status::Ok();
}

// Reads more bytes after end_, first making room by dropping consumed bytes
// or growing the buffer. Returns false on EOF, EAGAIN or an error (eof_ /
// status_ say which); EINTR is retried.
bool RecordReader::fill() {
  if (buf_.empty()) {  // lazily: idle readers stay small
    buf_.resize(max_record_ < kSmallBuffer ? kSmallBuffer : kInitialBuffer);
  }
  if (end_ == buf_.size()) {
    if (begin_ > 0) {
      // Compact only when the buffer is full: at most one memmove of a
      // partial record per buffer's worth of input.
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      scan_ -= begin_;
      end_ -= begin_;
      begin_ = 0;
    } else {
      buf_.resize(buf_.size() * 2);
    }
  }
  while (true) {
    const ssize_t n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
    if (n > 0) {
      end_ += static_cast<size_t>(n);
      bytes_read_ += static_cast<uint64_t>(n);
      return true;
    }
    if (n == 0) {
      eof_ = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      status_ = Status::FromErrno(errno, "cannot read input");
    }
    return false;
  }
}

// Length-prefixed records: the prefix says where the record ends, so an
// oversized one is skipped exactly and the next one is found.
RecordReader::Next RecordReader::next_prefixed(std::string_view* record) {
  for (;;) {
    const size_t avail = end_ - begin_;
    if (skip_bytes_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_bytes_, avail));
      begin_ += n;
      skip_bytes_ -= n;
    }
    if (skip_bytes_ == 0) {
      uint64_t len = 0;
      size_t prefix = 0;
      const std::string_view in(buf_.data() + begin_, end_ - begin_);
      const int r = parse_length_prefix(framing_.kind, in, &len, &prefix);
      if (r < 0) {
        status_ = Status::BadData("record " + std::to_string(record_number_ + 1) +
                                  ": invalid varint length prefix (more than 64 bits)");
        return Next::kError;
      }
      if (r > 0 && len > max_record_) {
        ++record_number_;
        begin_ += prefix;
        skip_bytes_ = len;
        return Next::kOversized;
      }
      if (r > 0 && in.size() - prefix >= len) {
        ++record_number_;
        *record = in.substr(prefix, static_cast<size_t>(len));
        begin_ += prefix + static_cast<size_t>(len);
        return Next::kRecord;
      }
    }
    scan_ = begin_;
    if (eof_ || !fill()) {
      if (!status_.ok()) return Next::kError;
      if (!eof_) return Next::kWouldBlock;
      if (begin_ == end_ || skip_bytes_ > 0) return Next::kEof;
      status_ = Status::BadData("record " + std::to_string(record_number_ + 1) +
                                " is cut short: " + std::to_string(end_ - begin_) +
                                " bytes (with its length prefix) before the end of the input");
      return Next::kError;
    }
  }
}

RecordReader::Next RecordReader::next(std::string_view* record) {
  if (!status_.ok()) return Next::kError;
  if (framing_.length_prefixed()) return next_prefixed(record);
  const std::string& delim = framing_.delimiter;
  const size_t dlen = delim.size();
  const bool line = framing_.kind == Framing::Kind::kLine;
  while (true) {
    const char* base = buf_.data();
    const char* hit = end_ > scan_ ? find_delimiter(base + scan_, end_ - scan_, delim) : nullptr;
    if (hit != nullptr) {
      const size_t at = static_cast<size_t>(hit - base);
      const size_t start = begin_;
      begin_ = scan_ = at + dlen;
      if (skipping_) {  // the tail of an oversized record, already reported
        skipping_ = false;
        continue;
      }
      size_t len = at - start;
      if (line && len > 0 && base[at - 1] == '\r') --len;
      ++record_number_;
      if (len > max_record_) return Next::kOversized;
      *record = std::string_view(base + start, len);
      return Next::kRecord;
    }
    // No delimiter yet. A delimiter may straddle the end: rescan its first
    // dlen-1 bytes next time.
    scan_ = std::max(begin_, end_ >= dlen - 1 ? end_ - (dlen - 1) : 0);
    const size_t pending = end_ - begin_;
    // Line framing may drop a '\r', so allow one byte more before deciding.
    const size_t limit = max_record_ + (line ? 1 : 0) + (dlen - 1);
    if (skipping_ || pending > limit) {
      if (!skipping_) {
        skipping_ = true;
        ++record_number_;
        begin_ = scan_;
        return Next::kOversized;
      }
      begin_ = scan_;  // drop what cannot start a delimiter
    }
    if (eof_ || !fill()) {
      if (!status_.ok()) return Next::kError;
      if (!eof_) return Next::kWouldBlock;
      if (skipping_) {
        skipping_ = false;
        begin_ = scan_ = end_;
      }
      if (begin_ == end_) return Next::kEof;
      // The last record has no delimiter.
      const char* b = buf_.data();
      size_t len = end_ - begin_;
      const size_t start = begin_;
      begin_ = scan_ = end_;
      if (line && b[start + len - 1] == '\r') --len;
      ++record_number_;
      if (len > max_record_) return Next::kOversized;
      *record = std::string_view(b + start, len);
      return Next::kRecord;
    }
  }
}

}  // namespace sluice
