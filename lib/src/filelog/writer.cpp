// LogWriter: batch appends to a stream, safe against other processes
// appending to the same stream (see filelog.h).

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "filelog/codec.h"
#include "filelog/filelog.h"
#include "sluice/units.h"

namespace sluice::filelog {

namespace {

// Holds the stream's writer lock for one scope.
class StreamLock {
 public:
  StreamLock(Env* env, int fd) : env_(env), fd_(fd) {}
  ~StreamLock() {
    if (held_) (void)env_->unlock(fd_);
  }
  StreamLock(const StreamLock&) = delete;
  StreamLock& operator=(const StreamLock&) = delete;
  Status acquire() {
    Status st = env_->lock(fd_, /*nonblocking=*/false);
    held_ = st.ok();
    return st;
  }

 private:
  Env* env_;
  int fd_;
  bool held_ = false;
};

}  // namespace

LogWriter::LogWriter(std::string dir, const WriterOptions& opts)
    : stream_dir_(std::move(dir)), opts_(opts), env_(opts.env) {}

// No sync on close: under kInterval, data younger than the interval may be
// lost on a power failure anyway (it survives a process crash), and a large
// fdatasync here would make every short-lived producer slow.
LogWriter::~LogWriter() = default;

Result<std::unique_ptr<LogWriter>> LogWriter::Open(const std::string& stream_dir,
                                                   const WriterOptions& opts) {
  std::unique_ptr<LogWriter> w(new LogWriter(stream_dir, opts));
  Status st = w->init();
  if (!st.ok()) return st;
  return w;
}

Status LogWriter::init() {
  // Remember the outermost directory mkdirs will make, so that
  // remove_if_unused() can take back exactly what this writer created.
  for (std::string d = stream_dir_; !d.empty() && d != "." && d != "/" && !env_->exists(d);) {
    first_made_dir_ = d;
    size_t slash = d.find_last_of('/');
    d = slash == std::string::npos ? std::string() : d.substr(0, slash);
  }
  Status st = env_->mkdirs(stream_dir_);
  if (!st.ok()) return st;
  Result<UniqueFd> lock = env_->open(stream_dir_ + "/.lock", O_RDWR | O_CREAT);
  if (!lock.ok()) return lock.status();
  UniqueFd stream_lock = std::move(*lock);
  {
    StreamLock guard(env_, stream_lock.get());
    SLUICE_RETURN_IF_ERROR(guard.acquire().With("cannot lock '" + stream_dir_ + "/.lock'"));
    SLUICE_RETURN_IF_ERROR(create_or_read_locked());
    dir_ = shard_dir(stream_dir_, settings_.shards, opts_.shard);
    if (settings_.shards == 1) {
      // One shard: the stream lock is the shard lock; keep holding it.
      lock_fd_ = std::move(stream_lock);
      batch_.reserve(512 << 10);
      last_sync_us_ = env_->now_us();
      SLUICE_RETURN_IF_ERROR(sync_tail_locked());
      return skip_seqs_groups_read_locked();
    }
  }
  SLUICE_RETURN_IF_ERROR(env_->mkdirs(dir_));
  lock = env_->open(dir_ + "/.lock", O_RDWR | O_CREAT);
  if (!lock.ok()) return lock.status();
  lock_fd_ = std::move(*lock);
  StreamLock guard(env_, lock_fd_.get());
  SLUICE_RETURN_IF_ERROR(guard.acquire().With("cannot lock '" + dir_ + "/.lock'"));
  batch_.reserve(512 << 10);
  last_sync_us_ = env_->now_us();
  SLUICE_RETURN_IF_ERROR(sync_tail_locked());
  return skip_seqs_groups_read_locked();
}

// Under the stream lock: settings are fixed by whoever creates the stream
// first, then read back (and changed only when asked to). The shard count
// is never changed.
Status LogWriter::create_or_read_locked() {
  const StreamSettings& want = opts_.create_settings;
  if (!env_->exists(stream_dir_ + "/meta")) {
    StreamSettings create = want;
    Result<std::vector<int64_t>> bases = list_segments(env_, stream_dir_);
    if (!bases.ok()) return bases.status();
    // Segments without meta: a stream from before meta existed, one shard.
    if (!bases->empty()) create.shards = 1;
    if (create.shards < 1 || create.shards > kMaxShards) {
      return Status::InvalidArgument("a stream has 1 to " + std::to_string(kMaxShards) +
                                     " shards, not " + std::to_string(create.shards));
    }
    if (create.shards > 1) {
      // Every shard directory exists before meta names the count, so a
      // reader that finds meta finds them too.
      for (int32_t k = 0; k < create.shards; ++k) {
        SLUICE_RETURN_IF_ERROR(env_->mkdirs(shard_dir(stream_dir_, create.shards, k)));
      }
      if (opts_.fsync != FsyncPolicy::kNever) {
        SLUICE_RETURN_IF_ERROR(env_->sync_dir(stream_dir_ + "/shards"));
      }
    }
    SLUICE_RETURN_IF_ERROR(env_->write_file_atomic(stream_dir_ + "/meta", create.encode()));
    created_ = true;
  }
  Result<StreamSettings> settings = read_settings(env_, stream_dir_);
  if (!settings.ok()) return settings.status();
  settings_ = *settings;
  if (opts_.require_shards && settings_.shards != want.shards) {
    return Status::InvalidArgument(
        "stream '" + stream_dir_ + "' has " + std::to_string(settings_.shards) +
        (settings_.shards == 1 ? " shard" : " shards") + ", not " + std::to_string(want.shards) +
        ": a stream keeps the shard count it was created with (create a new stream instead)");
  }
  if (opts_.shard < 0 || opts_.shard >= settings_.shards) {
    return Status::InvalidArgument("stream '" + stream_dir_ + "' has no shard " +
                                   std::to_string(opts_.shard) + " (it has " +
                                   std::to_string(settings_.shards) + ")");
  }
  if (!created_) SLUICE_RETURN_IF_ERROR(change_settings_locked());
  return Status::Ok();
}

// A crash under --fsync interval or never can take away acknowledged
// records after a consumer group read them: the group's committed seq is
// then past the end of the log. Appending at the end would reuse those
// seqs, and the group would skip the new records. Go on at the highest
// committed seq in a new segment instead: no seq is reused, and the loss
// stays visible to readers as the gap before that segment.
Status LogWriter::skip_seqs_groups_read_locked() {
  Result<std::vector<std::string>> groups = ConsumerGroup::List(env_, dir_);
  if (!groups.ok()) return groups.status().With("'" + dir_ + "/groups'");
  int64_t highest = -1;
  std::string group;
  for (const std::string& g : *groups) {
    Result<int64_t> committed = ConsumerGroup::ReadCommitted(env_, dir_, g);
    if (committed.ok() && *committed > highest) {
      highest = *committed;
      group = g;
    }
  }
  if (highest <= next_seq_) return Status::Ok();
  warn("stream '" + dir_ + "' ends at seq " + std::to_string(next_seq_) + " but group '" + group +
       "' has read up to seq " + std::to_string(highest) + ": records " +
       std::to_string(next_seq_) + " to " + std::to_string(highest - 1) +
       " were lost (a crash under --fsync interval or never); new records start at seq " +
       std::to_string(highest) + ", so none is reused");
  next_seq_ = highest;
  return roll_locked();
}

Status LogWriter::change_settings_locked() {
  StreamSettings next = settings_;
  const StreamSettings& want = opts_.create_settings;
  if (opts_.change_segment_bytes) next.segment_bytes = want.segment_bytes;
  if (opts_.change_retention) {
    next.retention_ms = want.retention_ms;
    next.retention_bytes = want.retention_bytes;
  }
  std::vector<std::string> changes;
  if (next.segment_bytes != settings_.segment_bytes) {
    changes.push_back("segment size changed from " + format_size(settings_.segment_bytes) + " to " +
                      format_size(next.segment_bytes) + " (for new segments)");
  }
  if (next.retention_ms != settings_.retention_ms ||
      next.retention_bytes != settings_.retention_bytes) {
    changes.push_back("retention changed from " +
                      format_retention(settings_.retention_ms, settings_.retention_bytes) + " to " +
                      format_retention(next.retention_ms, next.retention_bytes));
  }
  if (changes.empty()) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(env_->write_file_atomic(stream_dir_ + "/meta", next.encode())
                             .With("cannot change the settings of '" + stream_dir_ + "'"));
  settings_ = next;
  for (const std::string& c : changes) warn("stream '" + stream_dir_ + "': " + c);
  return Status::Ok();
}

// Whether the shard in `dir` holds nothing but its lock and an empty first
// segment (and, for the stream directory of one shard, meta).
bool LogWriter::shard_unused(const std::string& dir) {
  Result<std::vector<std::string>> names = env_->list_dir(dir);
  if (!names.ok()) return names.status().is(StatusCode::kNotFound);
  const std::string first_segment = segment_file_name(0);
  for (const std::string& n : *names) {
    if (n == ".lock" || (n == "meta" && dir == stream_dir_)) continue;
    if (n == first_segment) {
      Result<int64_t> size = env_->path_size(dir + "/" + n);
      if (size.ok() && *size <= static_cast<int64_t>(kSegmentHeaderBytes)) continue;
    }
    return false;  // a record, a group, anything: the stream is in use
  }
  return true;
}

void LogWriter::remove_if_unused() {
  if (!created_ || !lock_fd_.valid()) return;
  const int32_t shards = settings_.shards;
  UniqueFd stream_lock_fd;
  int stream_lock = lock_fd_.get();
  if (shards > 1) {
    Result<UniqueFd> fd = env_->open(stream_dir_ + "/.lock", O_RDWR);
    if (!fd.ok()) return;
    stream_lock_fd = std::move(*fd);
    stream_lock = stream_lock_fd.get();
  }
  StreamLock guard(env_, stream_lock);
  if (!guard.acquire().ok()) return;
  // Every shard's lock too, so no writer appends while we look. Writers
  // take one shard lock at a time, and the stream lock only without one.
  std::vector<UniqueFd> shard_lock_fds;
  std::vector<std::unique_ptr<StreamLock>> shard_guards;
  if (shards > 1) {
    Result<std::vector<std::string>> top = env_->list_dir(stream_dir_);
    if (!top.ok()) return;
    for (const std::string& n : *top) {
      if (n != ".lock" && n != "meta" && n != "shards") return;  // a group joined
    }
    for (int32_t k = 0; k < shards; ++k) {
      std::string dir = shard_dir(stream_dir_, shards, k);
      Result<UniqueFd> fd = env_->open(dir + "/.lock", O_RDWR);
      if (fd.ok()) {
        shard_lock_fds.push_back(std::move(*fd));
        shard_guards.push_back(std::make_unique<StreamLock>(env_, shard_lock_fds.back().get()));
        if (!shard_guards.back()->acquire().ok()) return;
      }
      if (!shard_unused(dir)) return;
    }
  } else if (!shard_unused(stream_dir_)) {
    return;
  }
  const std::string first_segment = segment_file_name(0);
  if (shards > 1) {
    for (int32_t k = 0; k < shards; ++k) {
      std::string dir = shard_dir(stream_dir_, shards, k);
      (void)env_->unlink(dir + "/" + first_segment);
      (void)env_->unlink(dir + "/.lock");
      (void)env_->rmdir(dir);
    }
    (void)env_->rmdir(stream_dir_ + "/shards");
  } else {
    (void)env_->unlink(stream_dir_ + "/" + first_segment);
  }
  (void)env_->unlink(stream_dir_ + "/meta");
  (void)env_->unlink(stream_dir_ + "/.lock");
  seg_fd_.reset();
  // A directory that was there before stays. An rmdir that finds the
  // directory not empty (someone just opened the stream) fails harmlessly
  // and leaves it.
  if (first_made_dir_.empty()) return;
  for (std::string d = stream_dir_;;) {
    if (!env_->rmdir(d).ok() || d == first_made_dir_) break;
    size_t slash = d.find_last_of('/');
    if (slash == std::string::npos) break;
    d = d.substr(0, slash);
  }
}

Status LogWriter::open_segment_locked(int64_t base, bool create) {
  std::string path = segment_path(dir_, base);
  Result<UniqueFd> fd = env_->open(path, O_RDWR | (create ? O_CREAT : 0));
  if (!fd.ok()) return fd.status();
  Result<int64_t> size = env_->file_size(fd->get());
  if (!size.ok()) return size.status().With("'" + path + "'");
  if (*size < static_cast<int64_t>(kSegmentHeaderBytes)) {
    // New, or its creator died before the header was complete: (re)write it.
    char header[kSegmentHeaderBytes];
    encode_segment_header(base, header);
    Status st = env_->write_all(fd->get(), header, sizeof header, 0);
    if (!st.ok()) {
      (void)env_->unlink(path);
      return st.With("cannot create '" + path + "'");
    }
    if (opts_.fsync == FsyncPolicy::kAlways) {
      st = env_->fdatasync(fd->get()).With("'" + path + "'");
      if (st.ok()) st = env_->sync_dir(dir_);
      if (!st.ok()) {
        // After a failed sync the header may never reach the disk, and no
        // later sync writes it again: start this segment over next time.
        (void)env_->unlink(path);
        return st;
      }
    } else if (opts_.fsync == FsyncPolicy::kInterval) {
      dir_unsynced_ = true;  // the next interval sync covers the new entry
    }
  } else {
    char header[kSegmentHeaderBytes];
    Result<size_t> n = env_->pread(fd->get(), header, sizeof header, 0);
    if (!n.ok()) return n.status().With("cannot read '" + path + "'");
    int64_t file_base;
    if (!decode_segment_header(header, *n, &file_base) || file_base != base) {
      return Status::BadData("'" + path + "' is not a sluice log segment");
    }
  }
  seg_fd_ = std::move(*fd);
  seg_base_ = base;
  seg_size_ = kSegmentHeaderBytes;
  next_seq_ = base;
  return Status::Ok();
}

Status LogWriter::sync_tail_locked() {
  if (seg_fd_.valid()) {
    uint64_t nlink = 0;
    Result<int64_t> size = env_->file_size(seg_fd_.get(), &nlink);
    if (!size.ok()) return size.status().With("'" + segment_path(dir_, seg_base_) + "'");
    // Fast path: nobody appended since our last batch, and nobody rolled
    // (a roll by someone else creates the segment named by our next seq).
    if (nlink > 0 && *size == seg_size_ &&
        (next_seq_ == seg_base_ || !env_->exists(segment_path(dir_, next_seq_)))) {
      return Status::Ok();
    }
  }
  Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
  if (!bases.ok()) return bases.status();
  if (bases->empty()) {
    // A new stream, or every segment was removed behind our back: continue
    // at the seq we know of so seqs never go backwards.
    return open_segment_locked(next_seq_, /*create=*/true);
  }
  int64_t newest = bases->back();
  int64_t scan_from = kSegmentHeaderBytes;
  int64_t scan_seq = newest;
  if (newest != seg_base_ || !seg_fd_.valid()) {
    SLUICE_RETURN_IF_ERROR(open_segment_locked(newest, /*create=*/false));
  } else {
    Result<int64_t> size = env_->file_size(seg_fd_.get());
    if (!size.ok()) return size.status();
    if (*size >= seg_size_) {
      scan_from = seg_size_;  // resume after what we already know is valid
      scan_seq = next_seq_;
    }
  }
  SegmentScan scan;
  std::string path = segment_path(dir_, seg_base_);
  SLUICE_RETURN_IF_ERROR(scan_segment(env_, seg_fd_.get(), path, scan_from, scan_seq, &scan)
                             .With("cannot read '" + path + "'"));
  if (!scan.bad.empty() && !warned_corrupt_) {
    // Corruption is left for readers to report and for a person to look
    // at; appends go after the highest valid seq, so none is reused.
    warned_corrupt_ = true;
    warn(scan.bad.front().describe() + ": left as it is; appending after seq " +
         std::to_string(scan.next_seq - 1) + " (readers stop there unless told to skip it)");
  }
  if (scan.valid_end < scan.file_size) {
    // Torn tail: a writer died mid-batch, and nothing valid follows. Nobody
    // else can be writing (we hold the lock), so these bytes will never
    // become valid.
    SLUICE_RETURN_IF_ERROR(
        env_->ftruncate(seg_fd_.get(), scan.valid_end).With("cannot repair '" + path + "'"));
    warn("repaired torn tail of '" + path + "': dropped " +
         std::to_string(scan.file_size - scan.valid_end) + " bytes at offset " +
         std::to_string(scan.valid_end));
  }
  seg_size_ = scan.valid_end;
  next_seq_ = scan.next_seq;
  if (scan.last_ts > last_ts_) last_ts_ = scan.last_ts;
  return Status::Ok();
}

Status LogWriter::roll_locked() {
  if (unsynced_ && opts_.fsync == FsyncPolicy::kInterval) {
    // The sealed segment is synced at the next interval, not now: a 64 MiB
    // fdatasync in the middle of a batch would stall the producer.
    sealed_unsynced_.push_back(std::move(seg_fd_));
  }
  unsynced_ = false;
  int64_t prev_ts = last_ts_;
  SLUICE_RETURN_IF_ERROR(open_segment_locked(next_seq_, /*create=*/true));
  last_ts_ = prev_ts;
  return Status::Ok();
}

void LogWriter::apply_retention_locked() {
  if (settings_.retention_bytes < 0 && settings_.retention_ms < 0) return;
  Result<std::vector<int64_t>> bases = list_segments(env_, dir_);
  if (!bases.ok() || bases->size() < 2) return;
  std::vector<int64_t> sizes;
  int64_t total = 0;
  for (int64_t b : *bases) {
    Result<int64_t> s = env_->path_size(segment_path(dir_, b));
    sizes.push_back(s.ok() ? *s : 0);
    total += sizes.back();
  }
  int64_t cutoff = env_->now_us() - settings_.retention_ms * 1000;
  // Oldest first; the newest (active) segment is never dropped.
  for (size_t i = 0; i + 1 < bases->size(); ++i) {
    bool drop = settings_.retention_bytes >= 0 && total > settings_.retention_bytes;
    if (!drop && settings_.retention_ms >= 0) {
      // Every record of segment i is no newer than the first record of
      // segment i+1 (timestamps never decrease), or than the last append
      // when i+1 holds none yet.
      int64_t bound = last_ts_;
      Result<UniqueFd> fd = env_->open(segment_path(dir_, (*bases)[i + 1]), O_RDONLY);
      char rec[kSegmentHeaderBytes + kRecordHeaderBytes];
      if (fd.ok()) {
        Result<size_t> n = env_->pread(fd->get(), rec, sizeof rec, 0);
        if (n.ok() && *n == sizeof rec) {
          bound = static_cast<int64_t>(load_u64(rec + kSegmentHeaderBytes + 16));
        }
      }
      drop = bound < cutoff;
    }
    if (!drop) break;
    std::string path = segment_path(dir_, (*bases)[i]);
    Status st = env_->unlink(path);
    if (!st.ok() && !st.is(StatusCode::kNotFound)) {
      warn("retention: " + st.message());
      break;
    }
    total -= sizes[i];
  }
}

Status LogWriter::add(const Message& m) {
  size_t size = record_size(m);
  if (size > kMaxRecordBytes) {
    return Status::InvalidArgument("record of " + std::to_string(size) +
                                   " bytes is larger than the limit of " +
                                   std::to_string(kMaxRecordBytes) + " bytes");
  }
  offsets_.push_back(static_cast<uint32_t>(batch_.size()));
  encode_record(m, 0, 0, batch_);
  return Status::Ok();
}

Status LogWriter::write_locked(int64_t* first_seq) {
  SLUICE_RETURN_IF_ERROR(sync_tail_locked());
  // Batches are never split: a roll happens before a batch that would
  // overflow the segment, so a failed batch touches one segment only.
  if (seg_size_ > static_cast<int64_t>(kSegmentHeaderBytes) &&
      seg_size_ + static_cast<int64_t>(batch_.size()) > settings_.segment_bytes) {
    SLUICE_RETURN_IF_ERROR(roll_locked());
    apply_retention_locked();
  }
  int64_t ts = std::max(env_->now_us(), last_ts_);
  int64_t seq = next_seq_;
  for (uint32_t off : offsets_) seal_record(batch_.data() + off, seq++, ts);
  std::string path = segment_path(dir_, seg_base_);
  Status st = env_->write_all(seg_fd_.get(), batch_.data(), batch_.size(), seg_size_);
  if (st.ok() && opts_.fsync == FsyncPolicy::kAlways) {
    st = env_->fdatasync(seg_fd_.get());
  }
  if (!st.ok()) {
    // Take back whatever part of the batch reached the file.
    Status undo = env_->ftruncate(seg_fd_.get(), seg_size_);
    std::string msg = "cannot append to '" + path + "'";
    if (!undo.ok()) msg += " (and cannot truncate it back: " + undo.message() + ")";
    return st.With(msg);
  }
  if (first_seq) *first_seq = next_seq_;
  seg_size_ += static_cast<int64_t>(batch_.size());
  next_seq_ = seq;
  last_ts_ = ts;
  unsynced_ = opts_.fsync != FsyncPolicy::kAlways;
  if (!unsynced_) last_sync_us_ = ts;
  return Status::Ok();
}

Status LogWriter::write_batch(int64_t* first_seq) {
  if (offsets_.empty()) return Status::Ok();
  Status st = sync_error_;
  if (st.ok()) {
    StreamLock guard(env_, lock_fd_.get());
    st = guard.acquire();
    if (st.ok()) st = write_locked(first_seq);
  }
  batch_.clear();  // keeps its capacity
  offsets_.clear();
  if (!st.ok()) return st;
  return maybe_sync();
}

Status LogWriter::maybe_sync() {
  if (!sync_error_.ok()) return sync_error_;
  if (opts_.fsync != FsyncPolicy::kInterval) return Status::Ok();
  if (!unsynced_ && sealed_unsynced_.empty() && !dir_unsynced_) return Status::Ok();
  int64_t now = env_->now_us();
  if (now - last_sync_us_ < opts_.fsync_interval.count() * 1000) return Status::Ok();
  return sync();
}

Status LogWriter::sync() {
  if (!sync_error_.ok()) return sync_error_;
  // After a failed sync the kernel may have dropped the dirty pages, and a
  // later sync that succeeds does not write them again (PostgreSQL's
  // "fsyncgate"): records acknowledged before it may be lost, so the error
  // sticks instead of a retry passing them off as durable.
  auto failed = [this](Status st) {
    sync_error_ = st;
    return st;
  };
  for (UniqueFd& fd : sealed_unsynced_) {
    Status st = env_->fdatasync(fd.get()).With("sealed segment of '" + dir_ + "'");
    if (!st.ok()) return failed(st);
  }
  sealed_unsynced_.clear();
  if (dir_unsynced_) {
    Status st = env_->sync_dir(dir_);
    if (!st.ok()) return failed(st);
    dir_unsynced_ = false;
  }
  if (unsynced_ && seg_fd_.valid()) {
    Status st = env_->fdatasync(seg_fd_.get()).With("'" + segment_path(dir_, seg_base_) + "'");
    if (!st.ok()) return failed(st);
  }
  unsynced_ = false;
  last_sync_us_ = env_->now_us();
  return Status::Ok();
}

}  // namespace sluice::filelog
