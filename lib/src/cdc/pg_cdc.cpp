// The cdc-pg engine: checks, slot, snapshot, streaming, confirmation
// (see sluice/cdc_pg.h). libpq is used without callbacks; every failure
// becomes a Status with the fix in its message.
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <unordered_map>

#include "cdc/pg_values.h"
#include "cdc/pgoutput.h"
#include "cdc/snapshot_marker.h"
#include "cdc/spill_file.h"
#include "core/backoff.h"
#include "sluice/cdc_pg.h"
#include "sluice/envelope.h"
#include "sluice/message.h"

namespace sluice {

namespace {

using Clock = std::chrono::steady_clock;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
struct ConninfoDeleter {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Session settings that fix the text form of values (see debezium.h).
constexpr const char* kSessionOptions =
    "-c datestyle=ISO,YMD -c timezone=UTC -c extra_float_digits=3 -c bytea_output=hex "
    "-c intervalstyle=postgres";

std::string password_of(std::string_view conninfo) {
  char* err = nullptr;
  std::string ci(conninfo);
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> opts(PQconninfoParse(ci.c_str(), &err));
  if (err) PQfreemem(err);
  if (!opts) return {};
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (strcmp(o->keyword, "password") == 0 && o->val) return o->val;
  }
  return {};
}

// libpq messages are multi-line ("FATAL: ...\nDETAIL: ...", or a failure
// then "\tIs the server running...?"): one line, its parts joined by "; ".
std::string fold_lines(std::string_view msg) {
  std::string out;
  while (!msg.empty()) {
    size_t nl = msg.find('\n');
    std::string_view line = msg.substr(0, nl);
    msg = nl == std::string_view::npos ? std::string_view() : msg.substr(nl + 1);
    size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) continue;
    if (!out.empty()) out += "; ";
    out += line.substr(begin, line.find_last_not_of(" \t\r") - begin + 1);
  }
  return out;
}

std::string scrub(std::string_view raw, const std::string& password) {
  std::string msg = fold_lines(raw);
  if (password.size() >= 1) {
    for (size_t p; (p = msg.find(password)) != std::string::npos;)
      msg.replace(p, password.size(), "***");
  }
  return msg;
}

// Why a connection failed, from libpq's (folded, scrubbed) message: the
// exit code of DESIGN.md section 5 and what to do about it.
Status connect_failure(const std::string& msg, const std::string& where) {
  auto has = [&](const char* s) { return msg.find(s) != std::string::npos; };
  std::string head = "postgresql '" + where + "': ";
  if (has("no password supplied")) {
    return Status::PermissionDenied(
        head +
        "the server needs a password and none was given: set PGPASSWORD, "
        "or put it in the URI (postgresql://USER:PASSWORD@HOST/DB) or ~/.pgpass (" +
        msg + ")");
  }
  if (has("password authentication failed") || has("no pg_hba.conf entry") ||
      has("password is required") || has("role \"")) {
    return Status::PermissionDenied(head + msg +
                                    " (check the user, password/PGPASSWORD and pg_hba.conf)");
  }
  if (has("must be superuser or replication role") || has("permission denied")) {
    return Status::PermissionDenied(head + msg + " (grant it: ALTER ROLE <user> REPLICATION)");
  }
  if (has("database \"") && has("does not exist")) {
    return Status::NotFound(head + msg + " (create it, or name another database in the conninfo)");
  }
  if (has("does not exist")) return Status::Config(head + msg);
  if (has("invalid") && has("option")) {
    return Status::InvalidArgument("invalid conninfo '" + where + "': " + msg);
  }
  // libpq often asks already ("Is the server running on that host...?").
  bool asks = msg.find("server running") != std::string::npos;
  return Status::Unavailable("cannot reach " + head.substr(0, head.size() - 2) + ": " + msg +
                             (asks ? "" : " (is it running?)"));
}

// SQL quoting by doubling the quote character (standard_conforming_strings
// is on in every supported server): "ident" and 'literal'.
std::string quote_with(std::string_view s, char q) {
  std::string out(1, q);
  for (char c : s) {
    if (c == q) out.push_back(q);
    out.push_back(c);
  }
  out.push_back(q);
  return out;
}
std::string quote_ident(std::string_view s) {
  return quote_with(s, '"');
}
std::string quote_literal(std::string_view s) {
  return quote_with(s, '\'');
}

// Splits "schema.table" (default schema public).
std::pair<std::string, std::string> split_table(const std::string& t) {
  size_t dot = t.find('.');
  if (dot == std::string::npos) return {"public", t};
  return {t.substr(0, dot), t.substr(dot + 1)};
}

class PgCdc {
 public:
  PgCdc(const PgCdcOptions& o, CdcSink& sink, RunStats& stats)
      : o_(o),
        sink_(sink),
        stats_(stats),
        password_(password_of(o.conninfo)),
        emitter_(sink, source_, stats, o.env, ChangeEmitterOptions{o.tx_markers, o.tombstones}),
        spill_target_(*this),
        format_emitter_(spill_target_, format_source_, o.env) {}

  Status run();

 private:
  // ---- connections and queries
  Status connect(bool replication, ConnPtr* out);
  // repl_ = a new replication connection, checked with IDENTIFY_SYSTEM.
  Status connect_replication();
  Status classify(PGconn* c, const PGresult* r, std::string_view what);
  Result<ResultPtr> exec(PGconn* c, const std::string& sql, ExecStatusType want,
                         std::string_view what);
  Result<ResultPtr> exec_params(PGconn* c, const char* sql, std::vector<std::string> params,
                                std::string_view what);

  // ---- phases
  Status check_server();
  Status ensure_publication();
  Status check_tables();
  Status prepare_slot(bool* created, std::string* snapshot_name, uint64_t* start_lsn);
  Status prepare_slot_waiting(bool* created, std::string* snapshot_name, uint64_t* start_lsn);
  // The file whose existence says "the snapshot of this slot is not yet
  // delivered" (under SLUICE_STATE_DIR, else $XDG_STATE_HOME/sluice).
  pg::SnapshotMarker snapshot_marker() const {
    return pg::SnapshotMarker(o_.env, server_, o_.slot);
  }
  Status write_snapshot_marker();
  Status finish_snapshot();
  // Drops the slot of a snapshot that will not be delivered (best effort;
  // the marker covers the rest).
  void abandon_snapshot();
  Status snapshot(const std::string& snapshot_name, uint64_t lsn);
  Status snapshot_position(PGconn* c, uint64_t* xid, uint64_t* lsn);
  // Locks the snapshot's tables (ACCESS SHARE) and checks that none was
  // truncated since the slot's snapshot (then kTryAgain, snapshot_raced_).
  Status lock_snapshot_tables(PGconn* c);
  Status stream(uint64_t start_lsn);
  // stream(), and after a lost server: reconnect with backoff and resume
  // from the slot until stopped or an error that is not a lost server.
  Status stream_reconnecting(uint64_t start_lsn);
  Status resume();
  void reset_session();
  bool stopped() const { return o_.stop && *o_.stop; }

