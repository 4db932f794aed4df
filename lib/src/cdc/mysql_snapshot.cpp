// cdc-mysql: the consistent snapshot (see mysql_cdc.h).
//
// MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT, then the
// binlog_snapshot_file/binlog_snapshot_position status variables give the
// binlog position of exactly that snapshot: no lock at all. MySQL: a brief
// FLUSH TABLES WITH READ LOCK (RELOAD privilege) around the snapshot's
// start and SHOW MASTER STATUS. Rows are read in primary-key chunks
// (keyset pagination: WHERE (k1,k2) > (last) ORDER BY k1,k2 LIMIT N), each
// row an op "r" event; streaming then starts from the snapshot's position.
#include <mysqld_error.h>

#include "cdc/mysql_cdc.h"
#include "sluice/status.h"

namespace sluice::mysql {

Status MysqlCdc::snapshot(BinlogPosition* at) {
  MysqlPtr conn;
  SLUICE_RETURN_IF_ERROR(client_.connect(&conn));
  MYSQL* m = conn.get();
  SLUICE_RETURN_IF_ERROR(client_.exec(m, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                                      "starting the snapshot"));
  if (client_.mariadb()) {
    SLUICE_RETURN_IF_ERROR(client_.exec(m, "START TRANSACTION WITH CONSISTENT SNAPSHOT",
                                        "starting the snapshot transaction"));
    auto r =
        client_.query(m, "SHOW STATUS LIKE 'binlog_snapshot_%'", "reading the snapshot position");
    if (!r.ok()) return r.status();
    at->file.clear();
    at->pos = 0;
    while (MYSQL_ROW row = mysql_fetch_row(r->get())) {
      const std::string name = row[0] ? row[0] : "";
      if (name == "Binlog_snapshot_file" || name == "binlog_snapshot_file")
        at->file = row[1] ? row[1] : "";
      if (name == "Binlog_snapshot_position" || name == "binlog_snapshot_position")
        at->pos = std::strtoull(row[1] ? row[1] : "0", nullptr, 10);
    }
    if (at->file.empty() || at->pos == 0)
      return Status::Config("mysql '" + client_.server() +
                            "': no binlog_snapshot_file/position status (is log_bin on?)");
    auto g = client_.scalar(m, "SELECT @@global.gtid_binlog_pos", "reading gtid_binlog_pos");
    at->gtid = g.ok() && g->has_value() ? **g : "";
  } else {
    SLUICE_RETURN_IF_ERROR(client_.exec(m, "FLUSH TABLES WITH READ LOCK",
                                        "locking for the snapshot position (needs RELOAD)"));
    Status st = client_.exec(m, "START TRANSACTION WITH CONSISTENT SNAPSHOT",
                             "starting the snapshot transaction");
    BinlogPosition p;
    if (st.ok()) {
      MysqlPtr saved = std::move(aux_);
      aux_ = std::move(conn);
      st = current_position(&p);
      conn = std::move(aux_);
      aux_ = std::move(saved);
      m = conn.get();
    }
    (void)client_.exec(m, "UNLOCK TABLES", "unlocking");
    SLUICE_RETURN_IF_ERROR(st);
    *at = p;
  }
  source_.file = at->file;
  source_.pos = at->pos;
  source_.gtid.clear();
  source_.row = 0;
  source_.thread = -1;
  const int64_t started_us = o_.env->now_us();
  emitter_.begin_snapshot();
  for (const auto& [db, table] : tables_) {
    if (stopped()) break;
    SLUICE_RETURN_IF_ERROR(snapshot_table(m, db, table, started_us));
  }
  SLUICE_RETURN_IF_ERROR(emitter_.end_snapshot());
  (void)client_.exec(m, "COMMIT", "ending the snapshot");
  return Status::Ok();
}

Status MysqlCdc::snapshot_table(MYSQL* m, const std::string& db, const std::string& table,
                                int64_t started_us) {
  TableMap cols;
  SLUICE_RETURN_IF_ERROR(load_columns(db, table, &cols));
  // The text protocol converts every character column to the connection's
  // utf8mb4.
  for (Column& c : cols.columns) {
    if (c.collation != kBinaryCollation) c.collation = 45;
  }
  std::string select = "SELECT ";
  std::vector<size_t> key;
  for (size_t i = 0; i < cols.columns.size(); ++i) {
    if (i) select += ",";
    select += quote_ident(cols.columns[i].name);
    if (cols.columns[i].key) key.push_back(i);
  }
  select += " FROM " + quote_ident(db) + "." + quote_ident(table);
  std::string order;
  for (size_t k = 0; k < key.size(); ++k) {
    if (k) order += ",";
    order += quote_ident(cols.columns[key[k]].name);
  }
  const TableId id{db, table};
  use_db(db);
  std::vector<std::string> last;  // the last key read, as SQL literals
  for (;;) {
    if (stopped()) return Status::Ok();
    std::string sql = select;
    if (!key.empty()) {
      if (!last.empty()) {
        sql += " WHERE (" + order + ") > (";
        for (size_t k = 0; k < last.size(); ++k) sql += (k ? "," : "") + last[k];
        sql += ")";
      }
      sql += " ORDER BY " + order + " LIMIT " + std::to_string(o_.snapshot_chunk);
    }
    if (mysql_real_query(m, sql.data(), sql.size()) != 0)
      return client_.classify(m, "reading table '" + db + "." + table + "'");
    ResultPtr r(mysql_use_result(m));
    if (!r) return client_.classify(m, "reading table '" + db + "." + table + "'");
    size_t n = 0;
    while (MYSQL_ROW row = mysql_fetch_row(r.get())) {
      unsigned long* len = mysql_fetch_lengths(r.get());
      after_.clear();
      for (size_t i = 0; i < cols.columns.size(); ++i) {
        const Column& c = cols.columns[i];
        std::string& out = after_.add(c.name, c.key);
        if (!row[i]) {
          out.append("null");
        } else {
          append_text_value(c, std::string_view(row[i], len[i]), o_.values, out);
        }
      }
      SLUICE_RETURN_IF_ERROR(emitter_.snapshot_row(id, after_, started_us));
      if (++n == o_.snapshot_chunk && !key.empty()) {
        last.clear();
        for (size_t k : key) {
          std::string lit = "X'";
          static const char* kHex = "0123456789ABCDEF";
          for (unsigned long b = 0; b < len[k]; ++b) {
            auto ch = static_cast<unsigned char>(row[k][b]);
            lit.push_back(kHex[ch >> 4]);
            lit.push_back(kHex[ch & 15]);
          }
          lit += "'";
          // A hex literal compares as a binary string: cast it back to the
          // column's type so numbers compare as numbers.
          const Column& c = cols.columns[k];
          if (c.type == kTypeTiny || c.type == kTypeShort || c.type == kTypeInt24 ||
              c.type == kTypeLong || c.type == kTypeLongLong || c.type == kTypeYear) {
            lit = std::string(row[k], len[k]);
          } else if (c.type == kTypeNewDecimal || c.type == kTypeFloat || c.type == kTypeDouble) {
            lit = std::string(row[k], len[k]);
          } else if (c.collation != kBinaryCollation) {
            lit = "CONVERT(" + lit + " USING utf8mb4)";
          }
          last.push_back(std::move(lit));
        }
      }
      if (n % 1024 == 0) {
        SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
        stats_.tick();
      }
    }
    if (mysql_errno(m)) return client_.classify(m, "reading table '" + db + "." + table + "'");
    if (key.empty() || n < o_.snapshot_chunk) break;
  }
  return sink_.error();
}

}  // namespace sluice::mysql
