// cdc-pg: PostgreSQL logical replication (pgoutput) to Debezium-compatible
// change events on stdout or any stream. Parses flags and wires libsluice
// objects together; the work happens in sluice::run_pg_cdc.
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "cdc-pg/flags.h"
#include "common/cdc_main.h"
#include "common/cli.h"
#include "sluice/cdc_pg.h"

using namespace sluice;

namespace {

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("cdc-pg");
  cli::Args a;
  if (int rc = a.parse(tools::cdc_pg::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;

  PgCdcOptions o;
  o.conninfo = a.positionals()[0];
  std::string dest = a.positionals().size() == 2 ? a.positionals()[1] : "-";
  o.slot = a.value("slot");
  if (!valid_name(o.slot)) {
    return cli::usage_error("--slot '" + o.slot +
                            "': use lowercase letters, digits and _ (at most 63)");
  }
  o.publication = a.value("publication");
  if (o.publication.empty()) return cli::usage_error("--publication: a name is required");
  if (const std::string tables = a.value("tables"); !tables.empty()) {
    std::stringstream ss(tables);
    for (std::string t; std::getline(ss, t, ',');) {
      if (t.empty() || t.find('.') != t.rfind('.') || t.front() == '.' || t.back() == '.') {
        return cli::usage_error("--tables '" + tables + "': expected schema.table,schema.table");
      }
      o.tables.push_back(t);
    }
  }
  o.create_publication = a.has("create-publication");
  o.temporary = a.has("temporary");
  std::string snapshot;
  if (!a.choice("snapshot", &snapshot, &rc)) return rc;
  o.snapshot = snapshot == "never"         ? SnapshotMode::kNever
               : snapshot == "only"        ? SnapshotMode::kOnly
               : snapshot == "when-needed" ? SnapshotMode::kWhenNeeded
                                           : SnapshotMode::kInitial;
  o.events.tx_markers = a.has("tx-markers");
  o.events.tombstones = !a.has("no-tombstones");
  o.reconnect = !a.has("no-reconnect");
  int64_t proto = 0;
  if (!a.integer("proto-version", 0, &proto, &rc)) return rc;
  if (a.has("proto-version") && (proto < 1 || proto > 3)) {
    return cli::usage_error("--proto-version " + std::to_string(proto) + ": expected 1, 2 or 3");
  }
  const bool in_progress = a.has("stream-in-progress");
  const bool no_in_progress = a.has("no-stream-in-progress");
  if (in_progress && proto == 1) {
    return cli::usage_error("--stream-in-progress needs --proto-version 2 or 3");
  }
  if (in_progress && no_in_progress) {
    return cli::usage_error("--stream-in-progress and --no-stream-in-progress exclude each other");
  }
  o.proto_version = static_cast<int>(proto);
  o.stream_in_progress = in_progress      ? StreamInProgress::kOn
                         : no_in_progress ? StreamInProgress::kOff
                                          : StreamInProgress::kAuto;
  const std::string heartbeat = a.value("heartbeat");
  auto hb = parse_duration_ms(heartbeat);
  if (!hb.ok() || *hb <= 0)
    return cli::usage_error("--heartbeat '" + heartbeat + "': expected a duration such as 10s");
  o.heartbeat = Millis(*hb);
  o.name = a.value("name");
  o.values.embed_json = a.has("embed-json");
  const std::string timeout_text = a.value("timeout");
  auto timeout = parse_duration_ms(timeout_text);
  if (!timeout.ok() || *timeout <= 0)
    return cli::usage_error("--timeout '" + timeout_text + "': expected a duration such as 30s");
  o.timeout = Millis(*timeout);

  // Test seam for tests/cli (not documented for users): hold the snapshot
  // between importing the slot's snapshot and locking its tables.
  if (const char* ms = std::getenv("SLUICE_TEST_CDC_PG_LOCK_DELAY_MS"); ms && *ms) {
    const Millis delay(std::strtoul(ms, nullptr, 10));
    o.test.before_snapshot_lock = [delay] { std::this_thread::sleep_for(delay); };
  }

  if (a.has("drop-slot") || a.has("drop-publication")) {
    if (a.positionals().size() == 2) {
      return cli::usage_error("--drop-slot and --drop-publication stream nothing: give no STREAM");
    }
    Status st = drop_pg_cdc_objects(o, a.has("drop-slot"), a.has("drop-publication"));
    return st.ok() ? 0 : cli::fail(st);
  }

  return cli::run_cdc(a, dest, o, run_pg_cdc);
}
