// The producer/consumer contract every backend implements (file, kafka,
// redis, stdio). A tool opens a Producer or Consumer from a StreamUri and
// never learns which backend it talks to.
//
// Delivery model (at-least-once): a Producer hands out increasing tickets,
// one per produce() call, and reports through acknowledged() the highest
// ticket T such that every ticket <= T has been durably taken by the backend
// (file: written + fsync policy; kafka: delivery report; redis: XADD reply)
// or has failed (failures go to the DeliveryListener first). CDC tools hold a
// source position until acknowledged() passes the ticket of its last event.
//
// A Consumer hands out batches of Message views. The sink (a tool) tells the
// consumer what it has durably taken with mark_taken(); only taken messages
// are ever committed to the consumer group. commit() makes marks durable.
//
// Thread safety: a Producer or Consumer is used from one thread at a time.
// DeliveryListener callbacks run on the thread that calls poll()/flush().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sluice/message.h"
#include "sluice/status.h"
#include "sluice/uri.h"

namespace sluice {

using Millis = std::chrono::milliseconds;

// ---------------------------------------------------------------- producer

enum class FsyncPolicy { kAlways, kInterval, kNever };

struct ProducerOptions {
  // file: fsync after every batch (always), at most every fsync_interval
  // (interval, the default), or never (leave it to the OS).
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  Millis fsync_interval{1000};
  // file: the settings of a stream the producer creates; kept in its
  // metadata. An existing stream keeps its own unless the matching
  // change_* is set: then its metadata is changed, and the change
  // reported with warn().
  int64_t segment_bytes = 64ll << 20;
  int64_t retention_bytes = -1;  // -1 = unlimited
  int64_t retention_ms = -1;     // -1 = unlimited
  bool change_segment_bytes = false;
  bool change_retention = false;
  // file: the shard count of a stream the producer creates (0 = 1). When
  // set, an existing stream with another count is refused
  // (kInvalidArgument); a stream never changes its count. A keyed record
  // goes to the shard Kafka's murmur2 partitioner picks, a keyless one to
  // the shard of the current batch (each batch to the next shard).
  int32_t shards = 0;
  // How long flush()/connect may wait for a backend before giving up.
  Millis timeout{30000};
};

// Called once per failed ticket, on the thread that polls.
using DeliveryListener = std::function<void(uint64_t ticket, const Status&)>;

class Producer {
 public:
  virtual ~Producer() = default;
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues `m` (stream empty = the URI's first stream, shard -1 = choose by
  // key, ts_us 0 = now). The bytes are copied before return. May block while
  // the backend's in-flight window is full. On success `*ticket` (optional)
  // gets this record's ticket. An error here means the record was not
  // accepted (it gets no ticket).
  virtual Status produce(const Message& m, uint64_t* ticket = nullptr) = 0;

  // Serves delivery reports for up to `timeout`; returns early when the
  // acknowledged() watermark moved. Writes buffered records if needed.
  virtual Status poll(Millis timeout) = 0;

  // Sends everything queued and waits until acknowledged() == last ticket or
  // `timeout` passes (kTimedOut).
  virtual Status flush(Millis timeout) = 0;

  // Every ticket <= this is finished (delivered or failed and reported).
  virtual uint64_t acknowledged() const = 0;
  // Number of tickets that failed so far.
  virtual uint64_t failed() const = 0;

  void set_delivery_listener(DeliveryListener l) { listener_ = std::move(l); }

  // For a tool whose run failed: a stream that opening this producer
  // created, and that still holds nothing, is removed again, so a failed
  // run leaves no empty stream behind (a successful run of no records
  // keeps it, like touch). Call after flush(). Default: nothing (a
  // broker's topic is not the tool's to remove).
  virtual void discard_if_unused() {}

 protected:
  Producer() = default;
  DeliveryListener listener_;
};

// ---------------------------------------------------------------- consumer

// Where a consumer starts when it has no committed group offset.
struct StartPosition {
  enum class Kind {
    kBeginning,  // oldest retained message
    kEnd,        // only messages produced from now on
    kSeq,        // this exact sequence number (per shard)
    kFromEnd,    // the last `value` messages of each shard
    kTime,       // first message with ts >= value (microseconds)
  };
  Kind kind = Kind::kEnd;
  int64_t value = 0;
  // A native entry id ("1795747979255-1", as a redis stream has, as %i
  // prints), with kind kSeq: start at that entry, inclusive. Only a backend
  // with such ids takes it; open_consumer() refuses it elsewhere
  // (kInvalidArgument). `value` is unused then.
  std::string id;
};

// Parses "beginning|end|SEQ|ID|-N|@TIME" (ID: MS-N, a redis entry id; TIME:
// RFC 3339 or a relative age such as 30s, 5m, 2h, 1d). `now_us` anchors
// relative ages.
Result<StartPosition> parse_start_position(std::string_view text, int64_t now_us);

struct ConsumerOptions {
  StartPosition from;
  // Consumer group: resume from and commit to it. Empty = no group.
  std::string group;
  // This member's name in the group, where the backend names members (redis:
  // the consumer, instead of ?consumer= or HOSTNAME-PID; kafka: client.id).
  // Empty = the backend's default. The file log ignores it.
  std::string consumer;
  // Stop with kEndOfStream at the end of every shard instead of following.
  bool exit_at_end = false;
  // Upper bound on messages returned by one poll().
  size_t max_batch = 4096;
  // file: at a corrupt record, stop with kBadData once everything before it
  // was returned (false, the default), or skip it and resynchronise at the
  // next valid record (true; each skip is warned about and counted).
  bool skip_corrupt = false;
  // How long the work of a group member that died waits for the others;
  // 0 = the backend's default. file: its shards move within this long
  // (default 10 s); kafka: session.timeout.ms (heartbeats at a third of
  // it); redis: claim_idle_ms (default 30 s). URI parameters win.
  Millis session_timeout{0};
  Millis timeout{30000};
};

// A batch of views, valid until the next poll() or the consumer's
// destruction, whichever comes first.
struct MessageBatch {
  std::vector<Message> messages;
  void clear() { messages.clear(); }
  bool empty() const { return messages.empty(); }
  size_t size() const { return messages.size(); }
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Replaces `batch` with the next messages, waiting up to `timeout` for at
  // least one. Returns ok with an empty batch on timeout, kEndOfStream when
  // exit_at_end is set and every shard is drained.
  virtual Status poll(MessageBatch& batch, Millis timeout) = 0;

