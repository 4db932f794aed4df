// The cdc-pg engine (see sluice/cdc_pg.h), private to lib. One run of
// PgCdc goes through phases that live in their own files:
//   pg_conn.cpp      libpq connections and queries (PgClient)
//   pg_slot.cpp      server checks, publication, tables, replication slot
//                    and the snapshot marker
//   pg_snapshot.cpp  the initial snapshot
//   pg_changes.cpp   pgoutput messages to change events (ChangeEmitter)
//   pg_streamed.cpp  transactions streamed in progress, spilled to disk
//                    (StreamedTransactions, pg_streamed.h)
//   pg_stream.cpp    the streaming loop, confirmation and reconnects
// Not thread-safe: one run per thread.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cdc/pg_conn.h"
#include "cdc/pg_streamed.h"
#include "cdc/pg_values.h"
#include "cdc/pgoutput.h"
#include "cdc/snapshot_marker.h"
#include "cdc/spill_file.h"
#include "sluice/cdc.h"
#include "sluice/cdc_pg.h"

namespace sluice::pg {

using Clock = std::chrono::steady_clock;

class PgCdc final : private ChangeHandler {
 public:
  PgCdc(const PgCdcOptions& o, CdcSink& sink, RunStats& stats)
      : o_(o),
        sink_(sink),
        stats_(stats),
        client_(o.conninfo, o.timeout),
        emitter_(sink, source_, stats, o.env, o.events),
        streamed_(o.env, *this, emitter_, source_, decoder_, sink) {}

  Status run();

 private:
  // ---- pg_slot.cpp: server, publication, tables, slot
  // repl_ = a new replication connection, checked with IDENTIFY_SYSTEM.
  Status connect_replication();
  Status check_server();
  Status ensure_publication();
  Status check_tables();
  // A table without a primary key or replica identity is captured (inserts,
  // null key) and never blocks the run: one warning per table and run.
  void warn_no_identity(const std::string& schema, const std::string& table);
  void check_identity(const pg::PgRelation& rel);
  const std::vector<bool>& key_columns(const pg::PgRelation& rel);
  bool wanted(const pg::PgRelation& rel) const;
  Status prepare_slot(bool* created, std::string* snapshot_name, uint64_t* start_lsn);
  Status prepare_slot_waiting(bool* created, std::string* snapshot_name, uint64_t* start_lsn);
  // The file whose existence says "the snapshot of this slot is not yet
  // delivered" (under SLUICE_STATE_DIR, else $XDG_STATE_HOME/sluice).
  pg::SnapshotMarker snapshot_marker() const {
    return pg::SnapshotMarker(o_.env, client_.server(), o_.slot);
  }
  Status write_snapshot_marker();
  Status finish_snapshot();
  // Drops the slot of a snapshot that will not be delivered (best effort;
  // the marker covers the rest).
  void abandon_snapshot();

  // ---- pg_snapshot.cpp
  Status snapshot(const std::string& snapshot_name, uint64_t lsn);
  Status snapshot_position(PGconn* c, uint64_t* xid, uint64_t* lsn);
  // Locks the snapshot's tables (ACCESS SHARE) and checks that none was
  // truncated since the slot's snapshot (then kTryAgain, snapshot_raced_).
  Status lock_snapshot_tables(PGconn* c);

  // ---- pg_changes.cpp
  Status handle_xlog(std::string_view data, uint64_t data_start);
  Status handle_message(uint64_t data_start);
  // ChangeHandler: a row change (or Relation) message, emitted through
  // `out` with the position in `src`; `dec` knows the relations.
  Status handle_change(const pg::PgMessage& m, uint64_t data_start, ChangeEmitter& out,
                       pg::PgSourceWriter& src, const pg::PgOutputDecoder& dec) override;
  void relations_replaced() override { keys_.clear(); }
  void begin_tx(uint32_t xid, uint64_t final_lsn, int64_t ts_us);
  Status commit_tx(uint64_t end_lsn, int64_t ts_us);

  // Stream Commit: the streamed transaction's changes, emitted.
  Status stream_commit();

  // ---- pg_stream.cpp
  Status stream(uint64_t start_lsn);
  // stream(), and after a lost server: reconnect with backoff and resume
  // from the slot until stopped or an error that is not a lost server.
  Status stream_reconnecting(uint64_t start_lsn);
  Status resume();
  void reset_session();
  bool stopped() const { return o_.stop && *o_.stop; }
  void advance_confirmed();
  Status send_status(bool reply_requested);

  const PgCdcOptions& o_;
  CdcSink& sink_;
  RunStats& stats_;
  pg::PgClient client_;
  pg::ConnPtr aux_;   // normal connection: checks, catalog, snapshot
  pg::ConnPtr repl_;  // replication connection
  std::string db_;
  std::vector<std::pair<std::string, std::string>> tables_;  // published+wanted
  bool publication_all_tables_ = false;

  pg::PgOutputDecoder decoder_;
  pg::PgMessage msg_;
  std::string tx_id_;  // "xid:lsn", with transaction markers
  debezium::Row before_row_, after_row_;
  pg::PgSourceWriter source_;  // the position of the event being emitted
  ChangeEmitter emitter_;
  std::unordered_map<uint32_t, std::vector<bool>> keys_;
  std::set<std::string> no_identity_warned_;  // schema.table

  uint64_t last_commit_lsn_ = 0;

  bool streaming_ = false;  // the server streams large transactions in progress
  StreamedTransactions streamed_;
  int proto_version_ = 1;
  int server_version_ = 0;

  // Confirmation state.
  uint64_t confirmed_ = 0;
  uint64_t server_wal_end_ = 0;
  uint64_t sent_confirmed_ = 0;
  Clock::time_point last_status_{};
  bool source_lost_ = false;     // the last stream() ended by losing the server
  bool resumed_ = false;         // stream() runs again after a reconnect
  bool snapshot_raced_ = false;  // a TRUNCATE beat the snapshot's locks
};

}  // namespace sluice::pg
