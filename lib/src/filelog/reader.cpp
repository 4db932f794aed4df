// LogReader: reads a stream from any position and follows it as it grows,
// without ever taking the writers' lock (see filelog.h).

#include <fcntl.h>

#include <algorithm>

#include "filelog/codec.h"
#include "filelog/filelog.h"

namespace sluice::filelog {

namespace {
// Internal signal: the segment exists but is not readable yet (its header
// is still being written, or it vanished between listing and opening).
Status NotYet() {
  return Status::TryAgain("segment not ready");
}
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
      std::string parent = slash == std::string::npos ? "." : stream_dir.substr(0, slash);
      return Status::NotFound("stream '" + stream_name + "' does not exist in '" + parent + "'");
    }
    return bases.status();
  }
  return std::unique_ptr<LogReader>(new LogReader(stream_dir, std::move(stream_name), opts));
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
  need_ = 0;
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
           " records lost to retention (continuing at seq " + std::to_string(base) + ")");
    }
    want_seq_ = base;
  } else {
    for (int64_t b : *bases) {
      if (b <= p) base = b;
    }
  }
  return open_segment(base);
}

Result<int64_t> LogReader::later_segment() {
  Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
  if (!bases.ok()) return bases.status();
  for (int64_t b : *bases) {
    if (b > seg_base_) return b;
  }
  return int64_t{-1};
}

Status LogReader::refill() {
  // Grow for one record larger than the buffer, but only once the file
  // holds all of it: the size field of a torn or corrupt record must not
  // make us allocate up to kMaxRecordBytes. No view into buf_ is alive
  // here: read() delivers what it parsed before it refills.
  if (need_ > buf_.size()) {
    Result<int64_t> size = env_->file_size(fd_.get());
    if (!size.ok()) return size.status().With("'" + seg_path_ + "'");
    if (offset_ + static_cast<int64_t>(need_) <= *size) buf_.resize(need_);
  }
  buf_off_ = offset_;
  // A short read is not the end of the file: read until full or EOF.
  Result<size_t> n = env_->pread_full(fd_.get(), buf_.data(), buf_.size(), offset_);
  buf_len_ = 0;
  if (!n.ok()) return n.status().With("cannot read '" + seg_path_ + "'");
  buf_len_ = *n;
  return Status::Ok();
}

Status LogReader::relock_and_refill() {
  // Writers append each batch under an exclusive flock on .lock; holding it
  // while we read means no batch is half-written in what we see.
  Result<UniqueFd> lock = env_->open(dir_ + "/.lock", O_RDONLY);
  if (!lock.ok() || !env_->lock(lock->get(), /*nonblocking=*/false).ok()) return refill();
  Status st = refill();
  (void)env_->unlock(lock->get());
  return st;
}

