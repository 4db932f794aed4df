// cdc-pg: checks of the server, the publication and its tables, and the
// replication slot with its snapshot marker (see pg_cdc.h).
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "cdc/pg_cdc.h"

namespace sluice::pg {

Status PgCdc::connect_replication() {
  SLUICE_RETURN_IF_ERROR(client_.connect(true, &repl_));
  auto id = client_.exec(repl_.get(), "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "identifying the server");
  return id.ok() ? Status::Ok() : id.status();
}

Status PgCdc::check_server() {
  auto r = client_.exec(
      aux_.get(),
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
    return Status::Config("postgresql '" + client_.server() + "' is version " +
                          std::to_string(version) +
                          ": logical replication with pgoutput needs PostgreSQL 10 or later");
  }
  if (wal_level != "logical" && o_.snapshot != SnapshotMode::kOnly) {
    return Status::Config("postgresql '" + client_.server() + "' has wal_level = " + wal_level +
                          ": set wal_level = logical in postgresql.conf and restart the server");
  }
  if (!can_replicate && o_.snapshot != SnapshotMode::kOnly) {
    return Status::PermissionDenied("role '" + user + "' on '" + client_.server() +
                                    "' lacks the REPLICATION attribute: run ALTER ROLE " +
                                    quote_ident(user) + " REPLICATION as a superuser");
  }
  int max_proto = version >= 150000 ? 3 : version >= 140000 ? 2 : 1;
  proto_version_ = o_.proto_version ? o_.proto_version : max_proto;
  if (proto_version_ > max_proto && o_.snapshot != SnapshotMode::kOnly) {
    return Status::Config("postgresql '" + client_.server() +
                          "' speaks pgoutput protocol up to version " + std::to_string(max_proto) +
                          ": use --proto-version " + std::to_string(max_proto));
  }
  if (o_.stream_in_progress == StreamInProgress::kOn && proto_version_ < 2 &&
      o_.snapshot != SnapshotMode::kOnly) {
    return Status::Config(
        "--stream-in-progress needs pgoutput protocol 2 (PostgreSQL 14 or later)" +
        std::string(o_.proto_version == 1 ? ": drop --proto-version 1" : ""));
  }
  streaming_ = o_.stream_in_progress == StreamInProgress::kOn ||
               (o_.stream_in_progress == StreamInProgress::kAuto && proto_version_ >= 2);
  debezium::SourceInfo info{SLUICE_VERSION, "postgresql", o_.name.empty() ? db_ : o_.name, db_};
  // Streamed transactions are formatted as they arrive on stdout without
  // transaction markers (see pg_streamed.h).
  streamed_.set_preformat(streaming_ && !o_.events.tx_markers && !sink_.keyed_stream(), info);
  emitter_.set_info(std::move(info));
  return Status::Ok();
}

Status PgCdc::ensure_publication() {
  auto r =
      client_.exec_params(aux_.get(), "SELECT puballtables FROM pg_publication WHERE pubname = $1",
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
    return Status::Config("publication '" + o_.publication + "' does not exist on '" +
                          client_.server() + "': create it (" + sql +
                          ") or pass --create-publication");
  }
  auto c = client_.exec(aux_.get(), sql, PGRES_COMMAND_OK,
                        "creating publication '" + o_.publication + "'");
  if (!c.ok()) return c.status();
  publication_all_tables_ = o_.tables.empty();
  return Status::Ok();
}

Status PgCdc::check_tables() {
  auto r = client_.exec_params(
      aux_.get(),
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
  auto r =
      client_.exec_params(aux_.get(),
                          "SELECT active_pid, plugin, database, confirmed_flush_lsn, temporary "
                          "FROM pg_replication_slots WHERE slot_name = $1",
                          {o_.slot}, "looking up replication slot '" + o_.slot + "'");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) == 1) {
    PGresult* res = r->get();
    if (!PQgetisnull(res, 0, 0)) {
      return Status::TryAgain("replication slot '" + o_.slot + "' on '" + client_.server() +
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
    auto d = client_.exec_params(aux_.get(), "SELECT pg_drop_replication_slot($1)", {o_.slot},
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
  auto c =
      client_.exec(repl_.get(), sql, PGRES_TUPLES_OK, "creating replication slot '" + name + "'");
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
    (void)client_.exec(aux_.get(), "ROLLBACK", PGRES_COMMAND_OK, "ending the snapshot");
  }
  repl_.reset();             // ends the walsender that holds the slot
  if (o_.temporary) return;  // a temporary slot ended with it
  // The walsender may take a moment to go; until then the slot is active.
  for (int attempt = 0; attempt < 30; ++attempt) {
    auto d = client_.exec_params(aux_.get(), "SELECT pg_drop_replication_slot($1)", {o_.slot},
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
    auto r = client_.exec_params(
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

}  // namespace sluice::pg
