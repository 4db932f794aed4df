// The embedded durable log behind `file:` URIs: one directory per stream,
// holding segment files of length-prefixed, CRC32C-checksummed records.
//
// On-disk layout of stream S in cluster directory D, with one shard:
//
//   D/S/00000000000000000000.log   segments, named by the seq of their first
//   D/S/00000000000000001234.log   record (20 digits), oldest first
//   D/S/meta                       key=value settings fixed at creation
//   D/S/.lock                      flock'd by writers around each batch
//   D/S/groups/NAME                committed next seq of consumer group NAME
//   D/S/groups/.NAME.lock          flock'd by the member that owns the shard
//   D/S/groups/.NAME.members/m-*   one file per live member, flock'd by it
//                                  (made as groups/.NAME.join-*, renamed)
//
// With N > 1 shards, D/S holds meta, .lock (taken only to create or change
// the stream) and groups/.NAME.members/; each shard K has a directory
// D/S/shards/K laid out as D/S above (segments, .lock, groups/NAME and
// groups/.NAME.lock), with seqs of its own. A message is (shard, seq).
//
// A segment starts with a 16-byte header: the magic "SLUICEL" + format
// version 1, then its base seq (u64 little endian). Records follow back to
// back, all integers little endian:
//
//   u32 size      whole record, this field included (>= 40)
//   u32 crc       CRC32C (Castagnoli) of every byte after this field
//   u64 seq       seqs start at 0 and have no gaps
//   i64 ts_us     append time, non-decreasing within a stream
//   u32 flags     bit 0: key present, bit 1: payload present (else tombstone)
//   u32 key_len   u32 header_count   u32 payload_len
//   key bytes, then per header: u32 name_len, u32 value_len, name, value,
//   then payload bytes.
//
// Writers from any number of processes append safely: each batch is written
// with one pwritev under an exclusive flock on .lock, after re-checking the
// real tail (another process may have appended, rolled a segment, or died
// half-way through a write, leaving a torn tail that is truncated and
// reported with warn()). A torn tail is only what has nothing valid after
// it; bad bytes followed by a valid record are corruption (BadRange): never
// truncated, warned about, and appended after, so no seq is reused.
// Readers take the lock only to confirm corruption: bytes at the tail that
// do not parse yet are "not written yet" and are re-read later.
//
// Thread safety: the free functions are thread-safe. LogWriter, LogReader
// and ConsumerGroup objects are used by one thread at a time; any number of
// them (in any number of processes) may work on one stream at once.
// ChangeWaiter::wake() may be called from any thread or a signal handler.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/backend.h"
#include "sluice/env.h"
#include "sluice/message.h"
#include "sluice/status.h"

namespace sluice::filelog {

// ---------------------------------------------------------------- format

inline constexpr char kSegmentMagic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'L', 1};
inline constexpr size_t kSegmentHeaderBytes = 16;
inline constexpr size_t kRecordHeaderBytes = 40;
// Larger size fields are treated as corruption, not as a huge record. Room
// for a 1 GiB payload with its key and headers; readers allocate a record's
// bytes only once the file holds all of them.
inline constexpr uint32_t kMaxRecordBytes = (1u << 30) + (64u << 20);

// CRC32C; pass a previous result as `crc` to extend it over more bytes.
// crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

// "00000000000000001234.log" for base seq 1234.
std::string segment_file_name(int64_t base);
// Inverse of segment_file_name; false for any other name.
bool parse_segment_file_name(std::string_view name, int64_t* base);
std::string segment_path(const std::string& stream_dir, int64_t base);

// Fills the 16-byte segment header for `base`.
void encode_segment_header(int64_t base, char out[kSegmentHeaderBytes]);
// False when `data` is not a segment header; *base gets the base seq.
bool decode_segment_header(const char* data, size_t n, int64_t* base);

// Bytes encode_record() appends for `m`.
size_t record_size(const Message& m);
// Appends the record for `m` with the given seq and timestamp to `out`.
// m.stream, m.shard, m.seq and m.ts_us are not stored.
void encode_record(const Message& m, int64_t seq, int64_t ts_us, std::string& out);
// Sets seq and ts of the encoded record at `rec` and recomputes its CRC
// (writers serialize before they know the seq, which is assigned under the
// stream lock).
void seal_record(char* rec, int64_t seq, int64_t ts_us);

