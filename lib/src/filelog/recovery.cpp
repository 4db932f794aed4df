// Telling a torn tail from corruption: the scan that walks a segment and
// resynchronises past bad bytes (leveldb's log reader does the same), and
// the whole-stream check built on it.
//
// A torn tail is what a writer that died mid-batch leaves: bytes at the end
// of the newest segment after which nothing valid follows. Writers truncate
// it. Bad bytes with a valid record after them cannot come from a crash of
// an append-only writer; they are corruption, reported and never truncated.

#include <fcntl.h>

#include <algorithm>

#include "filelog/codec.h"
#include "filelog/filelog.h"

namespace sluice::filelog {

std::string BadRange::describe() const {
  std::string last = first_lost_seq > 0 ? "last good seq " + std::to_string(first_lost_seq - 1)
                                        : "no good record before it";
  if (length == 0) {
    return "'" + segment + "' ends at offset " + std::to_string(offset) + " before seq " +
           std::to_string(first_lost_seq) + ", but the next segment starts at seq " +
           std::to_string(next_seq) + " (" + last + ")";
  }
  return "corrupt record in '" + segment + "' at offset " + std::to_string(offset) + " (" +
         std::to_string(length) + " bad bytes; " + last + ", next valid seq " +
         std::to_string(next_seq) + ")";
}

Status find_next_record(Env* env, int fd, int64_t file_size, int64_t bad_offset,
                        int64_t expected_seq, bool* found, RecordPos* pos) {
  *found = false;
  constexpr size_t kWindow = 1 << 20;
  // Searches are rare; one buffer per thread avoids reallocating it.
  thread_local std::vector<char> window(kWindow);
  thread_local std::vector<char> straddling;  // a candidate that runs past the window
  std::vector<Header> headers;
  int64_t base = bad_offset + 1;
  while (base + static_cast<int64_t>(kRecordHeaderBytes) <= file_size) {
    size_t want = static_cast<size_t>(std::min<int64_t>(kWindow, file_size - base));
    Result<size_t> got_window = env->pread_full(fd, window.data(), want, base);
    if (!got_window.ok()) return got_window.status();
    const size_t n = *got_window;
    if (n < kRecordHeaderBytes) break;
    // Positions whose whole record header lies in this window.
    const size_t positions = n - kRecordHeaderBytes + 1;
    for (size_t i = 0; i < positions; ++i) {
      const char* h = window.data() + i;
      const uint32_t size = load_u32(h);
      if (size < kRecordHeaderBytes || size > kMaxRecordBytes) continue;
      const int64_t at = base + static_cast<int64_t>(i);
      if (at + static_cast<int64_t>(size) > file_size) continue;
      const int64_t seq = static_cast<int64_t>(load_u64(h + 8));
      const int64_t max_seq =
          expected_seq + (at - bad_offset) / static_cast<int64_t>(kRecordHeaderBytes);
      if (seq < expected_seq || seq > max_seq) continue;
      const char* data = h;
      if (i + size > n) {
        straddling.resize(size);
        Result<size_t> got = env->pread_full(fd, straddling.data(), size, at);
        if (!got.ok()) return got.status();
        if (*got < size) continue;
        data = straddling.data();
      }
      Message m;
      size_t rsize = 0;
      headers.clear();
      if (decode_record(data, size, &m, &headers, &rsize) == DecodeStatus::kOk) {
        *found = true;
        *pos = RecordPos{at, seq, m.ts_us};
        return Status::Ok();
      }
    }
    if (base + static_cast<int64_t>(n) >= file_size) break;
    base += static_cast<int64_t>(positions);
  }
  return Status::Ok();
}

Status scan_segment(Env* env, int fd, const std::string& path, int64_t offset, int64_t next_seq,
                    SegmentScan* out) {
  // Scans are rare (open, another process appended); one buffer per thread
  // avoids reallocating it for each.
  thread_local std::vector<char> buf;
  thread_local std::vector<Header> headers;
  if (buf.size() < (1u << 20)) buf.resize(1u << 20);
  Result<int64_t> size = env->file_size(fd);
  if (!size.ok()) return size.status();
  out->file_size = *size;
  out->next_seq = next_seq;
  out->valid_end = offset;
  out->first_ts = out->last_ts = -1;
  out->bad.clear();
  int64_t off = offset;
  while (off < *size) {
    size_t want =
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(buf.size()), *size - off));
    Result<size_t> got = env->pread_full(fd, buf.data(), want, off);
    if (!got.ok()) return got.status();
    const size_t n = *got;
    if (n == 0) break;  // the file shrank under us
    size_t pos = 0;
    bool bad = false;
    while (pos < n) {
      Message m;
      size_t rsize = 0;
      headers.clear();
      DecodeStatus st = decode_record(buf.data() + pos, n - pos, &m, &headers, &rsize);
      if (st == DecodeStatus::kOk && m.seq == out->next_seq) {
        if (out->first_ts < 0) out->first_ts = m.ts_us;
        out->last_ts = m.ts_us;
        ++out->next_seq;
        pos += rsize;
        continue;
      }
      if (st == DecodeStatus::kIncomplete) {
        const int64_t at = off + static_cast<int64_t>(pos);
        const int64_t need = rsize > 0 ? static_cast<int64_t>(rsize) : 4;
        if (at + need > *size) {
          bad = true;  // runs past the end of the file
        } else if (pos == 0) {
          buf.resize(rsize);  // one record larger than the buffer
        }
        break;  // (or) read again from the start of this record
      }
      bad = true;  // corrupt, or a valid record with the wrong seq
      break;
    }
    off += static_cast<int64_t>(pos);
    out->valid_end = off;
    if (!bad) continue;
    bool found = false;
    RecordPos next;
    SLUICE_RETURN_IF_ERROR(find_next_record(env, fd, *size, off, out->next_seq, &found, &next));
    if (!found) break;  // a torn tail: [valid_end, file_size)
    out->bad.push_back(BadRange{path, off, next.offset - off, out->next_seq, next.seq});
    out->next_seq = next.seq;
    off = next.offset;
  }
  return Status::Ok();
}

