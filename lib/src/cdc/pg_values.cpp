// PostgreSQL values typed as Debezium's PostgreSQL connector types them
// (see pg_values.h), and cdc-pg's part of the source block.
#include "cdc/pg_values.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "cdc/pg_time.h"
#include "sluice/envelope.h"

namespace sluice::pg {

namespace {

enum Oid : uint32_t {
  kBool = 16,
  kBytea = 17,
  kChar = 18,
  kName = 19,
  kInt8 = 20,
  kInt2 = 21,
  kInt4 = 23,
  kText = 25,
  kOid = 26,
  kJson = 114,
  kFloat4 = 700,
  kFloat8 = 701,
  kMoney = 790,
  kBpchar = 1042,
  kVarchar = 1043,
  kDate = 1082,
  kTime = 1083,
  kTimestamp = 1114,
  kTimestamptz = 1184,
  kInterval = 1186,
  kTimetz = 1266,
  kNumeric = 1700,
  kUuid = 2950,
  kJsonb = 3802,
};

// Element type of a built-in array type, or 0.
uint32_t array_element(uint32_t oid) {
  switch (oid) {
    case 1000:
      return kBool;
    case 1001:
      return kBytea;
    case 1002:
      return kChar;
    case 1003:
      return kName;
    case 1005:
      return kInt2;
    case 1007:
      return kInt4;
    case 1009:
      return kText;
    case 1014:
      return kBpchar;
    case 1015:
      return kVarchar;
    case 1016:
      return kInt8;
    case 1021:
      return kFloat4;
    case 1022:
      return kFloat8;
    case 1028:
      return kOid;
    case 1115:
      return kTimestamp;
    case 1182:
      return kDate;
    case 1183:
      return kTime;
    case 1185:
      return kTimestamptz;
    case 1270:
      return kTimetz;
    case 1187:
      return kInterval;
    case 1231:
      return kNumeric;
    case 2951:
      return kUuid;
    case 199:
      return kJson;
    case 3807:
      return kJsonb;
    default:
      return 0;
  }
}

bool is_integer(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  if (i == s.size()) return false;
  if (s[i] == '0' && s.size() > i + 1) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  // Within int64, as every integer column is (a reader may parse it so).
  int64_t v;
  return std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc();
}

// JSON number grammar (RFC 8259).
bool is_json_number(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && s[i] == '-') ++i;
  if (i == n) return false;
  if (s[i] == '0') {
    ++i;
  } else if (s[i] >= '1' && s[i] <= '9') {
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == d) return false;
  }
  return i == n;
}

// A JSON number that is also a finite double (simdjson and most readers
// refuse 1e+400); the server never sends one for float4/float8.
bool is_finite_json_number(std::string_view s) {
  if (!is_json_number(s)) return false;
  // An integer literal past 64 bits is refused by the same readers.
  if (s.find_first_of(".eE") == std::string_view::npos) return is_integer(s);
  double v;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && std::isfinite(v);
}

void append_string(std::string_view s, std::string& out) {
  if (is_valid_utf8(s)) {
    append_json_string(s, out);
  } else {
    // Not UTF-8 (a SQL_ASCII database): keep the bytes, as base64.
    out.push_back('"');
    append_base64(s, out);
    out.push_back('"');
  }
}

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_bytea(std::string_view text, std::string& out) {
  if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x' && text.size() % 2 == 0) {
    std::string bytes;
    bytes.reserve((text.size() - 2) / 2);
    for (size_t i = 2; i < text.size(); i += 2) {
      int hi = hexval(text[i]), lo = hexval(text[i + 1]);
      if (hi < 0 || lo < 0) {
        append_string(text, out);
        return;
      }
      bytes.push_back(static_cast<char>(hi * 16 + lo));
    }
    out.push_back('"');
    append_base64(bytes, out);
    out.push_back('"');
    return;
  }
  append_string(text, out);
}