enum class DecodeStatus {
  kOk,          // a whole, valid record
  kIncomplete,  // need more bytes: *size gets the record size if known, else 0
  kCorrupt,     // size out of range, CRC mismatch or inconsistent lengths
};

// Decodes the record at data[0, n). On kOk fills m.seq, m.ts_us, m.key,
// m.payload and *size (bytes consumed); appends the headers to `*headers`
// and points m.headers at them (that span dangles once `*headers` grows
// again: batch decoders re-point it after the batch). Views point into
// `data`. Never reads outside data[0, n).
DecodeStatus decode_record(const char* data, size_t n, Message* m, std::vector<Header>* headers,
                           size_t* size);

// ---------------------------------------------------------------- stream

// Most shards a stream may have.
inline constexpr int32_t kMaxShards = 1024;

// Settings fixed when a stream is created, kept in its `meta` file.
struct StreamSettings {
  // Fixed for the life of the stream: keys map to shards by it.
  int32_t shards = 1;
  int64_t segment_bytes = 64ll << 20;
  int64_t retention_bytes = -1;  // -1 = unlimited
  int64_t retention_ms = -1;     // -1 = unlimited

  std::string encode() const;  // "segment_bytes=...\n..."
  static Result<StreamSettings> Parse(std::string_view text);
};

// Reads D/S/meta. Streams written before meta existed get the defaults.
Result<StreamSettings> read_settings(Env* env, const std::string& stream_dir);

// The settings of the stream in `stream_dir`; kNotFound ("stream 'NAME'
// does not exist in 'DIR'") when it does not exist or is still being
// created (its meta is written last).
Result<StreamSettings> find_stream(Env* env, const std::string& stream_dir, std::string_view name);

// The directory of one shard: a one-shard stream keeps its segments in the
// stream directory itself, a stream of N > 1 shards in shards/0 ...
// shards/N-1 below it.
std::string shard_dir(const std::string& stream_dir, int32_t shards, int32_t shard);

// Base seqs of the segments in `stream_dir`, ascending.
Result<std::vector<int64_t>> list_segments(Env* env, const std::string& stream_dir);

// Bytes of a segment where no valid record starts, with a valid record or a
// later segment after them: corruption, never truncated (a torn tail has
// nothing valid after it and is not a BadRange).
struct BadRange {
  std::string segment;         // path of the segment file
  int64_t offset = 0;          // first bad byte
  int64_t length = 0;          // bad bytes (0: the segment ends early)
  int64_t first_lost_seq = 0;  // seq that was expected at `offset`
  int64_t next_seq = 0;        // seq of the next valid record
  int64_t lost() const { return next_seq - first_lost_seq; }
  // "corrupt record in 'PATH' at offset N (last good seq K, next valid
  // seq M)" for messages.
  std::string describe() const;
};

// Where a valid record starts.
struct RecordPos {
  int64_t offset = 0;
  int64_t seq = 0;
  int64_t ts_us = 0;
};

// Searches the open segment `fd` of `file_size` bytes for the first valid
// record that starts after `bad_offset` (where seq `expected_seq` should
// have been): the leveldb-style resynchronisation. Since every record takes
// at least kRecordHeaderBytes, a candidate at offset p must carry a seq in
// [expected_seq, expected_seq + (p - bad_offset) / kRecordHeaderBytes]; that
// keeps record-like bytes inside payloads from being taken for records.
// Sets *found (false: nothing valid follows). Only I/O errors are errors.
Status find_next_record(Env* env, int fd, int64_t file_size, int64_t bad_offset,
                        int64_t expected_seq, bool* found, RecordPos* pos);

// What a scan of one segment found.
struct SegmentScan {
  int64_t next_seq = 0;   // seq after the last valid record
  int64_t first_ts = -1;  // ts of the first valid record scanned, -1 = none
  int64_t last_ts = -1;   // ts of the last valid record, -1 = none
  int64_t valid_end = 0;  // offset just after the last valid record
  int64_t file_size = 0;
  // Corrupt ranges passed over (each has a valid record after it). Bytes
  // in [valid_end, file_size) are a torn tail: nothing valid follows them.
  std::vector<BadRange> bad;
};

