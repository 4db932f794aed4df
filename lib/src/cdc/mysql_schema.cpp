// cdc-mysql: server checks, the tables to capture, and columns from
// information_schema (see mysql_cdc.h).
#include <mysqld_error.h>

#include <cstring>

#include "cdc/mysql_cdc.h"
#include "sluice/status.h"

namespace sluice::mysql {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// 'a','b''c' (ENUM/SET members of a COLUMN_TYPE) to their values.
std::vector<std::string> parse_members(std::string_view column_type) {
  std::vector<std::string> out;
  size_t open = column_type.find('(');
  if (open == std::string_view::npos) return out;
  size_t i = open + 1;
  while (i < column_type.size() && column_type[i] == '\'') {
    std::string v;
    ++i;
    while (i < column_type.size()) {
      if (column_type[i] == '\'' && i + 1 < column_type.size() && column_type[i + 1] == '\'') {
        v.push_back('\'');
        i += 2;
      } else if (column_type[i] == '\\' && i + 1 < column_type.size()) {
        v.push_back(column_type[i + 1]);
        i += 2;
      } else if (column_type[i] == '\'') {
        ++i;
        break;
      } else {
        v.push_back(column_type[i++]);
      }
    }
    out.push_back(std::move(v));
    if (i < column_type.size() && column_type[i] == ',') ++i;
  }
  return out;
}

// The binlog type a column of information_schema DATA_TYPE is written as.
uint8_t type_of(const std::string& data_type) {
  static const std::map<std::string, uint8_t> kTypes = {
      {"tinyint", kTypeTiny},
      {"smallint", kTypeShort},
      {"mediumint", kTypeInt24},
      {"int", kTypeLong},
      {"integer", kTypeLong},
      {"bigint", kTypeLongLong},
      {"float", kTypeFloat},
      {"double", kTypeDouble},
      {"real", kTypeDouble},
      {"decimal", kTypeNewDecimal},
      {"numeric", kTypeNewDecimal},
      {"date", kTypeDate},
      {"time", kTypeTime2},
      {"datetime", kTypeDatetime2},
      {"timestamp", kTypeTimestamp2},
      {"year", kTypeYear},
      {"char", kTypeString},
      {"varchar", kTypeVarchar},
      {"binary", kTypeString},
      {"varbinary", kTypeVarchar},
      {"tinytext", kTypeBlob},
      {"text", kTypeBlob},
      {"mediumtext", kTypeBlob},
      {"longtext", kTypeBlob},
      {"tinyblob", kTypeBlob},
      {"blob", kTypeBlob},
      {"mediumblob", kTypeBlob},
      {"longblob", kTypeBlob},
      {"enum", kTypeEnum},
      {"set", kTypeSet},
      {"bit", kTypeBit},
      {"json", kTypeJson},
      {"geometry", kTypeGeometry},
      {"point", kTypeGeometry},
      {"linestring", kTypeGeometry},
      {"polygon", kTypeGeometry},
      {"multipoint", kTypeGeometry},
      {"multilinestring", kTypeGeometry},
      {"multipolygon", kTypeGeometry},
      {"geometrycollection", kTypeGeometry},
      {"uuid", kTypeString},
      {"inet6", kTypeString},
      {"inet4", kTypeLong},
  };
  auto it = kTypes.find(data_type);
  return it == kTypes.end() ? uint8_t{kTypeVarchar} : it->second;
}

// The binlog types information_schema's type may be written as.
bool compatible(uint8_t binlog, uint8_t schema) {
  if (binlog == schema) return true;
  auto family = [](uint8_t t) {
    switch (t) {
      case kTypeString:
      case kTypeVarchar:
      case kTypeVarString:
        return 1;
      case kTypeTinyBlob:
      case kTypeMediumBlob:
      case kTypeLongBlob:
      case kTypeBlob:
      case kTypeJson:
        return 2;
      case kTypeDate:
      case kTypeNewDate:
        return 3;
      case kTypeTime:
      case kTypeTime2:
        return 4;
      case kTypeDatetime:
      case kTypeDatetime2:
        return 5;
      case kTypeTimestamp:
      case kTypeTimestamp2:
        return 6;
      default:
        return 100 + t;
    }
  };
  return family(binlog) == family(schema);
}

uint16_t collation_of(const char* charset, const char* collation) {
  if (!charset) return kBinaryCollation;
  if (std::strncmp(charset, "latin1", 6) == 0) return 8;
  if (collation && std::strcmp(collation, "binary") == 0) return kBinaryCollation;
  if (std::strcmp(charset, "binary") == 0) return kBinaryCollation;
  return 45;  // a UTF-8 collation: the text is UTF-8
}

}  // namespace

MysqlCdc::MysqlCdc(const MysqlCdcOptions& o, CdcSink& sink, RunStats& stats)
    : o_(o),
      sink_(sink),
      stats_(stats),
      client_(o.uri, o.timeout, Millis(std::max<int64_t>(10000, 3 * o.heartbeat.count()))),
      emitter_(sink, source_, stats, o.env, o.events) {}

