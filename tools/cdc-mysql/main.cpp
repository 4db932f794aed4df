// cdc-mysql: MySQL/MariaDB binlog change data capture to Debezium-compatible
// change events on stdout or any stream. Parses flags and wires libsluice
// objects together; the work happens in sluice::run_mysql_cdc.
#include <sstream>

#include "cdc-mysql/flags.h"
#include "common/cdc_main.h"
#include "common/cli.h"
#include "sluice/cdc_mysql.h"

using namespace sluice;

int main(int argc, char** argv) {
  set_program_name("cdc-mysql");
  cli::Args a;
  if (int rc = a.parse(tools::cdc_mysql::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;

  MysqlCdcOptions o;
  auto uri = parse_mysql_uri(a.positionals()[0]);
  if (!uri.ok()) return cli::usage_error(uri.status().message());
  o.uri = *uri;
  std::string dest = a.positionals().size() == 2 ? a.positionals()[1] : "-";
  if (const std::string tables = a.value("tables"); !tables.empty()) {
    std::stringstream ss(tables);
    for (std::string t; std::getline(ss, t, ',');) {
      if (t.empty() || t.find('.') != t.rfind('.') || t.front() == '.' || t.back() == '.') {
        return cli::usage_error("--tables '" + tables + "': expected db.table,db.table");
      }
      o.tables.push_back(t);
    }
  }
  std::string snapshot;
  if (!a.choice("snapshot", &snapshot, &rc)) return rc;
  o.snapshot = snapshot == "never"         ? SnapshotMode::kNever
               : snapshot == "only"        ? SnapshotMode::kOnly
               : snapshot == "when-needed" ? SnapshotMode::kWhenNeeded
                                           : SnapshotMode::kInitial;
  o.offsets_path = a.value("offsets");
  int64_t server_id = 0;
  if (!a.integer("server-id", 0, &server_id, &rc)) return rc;
  if (a.has("server-id") && (server_id < 2 || server_id > 4294967295LL)) {
    return cli::usage_error("--server-id " + std::to_string(server_id) +
                            ": expected 2..4294967295 (1 is the usual primary's)");
  }
  o.server_id = static_cast<uint32_t>(server_id);
  o.events.tx_markers = a.has("tx-markers");
  o.events.tombstones = !a.has("no-tombstones");
  o.reconnect = !a.has("no-reconnect");
  const std::string heartbeat = a.value("heartbeat");
  auto hb = parse_duration_ms(heartbeat);
  if (!hb.ok() || *hb <= 0)
    return cli::usage_error("--heartbeat '" + heartbeat + "': expected a duration such as 1s");
  o.heartbeat = Millis(*hb);
  o.name = a.value("name");
  o.values.embed_json = a.has("embed-json");
  const std::string timeout_text = a.value("timeout");
  auto timeout = parse_duration_ms(timeout_text);
  if (!timeout.ok() || *timeout <= 0)
    return cli::usage_error("--timeout '" + timeout_text + "': expected a duration such as 30s");
  o.timeout = Millis(*timeout);

  return cli::run_cdc(a, dest, o, run_mysql_cdc);
}
