// cdc-pg: PostgreSQL logical replication (pgoutput) to Debezium-compatible
// change events on stdout or any stream. Parses flags and wires libsluice
// objects together; the work happens in sluice::run_pg_cdc.
#include <cstdio>
#include <sstream>

#include "common/cli.h"
#include "sluice/cdc_pg.h"
#include "sluice/signals.h"
#include "sluice/stats.h"

using namespace sluice;

namespace {

struct Flags {
  std::vector<std::string> args;
  std::string slot = "sluice";
  std::string publication = "sluice";
  std::string tables;
  bool create_publication = false;
  bool temporary = false;
  std::string snapshot = "initial";
  bool tx_markers = false;
  bool no_tombstones = false;
  bool no_reconnect = false;
  int proto_version = 0;
  bool stream_in_progress = false;
  bool no_stream_in_progress = false;
  std::string heartbeat = "10s";
  std::string name;
  bool with_key = false;
  bool embed_json = false;
  std::string timeout = "30s";
  bool stats = false;
  bool progress = false;
};

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
  Flags f;
  CLI::App app{"Capture PostgreSQL row changes (logical replication, pgoutput) as Debezium-compatible "
               "change events: a consistent snapshot, then streaming. Writes one event per line to "
               "stdout, or produces to STREAM (key = primary key).",
               "cdc-pg"};
  cli::setup(app, "cdc-pg [OPTIONS] CONNINFO [STREAM|-]");
  app.add_option("CONNINFO_STREAM", f.args,
                 "CONNINFO (postgresql://user@host/db or 'host=... dbname=...') and the destination "
                 "(default -; may hold {db}, {schema}, {table})")
      ->expected(1, 2)->required();
  app.add_option("-s,--slot", f.slot, "replication slot, created when missing (default sluice)");
  app.add_option("-p,--publication", f.publication, "publication to stream (default sluice)");
  app.add_option("-t,--tables", f.tables, "only these tables: schema.t1,schema.t2 (default: all of the publication)");
  app.add_flag("--create-publication", f.create_publication,
               "create the publication when missing (FOR TABLE --tables, else FOR ALL TABLES)");
  app.add_flag("--temporary", f.temporary, "use a temporary slot, dropped when cdc-pg exits");
  app.add_option("--snapshot", f.snapshot, "initial | never | only | when-needed (default initial)");
  app.add_flag("--tx-markers", f.tx_markers, "emit transaction BEGIN/END events and the transaction block");
  app.add_flag("--no-tombstones", f.no_tombstones,
               "no tombstone (key, null value) after each delete when writing to a stream");
  app.add_option("--proto-version", f.proto_version,
                 "pgoutput protocol 1, 2 or 3 (default: the highest the server speaks)");
  app.add_flag("--stream-in-progress", f.stream_in_progress,
               "require streaming of large transactions before their commit (protocol 2+; the default "
               "whenever the protocol is 2 or later): formatted as they arrive into a temporary file, "
               "emitted at commit");
  app.add_flag("--no-stream-in-progress", f.no_stream_in_progress,
               "do not let the server stream transactions in progress: it spills them and sends them at commit");
  app.add_option("--heartbeat", f.heartbeat, "confirm idle progress to the server every DUR (default 10s)");
  app.add_option("-n,--name", f.name, "source.name, the logical server name (default: the database name)");
  app.add_flag("-k,--with-key", f.with_key, "on stdout, print {\"key\":...,\"value\":...} lines");
  app.add_flag("--embed-json", f.embed_json, "json/jsonb columns as JSON values, not strings");
  app.add_flag("--no-reconnect", f.no_reconnect,
               "exit 69 when the server goes away instead of reconnecting with backoff");
  app.add_option("--timeout", f.timeout, "give up connecting, waiting for a busy slot or draining after DUR (default 30s)");
  app.add_flag("--stats", f.stats, "print a summary on stderr at exit");
  app.add_flag("--progress", f.progress, "show a progress line on stderr (when it is a terminal)");
  if (int rc = cli::parse(app, argc, argv); rc >= 0) return rc;

  PgCdcOptions o;
  o.conninfo = f.args[0];
  std::string dest = f.args.size() == 2 ? f.args[1] : "-";
  if (!valid_name(f.slot)) {
    return cli::usage_error("--slot '" + f.slot + "': use lowercase letters, digits and _ (at most 63)");
  }
  o.slot = f.slot;
  if (f.publication.empty()) return cli::usage_error("--publication: a name is required");
  o.publication = f.publication;
  if (!f.tables.empty()) {
    std::stringstream ss(f.tables);
    for (std::string t; std::getline(ss, t, ',');) {
      if (t.empty() || t.find('.') != t.rfind('.') || t.front() == '.' || t.back() == '.') {
        return cli::usage_error("--tables '" + f.tables + "': expected schema.table,schema.table");
      }
      o.tables.push_back(t);
    }
  }
  o.create_publication = f.create_publication;
  o.temporary = f.temporary;
  if (f.snapshot == "initial") o.snapshot = SnapshotMode::kInitial;
  else if (f.snapshot == "never") o.snapshot = SnapshotMode::kNever;
  else if (f.snapshot == "only") o.snapshot = SnapshotMode::kOnly;
  else if (f.snapshot == "when-needed") o.snapshot = SnapshotMode::kWhenNeeded;
  else return cli::usage_error("--snapshot '" + f.snapshot + "': expected initial, never, only or when-needed");
  o.tx_markers = f.tx_markers;
  o.tombstones = !f.no_tombstones;
  o.reconnect = !f.no_reconnect;
  if (f.proto_version < 0 || f.proto_version > 3) {
    return cli::usage_error("--proto-version " + std::to_string(f.proto_version) + ": expected 1, 2 or 3");
  }
  if (f.stream_in_progress && f.proto_version == 1) {
    return cli::usage_error("--stream-in-progress needs --proto-version 2 or 3");
  }
  if (f.stream_in_progress && f.no_stream_in_progress) {
    return cli::usage_error("--stream-in-progress and --no-stream-in-progress exclude each other");
  }
  o.proto_version = f.proto_version;
  o.stream_in_progress = f.stream_in_progress      ? StreamInProgress::kOn
                         : f.no_stream_in_progress ? StreamInProgress::kOff
                                                   : StreamInProgress::kAuto;
  auto hb = parse_duration_ms(f.heartbeat);
  if (!hb.ok() || *hb <= 0) return cli::usage_error("--heartbeat '" + f.heartbeat + "': expected a duration such as 10s");
  o.heartbeat = Millis(*hb);
  o.name = f.name;
  o.values.embed_json = f.embed_json;
  auto timeout = parse_duration_ms(f.timeout);
  if (!timeout.ok() || *timeout <= 0) return cli::usage_error("--timeout '" + f.timeout + "': expected a duration such as 30s");
  o.timeout = Millis(*timeout);

  install_stop_handlers();
  o.stop = stop_flag();
  o.stop_fd = stop_fd();
  ProducerOptions po;
  po.timeout = o.timeout;
  auto sink = open_cdc_sink(dest, f.with_key, po);
  if (!sink.ok()) return cli::fail(sink.status());

  RunStats stats(f.progress);
  Status st = run_pg_cdc(o, **sink, stats);
  stats.end_progress();
  if (f.stats) fprintf(stderr, "cdc-pg: %s\n", stats.summary().c_str());
  if (!st.ok()) return cli::fail(st);
  return 0;
}