void append_json_text(std::string_view text, const debezium::ValueOptions& opts, std::string& out) {
  if (!opts.embed_json || text.empty()) {
    append_string(text, out);
    return;
  }
  // The server checked json/jsonb on input, but these are still bytes from
  // outside (and array elements are cut out by our own parser): embed only
  // one valid JSON value, else keep the text as a string.
  static thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text.data(), text.size()).get(doc) != simdjson::SUCCESS) {
    append_string(text, out);
    return;
  }
  // JSON text may hold newlines between tokens (never inside strings, where
  // they must be escaped): keep the NDJSON line one line.
  for (char c : text) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
}

// Parses one PostgreSQL array literal at s[*pos] ('{' ... '}') and appends
// it as a JSON array of typed elements. False when malformed.
bool append_array(std::string_view s, size_t* pos, uint32_t elem,
                  const debezium::ValueOptions& opts, std::string& out, int depth) {
  if (depth > 16 || *pos >= s.size() || s[*pos] != '{') return false;
  ++*pos;
  out.push_back('[');
  bool first = true;
  std::string item;
  while (*pos < s.size()) {
    char c = s[*pos];
    if (c == '}') {
      ++*pos;
      out.push_back(']');
      return true;
    }
    if (!first) {
      if (c != ',') return false;
      ++*pos;
      if (*pos >= s.size()) return false;
      c = s[*pos];
      out.push_back(',');
    }
    first = false;
    if (c == '{') {
      if (!append_array(s, pos, elem, opts, out, depth + 1)) return false;
      continue;
    }
    item.clear();
    if (c == '"') {
      ++*pos;
      bool closed = false;
      while (*pos < s.size()) {
        char q = s[(*pos)++];
        if (q == '\\') {
          if (*pos >= s.size()) return false;
          item.push_back(s[(*pos)++]);
        } else if (q == '"') {
          closed = true;
          break;
        } else {
          item.push_back(q);
        }
      }
      if (!closed) return false;
      append_text_value(elem, item, opts, out);
    } else {
      size_t start = *pos;
      while (*pos < s.size() && s[*pos] != ',' && s[*pos] != '}') ++*pos;
      std::string_view raw = s.substr(start, *pos - start);
      if (raw.empty()) return false;
      if (raw == "NULL") {
        out.append("null");
      } else {
        append_text_value(elem, raw, opts, out);
      }
    }
  }
  return false;
}

}  // namespace

void append_text_value(uint32_t oid, std::string_view text, const debezium::ValueOptions& opts,
                       std::string& out) {
  switch (oid) {
    case kInt2:
    case kInt4:
    case kInt8:
    case kOid:
      if (is_integer(text)) {
        out.append(text);
        return;
      }
      break;
    case kFloat4:
    case kFloat8:
      if (is_finite_json_number(text)) {
        out.append(text);
        return;
      }
      break;
    case kBool:
      if (text == "t") {
        out.append("true");
        return;
      }
      if (text == "f") {
        out.append("false");
        return;
      }
      break;
    case kBytea:
      append_bytea(text, out);
      return;
    case kJson:
    case kJsonb:
      append_json_text(text, opts, out);
      return;
    case kDate: {
      int64_t days;
      size_t end;
      if (parse_date(text, &days, &end) && (end == text.size() || text.substr(end) == " BC")) {
        append_int(days, out);
        return;
      }
      break;
    }
    case kTime: {
      int64_t us;
      size_t end;
      if (parse_time(text, 0, &us, &end) && end == text.size()) {
        append_int(us, out);
        return;
      }
      break;
    }
    case kInterval: {
      int64_t us;
      if (parse_interval_micros(text, &us)) {
        append_int(us, out);
        return;
      }
      break;
    }
    case kTimetz: {
      // io.debezium.time.ZonedTime: the time in UTC, "HH:MM:SS[.ffffff]Z".
      int64_t us, off;
      size_t end;
      if (!parse_time(text, 0, &us, &end) || !parse_offset(text, end, &off, &end) ||
          end != text.size()) {
        break;
      }
      constexpr int64_t kDayUs = 86400000000LL;
      int64_t utc = (us - off * 1000000) % kDayUs;
      if (utc < 0) utc += kDayUs;
      append_time_of_day(utc, out);
      return;
    }
    case kTimestamp:
    case kTimestamptz: {
      int64_t days, us, off = 0;
      size_t end, tend;
      if (!parse_date(text, &days, &end) || end >= text.size() || text[end] != ' ' ||
          !parse_time(text, end + 1, &us, &tend)) {
        break;
      }
      if (oid == kTimestamptz && !parse_offset(text, tend, &off, &tend)) break;
      std::string_view rest = text.substr(tend);
      if (!rest.empty() && rest != " BC") break;
      // Beyond int64 microseconds (a year past 294,000 AD): keep the text.
      int64_t unix_us;
      if (__builtin_mul_overflow(days, 86400000000LL, &unix_us) ||
          __builtin_add_overflow(unix_us, us - off * 1000000, &unix_us)) {
        break;
      }
      if (oid == kTimestamp) {
        append_int(unix_us, out);
      } else {
        append_zoned(unix_us, out);
      }
      return;
    }
    default: {
      uint32_t elem = array_element(oid);
      if (elem != 0 && !text.empty()) {
        size_t pos = 0;
        if (text[0] == '[') {  // explicit bounds: "[0:1]={...}"
          pos = text.find('=');
          pos = pos == std::string_view::npos ? text.size() : pos + 1;
        }
        size_t mark = out.size();
        if (append_array(text, &pos, elem, opts, out, 0) && pos == text.size()) return;
        out.resize(mark);
      }
      break;
    }
  }
  append_string(text, out);
}