// Walks the records of the open segment `fd` (at `path`, for BadRange) from
// `offset` (a record boundary where `next_seq` is expected) to its end,
// resynchronising past corrupt records. Only I/O errors are errors.
Status scan_segment(Env* env, int fd, const std::string& path, int64_t offset, int64_t next_seq,
                    SegmentScan* out);

// What check_stream() found in a whole stream.
struct StreamCheck {
  int64_t segments = 0;
  int64_t records = 0;        // valid records
  int64_t bytes = 0;          // segment bytes
  int64_t first_seq = 0;      // oldest retained seq
  int64_t next_seq = 0;       // seq the next append gets
  std::vector<BadRange> bad;  // corruption, oldest first
  int64_t torn_bytes = 0;     // torn tail of the newest segment (not corrupt)
  bool ok() const { return bad.empty(); }
};

// Reads every record of the stream in `stream_dir` and verifies it: CRCs,
// seq continuity within and across segments, segment headers. Bad records
// are listed, not errors; kNotFound when the stream does not exist.
Result<StreamCheck> check_stream(Env* env, const std::string& stream_dir);

// ---------------------------------------------------------------- writer

struct WriterOptions {
  Env* env = Env::Default();
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  Millis fsync_interval{1000};
  // The settings of a stream this writer creates.
  StreamSettings create_settings;
  // Which of create_settings also change an existing stream: its meta is
  // rewritten (atomically, under the stream lock) and each change reported
  // with warn(). A new segment size applies from the next segment, a new
  // retention at the next roll; writers already open keep what they read.
  bool change_segment_bytes = false;
  bool change_retention = false;
  // The shard this writer appends to (< the stream's shard count).
  int32_t shard = 0;
  // create_settings.shards was asked for: an existing stream with another
  // count is refused (kInvalidArgument) instead of kept.
  bool require_shards = false;
};

// Appends batches of records to one stream. Records are serialized by add()
// into one reusable buffer; write_batch() writes it with a single pwritev
// under the stream lock (more only when the batch crosses a segment roll).
class LogWriter {
 public:
  // Opens (creating if needed, with mkdir -p, with all its shards) the
  // stream directory and the directory of opts.shard, takes the shard's
  // lock once to repair a torn tail. kCannotCreate/kPermissionDenied name
  // the path that could not be created; kInvalidArgument when opts.shard is
  // not below the stream's shard count, or the count differs from
  // create_settings.shards under require_shards.
  static Result<std::unique_ptr<LogWriter>> Open(const std::string& stream_dir,
                                                 const WriterOptions& opts);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Serializes `m` into the batch buffer. No I/O. Its seq and timestamp
  // are assigned when the batch is written: timestamps are append time
  // (Env::now_us() under the lock, clamped to be non-decreasing), so
  // m.ts_us is not kept. kInvalidArgument when the record would exceed
  // kMaxRecordBytes.
  Status add(const Message& m);
  size_t batch_bytes() const { return batch_.size(); }
  size_t batch_records() const { return offsets_.size(); }

  // Writes the batch (no-op when empty) and applies the fsync policy.
  // On success *first_seq (optional) gets the seq of its first record. On
  // failure nothing of the batch stays in the log (it is truncated away
  // under the lock) and the batch is dropped. Either way the buffer is
  // empty afterwards.
  Status write_batch(int64_t* first_seq = nullptr);
  // Makes everything written so far durable now: fdatasync of the active
  // segment and of segments rolled past since the last sync, and of the
  // directory when segments were created. A failed sync sticks: records
  // written before it may be lost whatever a later sync says, so every
  // later sync(), maybe_sync() and write_batch() fails with its error
  // (the batch is dropped, as on any failure).
  Status sync();
  // sync() when the interval policy says one is due.
  Status maybe_sync();

  // Whether Open() created the stream (wrote its meta) rather than
  // finding it.
  bool created() const { return created_; }
  // Undoes the creation after a failed run: when Open() created the stream
  // and, under the locks, none of its shards holds a record, a consumer
  // group or anything else, removes it (and the parent directories Open()
  // made). Otherwise (someone else wrote or joined meanwhile) leaves it be.
  // The writer must not be used afterwards; other writers of the stream
  // must not be used either when it was removed.
  void remove_if_unused();