Result<StreamCheck> check_stream(Env* env, const std::string& stream_dir) {
  Result<std::vector<int64_t>> bases = list_segments(env, stream_dir);
  if (!bases.ok()) return bases.status();
  StreamCheck check;
  if (bases->empty()) return check;
  check.first_seq = check.next_seq = bases->front();
  for (size_t i = 0; i < bases->size(); ++i) {
    const int64_t base = (*bases)[i];
    const bool newest = i + 1 == bases->size();
    const int64_t next_base = newest ? -1 : (*bases)[i + 1];
    std::string path = segment_path(stream_dir, base);
    Result<UniqueFd> fd = env->open(path, O_RDONLY);
    if (!fd.ok()) {
      if (fd.status().is(StatusCode::kNotFound)) continue;  // retention raced us
      return fd.status().With("cannot check '" + path + "'");
    }
    ++check.segments;
    Result<int64_t> size = env->file_size(fd->get());
    if (!size.ok()) return size.status().With("'" + path + "'");
    check.bytes += *size;
    char header[kSegmentHeaderBytes];
    Result<size_t> read = env->pread_full(fd->get(), header, sizeof header, 0);
    if (!read.ok()) return read.status().With("cannot read '" + path + "'");
    const size_t got = *read;
    int64_t file_base = -1;
    if (!decode_segment_header(header, got, &file_base) || file_base != base) {
      if (newest && got < kSegmentHeaderBytes) {
        check.torn_bytes = *size;  // its creator died before the header was whole
        continue;
      }
      check.bad.push_back(BadRange{path, 0, *size, base, newest ? base : next_base});
      check.next_seq = newest ? base : next_base;
      continue;
    }
    SegmentScan scan;
    SLUICE_RETURN_IF_ERROR(scan_segment(env, fd->get(), path, kSegmentHeaderBytes, base, &scan)
                               .With("cannot read '" + path + "'"));
    int64_t lost = 0;
    for (const BadRange& b : scan.bad) lost += b.lost();
    check.records += scan.next_seq - base - lost;
    check.bad.insert(check.bad.end(), scan.bad.begin(), scan.bad.end());
    if (newest) {
      check.torn_bytes = scan.file_size - scan.valid_end;
      check.next_seq = scan.next_seq;
    } else if (scan.valid_end < scan.file_size || scan.next_seq != next_base) {
      // A sealed segment has no torn tail: whatever does not lead to the
      // next segment's first seq is damage.
      check.bad.push_back(BadRange{path, scan.valid_end, scan.file_size - scan.valid_end,
                                   scan.next_seq, next_base});
    }
  }
  return check;
}

}  // namespace sluice::filelog