void append_value(uint32_t type_oid, const PgValue& v, const debezium::ValueOptions& opts,
                  std::string& out) {
  switch (v.kind) {
    case 't':
      append_text_value(type_oid, v.data, opts, out);
      return;
    case 'u':
      append_json_string(debezium::kUnavailableValue, out);
      return;
    case 'b':
      out.push_back('"');
      append_base64(v.data, out);
      out.push_back('"');
      return;
    default:
      out.append("null");
  }
}

void fill_row(const PgRelation& rel, const std::vector<bool>& key_columns,
              const std::vector<PgValue>& values, const std::vector<PgValue>* fallback,
              const debezium::ValueOptions& opts, debezium::Row& row) {
  row.clear();
  for (size_t i = 0; i < rel.columns.size() && i < values.size(); ++i) {
    const PgColumn& col = rel.columns[i];
    std::string& out = row.add(col.name, i < key_columns.size() && key_columns[i]);
    const PgValue* v = &values[i];
    // An unchanged TOAST value is known when the old tuple (REPLICA
    // IDENTITY FULL) carries it.
    if (v->kind == 'u' && fallback && i < fallback->size() && (*fallback)[i].kind == 't') {
      v = &(*fallback)[i];
    }
    append_value(col.type_oid, *v, opts, out);
  }
}

void PgSourceWriter::append_last_commit(uint64_t last_commit_lsn, std::string& out) {
  if (last_commit_lsn) {
    out.append("\\\"");
    debezium::append_u64(last_commit_lsn, out);
    out.append("\\\"");
  } else {
    out.append("null");
  }
}

void PgSourceWriter::append_fields(std::string_view schema, std::string_view table,
                                   std::string& out, size_t event_start,
                                   debezium::DeferredFields* deferred) {
  // Debezium: a JSON array of [last commit LSN, this LSN] as strings,
  // itself carried as a string (written escaped in place: digits only).
  out.append(",\"sequence\":\"[");
  if (deferred) deferred->commit_begin = out.size() - event_start;
  append_last_commit(last_commit_lsn, out);
  if (deferred) deferred->commit_end = out.size() - event_start;
  out.append(",\\\"");
  debezium::append_u64(lsn, out);
  out.append("\\\"]\"");
  out.append(",\"schema\":");
  append_json_string(schema.empty() ? std::string_view("pg_catalog") : schema, out);
  out.append(",\"table\":");
  append_json_string(table, out);
  out.append(",\"txId\":");
  if (xid == 0) {
    out.append("null");
  } else {
    debezium::append_u64(xid, out);
  }
  out.append(",\"lsn\":");
  debezium::append_u64(lsn, out);
  out.append(",\"xmin\":null");
}

}  // namespace sluice::pg