  // The next seq as of this writer's last look at the tail.
  int64_t next_seq() const { return next_seq_; }
  const StreamSettings& settings() const { return settings_; }
  // The shard's directory (the stream's, for one shard).
  const std::string& dir() const { return dir_; }

 private:
  LogWriter(std::string dir, const WriterOptions& opts);
  Status init();
  Status create_or_read_locked();
  bool shard_unused(const std::string& dir);
  Status change_settings_locked();
  Status sync_tail_locked();
  Status skip_seqs_groups_read_locked();
  Status open_segment_locked(int64_t base, bool create);
  Status roll_locked();
  void apply_retention_locked();
  Status write_locked(int64_t* first_seq);

  std::string stream_dir_;
  std::string dir_;  // the shard's
  WriterOptions opts_;
  Env* env_;
  StreamSettings settings_;
  bool created_ = false;
  std::string first_made_dir_;  // outermost directory Open() created
  UniqueFd lock_fd_;
  UniqueFd seg_fd_;
  int64_t seg_base_ = -1;
  int64_t seg_size_ = 0;  // cached size of the active segment
  int64_t next_seq_ = 0;
  int64_t last_ts_ = 0;
  bool unsynced_ = false;                  // the active segment has unsynced appends
  bool dir_unsynced_ = false;              // a segment was created since the last sync
  bool warned_corrupt_ = false;            // corruption in the newest segment was reported
  std::vector<UniqueFd> sealed_unsynced_;  // rolled past, not yet synced
  int64_t last_sync_us_ = 0;
  Status sync_error_;  // the first failed sync(), returned from then on
  std::string batch_;
  std::vector<uint32_t> offsets_;  // start of each record in batch_
};

// ---------------------------------------------------------------- reader

// What a reader does at a corrupt record (see BadRange).
enum class OnCorrupt {
  kFail,  // read() returns kBadData naming it (after the records before it)
  kSkip,  // resynchronise at the next valid record, warn() and count it
};

struct ReaderOptions {
  Env* env = Env::Default();
  size_t read_chunk = 1 << 20;  // bytes per read; a larger record grows it
  OnCorrupt on_corrupt = OnCorrupt::kFail;
  int32_t shard = 0;  // goes into Message.shard of every view
};

// Reads one stream from any position, following it as it grows. Batches are
// views into one reusable buffer, valid until the next read()/seek().
//
// Bytes that do not parse at the end of the newest segment are a record
// still being written or a torn tail: the reader waits for them. Bad bytes
// with a valid record (or a later segment) after them are corruption: the
// reader confirms it under the writers' lock, then fails or skips as
// ReaderOptions::on_corrupt says. Corruption wholly before the requested
// position (seek by seq or time, a group's committed seq) is passed over
// silently, since none of it was asked for.
class LogReader {
 public:
  // Reads the shard in `dir` (see shard_dir()). `stream_name` goes into
  // Message.stream of every view. kNotFound ("stream 'x' does not exist in
  // 'dir'") when the directory is missing.
  static Result<std::unique_ptr<LogReader>> Open(const std::string& stream_dir,
                                                 std::string stream_name,
                                                 const ReaderOptions& opts = {});
  ~LogReader();
  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  // Positions the reader. kSeq beyond the end waits for that seq; before
  // the first retained record starts at the first one.
  Status seek(const StartPosition& pos);
  // Positions at `seq`; *lost (optional) gets how many records before the
  // first retained one were asked for but are gone.
  Status seek_to_seq(int64_t seq, int64_t* lost = nullptr);

  // Appends up to `max` messages to `out`. *at_end is set when no complete
  // record follows right now (the caller waits for a change). With
  // OnCorrupt::kFail, kBadData names the stream, segment, offset and last
  // good seq of a corrupt record, once every record before it was returned.
  Status read(std::vector<Message>* out, size_t max, bool* at_end);

  // Seq of the next message read() will return.
  int64_t position() const { return want_seq_ > next_seq_ ? want_seq_ : next_seq_; }
  // First retained seq and the next seq to be written (a fresh look).
  Status bounds(int64_t* first, int64_t* end);
  const std::string& name() const { return name_; }
  const std::string& dir() const { return dir_; }
  // Corrupt ranges skipped under OnCorrupt::kSkip, oldest first.
  const std::vector<BadRange>& skipped() const { return skipped_; }
  // Records lost in them that were asked for.
  int64_t skipped_records() const { return skipped_records_; }