  // Records that the sink durably took `m` and everything before it on the
  // same (stream, shard). Cheap; no I/O.
  virtual void mark_taken(const Message& m) = 0;

  // Makes the marks durable in the consumer group (no-op without a group).
  virtual Status commit() = 0;

  // Makes poll() return promptly (ok, empty batch); safe from a signal
  // handler or another thread.
  virtual void wake() = 0;

  // Records passed over as corrupt (ConsumerOptions::skip_corrupt) so far.
  virtual uint64_t skipped() const { return 0; }

 protected:
  Consumer() = default;
};

// ------------------------------------------------------------- describe/top

struct ShardInfo {
  int32_t shard = 0;
  int64_t first_seq = -1;  // -1 = empty
  int64_t last_seq = -1;
  int64_t first_ts_us = 0;
  int64_t last_ts_us = 0;
  int64_t bytes = -1;  // stored size where the backend tells it (file:), else -1
};

// A member of a consumer group, where the backend names members (redis:
// XINFO CONSUMERS).
struct MemberInfo {
  std::string name;
  int64_t pending = 0;   // delivered to it, not yet acknowledged
  int64_t idle_ms = -1;  // since its last read or acknowledgement, -1 = unknown
};

struct GroupInfo {
  std::string name;
  // Committed next-seq per shard (index = shard), -1 = none committed.
  std::vector<int64_t> committed;
  int64_t lag = 0;  // messages between committed and the end, all shards
  // The timestamp (microseconds) of the oldest message the group has not
  // consumed, where the backend knows it without reading messages (redis:
  // from entry ids); 0 = not known here (top reads the message instead).
  int64_t oldest_unconsumed_ts_us = 0;
  // When the group last committed (microseconds), where the backend keeps
  // it (file: the newest offset file); -1 = not known.
  int64_t last_commit_us = -1;
  // Live members, where the backend names them (file: member ids;
  // redis: consumers); empty where it names none.
  std::vector<MemberInfo> members;
};

struct StreamInfo {
  std::string name;
  std::vector<ShardInfo> shards;
  int64_t bytes = -1;    // on-disk size where known, else -1
  int64_t messages = 0;  // retained messages, all shards
  // Messages ever appended, all shards, where seqs are not dense (redis:
  // entries-added); -1 = count appends from the growth of last_seq.
  int64_t appended = -1;
  std::vector<GroupInfo> groups;
  // Retention where the backend keeps it with the stream; -1 = none/unknown.
  int64_t retention_ms = -1;
  int64_t retention_bytes = -1;
  // False where the backend does not tell the retention (kafka: it would
  // take DescribeConfigs): the -1s above then mean "unknown".
  bool retention_known = true;
};

// The settings of a stream created ahead of use (streams create).
struct CreateOptions {
  int32_t shards = 1;
  int64_t segment_bytes = -1;       // -1 = the backend's default (file: 64M)
  int64_t retention_ms = -1;        // -1 = unlimited
  int64_t retention_bytes = -1;     // -1 = unlimited
  int32_t replication_factor = -1;  // kafka; -1 = the broker's default
};

// A change of a stream's retention (streams config): the fields whose
// set_* is true change; -1 = unlimited.
struct RetentionChange {
  bool set_ms = false;
  int64_t retention_ms = -1;
  bool set_bytes = false;
  int64_t retention_bytes = -1;
};

// One shard's oldest retained seq before and after a trim; -1 = empty.
struct ShardTrim {
  int32_t shard = 0;
  int64_t first_before = -1;
  int64_t first_after = -1;
  int64_t dropped = -1;        // records dropped; -1 = not known
  int64_t bytes_dropped = -1;  // where known (file: whole segments)
};

// One shard's committed position before and after a group reset; -1 = none.
struct ShardReset {
  int32_t shard = 0;
  int64_t before = -1;
  int64_t after = -1;
};

// What a full check of a stream's stored records found (file:).
struct CheckReport {
  int64_t segments = 0;
  int64_t records = 0;  // valid records
  int64_t bytes = 0;
  int64_t lost = 0;              // records in corrupt ranges
  std::vector<std::string> bad;  // one line per corrupt range, oldest first
  int64_t torn_bytes = 0;        // torn tails (not corruption)
};

// Administration of a cluster's streams (the streams tool, top). Every
// operation a backend lacks returns kInvalidArgument naming it.
class Admin {
 public:
  virtual ~Admin() = default;
  // Lists the streams of the cluster (or just `only` when not empty), with
  // shard bounds and groups.
  virtual Result<std::vector<StreamInfo>> describe(const std::vector<std::string>& only) = 0;