Status MysqlCdc::check_server() {
  MYSQL* m = aux_.get();
  auto r = client_.query(m,
                         "SELECT @@global.log_bin, @@global.binlog_format, "
                         "@@global.binlog_row_image, @@global.server_id",
                         "reading the binlog settings");
  if (!r.ok()) return r.status();
  MYSQL_ROW row = mysql_fetch_row(r->get());
  if (!row) return Status::Internal("no binlog settings");
  const std::string log_bin = row[0] ? row[0] : "", format = row[1] ? row[1] : "",
                    image = row[2] ? row[2] : "";
  if (log_bin != "1" && lower(log_bin) != "on")
    return Status::Config("mysql '" + client_.server() +
                          "': the binary log is off: start the server with --log-bin "
                          "--binlog-format=ROW");
  if (lower(format) != "row")
    return Status::Config("mysql '" + client_.server() + "': binlog_format is " + format +
                          ", cdc-mysql needs ROW: SET GLOBAL binlog_format = 'ROW' (and "
                          "binlog_format=ROW in the server's configuration)");
  if (lower(image) == "minimal")
    warn("mysql '" + client_.server() +
         "': binlog_row_image is MINIMAL: 'before' holds only the primary key of updates and "
         "deletes, and 'after' only the columns the statement changed");
  else if (lower(image) == "noblob")
    warn("mysql '" + client_.server() +
         "': binlog_row_image is NOBLOB: unchanged BLOB/TEXT columns are missing from images");
  // binlog_row_metadata (MySQL 8.0.1+, MariaDB 10.5+): FULL names columns.
  auto meta = client_.scalar(m, "SELECT @@global.binlog_row_metadata", "binlog_row_metadata");
  if (meta.ok() && meta->has_value() && lower(**meta) != "full") {
    warn("mysql '" + client_.server() + "': binlog_row_metadata is " + **meta +
         ": column names come from information_schema (SET GLOBAL binlog_row_metadata = 'FULL' "
         "reads them from the binlog itself)");
  }
  // REPLICATION CLIENT (MariaDB: BINLOG MONITOR) reads the position.
  BinlogPosition p;
  return current_position(&p);
}

Status MysqlCdc::current_position(BinlogPosition* out) {
  MYSQL* m = aux_.get();
  auto r = client_.query(m, "SHOW MASTER STATUS", "reading the binlog position");
  if (!r.ok() && mysql_errno(m) == ER_PARSE_ERROR)
    r = client_.query(m, "SHOW BINARY LOG STATUS", "reading the binlog position");  // MySQL 8.4
  if (!r.ok()) return r.status();
  MYSQL_ROW row = mysql_fetch_row(r->get());
  if (!row || !row[0] || !row[1])
    return Status::Config("mysql '" + client_.server() +
                          "': the server reports no binlog position (is log_bin on?)");
  out->file = row[0];
  out->pos = std::strtoull(row[1], nullptr, 10);
  out->gtid.clear();
  out->gtid_set.clear();
  if (client_.mariadb()) {
    auto g = client_.scalar(m, "SELECT @@global.gtid_binlog_pos", "reading gtid_binlog_pos");
    if (g.ok() && g->has_value()) out->gtid = **g;
  } else if (mysql_num_fields(r->get()) >= 5 && row[4]) {
    out->gtid = row[4];
    // Executed_Gtid_Set: the start of the GTID set kept in the offsets.
    auto set = GtidSet::parse(row[4]);
    if (!set.ok()) return set.status().With("mysql '" + client_.server() + "': SHOW MASTER STATUS");
    out->gtid_set = set->format();
  }
  return Status::Ok();
}

Result<bool> MysqlCdc::binlog_exists(const std::string& file) {
  auto r = client_.query(aux_.get(), "SHOW BINARY LOGS", "listing the binlogs");
  if (!r.ok()) return r.status();
  while (MYSQL_ROW row = mysql_fetch_row(r->get())) {
    if (row[0] && file == row[0]) return true;
  }
  return false;
}

bool MysqlCdc::wanted(std::string_view db, std::string_view table) const {
  if (!wanted_.empty()) {
    std::string k;
    k.reserve(db.size() + 1 + table.size());
    k.append(db).append(".").append(table);
    return wanted_.count(k) > 0;
  }
  if (!only_db_.empty()) return db == only_db_;
  return db != "mysql" && db != "information_schema" && db != "performance_schema" && db != "sys";
}