 private:
  LogReader(std::string dir, std::string name, const ReaderOptions& opts);
  enum class Parse { kFull, kNeedData };
  Parse parse_buffer(std::vector<Message>* out, size_t first, size_t max);
  Status refill();
  Status select_segment();
  Status open_segment(int64_t base);
  Status first_ts_of(int64_t base, int64_t* ts);
  Result<int64_t> later_segment();
  Status relock_and_refill();
  Status pass_bad_range(const BadRange& bad, int64_t resume_ts);

  std::string dir_;
  std::string name_;
  ReaderOptions opts_;
  Env* env_;
  UniqueFd fd_;
  int64_t seg_base_ = -1;
  std::string seg_path_;
  bool reading_ = false;   // a segment was opened since the last seek
  int64_t offset_ = 0;     // file offset of the next record to parse
  int64_t next_seq_ = 0;   // seq expected at offset_
  int64_t want_seq_ = 0;   // skip records below this seq
  int64_t want_ts_ = -1;   // skip records below this timestamp
  std::vector<char> buf_;  // file bytes [buf_off_, buf_off_ + buf_len_)
  int64_t buf_off_ = 0;
  size_t buf_len_ = 0;
  size_t need_ = 0;  // size of the record parse_buffer() stopped at
  std::vector<Header> headers_;
  std::vector<uint32_t> header_begin_;
  std::vector<BadRange> skipped_;
  int64_t skipped_records_ = 0;
};

// Waits for changes in stream directories: inotify when available, else
// polling every 10 ms. wake() makes a pending or the next wait() return.
class ChangeWaiter {
 public:
  // With `use_inotify` false (or when inotify is unavailable) it polls.
  static Result<std::unique_ptr<ChangeWaiter>> Create(bool use_inotify = true);
  ~ChangeWaiter();
  ChangeWaiter(const ChangeWaiter&) = delete;
  ChangeWaiter& operator=(const ChangeWaiter&) = delete;

  // Watches `dir` for created, written, moved and deleted files. Falls back
  // to polling (not an error) when the watch cannot be added.
  void watch(const std::string& dir);

  enum class Event { kChanged, kWoken, kTimedOut };
  // kChanged may be spurious; callers re-check the files.
  Event wait(Millis timeout);
  // Async-signal-safe.
  void wake();
  bool polling() const { return polling_; }

 private:
  ChangeWaiter() = default;
  UniqueFd inotify_fd_;
  UniqueFd wake_fd_;  // eventfd
  bool polling_ = false;
};

// ---------------------------------------------------------------- groups

// kInvalidArgument for a group name that is empty, holds '/' or NUL, or
// starts with '.' (the files of a group are named after it).
Status check_group_name(std::string_view group);

// The member files of a group in `members_dir` (groups/.NAME.members) whose
// lock is held, sorted (oldest first), never `self` (whose lock this
// process holds). With `remove_dead`, files whose lock is free (their
// member died) are removed on the way.
Result<std::vector<std::string>> probe_group_members(Env* env, const std::string& members_dir,
                                                     std::string_view self, bool remove_dead);

// The committed position of a consumer group on one shard (in the shard's
// directory, see shard_dir()). One member owns a shard at a time: Join()
// holds a non-blocking flock on the group's lock in that shard until
// destruction.
class ConsumerGroup {
 public:
  // kTryAgain ("group 'g' of stream 's' is in use by another process") when
  // another member owns the shard; kInvalidArgument for names with '/' or a
  // leading '.'.
  static Result<std::unique_ptr<ConsumerGroup>> Join(Env* env, const std::string& stream_dir,
                                                     std::string_view stream,
                                                     std::string_view group);
  ~ConsumerGroup();
  ConsumerGroup(const ConsumerGroup&) = delete;
  ConsumerGroup& operator=(const ConsumerGroup&) = delete;

  // Committed next seq, or -1 when nothing was committed yet.
  Result<int64_t> load();
  // Durably stores `next_seq` (temp file, fsync, rename, fsync dir).
  Status store(int64_t next_seq);

