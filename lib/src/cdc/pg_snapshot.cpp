// cdc-pg: the initial snapshot, read from the slot's exported snapshot
// (see pg_cdc.h).
#include <cstdlib>

#include "cdc/pg_cdc.h"

namespace sluice::pg {

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
  auto l = client_.exec(c, "LOCK TABLE " + list + " IN ACCESS SHARE MODE", PGRES_COMMAND_OK,
                        "locking the tables for the snapshot");
  if (!l.ok()) return l.status();
  // One that committed between the slot's snapshot and the lock is seen
  // by its new file: the snapshot's pg_class row still names the old one.
  auto r = client_.exec(
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
  auto x = client_.exec(
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
  auto b = client_.exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK,
                        "starting the snapshot");
  if (!b.ok()) return b.status();
  if (!snapshot_name.empty()) {
    auto s = client_.exec(c, "SET TRANSACTION SNAPSHOT " + quote_literal(snapshot_name),
                          PGRES_COMMAND_OK, "importing the slot's snapshot");
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
    auto oid_r = client_.exec_params(c, "SELECT $1::regclass::oid", {qn},
                                     "snapshot of '" + schema + "." + table + "'");
    if (!oid_r.ok()) return oid_r.status();
    auto d = client_.exec(c, "DECLARE sluice_snap NO SCROLL CURSOR FOR SELECT * FROM " + qn,
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
      auto f = client_.exec(c, "FETCH FORWARD 10000 FROM sluice_snap", PGRES_TUPLES_OK,
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
    auto cl = client_.exec(c, "CLOSE sluice_snap", PGRES_COMMAND_OK,
                           "snapshot of '" + schema + "." + table + "'");
    if (!cl.ok()) return cl.status();
  }
  SLUICE_RETURN_IF_ERROR(emitter_.end_snapshot());
  auto e = client_.exec(c, "COMMIT", PGRES_COMMAND_OK, "ending the snapshot");
  return e.ok() ? Status::Ok() : e.status();
}

}  // namespace sluice::pg