  // ---- streaming helpers
  Status handle_xlog(std::string_view data, uint64_t data_start);
  Status handle_message(uint64_t data_start);
  // A row change (or Relation) message, emitted through `out` with the
  // position in `src`; `dec` knows the relations (a truncate's).
  Status handle_change(const pg::PgMessage& m, uint64_t data_start, ChangeEmitter& out,
                       pg::PgSourceWriter& src, const pg::PgOutputDecoder& dec);
  void begin_tx(uint32_t xid, uint64_t final_lsn, int64_t ts_us);
  Status commit_tx(uint64_t end_lsn, int64_t ts_us);
  Status spill(std::string_view data, uint64_t data_start);
  Status format_streamed(std::string_view data, uint64_t data_start);
  Status write_formatted(uint32_t subxid, std::optional<std::string_view> key,
                         std::string_view value, const debezium::DeferredFields& offsets);
  Status replay_formatted(pg::SpillFile& f, const std::vector<uint32_t>& aborted_subxacts,
                          int64_t ts_us);
  Status stream_commit();
  const std::vector<bool>& key_columns(const pg::PgRelation& rel);
  bool wanted(const pg::PgRelation& rel) const;
  // A table without a primary key or replica identity is captured (inserts,
  // null key) and never blocks the run: one warning per table and run.
  void warn_no_identity(const std::string& schema, const std::string& table);
  void check_identity(const pg::PgRelation& rel);
  void advance_confirmed();
  Status send_status(bool reply_requested);

  const PgCdcOptions& o_;
  CdcSink& sink_;
  RunStats& stats_;
  std::string password_;
  std::string server_;  // user@host:port/db, for messages
  ConnPtr aux_;         // normal connection: checks, catalog, snapshot
  ConnPtr repl_;        // replication connection
  std::string db_;
  std::vector<std::pair<std::string, std::string>> tables_;  // published+wanted
  bool publication_all_tables_ = false;

  pg::PgOutputDecoder decoder_;
  pg::PgMessage msg_;
  std::string value_buf_, tx_id_;
  debezium::Row before_row_, after_row_;
  pg::PgSourceWriter source_;  // the position of the event being emitted
  ChangeEmitter emitter_;
  std::unordered_map<uint32_t, std::vector<bool>> keys_;
  std::set<std::string> no_identity_warned_;  // schema.table

  uint64_t last_commit_lsn_ = 0;

  // Transactions streamed in progress (protocol 2+), by top-level xid:
  // their changes wait in an unlinked temporary file until Stream Commit.
  struct StreamedTx {
    std::unique_ptr<pg::SpillFile> spill;
    std::vector<uint32_t> aborted_subxacts;
    // Pre-formatted mode (see preformat_): the stream's own relation
    // cache (pgoutput sends a streamed transaction the Relation messages
    // of its changes within its stream, whatever other transactions saw).
    std::unique_ptr<pg::PgOutputDecoder> decoder;
  };
  Status open_spill(StreamedTx& tx);
  // A streamed change (type byte, subxact xid, body): its subxact xid and
  // the current stream's transaction, spill file open.
  Result<StreamedTx*> streamed_change(std::string_view data, uint32_t* subxid);
  std::unordered_map<uint32_t, StreamedTx> streams_;
  // Streamed transactions are formatted into their final events as they
  // arrive (the spill file then holds events, not pgoutput messages), and
  // only the commit-time fields are filled in at Stream Commit. Used when
  // the sink is stdout and there are no transaction markers (whose ids and
  // counts depend on the commit); otherwise the raw messages are spilled.
  bool streaming_ = false;
  bool preformat_ = false;
  // Pre-formatted mode: format_emitter_ writes the events of the streamed
  // change being handled to its transaction's spill file.
  struct SpillTarget final : EventTarget {
    explicit SpillTarget(PgCdc& c) : cdc(c) {}
    Status put(const CdcRoute&, std::optional<std::string_view> key, std::string_view value,
               const debezium::DeferredFields& deferred) override {
      return cdc.write_formatted(subxid, key, value, deferred);
    }
    PgCdc& cdc;
    uint32_t subxid = 0;  // of the change being formatted
  };
  SpillTarget spill_target_;
  pg::PgSourceWriter format_source_;
  ChangeEmitter format_emitter_;
  bool in_stream_ = false;  // between Stream Start and Stream Stop
  uint32_t stream_xid_ = 0;
  std::string replay_buf_;
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

Status PgCdc::connect(bool replication, ConnPtr* out) {
  std::string timeout = std::to_string(std::max<long long>(1, o_.timeout.count() / 1000));
  std::vector<const char*> keys = {"dbname", "options", "fallback_application_name",
                                   "connect_timeout"};
  std::vector<const char*> vals = {o_.conninfo.c_str(), kSessionOptions, "cdc-pg", timeout.c_str()};
  if (replication) {
    keys.push_back("replication");
    vals.push_back("database");
  }
  keys.push_back(nullptr);
  vals.push_back(nullptr);
  ConnPtr c(PQconnectdbParams(keys.data(), vals.data(), 1));
  if (!c) return Status::Internal("out of memory connecting to postgresql");
  if (PQstatus(c.get()) != CONNECTION_OK) {
    return connect_failure(scrub(PQerrorMessage(c.get()), password_), redact_conninfo(o_.conninfo));
  }
  if (server_.empty()) {
    const char* h = PQhost(c.get());
    std::string host = h && h[0] == '/' ? std::string("socket ") + h : (h ? h : "");
    server_ =
        std::string(PQuser(c.get())) + "@" + host + ":" + PQport(c.get()) + "/" + PQdb(c.get());
  }
  *out = std::move(c);
  return Status::Ok();
}

Status PgCdc::connect_replication() {
  SLUICE_RETURN_IF_ERROR(connect(true, &repl_));
  auto id = exec(repl_.get(), "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "identifying the server");
  return id.ok() ? Status::Ok() : id.status();
}

Status PgCdc::classify(PGconn* c, const PGresult* r, std::string_view what) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = scrub(r ? PQresultErrorMessage(r) : PQerrorMessage(c), password_);
  if (msg.rfind("ERROR:  ", 0) == 0) msg = msg.substr(8);
  std::string s = state ? state : "";
  std::string full = std::string(what) + " on '" + server_ + "': " + msg;
  if (s == "55006") {
    return Status::TryAgain(full +
                            " (another consumer uses the slot: stop it, or pick another --slot)");
  }
  if (s == "42501") {
    return Status::PermissionDenied(full +
                                    " (grant the privilege, e.g. ALTER ROLE <user> REPLICATION, "
                                    "GRANT SELECT ON the tables)");
  }
  if (s.rfind("28", 0) == 0) return Status::PermissionDenied(full);
  if (s == "55000" && msg.find("wal_level") != std::string::npos) {
    return Status::Config(full +
                          " (set wal_level = logical in postgresql.conf and restart the server)");
  }
  if (s.rfind("08", 0) == 0 || s.empty() || PQstatus(c) != CONNECTION_OK) {
    return Status::Unavailable(full);
  }
  if (s.rfind("42", 0) == 0 || s.rfind("55", 0) == 0) return Status::Config(full);
  if (s == "53400")
    return Status::Config(full + " (raise max_replication_slots / max_wal_senders)");
  return Status::Unavailable(full);
}

Result<ResultPtr> PgCdc::exec(PGconn* c, const std::string& sql, ExecStatusType want,
                              std::string_view what) {
  ResultPtr r(PQexec(c, sql.c_str()));
  if (!r || PQresultStatus(r.get()) != want) return classify(c, r.get(), what);
  return r;
}

Result<ResultPtr> PgCdc::exec_params(PGconn* c, const char* sql, std::vector<std::string> params,
                                     std::string_view what) {
  std::vector<const char*> v;
  for (const std::string& p : params) v.push_back(p.c_str());
  ResultPtr r(
      PQexecParams(c, sql, static_cast<int>(v.size()), nullptr, v.data(), nullptr, nullptr, 0));
  if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) return classify(c, r.get(), what);
  return r;
}

Status PgCdc::check_server() {
  auto r = exec(aux_.get(),
                "SELECT current_setting('wal_level'), current_database(), current_user, "
                "(SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user), "
                "current_setting('server_version_num')::int",
                PGRES_TUPLES_OK, "checking the server");
  if (!r.ok()) return r.status();
  PGresult* res = r->get();
  std::string wal_level = PQgetvalue(res, 0, 0);
  db_ = PQgetvalue(res, 0, 1);
  std::string user = PQgetvalue(res, 0, 2);
  bool can_replicate = std::string(PQgetvalue(res, 0, 3)) == "t";
  int version = atoi(PQgetvalue(res, 0, 4));
  server_version_ = version;
  if (version < 100000) {
    return Status::Config("postgresql '" + server_ + "' is version " + std::to_string(version) +
                          ": logical replication with pgoutput needs PostgreSQL 10 or later");
  }
  if (wal_level != "logical" && o_.snapshot != SnapshotMode::kOnly) {
    return Status::Config("postgresql '" + server_ + "' has wal_level = " + wal_level +
                          ": set wal_level = logical in postgresql.conf and restart the server");
  }
  if (!can_replicate && o_.snapshot != SnapshotMode::kOnly) {
    return Status::PermissionDenied("role '" + user + "' on '" + server_ +
                                    "' lacks the REPLICATION attribute: run ALTER ROLE " +
                                    quote_ident(user) + " REPLICATION as a superuser");
  }
  int max_proto = version >= 150000 ? 3 : version >= 140000 ? 2 : 1;
  proto_version_ = o_.proto_version ? o_.proto_version : max_proto;
  if (proto_version_ > max_proto && o_.snapshot != SnapshotMode::kOnly) {
    return Status::Config("postgresql '" + server_ + "' speaks pgoutput protocol up to version " +
                          std::to_string(max_proto) + ": use --proto-version " +
                          std::to_string(max_proto));
  }
  if (o_.stream_in_progress == StreamInProgress::kOn && proto_version_ < 2 &&
      o_.snapshot != SnapshotMode::kOnly) {
    return Status::Config(
        "--stream-in-progress needs pgoutput protocol 2 (PostgreSQL 14 or later)" +
        std::string(o_.proto_version == 1 ? ": drop --proto-version 1" : ""));
  }
  streaming_ = o_.stream_in_progress == StreamInProgress::kOn ||
               (o_.stream_in_progress == StreamInProgress::kAuto && proto_version_ >= 2);
  preformat_ = streaming_ && !o_.tx_markers && !sink_.keyed_stream();
  debezium::SourceInfo info{SLUICE_VERSION, "postgresql", o_.name.empty() ? db_ : o_.name, db_};
  format_emitter_.set_info(info);
  emitter_.set_info(std::move(info));
  return Status::Ok();
}

Status PgCdc::ensure_publication() {
  auto r = exec_params(aux_.get(), "SELECT puballtables FROM pg_publication WHERE pubname = $1",
                       {o_.publication}, "looking up the publication");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) == 1) {
    publication_all_tables_ = std::string(PQgetvalue(r->get(), 0, 0)) == "t";
    return Status::Ok();
  }
  std::string sql = "CREATE PUBLICATION " + quote_ident(o_.publication);
  if (o_.tables.empty()) {
    sql += " FOR ALL TABLES";
  } else {
    sql += " FOR TABLE ";
    for (size_t i = 0; i < o_.tables.size(); ++i) {
      auto [s, t] = split_table(o_.tables[i]);
      sql += (i ? ", " : "") + quote_ident(s) + "." + quote_ident(t);
    }
  }
  if (!o_.create_publication) {
    return Status::Config("publication '" + o_.publication + "' does not exist on '" + server_ +
                          "': create it (" + sql + ") or pass --create-publication");
  }
  auto c = exec(aux_.get(), sql, PGRES_COMMAND_OK, "creating publication '" + o_.publication + "'");
  if (!c.ok()) return c.status();
  publication_all_tables_ = o_.tables.empty();
  return Status::Ok();
}