  // Committed next seq of `group` without joining it; -1 when none.
  static Result<int64_t> ReadCommitted(Env* env, const std::string& stream_dir,
                                       std::string_view group);
  // Names of the groups of a stream.
  static Result<std::vector<std::string>> List(Env* env, const std::string& stream_dir);

 private:
  ConsumerGroup(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  Env* env_;
  std::string path_;
  UniqueFd lock_fd_;
};

// The live members of a consumer group on one stream, and which shards each
// owns. A member keeps a file in D/S/groups/.NAME.members/ and holds an
// flock on it while it lives; the kernel drops the lock when the process
// dies (kill -9 included), which is how the others learn of it. Every
// member computes the same assignment from the same list: members are named
// by their join time, and shard k goes to the (k mod M)-th of the M live
// members, so a member that joins takes shards from the others. What makes
// ownership exclusive, whatever a member's view of the list, is the
// ConsumerGroup lock of each shard: a member hands a shard over by
// committing and then closing its ConsumerGroup.
class GroupMembership {
 public:
  // Registers a new member. kInvalidArgument for a bad group name.
  static Result<std::unique_ptr<GroupMembership>> Join(Env* env, const std::string& stream_dir,
                                                       std::string_view group);
  // Leaves: removes the member file.
  ~GroupMembership();
  GroupMembership(const GroupMembership&) = delete;
  GroupMembership& operator=(const GroupMembership&) = delete;

  // The live members, oldest first, this one included. Files of dead
  // members are removed on the way.
  Result<std::vector<std::string>> members();
  // Whether the member files differ from those members() saw: a cheap look
  // (one directory listing, no lock probed) that shows joins and clean
  // leaves at once; a dead member shows only in members().
  bool changed();
  const std::string& id() const { return id_; }
  // The directory of member files (watch it to learn of joins).
  const std::string& dir() const { return dir_; }

  // The shards of `shards` that the member at `index` of `count` owns.
  static std::vector<int32_t> assign(int32_t shards, size_t index, size_t count);

 private:
  GroupMembership(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}
  Env* env_;
  std::string dir_;
  std::string id_;
  UniqueFd fd_;
  std::vector<std::string> seen_;  // the member files members() saw, sorted
};

// ---------------------------------------------------------------- admin

// Live members of `group` on the stream in `stream_dir` (member files whose
// lock is held; a dead member's file is left alone), oldest first.
Result<std::vector<std::string>> live_group_members(Env* env, const std::string& stream_dir,
                                                    std::string_view group);

// The seq a reader of the shard in `dir` positioned at `pos` reads next
// (for a time: the first record at or after it, else the end).
Result<int64_t> resolve_position(Env* env, const std::string& dir, std::string_view name,
                                 const StartPosition& pos);

// Deletes the stream in `stream_dir`: every shard, group and setting. It
// takes the writers' locks first, so no batch is half-deleted.
Status remove_stream(Env* env, const std::string& stream_dir);

// What trim_shard() dropped: the oldest seq before and after (-1 when the
// shard holds nothing), the seqs between them, the whole segments and
// their bytes.
struct ShardTrimReport {
  int64_t first_before = -1;
  int64_t first_after = -1;
  int64_t end = 0;  // the seq of the next record appended
  int64_t segments = 0;
  int64_t bytes = 0;
};

// Drops the sealed segments of the shard in `dir` whose every record is
// before `keep_from` (resolve_position()), oldest first, under the shard's
// writer lock. The active (newest) segment is never dropped, nor any
// segment holding a record at or after the position: a trim never cuts a
// record and may keep some before the position.
Result<ShardTrimReport> trim_shard(Env* env, const std::string& dir, std::string_view name,
                                   const StartPosition& keep_from);

// Changes the retention kept in the meta of the stream in `stream_dir`
// (atomically, under the stream's writer lock); a running writer applies
// it when it next opens the stream.
Status set_retention(Env* env, const std::string& stream_dir, bool set_ms, int64_t retention_ms,
                     bool set_bytes, int64_t retention_bytes);

// ---------------------------------------------------------------- describe

// Bounds and size of each shard, and the groups of the stream in
// `stream_dir` with their committed seq per shard.
Result<StreamInfo> describe_stream(Env* env, const std::string& stream_dir, std::string_view name);

}  // namespace sluice::filelog
