// LogReader: reads a stream from any position and follows it as it grows,
// without ever taking the writers' lock (see filelog.h).

#include <fcntl.h>

#include <algorithm>

#include "filelog/codec.h"
#include "sluice/filelog.h"

namespace sluice::filelog {

namespace {
// Internal signal: the segment exists but is not readable yet (its header
// is still being written, or it vanished between listing and opening).
Status NotYet() { return Status::TryAgain("segment not ready"); }
}  // namespace

LogReader::LogReader(std::string dir, std::string name, const ReaderOptions& opts)
    : dir_(std::move(dir)), name_(std::move(name)), opts_(opts), env_(opts.env) {
  buf_.resize(std::max<size_t>(opts.read_chunk, kRecordHeaderBytes));
}

LogReader::~LogReader() = default;

Result<std::unique_ptr<LogReader>> LogReader::Open(const std::string& stream_dir,
                                                   std::string stream_name,
                                                   const ReaderOptions& opts) {
  Result<std::vector<int64_t>> bases = list_segments(opts.env, stream_dir);
  if (!bases.ok()) {
    if (bases.status().is(StatusCode::kNotFound)) {
      size_t slash = stream_dir.find_last_of('/');
      std::string parent =
          slash == std::string::npos ? "." : stream_dir.substr(0, slash);
      return Status::NotFound("stream '" + stream_name + "' does not exist in '" +
                              parent + "'");
    }
    return bases.status();
  }
  return std::unique_ptr<LogReader>(
      new LogReader(stream_dir, std::move(stream_name), opts));
}

Status LogReader::open_segment(int64_t base) {
  std::string path = segment_path(dir_, base);
  Result<UniqueFd> fd = env_->open(path, O_RDONLY);
  if (!fd.ok()) {
    if (fd.status().is(StatusCode::kNotFound)) return NotYet();
    return fd.status();
  }
  char header[kSegmentHeaderBytes];
  Result<size_t> n = env_->pread(fd->get(), header, sizeof header, 0);
  if (!n.ok()) return n.status().With("cannot read '" + path + "'");
  if (*n < kSegmentHeaderBytes) return NotYet();
  int64_t file_base;
  if (!decode_segment_header(header, *n, &file_base) || file_base != base) {
    return Status::BadData("'" + path + "' is not a sluice log segment");
  }
  fd_ = std::move(*fd);
  seg_base_ = base;
  seg_path_ = std::move(path);
  offset_ = kSegmentHeaderBytes;
  next_seq_ = base;
  buf_off_ = offset_;
  buf_len_ = 0;
  reading_ = true;
  return Status::Ok();
}

Status LogReader::select_segment() {
  Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
  if (!bases.ok()) return bases.status();
  if (bases->empty()) return NotYet();
  int64_t p = position();
  int64_t base = bases->front();
  if (p < base) {
    if (reading_) {
      // We fell behind retention while reading.
      warn("stream '" + name_ + "': " + std::to_string(base - p) +
           " records lost to retention (continuing at seq " +
           std::to_string(base) + ")");
    }
    want_seq_ = base;
  } else {
    for (int64_t b : *bases) {
      if (b <= p) base = b;
    }
  }
  return open_segment(base);
}

Status LogReader::refill() {
  buf_off_ = offset_;
  Result<size_t> n = env_->pread(fd_.get(), buf_.data(), buf_.size(), offset_);
  if (!n.ok()) return n.status().With("cannot read '" + seg_path_ + "'");
  buf_len_ = *n;
  return Status::Ok();
}

LogReader::Parse LogReader::parse_buffer(std::vector<Message>* out,
                                         size_t first, size_t max) {
  size_t pos = static_cast<size_t>(offset_ - buf_off_);
  while (out->size() - first < max) {
    Message m;
    size_t size = 0;
    size_t hb = headers_.size();
    DecodeStatus st = decode_record(buf_.data() + pos, buf_len_ - pos, &m,
                                    &headers_, &size);
    if (st != DecodeStatus::kOk || m.seq != next_seq_) {
      headers_.resize(hb);
      if (st == DecodeStatus::kIncomplete && size > buf_.size()) {
        buf_.resize(size);  // one record larger than the read chunk
      }
      return Parse::kNeedData;
    }
    pos += size;
    offset_ += static_cast<int64_t>(size);
    ++next_seq_;
    if (m.seq < want_seq_ || (want_ts_ >= 0 && m.ts_us < want_ts_)) {
      headers_.resize(hb);
      continue;
    }
    want_ts_ = -1;  // timestamps never decrease: every later record passes
    m.stream = name_;
    header_begin_.push_back(static_cast<uint32_t>(hb));
    out->push_back(m);
  }
  return Parse::kFull;
}

Status LogReader::read(std::vector<Message>* out, size_t max, bool* at_end) {
  *at_end = false;
  headers_.clear();
  header_begin_.clear();
  const size_t first = out->size();
  bool fresh = false;     // the buffer was refilled since the last progress
  bool rechecked = false;  // re-read the old segment after seeing the next
  while (out->size() - first < max) {
    if (!fd_.valid()) {
      Status st = select_segment();
      if (st.is(StatusCode::kTryAgain)) {
        *at_end = true;
        break;
      }
      SLUICE_RETURN_IF_ERROR(st);
    }
    int64_t before = offset_;
    if (parse_buffer(out, first, max) == Parse::kFull) break;
    if (offset_ != before) fresh = rechecked = false;
    if (out->size() > first) break;  // deliver; refill on the next call
    if (!fresh) {
      SLUICE_RETURN_IF_ERROR(refill());
      fresh = true;
      continue;
    }
    // Nothing parses at offset_ even in fresh bytes. In the newest segment
    // that is the tail (maybe a record still being written): wait. A later
    // segment means this one is sealed.
    bool next_exists =
        next_seq_ > seg_base_ && env_->exists(segment_path(dir_, next_seq_));
    if (!next_exists) {
      Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
      if (!bases.ok()) return bases.status();
      if (bases->empty() || bases->back() <= seg_base_) {
        *at_end = true;
        break;
      }
    }
    if (!rechecked) {
      // Our last read may predate the final append to this segment: read
      // it to the end once more before judging it.
      rechecked = true;
      fresh = false;
      continue;
    }
    uint64_t nlink = 1;
    Result<int64_t> size = env_->file_size(fd_.get(), &nlink);
    if (!size.ok()) return size.status().With("'" + seg_path_ + "'");
    if (*size > offset_) {
      return Status::BadData("corrupt record in '" + seg_path_ + "' at offset " +
                             std::to_string(offset_) + " (the segment is sealed; " +
                             std::to_string(*size - offset_) +
                             " bytes after it cannot be read)");
    }
    if (!next_exists) {
      if (nlink == 0) {
        // Retention removed this segment and the next ones: continue at the
        // oldest retained segment (select_segment() warns).
        fd_.reset();
        fresh = rechecked = false;
        continue;
      }
      return Status::BadData("'" + seg_path_ + "' ends before seq " +
                             std::to_string(next_seq_) +
                             " but no segment starts there (records are missing)");
    }
    Status st = open_segment(next_seq_);
    if (st.is(StatusCode::kTryAgain)) {
      *at_end = true;
      break;
    }
    SLUICE_RETURN_IF_ERROR(st);
    fresh = rechecked = false;
  }
  // headers_ may have moved while it grew: point the spans at it now.
  for (size_t i = first; i < out->size(); ++i) {
    Message& m = (*out)[i];
    m.headers = std::span<const Header>(headers_.data() + header_begin_[i - first],
                                        m.headers.size());
  }
  return Status::Ok();
}

Status LogReader::seek_to_seq(int64_t seq, int64_t* lost) {
  if (seq < 0) return Status::InvalidArgument("negative seq " + std::to_string(seq));
  Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
  if (!bases.ok()) return bases.status();
  fd_.reset();
  reading_ = false;
  buf_len_ = 0;
  want_ts_ = -1;
  next_seq_ = 0;
  want_seq_ = seq;
  if (lost) *lost = 0;
  if (!bases->empty() && seq < bases->front()) {
    if (lost) *lost = bases->front() - seq;
    want_seq_ = bases->front();
  }
  return Status::Ok();
}

Status LogReader::first_ts_of(int64_t base, int64_t* ts) {
  *ts = -1;
  Result<UniqueFd> fd = env_->open(segment_path(dir_, base), O_RDONLY);
  if (!fd.ok()) return fd.status().is(StatusCode::kNotFound) ? Status::Ok() : fd.status();
  char rec[kSegmentHeaderBytes + kRecordHeaderBytes];
  Result<size_t> n = env_->pread(fd->get(), rec, sizeof rec, 0);
  if (!n.ok()) return n.status();
  if (*n == sizeof rec) *ts = static_cast<int64_t>(load_u64(rec + kSegmentHeaderBytes + 16));
  return Status::Ok();
}

Status LogReader::bounds(int64_t* first, int64_t* end) {
  *first = *end = 0;
  Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
  if (!bases.ok()) return bases.status();
  if (bases->empty()) return Status::Ok();
  *first = bases->front();
  std::string path = segment_path(dir_, bases->back());
  Result<UniqueFd> fd = env_->open(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  SegmentScan scan;
  SLUICE_RETURN_IF_ERROR(scan_segment(env_, fd->get(), kSegmentHeaderBytes,
                                      bases->back(), &scan)
                             .With("cannot read '" + path + "'"));
  *end = scan.next_seq;
  return Status::Ok();
}

Status LogReader::seek(const StartPosition& pos) {
  int64_t first = 0, end = 0;
  switch (pos.kind) {
    case StartPosition::Kind::kBeginning:
      return seek_to_seq(0);
    case StartPosition::Kind::kSeq:
      return seek_to_seq(pos.value);
    case StartPosition::Kind::kEnd:
      SLUICE_RETURN_IF_ERROR(bounds(&first, &end));
      return seek_to_seq(end);
    case StartPosition::Kind::kFromEnd:
      SLUICE_RETURN_IF_ERROR(bounds(&first, &end));
      return seek_to_seq(std::max(first, end - std::max<int64_t>(pos.value, 0)));
    case StartPosition::Kind::kTime: {
      Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
      if (!bases.ok()) return bases.status();
      // Start in the last segment whose first record is older than the
      // target; records before the target are skipped while reading.
      int64_t start = bases->empty() ? 0 : bases->front();
      for (int64_t b : *bases) {
        int64_t ts;
        SLUICE_RETURN_IF_ERROR(first_ts_of(b, &ts));
        if (ts < 0 || ts >= pos.value) break;
        start = b;
      }
      SLUICE_RETURN_IF_ERROR(seek_to_seq(start));
      want_ts_ = pos.value;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("unknown start position");
}

}  // namespace sluice::filelog