Status PgCdc::check_tables() {
  auto r =
      exec_params(aux_.get(),
                  "SELECT p.schemaname, p.tablename, c.relreplident, "
                  "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
                  "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisreplident) "
                  "FROM pg_publication_tables p JOIN pg_namespace n ON n.nspname = p.schemaname "
                  "JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename "
                  "WHERE p.pubname = $1 ORDER BY 1, 2",
                  {o_.publication}, "listing the tables of publication '" + o_.publication + "'");
  if (!r.ok()) return r.status();
  std::vector<std::pair<std::string, std::string>> want;
  for (const std::string& t : o_.tables) want.push_back(split_table(t));
  std::vector<bool> found(want.size(), false);
  tables_.clear();
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    std::pair<std::string, std::string> t{PQgetvalue(r->get(), i, 0), PQgetvalue(r->get(), i, 1)};
    if (!want.empty()) {
      auto it = std::find(want.begin(), want.end(), t);
      if (it == want.end()) continue;
      found[static_cast<size_t>(it - want.begin())] = true;
    }
    char ident = PQgetvalue(r->get(), i, 2)[0];
    bool has_pk = PQgetvalue(r->get(), i, 3)[0] == 't';
    bool has_index = PQgetvalue(r->get(), i, 4)[0] == 't';
    if (ident == 'n' || (ident == 'd' && !has_pk) || (ident == 'i' && !has_index)) {
      warn_no_identity(t.first, t.second);
    }
    tables_.push_back(std::move(t));
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (!found[i]) {
      return Status::Config("table '" + want[i].first + "." + want[i].second +
                            "' is not in publication '" + o_.publication +
                            "' (or does not exist): ALTER PUBLICATION " +
                            quote_ident(o_.publication) + " ADD TABLE " +
                            quote_ident(want[i].first) + "." + quote_ident(want[i].second));
    }
  }
  return Status::Ok();
}

void PgCdc::warn_no_identity(const std::string& schema, const std::string& table) {
  if (!no_identity_warned_.insert(schema + "." + table).second) return;
  warn("table '" + schema + "." + table +
       "' has no primary key or replica identity: its inserts are captured "
       "with a null key, but its UPDATEs and DELETEs are not (the server refuses them when the "
       "publication "
       "publishes them): add a primary key, or run ALTER TABLE " +
       quote_ident(schema) + "." + quote_ident(table) + " REPLICA IDENTITY FULL");
}

void PgCdc::check_identity(const pg::PgRelation& rel) {
  bool keyed =
      rel.replica_identity == 'f' || std::any_of(rel.columns.begin(), rel.columns.end(),
                                                 [](const pg::PgColumn& c) { return c.key; });
  if (!keyed && wanted(rel)) warn_no_identity(rel.schema, rel.table);
}

Status PgCdc::prepare_slot_waiting(bool* created, std::string* snapshot_name, uint64_t* start_lsn) {
  // A restart right after a crash finds the slot still held by the dead
  // run's walsender until the server notices; wait for it (up to
  // --timeout, as Debezium's slot.max.retries does) rather than fail.
  const auto deadline = Clock::now() + o_.timeout;
  bool told = false;
  for (;;) {
    Status st = prepare_slot(created, snapshot_name, start_lsn);
    if (!st.is(StatusCode::kTryAgain) || Clock::now() >= deadline || (o_.stop && *o_.stop))
      return st;
    if (!told) {
      warn(st.message() + "; waiting up to " + std::to_string(o_.timeout.count() / 1000) +
           " s (--timeout) for it to be released");
      told = true;
    }
    usleep(200 * 1000);
  }
}