LogReader::Parse LogReader::parse_buffer(std::vector<Message>* out, size_t first, size_t max) {
  need_ = 0;
  if (offset_ < buf_off_ || offset_ > buf_off_ + static_cast<int64_t>(buf_len_)) {
    return Parse::kNeedData;  // we moved past the buffered bytes
  }
  size_t pos = static_cast<size_t>(offset_ - buf_off_);
  while (out->size() - first < max) {
    Message m;
    size_t size = 0;
    size_t hb = headers_.size();
    DecodeStatus st = decode_record(buf_.data() + pos, buf_len_ - pos, &m, &headers_, &size);
    if (st != DecodeStatus::kOk || m.seq != next_seq_) {
      headers_.resize(hb);
      if (st == DecodeStatus::kIncomplete) need_ = size;
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
    m.shard = opts_.shard;
    header_begin_.push_back(static_cast<uint32_t>(hb));
    out->push_back(m);
  }
  return Parse::kFull;
}

Status LogReader::pass_bad_range(const BadRange& bad, int64_t resume_ts) {
  // Nothing that was asked for is in it (a seek or a group position beyond
  // it): pass over it without a word.
  if (bad.next_seq <= want_seq_ || (want_ts_ >= 0 && resume_ts >= 0 && resume_ts < want_ts_)) {
    return Status::Ok();
  }
  const int64_t from = std::max(bad.first_lost_seq, want_seq_);
  const int64_t lost = bad.next_seq - from;
  if (lost > 0 && opts_.on_corrupt == OnCorrupt::kFail) {
    return Status::BadData("stream '" + name_ + "': " + bad.describe() +
                           "; to read past it: --on-error skip, or --from " +
                           std::to_string(bad.next_seq));
  }
  skipped_.push_back(bad);
  skipped_records_ += lost;
  std::string what = lost == 0   ? "no record lost"
                     : lost == 1 ? "skipped seq " + std::to_string(from)
                                 : "skipped " + std::to_string(lost) + " records (seq " +
                                       std::to_string(from) + " to " +
                                       std::to_string(bad.next_seq - 1) + ")";
  warn("stream '" + name_ + "': " + what + ": " + bad.describe());
  return Status::Ok();
}

Status LogReader::read(std::vector<Message>* out, size_t max, bool* at_end) {
  *at_end = false;
  headers_.clear();
  header_begin_.clear();
  const size_t first = out->size();
  bool fresh = false;      // bytes at offset_ were read since the last progress
  bool rechecked = false;  // ... and read again under the writers' lock
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
    // Read at offset_ when the buffer is stale, or too small for the
    // record it stopped at (refill() grows it once the file holds it all).
    const bool grow = fresh && need_ > buf_.size();
    if (!fresh || grow) {
      const size_t capacity = buf_.size();
      SLUICE_RETURN_IF_ERROR(refill());
      fresh = true;
      if (!grow || buf_.size() > capacity) continue;
    }
    // Nothing parses at offset_ even in fresh bytes: a record still being
    // written or a torn tail (the newest segment, nothing valid after it:
    // wait), the end of a sealed segment, or corruption.
    Result<int64_t> later = later_segment();
    if (!later.ok()) return later.status();
    uint64_t nlink = 1;
    Result<int64_t> size = env_->file_size(fd_.get(), &nlink);
    if (!size.ok()) return size.status().With("'" + seg_path_ + "'");
    bool found = false;
    RecordPos next;
    if (*size > offset_) {
      SLUICE_RETURN_IF_ERROR(
          find_next_record(env_, fd_.get(), *size, offset_, next_seq_, &found, &next)
              .With("cannot read '" + seg_path_ + "'"));
    }
    if (!found && *later < 0) {
      *at_end = true;
      break;
    }
    if (!rechecked) {
      // Judge only bytes read while no batch was half-written; our last
      // read may also predate the final append to a now sealed segment.
      SLUICE_RETURN_IF_ERROR(relock_and_refill());
      rechecked = true;
      continue;
    }
    if (!found && nlink == 0) {
      // Retention removed this segment and the next ones: continue at the
      // oldest retained segment (select_segment() warns).
      fd_.reset();
      fresh = rechecked = false;
      continue;
    }
    if (found || *size > offset_ || *later != next_seq_) {
      BadRange bad{seg_path_, offset_, (found ? next.offset : *size) - offset_, next_seq_,
                   found ? next.seq : *later};
      int64_t resume_ts = found ? next.ts_us : -1;
      if (!found) SLUICE_RETURN_IF_ERROR(first_ts_of(*later, &resume_ts));
      SLUICE_RETURN_IF_ERROR(pass_bad_range(bad, resume_ts));
    }
    fresh = rechecked = false;
    if (found) {
      offset_ = next.offset;
      next_seq_ = next.seq;
      continue;
    }
    Status st = open_segment(*later);
    if (st.is(StatusCode::kTryAgain)) {
      *at_end = true;
      break;
    }
    SLUICE_RETURN_IF_ERROR(st);
  }
  // headers_ may have moved while it grew: point the spans at it now.
  for (size_t i = first; i < out->size(); ++i) {
    Message& m = (*out)[i];
    m.headers =
        std::span<const Header>(headers_.data() + header_begin_[i - first], m.headers.size());
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
  SLUICE_RETURN_IF_ERROR(
      scan_segment(env_, fd->get(), path, kSegmentHeaderBytes, bases->back(), &scan)
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
