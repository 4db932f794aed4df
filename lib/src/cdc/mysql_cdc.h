// The cdc-mysql engine (see sluice/cdc_mysql.h), private to lib. One run of
// MysqlCdc goes through phases that live in their own files:
//   mysql_conn.cpp      the URI, connections, queries, errors (MysqlClient)
//   mysql_binlog.cpp    the binlog dump transport (BinlogStream)
//   mysql_table_map.cpp TABLE_MAP events (column types and metadata)
//   mysql_rows.cpp      row events and row images (our own decoder)
//   mysql_values.cpp    value typing (Debezium's MySQL connector's)
//   mysql_json.cpp      MySQL binary JSON to text
//   mysql_schema.cpp    server checks, tables, information_schema columns
//   mysql_snapshot.cpp  the consistent snapshot in primary-key chunks
//   mysql_offsets.cpp   the offsets file and the position table
//   mysql_stream.cpp    the run, the streaming loop, confirmation, reconnects
// Not thread-safe: one run per thread.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cdc/mysql_binlog.h"
#include "cdc/mysql_conn.h"
#include "cdc/mysql_gtid_set.h"
#include "cdc/mysql_offsets.h"
#include "cdc/mysql_payload.h"
#include "cdc/mysql_rows.h"
#include "cdc/mysql_table_map.h"
#include "cdc/mysql_values.h"
#include "sluice/cdc.h"
#include "sluice/cdc_mysql.h"

namespace sluice::mysql {

using Clock = std::chrono::steady_clock;

class MysqlCdc {
 public:
  MysqlCdc(const MysqlCdcOptions& o, CdcSink& sink, RunStats& stats);
  Status run();

 private:
  // ---- mysql_schema.cpp
  Status check_server();
  Status current_position(BinlogPosition* out);
  // True when `file` is still among the server's binlogs.
  Result<bool> binlog_exists(const std::string& file);
  Status list_tables();
  bool wanted(std::string_view db, std::string_view table) const;
  // The columns of db.table from information_schema (names, types for the
  // text protocol, key, ENUM/SET members, signedness, collations).
  Status load_columns(const std::string& db, const std::string& table, TableMap* out);
  // Completes a TABLE_MAP without FULL metadata from information_schema;
  // kBadData when the two disagree (never guess).
  Status complete_table_map(TableMap* map);

  // ---- mysql_snapshot.cpp
  Status snapshot(BinlogPosition* at);
  Status snapshot_table(MYSQL* m, const std::string& db, const std::string& table,
                        int64_t started_us);

  // ---- mysql_stream.cpp
  Status stream_reconnecting(BinlogPosition from);
  Status stream(const BinlogPosition& from);
  Status handle(const RawEvent& ev);
  Status handle_rows(const RawEvent& ev);
  Status handle_query(const RawEvent& ev);
  Status begin_tx(const RawEvent& ev, std::string gtid);
  Status commit_tx(const RawEvent& ev);
  void use_db(const std::string& db);
  void advance_confirmed(bool force_save);
  Status save_now();
  bool stopped() const { return o_.stop && *o_.stop; }

  const MysqlCdcOptions& o_;
  CdcSink& sink_;
  RunStats& stats_;
  MysqlClient client_;
  MysqlPtr aux_;
  BinlogStream binlog_;
  MysqlSourceWriter source_;
  ChangeEmitter emitter_;
  uint32_t server_id_ = 0;
  std::string minimal_warned_;

  std::vector<std::pair<std::string, std::string>> tables_;  // snapshot set
  std::set<std::string> wanted_;                             // "db.table"
  std::string only_db_;

  std::unordered_map<uint64_t, TableMap> maps_;
  std::map<std::string, TableMap> schema_cache_;  // "db.table" -> information_schema columns
  std::string scratch_;
  debezium::Row before_, after_;
  std::vector<std::optional<std::string_view>> before_json_;  // partial JSON updates

  // Stream position state.
  std::string file_;
  std::map<uint32_t, std::string> gtid_domains_;  // MariaDB: domain -> d-s-n
  std::string mysql_gtid_;
  std::string payload_;  // inflated TRANSACTION_PAYLOAD events
  bool in_payload_ = false;
  GtidSet mysql_gtids_;  // every MySQL GTID seen, kept in the offsets
  std::string tx_gtid_;
  bool in_tx_ = false;
  bool standalone_ = false;  // a MariaDB GTID with FL_STANDALONE (DDL)
  int64_t tx_ts_us_ = 0;

  PositionTable positions_;
  uint64_t confirmed_id_ = 0;
  BinlogPosition acked_;  // the last position whose events the sink took
  bool has_acked_ = false;
  BinlogPosition saved_;
  Clock::time_point last_save_{};
  bool lost_ = false;
};

}  // namespace sluice::mysql
