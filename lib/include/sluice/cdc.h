// The change-data-capture contract every connector shares (cdc-pg,
// cdc-mysql, ...): where change events go (CdcSink, with per-table routing
// by {db}, {schema}, {table}) and how a run begins (SnapshotMode).
//
// A connector reads its source, types each row change's values into
// debezium::Row images and hands them to a ChangeEmitter, which applies
// the rules every connector shares (transaction markers, tombstones, a
// primary-key change as delete + create, the snapshot's "last") and writes
// Debezium-compatible events (sluice/debezium.h) to the sink. The sink says,
// through tickets, which events are acknowledged, so that a source position
// (a WAL LSN, a binlog position) is confirmed only once every event before
// it is safe. Not thread-safe: one run per thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/backend.h"
#include "sluice/debezium.h"
#include "sluice/env.h"
#include "sluice/stats.h"
#include "sluice/status.h"

namespace sluice {

// What a change event is about, for routing by {db}, {schema}, {table}.
// Transaction markers have `transaction` set and empty schema/table.
struct CdcRoute {
  std::string_view db;
  std::string_view schema;
  std::string_view table;
  bool transaction = false;
};

// Where change events go. A sink hands out increasing tickets (one per
// emit) and reports through acknowledged() the highest ticket T such that
// every event up to T was durably taken (stdout: OutputSink::taken, read
// by the reader of a pipe or written to a file, as for every stdout in
// sluice; a stream: acknowledged by its backend).
class CdcSink {
 public:
  virtual ~CdcSink() = default;
  CdcSink(const CdcSink&) = delete;
  CdcSink& operator=(const CdcSink&) = delete;

  // Queues one event (the bytes are copied); a value of nullopt is a
  // tombstone (Kafka's null value; "null" on stdout). kClosed when the
  // reader of stdout went away.
  virtual Status emit(const CdcRoute& route, std::optional<std::string_view> key,
                      std::optional<std::string_view> value, uint64_t* ticket) = 0;
  // Pushes queued events out without waiting long; serves acknowledgements.
  virtual Status poll(Millis timeout) = 0;
  // Waits until every emitted event is acknowledged (kTimedOut after
  // `timeout`; kTryAgain when the stop flag interrupts a wait).
  virtual Status flush(Millis timeout) = 0;
  virtual uint64_t acknowledged() = 0;
  // The first delivery failure reported by the backend, or ok.
  virtual Status error() const = 0;
  // True when events go to a stream as keyed messages (where tombstones
  // let log compaction drop a deleted key), false for stdout.
  virtual bool keyed_stream() const = 0;

 protected:
  CdcSink() = default;
};

// Appends `value` (a database, schema or table name) to `out` as part of a
// stream name: each character other than [A-Za-z0-9._-] becomes one '_', as
// Debezium's TopicNamingStrategy does, so the name is valid for every
// backend (a Kafka topic, a file: stream with no '/', a Redis key).
void append_stream_name_part(std::string_view value, std::string& out);

// Opens the sink for DESTINATION: "-" or "stdio:" = stdout (one event value
// per line, or {"key":...,"value":...} with `with_key`); any other stream
// URI = a producer, whose stream name may hold {db}, {schema}, {table}
// placeholders expanded per event (through append_stream_name_part; a
// table whose name changes so is named in a warning, once). The producer
// is opened on the first event (so a routed URI never creates a stream
// named by the template).
Result<std::unique_ptr<CdcSink>> open_cdc_sink(std::string_view destination, bool with_key,
                                               const ProducerOptions& opts);

enum class SnapshotMode {
  kInitial,     // snapshot when the run starts with no source position of
                // its own (cdc-pg: creates its slot), then stream
  kNever,       // stream only
  kOnly,        // snapshot, then exit (no source position is kept)
  kWhenNeeded,  // also snapshot when the kept position is no longer usable
                // (cdc-pg: as initial, it keeps no offsets besides the slot)
};

// A table, as the source names it (MySQL: schema = the database).
struct TableId {
  std::string_view schema;
  std::string_view table;
};

// Where a ChangeEmitter built on it puts its events instead of a sink: a
// connector's holding place for events formatted before their transaction
// committed (cdc-pg spills a streamed transaction's events to a file and
// completes them with debezium::append_completed at its commit).
class EventTarget {
 public:
  virtual ~EventTarget() = default;
  // One event: `deferred` says where its commit-time fields are.
  virtual Status put(const CdcRoute& route, std::optional<std::string_view> key,
                     std::string_view value, const debezium::DeferredFields& deferred) = 0;
};

struct ChangeEmitterOptions {
  // Debezium's transaction metadata: BEGIN/END events (routed as
  // CdcRoute::transaction) and each event's "transaction" block.
  bool tx_markers = false;
  // After each delete (and primary-key change), a tombstone: the same key
  // with a null value, as Debezium's tombstones.on.delete. Only when the
  // sink is a keyed stream (never on stdout).
  bool tombstones = true;
};

// Turns a connector's row changes into events, by the rules every
// connector shares, and tracks which source positions may be confirmed.
//
// A connector calls begin(), then change()/update()/truncate() for each
// change, then commit() with the source position that the transaction's
// end stands for; advance() then says how far the position may be
// confirmed to the source: only as far as the sink acknowledged every
// event before it. A snapshot is begin_snapshot(), snapshot_row() per row,
// end_snapshot(): one event of look-ahead lets the very last one say
// "last". The connector's SourceWriter is called for each event formatted,
// so the connector sets its position (LSN, txId...) before each call.
class ChangeEmitter {
 public:
  // Events go to `sink`. `source` and `stats` are not owned; `env` gives
  // the processing time (ts_ms).
  ChangeEmitter(CdcSink& sink, debezium::SourceWriter& source, RunStats& stats, Env* env,
                ChangeEmitterOptions opts);
  // Events go to `target`, formatted with their commit-time fields marked;
  // no transaction markers, tombstones or tickets.
  ChangeEmitter(EventTarget& target, debezium::SourceWriter& source, Env* env);
  ChangeEmitter(const ChangeEmitter&) = delete;
  ChangeEmitter& operator=(const ChangeEmitter&) = delete;