Status PgCdc::prepare_slot(bool* created, std::string* snapshot_name, uint64_t* start_lsn) {
  *created = false;
  auto r = exec_params(aux_.get(),
                       "SELECT active_pid, plugin, database, confirmed_flush_lsn, temporary "
                       "FROM pg_replication_slots WHERE slot_name = $1",
                       {o_.slot}, "looking up replication slot '" + o_.slot + "'");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) == 1) {
    PGresult* res = r->get();
    if (!PQgetisnull(res, 0, 0)) {
      return Status::TryAgain("replication slot '" + o_.slot + "' on '" + server_ +
                              "' is in use by process " + PQgetvalue(res, 0, 0) +
                              ": stop that consumer, or use another --slot");
    }
    if (o_.temporary) {
      return Status::Config("replication slot '" + o_.slot +
                            "' already exists: pick another --slot for "
                            "--temporary, or drop --temporary to resume it");
    }
    if (std::string(PQgetvalue(res, 0, 1)) != "pgoutput") {
      return Status::Config("replication slot '" + o_.slot + "' uses plugin '" +
                            PQgetvalue(res, 0, 1) +
                            "', not pgoutput: use another --slot, or drop it with "
                            "SELECT pg_drop_replication_slot('" +
                            o_.slot + "')");
    }
    if (std::string(PQgetvalue(res, 0, 2)) != db_) {
      return Status::Config("replication slot '" + o_.slot + "' belongs to database '" +
                            PQgetvalue(res, 0, 2) + "': use another --slot");
    }
    if (!snapshot_marker().exists()) {
      *start_lsn = 0;  // the server resumes at the slot's confirmed_flush_lsn
      if (!PQgetisnull(res, 0, 3)) pg::parse_lsn(PQgetvalue(res, 0, 3), &confirmed_);
      sent_confirmed_ = confirmed_;
      return Status::Ok();
    }
    // The run that created this slot stopped before its snapshot was out:
    // streaming from the slot would skip the rows not yet copied.
    warn("the initial snapshot of replication slot '" + o_.slot + "' did not finish (marker '" +
         snapshot_marker().path() + "'): dropping the slot and taking the snapshot again");
    auto d = exec_params(aux_.get(), "SELECT pg_drop_replication_slot($1)", {o_.slot},
                         "dropping replication slot '" + o_.slot + "'");
    if (!d.ok()) return d.status();
  }
  bool want_snapshot =
      o_.snapshot == SnapshotMode::kInitial || o_.snapshot == SnapshotMode::kWhenNeeded;
  // The slot marks where streaming starts, but its existence does not say
  // that the snapshot before that point was delivered: a run killed
  // mid-snapshot would leave a slot that the next run streams from, losing
  // the rows not yet copied. A marker file, written before the slot and
  // removed once the sink holds every snapshot row (finish_snapshot), says
  // the snapshot is incomplete. (Copying a temporary slot instead is not
  // safe: the copy rebuilds its snapshot state and can decode transactions
  // that were in progress only partly.)
  std::string name = o_.slot;
  bool temporary = o_.temporary;
  if (want_snapshot && !temporary) SLUICE_RETURN_IF_ERROR(write_snapshot_marker());
  std::string sql = "CREATE_REPLICATION_SLOT " + quote_ident(name) +
                    (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput (SNAPSHOT '" +
                    (want_snapshot ? "export" : "nothing") + "')";
  auto c = exec(repl_.get(), sql, PGRES_TUPLES_OK, "creating replication slot '" + name + "'");
  if (!c.ok()) return c.status();
  pg::parse_lsn(PQgetvalue(c->get(), 0, 1), start_lsn);
  if (want_snapshot && !PQgetisnull(c->get(), 0, 2)) *snapshot_name = PQgetvalue(c->get(), 0, 2);
  confirmed_ = sent_confirmed_ = *start_lsn;
  *created = true;
  return Status::Ok();
}

Status PgCdc::write_snapshot_marker() {
  return snapshot_marker().write(o_.slot);
}

void PgCdc::abandon_snapshot() {
  // The snapshot's read-only transaction may still be open on aux_.
  if (aux_ && PQtransactionStatus(aux_.get()) != PQTRANS_IDLE) {
    (void)exec(aux_.get(), "ROLLBACK", PGRES_COMMAND_OK, "ending the snapshot");
  }
  repl_.reset();             // ends the walsender that holds the slot
  if (o_.temporary) return;  // a temporary slot ended with it
  // The walsender may take a moment to go; until then the slot is active.
  for (int attempt = 0; attempt < 30; ++attempt) {
    auto d = exec_params(aux_.get(), "SELECT pg_drop_replication_slot($1)", {o_.slot},
                         "dropping replication slot '" + o_.slot + "'");
    if (d.ok()) {
      (void)finish_snapshot();
      return;
    }
    usleep(100 * 1000);
  }
  // Left in place: the marker makes the next run drop it.
}

Status PgCdc::finish_snapshot() {
  return snapshot_marker().remove();
}

const std::vector<bool>& PgCdc::key_columns(const pg::PgRelation& rel) {
  auto it = keys_.find(rel.oid);
  if (it != keys_.end() && it->second.size() == rel.columns.size()) return it->second;
  std::vector<bool> k(rel.columns.size(), false);
  bool from_flags = rel.replica_identity == 'd' || rel.replica_identity == 'i';
  if (from_flags) {
    for (size_t i = 0; i < rel.columns.size(); ++i) k[i] = rel.columns[i].key;
  } else if (aux_) {
    // REPLICA IDENTITY FULL flags every column: the key is the primary key.
    auto r = exec_params(
        aux_.get(),
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
        "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::oid AND i.indisprimary",
        {std::to_string(rel.oid)}, "looking up a primary key");
    if (r.ok()) {
      for (int i = 0; i < PQntuples(r->get()); ++i) {
        std::string_view col = PQgetvalue(r->get(), i, 0);
        for (size_t j = 0; j < rel.columns.size(); ++j) {
          if (rel.columns[j].name == col) k[j] = true;
        }
      }
    }
  }
  return keys_[rel.oid] = std::move(k);
}

bool PgCdc::wanted(const pg::PgRelation& rel) const {
  if (o_.tables.empty()) return true;
  for (const auto& t : tables_) {
    if (t.first == rel.schema && t.second == rel.table) return true;
  }
  return false;
}

Status PgCdc::lock_snapshot_tables(PGconn* c) {
  if (tables_.empty()) return Status::Ok();
  std::string list, oids;
  for (const auto& [schema, table] : tables_) {
    std::string qn = quote_ident(schema) + "." + quote_ident(table);
    list += (list.empty() ? "" : ", ") + qn;
    oids += (oids.empty() ? "" : ", ") + quote_literal(qn) + "::regclass";
  }
  // Hold TRUNCATE and DDL off until the copy is done, as Debezium does:
  // TRUNCATE is not MVCC-safe, and a snapshot that reads a table after one
  // committed sees it empty, losing every row it had.
  auto l = exec(c, "LOCK TABLE " + list + " IN ACCESS SHARE MODE", PGRES_COMMAND_OK,
                "locking the tables for the snapshot");
  if (!l.ok()) return l.status();
  // One that committed between the slot's snapshot and the lock is seen
  // by its new file: the snapshot's pg_class row still names the old one.
  auto r = exec(
      c,
      "SELECT c.oid::regclass::text FROM pg_class c WHERE c.oid IN (" + oids +
          ") AND c.relfilenode <> 0 AND c.relfilenode IS DISTINCT FROM pg_relation_filenode(c.oid)",
      PGRES_TUPLES_OK, "checking the tables for the snapshot");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) > 0) {
    snapshot_raced_ = true;
    return Status::TryAgain("table '" + std::string(PQgetvalue(r->get(), 0, 0)) +
                            "' was truncated or rewritten as the snapshot began");
  }
  return Status::Ok();
}

