// Stream-level helpers of the file log: the meta file, segment listing and
// the scan that finds the valid end of a segment.

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include "sluice/filelog.h"

namespace sluice::filelog {

std::string StreamSettings::encode() const {
  std::string s;
  s += "segment_bytes=" + std::to_string(segment_bytes) + "\n";
  s += "retention_bytes=" + std::to_string(retention_bytes) + "\n";
  s += "retention_ms=" + std::to_string(retention_ms) + "\n";
  return s;
}

Result<StreamSettings> StreamSettings::Parse(std::string_view text) {
  StreamSettings out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::Config("meta line " + std::to_string(line_no) +
                            ": expected key=value");
    }
    std::string_view key = line.substr(0, eq);
    std::string_view val = line.substr(eq + 1);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
    int64_t* field = nullptr;
    if (key == "segment_bytes") field = &out.segment_bytes;
    if (key == "retention_bytes") field = &out.retention_bytes;
    if (key == "retention_ms") field = &out.retention_ms;
    if (!field) continue;  // newer keys are ignored by older readers
    if (ec != std::errc() || end != val.data() + val.size()) {
      return Status::Config("meta line " + std::to_string(line_no) + ": '" +
                            std::string(key) + "' is not an integer");
    }
    *field = v;
  }
  if (out.segment_bytes <= 0) {
    return Status::Config("meta: segment_bytes must be positive");
  }
  return out;
}

Result<StreamSettings> read_settings(Env* env, const std::string& stream_dir) {
  std::string path = stream_dir + "/meta";
  Result<std::string> text = env->read_file(path);
  if (!text.ok()) {
    if (text.status().is(StatusCode::kNotFound)) return StreamSettings{};
    return text.status();
  }
  Result<StreamSettings> s = StreamSettings::Parse(*text);
  if (!s.ok()) return s.status().With("'" + path + "'");
  return s;
}

Result<std::vector<int64_t>> list_segments(Env* env,
                                           const std::string& stream_dir) {
  Result<std::vector<std::string>> names = env->list_dir(stream_dir);
  if (!names.ok()) return names.status();
  std::vector<int64_t> bases;
  for (const std::string& n : *names) {
    int64_t b;
    if (parse_segment_file_name(n, &b)) bases.push_back(b);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

Status scan_segment(Env* env, int fd, int64_t offset, int64_t next_seq,
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
  out->corrupt = false;
  int64_t off = offset;
  while (off < *size) {
    size_t want = static_cast<size_t>(std::min<int64_t>(
        static_cast<int64_t>(buf.size()), *size - off));
    Result<size_t> n = env->pread(fd, buf.data(), want, off);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    size_t pos = 0;
    bool stop = false;
    while (pos < *n) {
      Message m;
      size_t rsize = 0;
      headers.clear();
      DecodeStatus st = decode_record(buf.data() + pos, *n - pos, &m, &headers,
                                      &rsize);
      if (st == DecodeStatus::kOk) {
        if (m.seq != out->next_seq) {
          out->corrupt = true;
          stop = true;
          break;
        }
        if (out->first_ts < 0) out->first_ts = m.ts_us;
        out->last_ts = m.ts_us;
        ++out->next_seq;
        pos += rsize;
        continue;
      }
      if (st == DecodeStatus::kCorrupt) {
        out->corrupt = true;
        stop = true;
      } else if (off + static_cast<int64_t>(pos + rsize) > *size ||
                 (rsize == 0 && off + static_cast<int64_t>(pos) + 4 > *size)) {
        stop = true;  // torn tail: the record runs past the end of the file
      } else if (pos == 0 && rsize > buf.size()) {
        buf.resize(rsize);  // one record larger than the buffer
      }
      break;
    }
    off += static_cast<int64_t>(pos);
    out->valid_end = off;
    if (stop) break;
  }
  return Status::Ok();
}

}  // namespace sluice::filelog