  // The source block's constant part (its db is every event's {db}).
  void set_info(debezium::SourceInfo info) { info_ = std::move(info); }
  const debezium::SourceInfo& info() const { return info_; }
  const ChangeEmitterOptions& options() const { return opts_; }

  // ---- transactions
  // Starts a transaction committed at `commit_ts_us` (source.ts_ms).
  // `tx_id` names it in transaction markers (PostgreSQL "xid:lsn", MySQL
  // the GTID); only read with tx_markers.
  void begin(std::string_view tx_id, int64_t commit_ts_us);
  bool in_transaction() const { return in_tx_; }
  // op 'c' (after), 'd' (before) or 'u'. A delete is followed by a
  // tombstone on a keyed stream.
  Status change(char op, TableId table, const debezium::Row* before, const debezium::Row* after);
  // An update. `old_key` is the row holding the old key when the source
  // sent one (else null: the key did not change); when its key differs from
  // `after`'s, the update becomes a delete of the old key (before =
  // `old_key`) and a create (before = `before`), as Debezium does.
  Status update(TableId table, const debezium::Row* before, const debezium::Row* old_key,
                const debezium::Row& after);
  Status truncate(TableId table);
  // Ends the transaction (its END marker when it had events). `position`
  // is the connector's (an LSN, or an index into its own table of
  // positions): advance() reports it once every event so far is
  // acknowledged.
  Status commit(int64_t commit_ts_us, uint64_t position);
  // Forgets an open transaction (a lost connection: the source sends it
  // again).
  void abandon();

  // ---- snapshot
  void begin_snapshot();
  // One row (op "r") read at `started_us` (source.ts_ms).
  Status snapshot_row(TableId table, const debezium::Row& row, int64_t started_us);
  // Emits the held last row, marked "last".
  Status end_snapshot();

  // ---- events formatted ahead of their commit, emitted at the commit
  // (events completed by debezium::append_completed). No tombstones.
  Status emit_completed(const CdcRoute& route, std::optional<std::string_view> key,
                        std::string_view value);

  // ---- confirmation
  // Raises *confirmed to the highest committed position whose events are
  // all acknowledged. Returns true when every event emitted is.
  bool advance(uint64_t* confirmed);
  uint64_t last_ticket() const { return last_ticket_; }

 private:
  Status emit(char op, TableId table, const debezium::Row* before, const debezium::Row* after);
  Status put(const CdcRoute& route, bool has_key, std::optional<std::string_view> value);
  Status release_held(bool last);

  CdcSink* sink_ = nullptr;
  EventTarget* target_ = nullptr;
  debezium::SourceWriter& source_;
  RunStats* stats_ = nullptr;
  Env* env_;
  ChangeEmitterOptions opts_;
  debezium::SourceInfo info_;
  std::string value_, key_;

  bool in_tx_ = false;
  std::string tx_id_;
  int64_t tx_ts_us_ = 0;
  uint64_t tx_order_ = 0;
  std::map<std::string, uint64_t> tx_collections_;
  bool tx_begun_marker_ = false;

  // Snapshot look-ahead.
  bool held_ = false, held_has_key_ = false;
  size_t held_snap_at_ = std::string::npos;
  std::string held_value_, held_key_, held_db_, held_schema_, held_table_;

  uint64_t last_ticket_ = 0;
  std::deque<std::pair<uint64_t, uint64_t>> pending_;  // (position, ticket)
};

}  // namespace sluice