// As Debezium (PostgresSnapshotChangeEventSource): snapshot events carry
// the id of the snapshot's own transaction, txid_current() (0, written as
// null, on a standby), which writes nothing and so is never the txId of a
// streamed change; their lsn is the slot's consistent point, or without a
// slot (--snapshot only) the server's current WAL position.
Status PgCdc::snapshot_position(PGconn* c, uint64_t* xid, uint64_t* lsn) {
  auto x = exec(
      c,
      "SELECT CASE WHEN pg_is_in_recovery() THEN 0 ELSE txid_current() END, "
      "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() ELSE pg_current_wal_lsn() END",
      PGRES_TUPLES_OK, "starting the snapshot");
  if (!x.ok()) return x.status();
  *xid = strtoull(PQgetvalue(x->get(), 0, 0), nullptr, 10);
  if (*lsn == 0 && !PQgetisnull(x->get(), 0, 1)) pg::parse_lsn(PQgetvalue(x->get(), 0, 1), lsn);
  return Status::Ok();
}

Status PgCdc::snapshot(const std::string& snapshot_name, uint64_t lsn) {
  PGconn* c = aux_.get();
  auto b = exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK,
                "starting the snapshot");
  if (!b.ok()) return b.status();
  if (!snapshot_name.empty()) {
    auto s = exec(c, "SET TRANSACTION SNAPSHOT " + quote_literal(snapshot_name), PGRES_COMMAND_OK,
                  "importing the slot's snapshot");
    if (!s.ok()) return s.status();
    if (o_.test.before_snapshot_lock) o_.test.before_snapshot_lock();
    SLUICE_RETURN_IF_ERROR(lock_snapshot_tables(c));
  }
  uint64_t xid = 0;
  SLUICE_RETURN_IF_ERROR(snapshot_position(c, &xid, &lsn));
  int64_t started = o_.env->now_us();

  source_.xid = xid;
  source_.lsn = lsn;
  source_.last_commit_lsn = 0;
  emitter_.begin_snapshot();

  std::vector<pg::PgValue> row;
  for (const auto& [schema, table] : tables_) {
    std::string qn = quote_ident(schema) + "." + quote_ident(table);
    auto oid_r = exec_params(c, "SELECT $1::regclass::oid", {qn},
                             "snapshot of '" + schema + "." + table + "'");
    if (!oid_r.ok()) return oid_r.status();
    auto d = exec(c, "DECLARE sluice_snap NO SCROLL CURSOR FOR SELECT * FROM " + qn,
                  PGRES_COMMAND_OK, "snapshot of '" + schema + "." + table + "'");
    if (!d.ok()) return d.status();
    pg::PgRelation rel;
    rel.oid = static_cast<uint32_t>(strtoul(PQgetvalue(oid_r->get(), 0, 0), nullptr, 10));
    rel.schema = schema;
    rel.table = table;
    rel.replica_identity = 'f';  // key from the primary key (key_columns)
    keys_.erase(rel.oid);
    bool described = false;
    for (;;) {
      if (o_.stop && *o_.stop) return Status::TryAgain("snapshot interrupted");
      auto f = exec(c, "FETCH FORWARD 10000 FROM sluice_snap", PGRES_TUPLES_OK,
                    "snapshot of '" + schema + "." + table + "'");
      if (!f.ok()) return f.status();
      PGresult* res = f->get();
      int n = PQntuples(res), nf = PQnfields(res);
      if (!described) {
        for (int j = 0; j < nf; ++j) {
          rel.columns.push_back(
              pg::PgColumn{PQfname(res, j), PQftype(res, j), PQfmod(res, j), false});
        }
        described = true;
      }
      const std::vector<bool>& keys = key_columns(rel);
      for (int i = 0; i < n; ++i) {
        row.clear();
        for (int j = 0; j < nf; ++j) {
          if (PQgetisnull(res, i, j)) {
            row.push_back(pg::PgValue{'n', {}});
          } else {
            row.push_back(
                pg::PgValue{'t', std::string_view(PQgetvalue(res, i, j),
                                                  static_cast<size_t>(PQgetlength(res, i, j)))});
          }
        }
        pg::fill_row(rel, keys, row, nullptr, o_.values, after_row_);
        SLUICE_RETURN_IF_ERROR(emitter_.snapshot_row(TableId{schema, table}, after_row_, started));
      }
      SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
      stats_.tick();
      if (n == 0) break;
    }
    auto cl = exec(c, "CLOSE sluice_snap", PGRES_COMMAND_OK,
                   "snapshot of '" + schema + "." + table + "'");
    if (!cl.ok()) return cl.status();
  }
  SLUICE_RETURN_IF_ERROR(emitter_.end_snapshot());
  auto e = exec(c, "COMMIT", PGRES_COMMAND_OK, "ending the snapshot");
  return e.ok() ? Status::Ok() : e.status();
}

void PgCdc::begin_tx(uint32_t xid, uint64_t final_lsn, int64_t ts_us) {
  source_.xid = xid;
  if (o_.tx_markers) tx_id_ = std::to_string(xid) + ":" + std::to_string(final_lsn);
  emitter_.begin(tx_id_, ts_us);
}

Status PgCdc::commit_tx(uint64_t end_lsn, int64_t ts_us) {
  SLUICE_RETURN_IF_ERROR(emitter_.commit(ts_us, end_lsn));
  last_commit_lsn_ = source_.last_commit_lsn = end_lsn;
  return Status::Ok();
}

// A spill record: subxact xid (4), data_start (8), length (4), then the
// message in its non-streamed form (type byte, body without the xid).
Status PgCdc::spill(std::string_view data, uint64_t data_start) {
  uint32_t subxid = 0;
  Result<StreamedTx*> txr = streamed_change(data, &subxid);
  if (!txr.ok()) return txr.status();
  StreamedTx& tx = **txr;
  char head[17];
  uint32_t len = static_cast<uint32_t>(data.size() - 4);
  memcpy(head, &subxid, 4);
  memcpy(head + 4, &data_start, 8);
  memcpy(head + 12, &len, 4);
  head[16] = data[0];
  SLUICE_RETURN_IF_ERROR(tx.spill->append(std::string_view(head, sizeof head)));
  return tx.spill->append(data.substr(5));
}

Result<PgCdc::StreamedTx*> PgCdc::streamed_change(std::string_view data, uint32_t* subxid) {
  if (data.size() < 5) return Status::BadData("pgoutput streamed message is truncated");
  *subxid = 0;
  for (size_t i = 1; i < 5; ++i) *subxid = (*subxid << 8) | static_cast<uint8_t>(data[i]);
  StreamedTx& tx = streams_[stream_xid_];
  SLUICE_RETURN_IF_ERROR(open_spill(tx));
  return &tx;
}

Status PgCdc::open_spill(StreamedTx& tx) {
  if (!tx.spill) {
    auto f = pg::SpillFile::Create(o_.env, pg::SpillFile::default_dir());
    if (!f.ok()) return f.status();
    tx.spill = std::move(*f);
  }
  return Status::Ok();
}

// Decodes one streamed change (in its stream's relation cache) and formats
// its events through format_emitter_, which writes them to the stream's
// spill file.
Status PgCdc::format_streamed(std::string_view data, uint64_t data_start) {
  uint32_t subxid = 0;
  Result<StreamedTx*> txr = streamed_change(data, &subxid);
  if (!txr.ok()) return txr.status();
  StreamedTx& tx = **txr;
  if (!tx.decoder) tx.decoder = std::make_unique<pg::PgOutputDecoder>();
  replay_buf_.assign(1, data[0]);
  replay_buf_.append(data.substr(5));
  SLUICE_RETURN_IF_ERROR(tx.decoder->decode(replay_buf_, msg_));
  spill_target_.subxid = subxid;
  format_source_.xid = stream_xid_;
  return handle_change(msg_, data_start, format_emitter_, format_source_, *tx.decoder);
}