  // Creates `stream` with `opts`; kInvalidArgument when it exists already.
  virtual Status create(const std::string& stream, const CreateOptions& opts);
  // Deletes `stream` and everything in it (records, groups).
  virtual Status remove(const std::string& stream);
  // Moves `group` on `stream` so that it next reads at `to` on every shard
  // (kSeq: that seq; kTime: the first record at or after it; kFromEnd: the
  // last N). With dry_run nothing changes. kTryAgain naming a live member
  // while the group has one, unless `force`.
  virtual Result<std::vector<ShardReset>> reset_group(const std::string& group,
                                                      const std::string& stream,
                                                      const StartPosition& to, bool dry_run,
                                                      bool force);
  // Reads and verifies every stored record of `stream`.
  virtual Result<CheckReport> check(const std::string& stream);
  // Drops the records of `stream` before `keep_from` now, on every shard
  // (kSeq: records before that seq; kTime: before the first record at or
  // after it; kFromEnd: all but the last N). Never drops part of a record;
  // file: drops whole sealed segments only, so a shard may keep some
  // records before `keep_from`. kBeginning drops nothing; kEnd everything
  // the backend can drop.
  virtual Result<std::vector<ShardTrim>> trim(const std::string& stream,
                                              const StartPosition& keep_from);
  // Changes the retention of `stream` (see RetentionChange); describe()
  // shows it.
  virtual Status configure(const std::string& stream, const RetentionChange& change);

  // Groups to describe besides those the cluster lists, for a cluster that
  // cannot list them (librdkafka's mock cluster). Default: ignored (the
  // backend lists every group itself).
  virtual void watch_groups(const std::vector<std::string>& names) { (void)names; }
  // Fills GroupInfo::oldest_unconsumed_ts_us of the lagging groups of
  // `streams` where it is still 0, reading the message at each group's
  // position, for at most `budget`; what is left stays 0. For a backend
  // that can read many positions at once (kafka: one assignment of every
  // lagging partition). Default: nothing (top reads with a Consumer).
  virtual void read_oldest_unconsumed(std::vector<StreamInfo>& streams, Millis budget) {
    (void)streams;
    (void)budget;
  }
  // Fills ShardInfo::last_ts_us where describe() left it 0 though the
  // shard holds messages, reading the latest message, for at most
  // `budget`; what is left stays 0. Default: nothing (describe() gives it).
  virtual void read_latest_times(std::vector<StreamInfo>& streams, Millis budget) {
    (void)streams;
    (void)budget;
  }
  // Fills what describe() leaves out because it takes more requests, for
  // the streams tool: kafka's retention (DescribeConfigs) and the first
  // and last record times of each shard (reading those records), for at
  // most `budget`. What could not be read stays unknown (retention_known
  // false, times 0); the Status then says why, as a warning. Default:
  // nothing (describe() gives it all).
  virtual Status read_details(std::vector<StreamInfo>& streams, Millis budget) {
    (void)streams;
    (void)budget;
    return Status::Ok();
  }
};

// ------------------------------------------------------------------ factory

Result<std::unique_ptr<Producer>> open_producer(const StreamUri& uri, const ProducerOptions& opts);
Result<std::unique_ptr<Consumer>> open_consumer(const StreamUri& uri, const ConsumerOptions& opts);
Result<std::unique_ptr<Admin>> open_admin(const StreamUri& cluster);

}  // namespace sluice
