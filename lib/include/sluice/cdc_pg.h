// PostgreSQL change data capture: a logical replication client (libpq,
// pgoutput) that types row changes into debezium::Row images and hands
// them to the shared ChangeEmitter (sluice/cdc.h), which writes
// Debezium-compatible events to a CdcSink (stdout or any stream URI).
// Only what is PostgreSQL's lives here; the implementation is in
// lib/src/cdc/pg_*.
//
// Flow: check the server (wal_level, REPLICATION privilege, publication;
// a published table without a primary key or replica identity is captured,
// inserts only with a null key, after a warning), create the replication slot
// when missing (exporting a snapshot), copy the tables from that snapshot
// on a second connection (op "r"), then stream from the slot.
//
// Snapshot (kill -9 safe): it is read from the new slot's exported
// snapshot; a marker file (SLUICE_STATE_DIR) exists from before the slot is
// made until the sink took every snapshot row, so a run that finds the slot
// and the marker knows the snapshot was cut short, drops the slot and
// snapshots again.
//
// A lost server (restart, failover) is reconnected with backoff and
// streaming resumes from the slot's confirmed position (at least once);
// a slot still held by the dead session is waited for up to the timeout.
//
// Delivery (at-least-once, kill -9 safe): a transaction's end LSN is
// confirmed to the server (standby status update, flush position) only
// once the ChangeEmitter reports that the sink acknowledged every event
// before it. When nothing is
// pending the server's keepalive position is confirmed (heartbeats), so an
// idle publication does not hold WAL back. Events are emitted as they
// arrive: a large transaction is never buffered whole.
//
// Errors are Status values with the fix in the message (wal_level, the
// REPLICATION attribute, a slot in use); exit codes per
// DESIGN.md section 5. Credentials are never part of any message.
// Not thread-safe: one run per thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/cdc.h"
#include "sluice/debezium.h"
#include "sluice/env.h"
#include "sluice/stats.h"
#include "sluice/status.h"

namespace sluice {

enum class StreamInProgress { kAuto, kOn, kOff };

// Seams for tests, called by the run at fixed points; empty by default.
// Nothing in the library sets them (cdc-pg sets one from a test-only
// environment variable so that its CLI tests can drive the real binary).
struct PgCdcTestHooks {
  // Called on the snapshot connection after it imported the slot's
  // snapshot and before it locks the tables, so a test can commit a
  // TRUNCATE inside that window (the snapshot then starts over).
  std::function<void()> before_snapshot_lock;
};

struct PgCdcOptions {
  std::string conninfo;  // libpq conninfo or postgresql:// URI
  std::string slot = "sluice";
  std::string publication = "sluice";
  std::vector<std::string> tables;  // "schema.table" ("table" = public)
  bool create_publication = false;
  bool temporary = false;
  SnapshotMode snapshot = SnapshotMode::kInitial;
  // Transaction markers and tombstones (the rules every connector shares).
  ChangeEmitterOptions events;
  // pgoutput protocol version; 0 = the highest the server speaks (3 on
  // PostgreSQL 15+, 2 on 14, 1 before). two_phase is never requested.
  int proto_version = 0;
  // Protocol 2+ "streaming 'on'": the server sends a large transaction
  // while it is still in progress instead of spilling it to its own disk.
  // Its changes are spilled to an unlinked temporary file and emitted only
  // at its Stream Commit (dropped at Stream Abort, a rolled-back
  // subtransaction's skipped), so nothing uncommitted is ever emitted.
  // On stdout without transaction markers the changes are formatted into
  // their events as they stream in (only the commit time and previous
  // commit LSN are filled in at the commit), so the work overlaps the
  // transaction on the server. kAuto: on when the protocol is 2 or later;
  // kOn: an error when it is not.
  StreamInProgress stream_in_progress = StreamInProgress::kAuto;
  Millis heartbeat{10000};  // status update / keepalive request interval
  std::string name;         // source.name; empty = the database name
  debezium::ValueOptions values;
  Millis timeout{30000};  // connect and final flush
  // A lost server (restart, failover, network) is waited for with backoff
  // (0.5 s doubling to 30 s) and streaming resumes from the slot; false:
  // return kUnavailable at once. Temporary slots die with the connection,
  // so they never reconnect.
  bool reconnect = true;
  const volatile int* stop = nullptr;  // set by a signal handler
  int stop_fd = -1;                    // readable once stop is set
  // The snapshot marker, the spill files of streamed transactions (in
  // $TMPDIR) and wall-clock reads go through it. Never null; not owned.
  Env* env = Env::Default();
  PgCdcTestHooks test;
};

// Runs until the stop flag is set (then drains the sink, confirms what it
// acknowledged and returns ok), the sink's reader goes away (ok), or an
// error. With SnapshotMode::kOnly returns after the snapshot.
Status run_pg_cdc(const PgCdcOptions& opts, CdcSink& sink, RunStats& stats);

// cdc-pg --drop-slot / --drop-publication: drops opts.slot (when `slot`)
// and opts.publication (when `publication`) on the server of
// opts.conninfo. kTryAgain naming the pid while the slot is in use (for
// either: a running cdc-pg streams the publication through its slot),
// kNotFound when what is to be dropped does not exist; nothing is dropped
// then.
Status drop_pg_cdc_objects(const PgCdcOptions& opts, bool slot, bool publication);

// The conninfo with any password replaced by "***", for messages.
std::string redact_conninfo(std::string_view conninfo);

}  // namespace sluice
