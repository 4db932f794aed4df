// RecordReader: one large buffer, refilled with read(2) and scanned with
// memchr/memmem. Records are handed out as views, so the only copying is
// the occasional move of a partial record to the front of the buffer.
//
// Invariants: the ReadBuffer's [begin, end) holds unread bytes; no delimiter
// starts in [begin, scan_) (so a refill never rescans). While skipping_, the bytes
// before the next delimiter belong to an oversized record and are dropped.
#include "sluice/reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "codec/read_buffer.h"

namespace sluice {
namespace {

const char* find_delimiter(const char* p, size_t n, const std::string& d) {
  if (d.size() == 1) return static_cast<const char*>(std::memchr(p, d[0], n));
  return static_cast<const char*>(memmem(p, n, d.data(), d.size()));
}

}  // namespace

RecordReader::~RecordReader() = default;

uint64_t RecordReader::bytes_read() const {
  return in_->total;
}
size_t RecordReader::bytes_after(std::string_view record) const {
  return static_cast<size_t>(in_->bytes.data() + in_->bytes.size() -
                             (record.data() + record.size()));
}
const Status& RecordReader::status() const {
  return in_->status;
}

RecordReader::RecordReader(int fd, Framing framing, size_t max_record_bytes)
    : fd_(fd),
      framing_(std::move(framing)),
      max_record_(max_record_bytes),
      in_(std::make_unique<ReadBuffer>()) {
  // An empty delimiter would match everywhere; fall back to lines.
  if (framing_.delimiter.empty() && !framing_.length_prefixed()) framing_ = Framing::Line();
}

void RecordReader::reset(int fd) {
  fd_ = fd;
  in_->begin = in_->end = scan_ = 0;
  in_->eof = false;
  skipping_ = false;
  skip_bytes_ = 0;
  record_number_ = 0;
  in_->status = Status::Ok();
}

// ReadBuffer::fill, keeping scan_ where it was in the bytes.
bool RecordReader::fill() {
  size_t shifted = 0;
  const bool more = in_->fill(fd_, max_record_, &shifted);
  scan_ -= shifted;
  return more;
}

// Length-prefixed records: the prefix says where the record ends, so an
// oversized one is skipped exactly and the next one is found.
RecordReader::Next RecordReader::next_prefixed(std::string_view* record) {
  for (;;) {
    const size_t avail = in_->end - in_->begin;
    if (skip_bytes_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(skip_bytes_, avail));
      in_->begin += n;
      skip_bytes_ -= n;
    }
    if (skip_bytes_ == 0) {
      uint64_t len = 0;
      size_t prefix = 0;
      const std::string_view in(in_->bytes.data() + in_->begin, in_->end - in_->begin);
      const int r = parse_length_prefix(framing_.kind, in, &len, &prefix);
      if (r < 0) {
        in_->status = Status::BadData("record " + std::to_string(record_number_ + 1) +
                                      ": invalid varint length prefix (more than 64 bits)");
        return Next::kError;
      }
      if (r > 0 && len > max_record_) {
        ++record_number_;
        in_->begin += prefix;
        skip_bytes_ = len;
        return Next::kOversized;
      }
      if (r > 0 && in.size() - prefix >= len) {
        ++record_number_;
        *record = in.substr(prefix, static_cast<size_t>(len));
        in_->begin += prefix + static_cast<size_t>(len);
        return Next::kRecord;
      }
    }
    scan_ = in_->begin;
    if (no_fill_ && !in_->eof) return Next::kWouldBlock;
    if (in_->eof || !fill()) {
      if (!in_->status.ok()) return Next::kError;
      if (!in_->eof) return Next::kWouldBlock;
      if (in_->begin == in_->end || skip_bytes_ > 0) return Next::kEof;
      ++record_number_;
      cut_short_reason_ = "cut short: " + std::to_string(in_->end - in_->begin) +
                          " bytes (with its length prefix) before the end of the input";
      *record = std::string_view(in_->bytes.data() + in_->begin, in_->end - in_->begin);
      in_->begin = in_->end;
      return Next::kCutShort;
    }
  }
}

RecordReader::Next RecordReader::next_buffered(std::string_view* record) {
  no_fill_ = true;
  const Next n = next(record);
  no_fill_ = false;
  return n;
}

RecordReader::Next RecordReader::next(std::string_view* record) {
  if (!in_->status.ok()) return Next::kError;
  if (framing_.length_prefixed()) return next_prefixed(record);
  const std::string& delim = framing_.delimiter;
  const size_t dlen = delim.size();
  const bool line = framing_.kind == Framing::Kind::kLine;
  while (true) {
    const char* base = in_->bytes.data();
    const char* hit =
        in_->end > scan_ ? find_delimiter(base + scan_, in_->end - scan_, delim) : nullptr;
    if (hit != nullptr) {
      const size_t at = static_cast<size_t>(hit - base);
      const size_t start = in_->begin;
      in_->begin = scan_ = at + dlen;
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
    scan_ = std::max(in_->begin, in_->end >= dlen - 1 ? in_->end - (dlen - 1) : 0);
    const size_t pending = in_->end - in_->begin;
    // Line framing may drop a '\r', so allow one byte more before deciding.
    const size_t limit = max_record_ + (line ? 1 : 0) + (dlen - 1);
    if (skipping_ || pending > limit) {
      if (!skipping_) {
        skipping_ = true;
        ++record_number_;
        in_->begin = scan_;
        return Next::kOversized;
      }
      in_->begin = scan_;  // drop what cannot start a delimiter
    }
    if (no_fill_ && !in_->eof) return Next::kWouldBlock;
    if (in_->eof || !fill()) {
      if (!in_->status.ok()) return Next::kError;
      if (!in_->eof) return Next::kWouldBlock;
      if (skipping_) {
        skipping_ = false;
        in_->begin = scan_ = in_->end;
      }
      if (in_->begin == in_->end) return Next::kEof;
      // The last record has no delimiter.
      const char* b = in_->bytes.data();
      size_t len = in_->end - in_->begin;
      const size_t start = in_->begin;
      in_->begin = scan_ = in_->end;
      if (line && b[start + len - 1] == '\r') --len;
      ++record_number_;
      if (len > max_record_) return Next::kOversized;
      *record = std::string_view(b + start, len);
      return Next::kRecord;
    }
  }
}

}  // namespace sluice