// A formatted record: subxact xid (4), has_key (1), key length (4), value
// length (4), the CommitFieldOffsets (4 x 4), then key and value bytes.
Status PgCdc::write_formatted(uint32_t subxid, std::optional<std::string_view> key,
                              std::string_view value, const debezium::DeferredFields& offsets) {
  StreamedTx& tx = streams_[stream_xid_];
  uint32_t head[8];
  head[0] = subxid;
  head[1] = key ? 1 : 0;
  head[2] = key ? static_cast<uint32_t>(key->size()) : 0;
  head[3] = static_cast<uint32_t>(value.size());
  head[4] = static_cast<uint32_t>(offsets.ts_begin);
  head[5] = static_cast<uint32_t>(offsets.ts_end);
  head[6] = static_cast<uint32_t>(offsets.commit_begin);
  head[7] = static_cast<uint32_t>(offsets.commit_end);
  pg::SpillFile& f = *tx.spill;
  SLUICE_RETURN_IF_ERROR(
      f.append(std::string_view(reinterpret_cast<const char*>(head), sizeof head)));
  if (head[2]) SLUICE_RETURN_IF_ERROR(f.append(*key));
  return f.append(value);
}

// Emits the formatted events of a committed streamed transaction, filling
// in its commit time and the previous commit's LSN.
Status PgCdc::replay_formatted(pg::SpillFile& f, const std::vector<uint32_t>& aborted_subxacts,
                               int64_t ts_us) {
  std::string commit_part;
  pg::PgSourceWriter::append_last_commit(last_commit_lsn_, commit_part);
  uint32_t head[8];
  uint64_t replayed = 0;
  for (;;) {
    auto got = f.read(head, sizeof head);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    if (*got != sizeof head)
      return Status::IoError("a streamed transaction's temporary file is truncated");
    size_t key_len = head[2], value_len = head[3];
    replay_buf_.resize(key_len + value_len);
    got = f.read(replay_buf_.data(), replay_buf_.size());
    if (!got.ok()) return got.status();
    if (*got != replay_buf_.size()) {
      return Status::IoError("a streamed transaction's temporary file is truncated");
    }
    if (std::find(aborted_subxacts.begin(), aborted_subxacts.end(), head[0]) !=
        aborted_subxacts.end()) {
      continue;
    }
    debezium::DeferredFields offsets;
    offsets.ts_begin = head[4];
    offsets.ts_end = head[5];
    offsets.commit_begin = head[6];
    offsets.commit_end = head[7];
    if (offsets.ts_begin > offsets.ts_end || offsets.ts_end > offsets.commit_begin ||
        offsets.commit_begin > offsets.commit_end || offsets.commit_end > value_len) {
      return Status::IoError("a streamed transaction's temporary file is corrupt");
    }
    value_buf_.clear();
    debezium::append_completed(std::string_view(replay_buf_).substr(key_len), offsets, ts_us,
                               commit_part, value_buf_);
    std::optional<std::string_view> key;
    if (head[1] != 0) key = std::string_view(replay_buf_).substr(0, key_len);
    // Only on stdout (see preformat_): the route names no table.
    SLUICE_RETURN_IF_ERROR(emitter_.emit_completed(CdcRoute{db_, {}, {}, false}, key, value_buf_));
    if (++replayed % 4096 == 0) SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
  }
  return Status::Ok();
}

Status PgCdc::stream_commit() {
  uint32_t xid = msg_.xid;
  uint64_t end_lsn = msg_.end_lsn;
  int64_t ts = msg_.ts_us;
  begin_tx(xid, msg_.lsn, ts);
  auto it = streams_.find(xid);
  if (it != streams_.end() && it->second.spill) {
    StreamedTx tx = std::move(it->second);
    streams_.erase(it);
    pg::SpillFile& f = *tx.spill;
    SLUICE_RETURN_IF_ERROR(f.rewind());
    if (preformat_) {
      // pgoutput now takes the relations this stream described as sent.
      if (tx.decoder) {
        decoder_.adopt_relations(*tx.decoder);
        keys_.clear();  // key columns are recomputed from the relations
      }
      SLUICE_RETURN_IF_ERROR(replay_formatted(f, tx.aborted_subxacts, ts));
      return commit_tx(end_lsn, ts);
    }
    char head[16];
    uint64_t replayed = 0;
    for (;;) {
      auto got = f.read(head, sizeof head);
      if (!got.ok()) return got.status();
      if (*got == 0) break;
      if (*got != sizeof head)
        return Status::IoError("a streamed transaction's temporary file is truncated");
      uint32_t subxid, len;
      uint64_t data_start;
      memcpy(&subxid, head, 4);
      memcpy(&data_start, head + 4, 8);
      memcpy(&len, head + 12, 4);
      replay_buf_.resize(len);
      got = f.read(replay_buf_.data(), len);
      if (!got.ok()) return got.status();
      if (*got != len)
        return Status::IoError("a streamed transaction's temporary file is truncated");
      if (std::find(tx.aborted_subxacts.begin(), tx.aborted_subxacts.end(), subxid) !=
          tx.aborted_subxacts.end()) {
        continue;
      }
      SLUICE_RETURN_IF_ERROR(decoder_.decode(replay_buf_, msg_));
      SLUICE_RETURN_IF_ERROR(handle_message(data_start));
      if (++replayed % 4096 == 0) SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
    }
  } else if (it != streams_.end()) {
    streams_.erase(it);
  }
  return commit_tx(end_lsn, ts);
}

Status PgCdc::handle_xlog(std::string_view data, uint64_t data_start) {
  if (in_stream_ && !data.empty() && strchr("RYIUDTM", data[0]) != nullptr && data[0] != '\0') {
    return preformat_ ? format_streamed(data, data_start) : spill(data, data_start);
  }
  SLUICE_RETURN_IF_ERROR(decoder_.decode(data, msg_));
  return handle_message(data_start);
}

Status PgCdc::handle_message(uint64_t data_start) {
  pg::PgMessage& m = msg_;
  switch (m.type) {
    case pg::PgMessageType::kBegin:
      begin_tx(m.xid, m.lsn, m.ts_us);
      return Status::Ok();
    case pg::PgMessageType::kCommit:
      return commit_tx(m.end_lsn, m.ts_us);
    case pg::PgMessageType::kStreamStart: {
      in_stream_ = true;
      stream_xid_ = m.xid;
      StreamedTx& tx = streams_[m.xid];
      if (m.first_segment) {
        tx.spill.reset();
        tx.aborted_subxacts.clear();
        tx.decoder.reset();
      }
      return Status::Ok();
    }
    case pg::PgMessageType::kStreamStop:
      in_stream_ = false;
      return Status::Ok();
    case pg::PgMessageType::kStreamAbort: {
      auto it = streams_.find(m.xid);
      if (it == streams_.end()) return Status::Ok();
      if (m.subxid == m.xid) {
        streams_.erase(it);  // the whole transaction rolled back
      } else {
        it->second.aborted_subxacts.push_back(m.subxid);
      }
      return Status::Ok();
    }
    case pg::PgMessageType::kStreamCommit:
      return stream_commit();
    case pg::PgMessageType::kRelation:
    case pg::PgMessageType::kInsert:
    case pg::PgMessageType::kUpdate:
    case pg::PgMessageType::kDelete:
    case pg::PgMessageType::kTruncate:
      return handle_change(m, data_start, emitter_, source_, decoder_);
    default:
      // Origin, Type, Message; two-phase messages are not requested.
      return Status::Ok();
  }
}

