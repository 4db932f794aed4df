// MySQL/MariaDB change data capture: a binlog replica client (MariaDB
// Connector/C's replication API for transport, cdc-mysql's own row
// decoder) that types row changes into debezium::Row images and hands them
// to the shared ChangeEmitter (sluice/cdc.h), which writes
// Debezium-compatible events (the MySQL connector's envelope) to a CdcSink.
// The implementation is in lib/src/cdc/mysql_*.
//
// Flow: connect and check the server (log_bin, binlog_format=ROW,
// binlog_row_image, binlog_row_metadata, privileges), read the offsets
// file; snapshot when asked (MariaDB: START TRANSACTION WITH CONSISTENT
// SNAPSHOT and the binlog_snapshot_file/position status, no lock), then
// stream the binlog from the snapshot's or the saved position.
//
// Schema: with binlog_row_metadata=FULL each TABLE_MAP names the columns,
// their signedness, character sets, ENUM/SET members and the primary key,
// so there is no DDL parser and no schema-history store. With MINIMAL
// metadata the names come from information_schema (read again after each
// DDL statement); a column-count mismatch stops the run (never garbage).
//
// Delivery (at-least-once, kill -9 safe): a transaction's end position is
// written to the offsets file (atomically, through Env) only once the sink
// acknowledged every event of it and before it; a restart resumes from
// there. A lost server is reconnected with backoff.
// Not thread-safe: one run per thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/cdc.h"
#include "sluice/debezium.h"
#include "sluice/env.h"
#include "sluice/stats.h"
#include "sluice/status.h"

namespace sluice {

// mysql://USER[:PASS]@HOST[:PORT][/DB][?socket=PATH], percent-decoded.
struct MysqlUri {
  std::string user;
  std::string password;  // empty: MYSQL_PWD when set
  bool has_password = false;
  std::string host = "localhost";
  unsigned port = 3306;
  std::string db;
  std::string socket;

  // USER@HOST:PORT/DB (or USER@socket:PATH/DB), never the password.
  std::string display() const;
};

// kInvalidArgument naming what is wrong (never echoing the password).
Result<MysqlUri> parse_mysql_uri(std::string_view uri);

struct MysqlCdcOptions {
  MysqlUri uri;
  std::vector<std::string> tables;  // "db.table"; empty = every table (of uri.db when set)
  SnapshotMode snapshot = SnapshotMode::kInitial;
  ChangeEmitterOptions events;
  // The replica's server id; 0 = derived from the host and the offsets
  // file, in 5400..6400 (never 1).
  uint32_t server_id = 0;
  std::string offsets_path;  // empty = none (stream from the current end)
  Millis heartbeat{1000};    // the server's heartbeat period when idle
  std::string name;          // source.name; empty = the database name, else "mysql"
  debezium::ValueOptions values;
  Millis timeout{30000};
  bool reconnect = true;
  size_t snapshot_chunk = 10000;  // rows per primary-key chunk
  const volatile int* stop = nullptr;
  int stop_fd = -1;
  Env* env = Env::Default();
};

// The default --server-id for `host` and `offsets_path`.
uint32_t derive_server_id(std::string_view host, unsigned port, std::string_view offsets_path);

// Runs until stopped (then drains the sink, saves the offsets, returns ok),
// the stdout reader goes away (ok), or an error. With SnapshotMode::kOnly
// returns after the snapshot.
Status run_mysql_cdc(const MysqlCdcOptions& opts, CdcSink& sink, RunStats& stats);

}  // namespace sluice