Status MysqlCdc::list_tables() {
  tables_.clear();
  wanted_.clear();
  only_db_ = o_.uri.db;
  for (const std::string& t : o_.tables) {
    size_t dot = t.find('.');
    std::string db = dot == std::string::npos ? o_.uri.db : t.substr(0, dot);
    std::string table = dot == std::string::npos ? t : t.substr(dot + 1);
    if (db.empty())
      return Status::InvalidArgument("--tables '" + t +
                                     "': name the database (db.table) or put it in the URI");
    wanted_.insert(db + "." + table);
    tables_.emplace_back(db, table);
  }
  std::string sql =
      "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE "
      "TABLE' AND TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys')";
  if (!only_db_.empty()) sql += " AND TABLE_SCHEMA = " + quote_literal(only_db_);
  sql += " ORDER BY TABLE_SCHEMA, TABLE_NAME";
  auto r = client_.query(aux_.get(), sql, "listing the tables");
  if (!r.ok()) return r.status();
  std::set<std::string> present;
  std::vector<std::pair<std::string, std::string>> all;
  while (MYSQL_ROW row = mysql_fetch_row(r->get())) {
    present.insert(std::string(row[0]) + "." + row[1]);
    all.emplace_back(row[0], row[1]);
  }
  if (!wanted_.empty()) {
    for (const auto& [db, table] : tables_) {
      if (!present.count(db + "." + table))
        return Status::NotFound("mysql '" + client_.server() + "': table '" + db + "." + table +
                                "' (--tables) does not exist");
    }
  } else {
    tables_ = std::move(all);
  }
  return Status::Ok();
}

Status MysqlCdc::load_columns(const std::string& db, const std::string& table, TableMap* out) {
  auto r = client_.query(
      aux_.get(),
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, "
      "NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, COLUMN_KEY, IS_NULLABLE "
      "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = " +
          quote_literal(db) + " AND TABLE_NAME = " + quote_literal(table) +
          " ORDER BY ORDINAL_POSITION",
      "reading the columns of '" + db + "." + table + "'");
  if (!r.ok()) return r.status();
  out->db = db;
  out->table = table;
  out->columns.clear();
  out->has_key = false;
  while (MYSQL_ROW row = mysql_fetch_row(r->get())) {
    Column c;
    c.name = row[0];
    const std::string data_type = lower(row[1] ? row[1] : "");
    const std::string column_type = lower(row[2] ? row[2] : "");
    c.type = type_of(data_type);
    c.is_unsigned = column_type.find("unsigned") != std::string::npos;
    c.tinyint1 = column_type.rfind("tinyint(1)", 0) == 0;
    c.collation = collation_of(row[3], row[4]);
    if (c.type == kTypeNewDecimal) {
      c.meta = static_cast<uint16_t>(std::atoi(row[5] ? row[5] : "10") << 8 |
                                     std::atoi(row[6] ? row[6] : "0"));
    } else if (c.type == kTypeTime2 || c.type == kTypeDatetime2 || c.type == kTypeTimestamp2) {
      c.meta = static_cast<uint16_t>(std::atoi(row[7] ? row[7] : "0"));
    } else if (c.type == kTypeBit) {
      c.meta = static_cast<uint16_t>(std::atoi(row[5] ? row[5] : "1"));
      c.length = (c.meta + 7u) / 8;
    } else if (c.type == kTypeEnum || c.type == kTypeSet) {
      c.values = parse_members(row[2] ? row[2] : "");
    }
    if (data_type == "json") c.collation = 45;
    c.key = row[8] && std::strcmp(row[8], "PRI") == 0;
    out->has_key = out->has_key || c.key;
    c.nullable = row[9] && std::strcmp(row[9], "YES") == 0;
    out->columns.push_back(std::move(c));
  }
  if (out->columns.empty())
    return Status::NotFound("mysql '" + client_.server() + "': table '" + db + "." + table +
                            "' has no columns in information_schema (dropped?)");
  return Status::Ok();
}

Status MysqlCdc::complete_table_map(TableMap* map) {
  const std::string key = map->db + "." + map->table;
  auto it = schema_cache_.find(key);
  if (it == schema_cache_.end()) {
    TableMap cols;
    SLUICE_RETURN_IF_ERROR(load_columns(map->db, map->table, &cols));
    it = schema_cache_.emplace(key, std::move(cols)).first;
  }
  const TableMap& s = it->second;
  if (s.columns.size() != map->columns.size())
    return Status::BadData(
        "table '" + key + "': the binlog has " + std::to_string(map->columns.size()) +
        " columns but information_schema has " + std::to_string(s.columns.size()) +
        " (the schema changed since these events were written; with "
        "binlog_row_metadata=FULL the binlog names its own columns)");
  for (size_t i = 0; i < s.columns.size(); ++i) {
    Column& c = map->columns[i];
    const Column& sc = s.columns[i];
    if (!compatible(c.type, sc.type))
      return Status::BadData("table '" + key + "' column " + std::to_string(i + 1) + " ('" +
                             sc.name + "'): binlog type " + std::to_string(c.type) +
                             " does not match information_schema (the schema changed since; "
                             "use binlog_row_metadata=FULL)");
    if (!map->has_names) c.name = sc.name;
    if (!map->has_key) c.key = sc.key;
    if (!map->has_signedness) c.is_unsigned = sc.is_unsigned;
    if (!map->has_charsets || c.collation == 0) c.collation = sc.collation;
    if (c.values.empty()) c.values = sc.values;
  }
  map->has_names = map->has_key = true;
  return Status::Ok();
}

}  // namespace sluice::mysql