Status PgCdc::handle_change(const pg::PgMessage& m, uint64_t data_start, ChangeEmitter& out,
                            pg::PgSourceWriter& src, const pg::PgOutputDecoder& dec) {
  src.lsn = data_start;
  switch (m.type) {
    case pg::PgMessageType::kRelation:
      keys_.erase(m.relation->oid);  // columns may have changed
      check_identity(*m.relation);
      return Status::Ok();
    case pg::PgMessageType::kInsert: {
      const pg::PgRelation& rel = *m.relation;
      if (!wanted(rel)) return Status::Ok();
      pg::fill_row(rel, key_columns(rel), m.new_values, nullptr, o_.values, after_row_);
      return out.change('c', TableId{rel.schema, rel.table}, nullptr, &after_row_);
    }
    case pg::PgMessageType::kUpdate: {
      const pg::PgRelation& rel = *m.relation;
      if (!wanted(rel)) return Status::Ok();
      const std::vector<bool>& keys = key_columns(rel);
      // The old tuple: the whole row ('O', REPLICA IDENTITY FULL), or the
      // old key only when it changed ('K').
      const std::vector<pg::PgValue>* old = m.old_kind ? &m.old_values : nullptr;
      if (old) pg::fill_row(rel, keys, *old, nullptr, o_.values, before_row_);
      pg::fill_row(rel, keys, m.new_values, m.old_kind == 'O' ? old : nullptr, o_.values,
                   after_row_);
      return out.update(TableId{rel.schema, rel.table}, m.old_kind == 'O' ? &before_row_ : nullptr,
                        old ? &before_row_ : nullptr, after_row_);
    }
    case pg::PgMessageType::kDelete: {
      const pg::PgRelation& rel = *m.relation;
      if (!wanted(rel)) return Status::Ok();
      pg::fill_row(rel, key_columns(rel), m.old_values, nullptr, o_.values, before_row_);
      return out.change('d', TableId{rel.schema, rel.table}, &before_row_, nullptr);
    }
    case pg::PgMessageType::kTruncate:
      for (uint32_t oid : m.truncated) {
        const pg::PgRelation* rel = dec.relation(oid);
        if (!rel || !wanted(*rel)) continue;
        SLUICE_RETURN_IF_ERROR(out.truncate(TableId{rel->schema, rel->table}));
      }
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

void PgCdc::advance_confirmed() {
  const bool all_acknowledged = emitter_.advance(&confirmed_);
  // Idle: every received transaction is taken, none is open. Whatever the
  // server decoded up to its last keepalive position holds nothing for us.
  if (all_acknowledged && !emitter_.in_transaction() && streams_.empty()) {
    confirmed_ = std::max(confirmed_, server_wal_end_);
  }
}

Status PgCdc::send_status(bool reply_requested) {
  char buf[1 + 8 * 4 + 1];
  buf[0] = 'r';
  auto put64 = [&](int at, uint64_t v) {
    for (int i = 0; i < 8; ++i) buf[at + i] = static_cast<char>(v >> (56 - 8 * i));
  };
  put64(1, confirmed_);
  put64(9, confirmed_);
  put64(17, confirmed_);
  put64(25, static_cast<uint64_t>(o_.env->now_us() - pg::kPgEpochOffsetUs));
  buf[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(repl_.get(), buf, sizeof buf) <= 0 || PQflush(repl_.get()) < 0) {
    source_lost_ = true;
    return Status::Unavailable("lost the replication connection to '" + server_ +
                               "': " + scrub(PQerrorMessage(repl_.get()), password_));
  }
  sent_confirmed_ = confirmed_;
  last_status_ = Clock::now();
  return Status::Ok();
}

Status PgCdc::stream(uint64_t start_lsn) {
  std::string sql =
      "START_REPLICATION SLOT " + quote_ident(o_.slot) + " LOGICAL " + pg::format_lsn(start_lsn) +
      " (proto_version '" + std::to_string(proto_version_) + "', publication_names " +
      quote_literal(quote_ident(o_.publication)) + (streaming_ ? ", streaming 'on'" : "") + ")";
  source_lost_ = false;
  auto r =
      exec(repl_.get(), sql, PGRES_COPY_BOTH, "starting replication from slot '" + o_.slot + "'");
  if (!r.ok()) {
    source_lost_ = r.status().is(StatusCode::kUnavailable);
    return r.status();
  }
  if (resumed_)
    warn("reconnected to '" + server_ + "': streaming again from slot '" + o_.slot + "'");
  PGconn* c = repl_.get();
  last_status_ = Clock::now();
  auto last_heartbeat = Clock::now();
  uint64_t since_check = 0;
  Status result;
  for (;;) {
    if (o_.stop && *o_.stop) break;
    char* buf = nullptr;
    int n = PQgetCopyData(c, &buf, 1);
    if (n > 0) {
      std::unique_ptr<char, decltype(&PQfreemem)> hold(buf, &PQfreemem);
      std::string_view frame(buf, static_cast<size_t>(n));
      auto be64 = [&](size_t at) {
        uint64_t v = 0;
        for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(frame[at + i]);
        return v;
      };
      if (frame[0] == 'w' && frame.size() >= 25) {
        Status st = handle_xlog(frame.substr(25), be64(1));
        if (!st.ok()) {
          result = st.is(StatusCode::kBadData) ? st.With("decoding the replication stream") : st;
          break;
        }
      } else if (frame[0] == 'k' && frame.size() >= 18) {
        server_wal_end_ = std::max(server_wal_end_, be64(1));
        if (frame[17]) {
          advance_confirmed();
          if (Status st = send_status(false); !st.ok()) {
            result = st;
            break;
          }
        }
      }
      if (++since_check >= 4096) {
        since_check = 0;
        advance_confirmed();
        if (confirmed_ != sent_confirmed_ &&
            Clock::now() - last_status_ >= std::chrono::seconds(1)) {
          if (Status st = send_status(false); !st.ok()) {
            result = st;
            break;
          }
        }
        stats_.tick();
      }
      continue;
    }
    if (n == -1) {  // the server ended the stream
      source_lost_ = true;
      ResultPtr end(PQgetResult(c));
      if (end && PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
        result = classify(c, end.get(), "replication from slot '" + o_.slot + "'");
      } else {
        result = Status::Unavailable("the server '" + server_ + "' ended replication");
      }
      break;
    }
    if (n == -2) {
      source_lost_ = true;
      result = Status::Unavailable("lost the replication connection to '" + server_ +
                                   "': " + scrub(PQerrorMessage(c), password_));
      break;
    }
    // Nothing buffered: push events out, confirm, then wait.
    Status st = sink_.poll(Millis(0));
    if (!st.ok()) {
      result = st;
      break;
    }
    if (!sink_.error().ok()) {
      result = sink_.error().With("delivering change events");
      break;
    }
    advance_confirmed();
    auto now = Clock::now();
    if (confirmed_ != sent_confirmed_ && now - last_status_ >= std::chrono::milliseconds(200)) {
      if (Status s = send_status(false); !s.ok()) {
        result = s;
        break;
      }
    }
    if (now - last_heartbeat >= o_.heartbeat) {
      last_heartbeat = now;
      // Ask for a keepalive: its position is confirmed when idle.
      if (Status s = send_status(true); !s.ok()) {
        result = s;
        break;
      }
    }
    stats_.tick();
    bool waiting_acks = sink_.acknowledged() < emitter_.last_ticket();
    struct pollfd p[2] = {{PQsocket(c), POLLIN, 0}, {o_.stop_fd, POLLIN, 0}};
    int wait_ms = waiting_acks ? 10 : 200;
    ::poll(p, o_.stop_fd >= 0 ? 2 : 1, wait_ms);
    if (PQconsumeInput(c) == 0) {
      source_lost_ = true;
      result = Status::Unavailable("lost the replication connection to '" + server_ +
                                   "': " + scrub(PQerrorMessage(c), password_));
      break;
    }
  }
  if (result.is(StatusCode::kClosed)) result = Status::Ok();  // stdout reader left
  // Drain: confirm what the sink acknowledged, then end the stream.
  Status st = sink_.flush(o_.timeout);
  advance_confirmed();
  if (PQstatus(c) == CONNECTION_OK) {
    (void)send_status(false);
    PQputCopyEnd(c, nullptr);
    PQflush(c);
  }
  if (result.ok() && !st.ok() && !st.is(StatusCode::kClosed) && !st.is(StatusCode::kTryAgain))
    result = st;
  if (result.ok() && !sink_.error().ok()) result = sink_.error().With("delivering change events");
  return result;
}

Status PgCdc::run() {
  SLUICE_RETURN_IF_ERROR(connect(false, &aux_));
  SLUICE_RETURN_IF_ERROR(check_server());
  if (o_.snapshot == SnapshotMode::kOnly) {
    auto r = exec_params(aux_.get(), "SELECT 1 FROM pg_publication WHERE pubname = $1",
                         {o_.publication}, "looking up the publication");
    if (!r.ok()) return r.status();
    if (PQntuples(r->get()) == 1) {
      SLUICE_RETURN_IF_ERROR(check_tables());
    } else {
      if (o_.tables.empty()) {
        return Status::Config("publication '" + o_.publication +
                              "' does not exist: name the tables with "
                              "--tables, or create the publication");
      }
      for (const std::string& t : o_.tables) tables_.push_back(split_table(t));
    }
    SLUICE_RETURN_IF_ERROR(snapshot("", 0));
    Status st = sink_.flush(o_.timeout);
    if (st.is(StatusCode::kClosed)) return Status::Ok();
    if (st.ok() && !sink_.error().ok()) return sink_.error().With("delivering change events");
    return st;
  }
  SLUICE_RETURN_IF_ERROR(ensure_publication());
  SLUICE_RETURN_IF_ERROR(check_tables());
  SLUICE_RETURN_IF_ERROR(connect_replication());
  bool created = false;
  std::string snapshot_name;
  uint64_t start_lsn = 0;
  SLUICE_RETURN_IF_ERROR(prepare_slot_waiting(&created, &snapshot_name, &start_lsn));
  for (int attempt = 1; created && !snapshot_name.empty(); ++attempt) {
    Status st = snapshot(snapshot_name, start_lsn);
    bool interrupted = o_.stop && *o_.stop;
    if (!st.ok() || interrupted) {
      // A half-taken snapshot is taken again by the next run.
      abandon_snapshot();
      if (snapshot_raced_ && !interrupted && attempt < 5) {
        // A TRUNCATE slipped in between the slot's snapshot and our table
        // locks (lock_snapshot_tables); nothing was emitted: start over.
        warn(st.message() + ": taking the snapshot again");
        snapshot_raced_ = false;
        SLUICE_RETURN_IF_ERROR(connect_replication());
        SLUICE_RETURN_IF_ERROR(prepare_slot_waiting(&created, &snapshot_name, &start_lsn));
        continue;
      }
      if (!interrupted) return st;
      warn("snapshot interrupted: the next run takes it again");
      Status f = sink_.flush(o_.timeout);
      return f.is(StatusCode::kClosed) || f.is(StatusCode::kTryAgain) ? Status::Ok() : f;
    }
    // Every snapshot row must be taken before the slot marks it complete.
    Status f = sink_.flush(o_.timeout);
    if (f.is(StatusCode::kClosed)) return Status::Ok();
    if (f.is(StatusCode::kTryAgain) && o_.stop && *o_.stop) {
      abandon_snapshot();
      warn("stopped before the snapshot was delivered: the next run takes the snapshot again");
      return Status::Ok();
    }
    if (!f.ok()) return f.With("delivering the snapshot");
    if (!sink_.error().ok()) return sink_.error().With("delivering the snapshot");
    SLUICE_RETURN_IF_ERROR(finish_snapshot());
    break;
  }
  last_commit_lsn_ = 0;
  return stream_reconnecting(start_lsn);
}

Status PgCdc::stream_reconnecting(uint64_t start_lsn) {
  Status st = stream(start_lsn);
  Backoff backoff(Millis(500), Millis(30000));
  while (o_.reconnect && !o_.temporary && source_lost_ && st.is(StatusCode::kUnavailable) &&
         !stopped()) {
    const Millis wait = backoff.next();
    warn(st.message() + ": reconnecting in " + std::to_string(wait.count()) +
         " ms (--no-reconnect to exit instead)");
    struct pollfd p = {o_.stop_fd, POLLIN, 0};
    ::poll(&p, o_.stop_fd >= 0 ? 1 : 0, static_cast<int>(wait.count()));
    if (stopped()) return Status::Ok();
    const auto began = Clock::now();
    st = resume();
    // A connection that streamed for a while starts the backoff afresh.
    if (Clock::now() - began > backoff.max()) backoff.reset();
  }
  return st;
}

void PgCdc::reset_session() {
  // What a lost connection left half done is sent again by the server from
  // the slot's confirmed position (at least once): forget it.
  decoder_.reset();
  keys_.clear();
  streams_.clear();
  in_stream_ = false;
  emitter_.abandon();
}

Status PgCdc::resume() {
  repl_.reset();
  aux_.reset();
  source_lost_ = true;  // until a stream starts, every failure is the server's
  SLUICE_RETURN_IF_ERROR(connect(false, &aux_));
  auto r = exec_params(aux_.get(), "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                       {o_.slot}, "looking up replication slot '" + o_.slot + "'");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) != 1) {
    source_lost_ = false;
    return Status::Config("replication slot '" + o_.slot + "' on '" + server_ +
                          "' was dropped while cdc-pg was reconnecting: changes since may be lost; "
                          "start again (a new slot takes a new snapshot)");
  }
  SLUICE_RETURN_IF_ERROR(connect_replication());
  bool created = false;
  std::string snapshot_name;
  uint64_t start_lsn = 0;
  Status st = prepare_slot_waiting(&created, &snapshot_name, &start_lsn);
  if (!st.ok()) {
    source_lost_ = st.is(StatusCode::kUnavailable);
    return st;
  }
  reset_session();
  resumed_ = true;
  return stream(start_lsn);
}

}  // namespace

std::string redact_conninfo(std::string_view conninfo) {
  char* err = nullptr;
  std::string ci(conninfo);
  std::unique_ptr<PQconninfoOption, ConninfoDeleter> opts(PQconninfoParse(ci.c_str(), &err));
  if (err) PQfreemem(err);
  if (!opts) return "<unparsable conninfo>";
  std::string user, host, port, db;
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o) {
    if (!o->val) continue;
    std::string k = o->keyword;
    if (k == "user")
      user = o->val;
    else if (k == "host" || (k == "hostaddr" && host.empty()))
      host = o->val;
    else if (k == "port")
      port = o->val;
    else if (k == "dbname")
      db = o->val;
  }
  std::string out;
  if (!user.empty()) out += user + "@";
  out += host.empty() ? "localhost" : host;
  if (!port.empty()) out += ":" + port;
  if (!db.empty()) out += "/" + db;
  return out;
}

Status run_pg_cdc(const PgCdcOptions& opts, CdcSink& sink, RunStats& stats) {
  PgCdc cdc(opts, sink, stats);
  return cdc.run();
}

}  // namespace sluice
