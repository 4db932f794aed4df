// MySQL 8's partial JSON updates (PARTIAL_UPDATE_ROWS_EVENT, type 39,
// written with binlog_row_value_options=PARTIAL_JSON): cdc-mysql applies
// the diffs to the before image's document and emits the full document.
//
// MySQL 8 cannot be run here (MariaDB cannot write these events), so the
// events are built by hand from the format in the MySQL source:
// - sql/rpl_record.cc pack_row (UPDATE_AI): the after image starts with
//   value_options (net_field_length packed integer; 1 = PARTIAL_JSON) and,
//   when it is 1, partial_bits: one bit per JSON column of the table,
//   present in the image or not, LSB first; then null bits and values.
// - sql/json_diff.cc Json_diff_vector::write_binary: a partial column is a
//   4-byte length, then per diff operation(1: 0 REPLACE, 1 INSERT,
//   2 REMOVE), packed path length + path, and (not for REMOVE) packed value
//   length + binary JSON; apply_json_diffs for what each operation needs.
// - sql/json_binary.h: the binary JSON of the documents (built below by a
//   small encoder of small objects, arrays, int16, strings and literals).
// - libbinlogevents rows_event.h: a v2 rows event post-header, table_id(6)
//   flags(2) extra_row_info_len(2).
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "../unhex.h"
#include "cdc/mysql_json.h"
#include "cdc/mysql_json_diff.h"
#include "cdc/mysql_rows.h"
#include "cdc/mysql_table_map.h"
#include "sluice/debezium.h"

using namespace sluice;
using namespace sluice::mysql;
using sluice::testing::unhex;

namespace {

std::string le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}
std::string packed(size_t n) {  // net_field_length: one byte below 251
  if (n >= 251) std::abort();   // the tests' values are small
  return std::string(1, static_cast<char>(n));
}

// A binary JSON value: its type byte and the bytes after it.
struct Jb {
  uint8_t type;
  std::string bytes;
};
Jb jint(int16_t v) {
  return {0x05, le(static_cast<uint16_t>(v), 2)};
}
Jb jstr(const std::string& s) {
  return {0x0c, packed(s.size()) + s};
}
Jb jtrue() {
  return {0x04, std::string(1, '\x01')};
}
// A small object (keys given in MySQL's order) or array: count(2) size(2),
// key entries offset(2) length(2), value entries type(1) offset-or-inlined
// value(2); offsets from the start of the container.
Jb jcontainer(bool object, const std::vector<std::pair<std::string, Jb>>& m) {
  const size_t n = m.size();
  const size_t header = 4 + (object ? 4 * n : 0) + 3 * n;
  std::string keys, values, key_entries, value_entries;
  size_t keys_len = 0;
  for (const auto& [k, v] : m) keys_len += object ? k.size() : 0;
  for (const auto& [k, v] : m) {
    if (object) {
      key_entries += le(header + keys.size(), 2) + le(k.size(), 2);
      keys += k;
    }
    value_entries.push_back(static_cast<char>(v.type));
    if (v.type == 0x04 || v.type == 0x05) {  // inlined
      value_entries += v.bytes.size() == 1 ? v.bytes + '\0' : v.bytes;
    } else {
      value_entries += le(header + keys_len + values.size(), 2);
      values += v.bytes;
    }
  }
  const size_t size = header + keys.size() + values.size();
  return {static_cast<uint8_t>(object ? 0x00 : 0x02),
          le(n, 2) + le(size, 2) + key_entries + value_entries + keys + values};
}
Jb jobj(const std::vector<std::pair<std::string, Jb>>& m) {
  return jcontainer(true, m);
}
Jb jarr(const std::vector<Jb>& items) {
  std::vector<std::pair<std::string, Jb>> m;
  for (const Jb& i : items) m.emplace_back("", i);
  return jcontainer(false, m);
}
std::string doc(const Jb& v) {
  return static_cast<char>(v.type) + v.bytes;
}

std::string text(const std::string& binary) {
  std::string out;
  Status st = json_binary_to_text(binary, out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return out;
}

enum : uint8_t { kReplace = 0, kInsert = 1, kRemove = 2 };
std::string diff(uint8_t op, const std::string& path, const Jb* value = nullptr) {
  std::string d = std::string(1, static_cast<char>(op)) + packed(path.size()) + path;
  if (value) d += packed(doc(*value).size()) + doc(*value);
  return d;
}

// {"a":1,"b":[10,20,30],"c":{"d":"x","a b":true}}
const std::string kBefore = doc(jobj({{"a", jint(1)},
                                      {"b", jarr({jint(10), jint(20), jint(30)})},
                                      {"c", jobj({{"d", jstr("x")}, {"a b", jtrue()}})}}));

// The document after `diffs`, or "error: ..." with the message.
std::string apply(const std::string& diffs, const std::string& before = kBefore) {
  std::string out;
  Status st = partial_json_to_text(before, diffs, out);
  if (!st.ok()) {
    CHECK(st.is(StatusCode::kBadData));
    return "error: " + st.message();
  }
  return out;
}

// db.t (id INT key, doc JSON, v VARCHAR(80), meta JSON): a MySQL 8 TABLE_MAP
// with SIGNEDNESS, COLUMN_NAME and SIMPLE_PRIMARY_KEY metadata.
TableMap table() {
  const std::string tm = unhex(
      "2a0000000000"  // table id
      "0100"          // flags
      "02"
      "6462"
      "00"  // "db"
      "01"
      "74"
      "00"          // "t"
      "04"          // columns
      "03f50ff5"    // INT, JSON, VARCHAR, JSON
      "04"          // metadata bytes
      "04"          // JSON: 4-byte length
      "5000"        // VARCHAR(80)
      "04"          // JSON
      "0e"          // nullable: doc, v, meta
      "010100"      // SIGNEDNESS: id signed
      "040e"        // COLUMN_NAME, 14 bytes
      "026964"      // id
      "03646f63"    // doc
      "0176"        // v
      "046d657461"  // meta
      "080100");    // SIMPLE_PRIMARY_KEY: column 0
  TableMap t;
  Status st = parse_table_map(tm, 8, &t);
  REQUIRE_MESSAGE(st.ok(), st.message());
  REQUIRE(t.columns.size() == 4);
  REQUIRE(t.columns[1].type == kTypeJson);
  REQUIRE(t.columns[3].type == kTypeJson);
  return t;
}

std::string json_col(const std::string& binary) {
  return le(binary.size(), 4) + binary;
}

// A PARTIAL_UPDATE_ROWS_EVENT body of db.t with every column in both
// images and the given row images.
std::string event(const std::string& rows, uint8_t present = 0x0f) {
  return le(0x2a, 6) + le(1, 2) + le(2, 2) + "\x04" + std::string(1, static_cast<char>(present)) +
         std::string(1, static_cast<char>(present)) + rows;
}

// The before image: id 7, doc kBefore, v "x", meta {"k":1}.
std::string before_image() {
  return std::string(1, '\0') + le(7, 4) + json_col(kBefore) + "\x01x" +
         json_col(doc(jobj({{"k", jint(1)}})));
}

std::string row_json(const debezium::Row& row) {
  std::string out;
  debezium::append_row(&row, out);
  return out;
}

// Decodes the event's update (one row): "before|after", or "error: ...".
std::string decode(const std::string& body, const debezium::ValueOptions& opts = {}) {
  const TableMap t = table();
  RowsEvent re;
  std::string scratch;
  Status st = parse_rows_event(kPartialUpdateRows, body, 10, &scratch, &re);
  REQUIRE_MESSAGE(st.ok(), st.message());
  REQUIRE(re.op == 'u');
  REQUIRE(re.partial);
  debezium::Row before, after;
  std::vector<std::optional<std::string_view>> json;
  size_t pos = 0;
  st = decode_row_image(t, re.present, re.rows, &pos, opts, before, &json);
  if (st.ok())
    st = decode_partial_after_image(t, re.present_after, re.rows, &pos, opts, json, after);
  if (!st.ok()) {
    CHECK(st.is(StatusCode::kBadData));
    return "error: " + st.message();
  }
  CHECK(pos == re.rows.size());
  return row_json(before) + "|" + row_json(after);
}

}  // namespace

TEST_CASE("mysql partial JSON: the test encoder writes what the decoder reads") {
  CHECK(text(kBefore) == R"({"a":1,"b":[10,20,30],"c":{"d":"x","a b":true}})");
}

TEST_CASE("mysql partial JSON: REPLACE, INSERT and REMOVE of members and array cells") {
  const Jb two = jint(2), s = jstr("new"), arr = jarr({jint(5)});
  CHECK(apply(diff(kReplace, "$.a", &two)) == R"({"a":2,"b":[10,20,30],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kReplace, "$.a", &arr)) ==
        R"({"a":[5],"b":[10,20,30],"c":{"d":"x","a b":true}})");
  // A new member goes where MySQL keeps it: shorter names first.
  CHECK(apply(diff(kInsert, "$.bb", &s)) ==
        R"({"a":1,"b":[10,20,30],"c":{"d":"x","a b":true},"bb":"new"})");
  CHECK(apply(diff(kInsert, "$.0", &s)) ==
        R"({"0":"new","a":1,"b":[10,20,30],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kRemove, "$.a")) == R"({"b":[10,20,30],"c":{"d":"x","a b":true}})");
  // Array cells: replace, insert before an index, past the end (appends),
  // [last] and [last-N], remove.
  CHECK(apply(diff(kReplace, "$.b[1]", &two)) ==
        R"({"a":1,"b":[10,2,30],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kInsert, "$.b[0]", &two)) ==
        R"({"a":1,"b":[2,10,20,30],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kInsert, "$.b[9]", &two)) ==
        R"({"a":1,"b":[10,20,30,2],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kReplace, "$.b[last]", &two)) ==
        R"({"a":1,"b":[10,20,2],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kRemove, "$.b[last-2]")) == R"({"a":1,"b":[20,30],"c":{"d":"x","a b":true}})");
  CHECK(apply(diff(kRemove, "$.b[1]")) == R"({"a":1,"b":[10,30],"c":{"d":"x","a b":true}})");
}

TEST_CASE("mysql partial JSON: nested and quoted paths, several diffs, no diff, the root") {
  const Jb two = jint(2), s = jstr("y");
  CHECK(apply(diff(kReplace, "$.c.d", &s)) == R"({"a":1,"b":[10,20,30],"c":{"d":"y","a b":true}})");
  CHECK(apply(diff(kRemove, "$.c.\"a b\"")) == R"({"a":1,"b":[10,20,30],"c":{"d":"x"}})");
  CHECK(apply(diff(kInsert, "$.c.\"q\\\"\\u00e9\"", &two)) ==
        R"({"a":1,"b":[10,20,30],"c":{"d":"x","a b":true,"q\"é":2}})");
  // Whitespace between path tokens, as MySQL's path parser allows.
  CHECK(apply(diff(kReplace, " $ . c . d", &s)) ==
        R"({"a":1,"b":[10,20,30],"c":{"d":"y","a b":true}})");
  // Applied in order: each diff sees the document the previous one left.
  const Jb obj = jobj({{"z", jarr({})}});
  CHECK(apply(diff(kInsert, "$.n", &obj) + diff(kInsert, "$.n.z[0]", &two) +
              diff(kRemove, "$.b[0]") + diff(kReplace, "$.b[0]", &s) + diff(kRemove, "$.c")) ==
        R"({"a":1,"b":["y",30],"n":{"z":[2]}})");
  CHECK(apply("") == text(kBefore));  // an unchanged value: no diffs
  CHECK(apply(diff(kReplace, "$", &two)) == "2");
}

TEST_CASE("mysql partial JSON: a diff that cannot apply is an error naming it, never a guess") {
  const Jb two = jint(2);
  CHECK(apply(diff(kReplace, "$.a.x", &two)).find("path goes into a scalar") != std::string::npos);
  CHECK(apply(diff(kReplace, "$.a[0]", &two)).find("into a scalar") != std::string::npos);
  CHECK(apply(diff(kReplace, "$.zz", &two)).find("nothing to replace") != std::string::npos);
  CHECK(apply(diff(kReplace, "$.zz.y", &two)).find("path not found") != std::string::npos);
  CHECK(apply(diff(kReplace, "$.b[3]", &two)).find("nothing to replace") != std::string::npos);
  CHECK(apply(diff(kRemove, "$.zz")).find("no such member") != std::string::npos);
  CHECK(apply(diff(kRemove, "$.b[3]")).find("out of bounds") != std::string::npos);
  CHECK(apply(diff(kRemove, "$.b[last-3]")).find("out of bounds") != std::string::npos);
  CHECK(apply(diff(kInsert, "$.a", &two)).find("already exists") != std::string::npos);
  CHECK(apply(diff(kInsert, "$.b.x", &two)).find("does not fit") != std::string::npos);
  CHECK(apply(diff(kInsert, "$", &two)).find("root") != std::string::npos);
  CHECK(apply(diff(kRemove, "$")).find("root") != std::string::npos);
  // Paths MySQL never logs for a diff: wildcards, ranges, ellipses.
  for (const char* p : {"$.*", "$[*]", "$**.a", "$.b[0 to 1]", "a", "$.", "$.b[", "$.\"x"}) {
    INFO(p);
    const std::string e = apply(diff(kRemove, p));
    CHECK(e.find(std::string("JSON path '") + p + "'") != std::string::npos);
    CHECK(e.find("JSON diff 1 at byte 0") != std::string::npos);
  }
  // Bad bytes: unknown operation, cut short, a bad value, an empty value.
  const std::string ok = diff(kReplace, "$.a", &two);
  CHECK(apply(std::string(1, '\x03') + ok.substr(1)).find("unknown operation 3") !=
        std::string::npos);
  for (size_t n = 1; n < ok.size(); ++n) {
    INFO(n);
    CHECK(apply(ok + ok.substr(0, n)).find("JSON diff 2 at byte " + std::to_string(ok.size())) !=
          std::string::npos);
  }
  CHECK(apply(diff(kReplace, "$.a") + '\x02' + std::string("\x0f\x00", 2)).find("binary JSON") !=
        std::string::npos);
  CHECK(apply(diff(kReplace, "$.a") + '\x00').find("empty value") != std::string::npos);
  // A before document that does not decode.
  CHECK(apply(ok, std::string("\x00\x05", 2)).find("the before document") != std::string::npos);
}

TEST_CASE("mysql partial JSON: a PARTIAL_UPDATE_ROWS_EVENT with partial and full JSON columns") {
  const Jb two = jint(2);
  const std::string before_json =
      R"({"id":7,"doc":"{\"a\":1,\"b\":[10,20,30],\"c\":{\"d\":\"x\",\"a b\":true}}",)"
      R"("v":"x","meta":"{\"k\":1}"})";
  // value_options 1, partial_bits 0b01 (doc partial, meta whole), no
  // nulls; doc's diffs; v changed beside it; meta a full new document.
  const std::string diffs = diff(kReplace, "$.a", &two) + diff(kRemove, "$.c");
  const std::string after = "\x01\x01" + std::string(1, '\0') + le(7, 4) + json_col(diffs) +
                            "\x01y" + json_col(doc(jobj({{"k", jint(3)}})));
  CHECK(decode(event(before_image() + after)) ==
        before_json + R"(|{"id":7,"doc":"{\"a\":2,\"b\":[10,20,30]}","v":"y","meta":"{\"k\":3}"})");
  debezium::ValueOptions embed;
  embed.embed_json = true;
  const std::string embedded = decode(event(before_image() + after), embed);
  CHECK(embedded.substr(embedded.find('|')) ==
        R"(|{"id":7,"doc":{"a":2,"b":[10,20,30]},"v":"y","meta":{"k":3}})");

  // Both JSON columns partial (partial_bits 0b11).
  const std::string both = "\x01\x03" + std::string(1, '\0') + le(7, 4) + json_col(diffs) +
                           "\x01y" + json_col(diff(kInsert, "$.l", &two));
  CHECK(decode(event(before_image() + both)) ==
        before_json +
            R"(|{"id":7,"doc":"{\"a\":2,\"b\":[10,20,30]}","v":"y","meta":"{\"k\":1,\"l\":2}"})");

  // value_options 0: no partial_bits, every value whole (MySQL writes this
  // event type for every update once the option is on).
  const std::string whole = std::string(1, '\0') + std::string(1, '\0') + le(7, 4) +
                            json_col(doc(jint(5))) + "\x01x" + json_col(doc(jtrue()));
  CHECK(decode(event(before_image() + whole)) ==
        before_json + R"(|{"id":7,"doc":"5","v":"x","meta":"true"})");

  // NULL in the after image (null bit 1 = doc) needs no diff, even with its
  // partial bit set.
  const std::string null_doc = "\x01\x01\x02" + le(7, 4) + "\x01x" + json_col(doc(jtrue()));
  CHECK(decode(event(before_image() + null_doc)) ==
        before_json + R"(|{"id":7,"doc":null,"v":"x","meta":"true"})");
}

TEST_CASE("mysql partial JSON: errors name the table and column; MINIMAL and NULL before values") {
  const Jb two = jint(2);
  const std::string diffs = diff(kReplace, "$.zz", &two);
  const std::string after =
      "\x01\x01" + std::string(1, '\0') + le(7, 4) + json_col(diffs) + "\x01y" + json_col(doc(two));
  std::string e = decode(event(before_image() + after));
  CHECK(e.find("table 'db.t'") != std::string::npos);
  CHECK(e.find("column 'doc'") != std::string::npos);
  CHECK(e.find("REPLACE '$.zz': nothing to replace") != std::string::npos);

  // NULL doc in the before image (null bit 1), diffs in the after image.
  const std::string null_before =
      "\x02" + le(7, 4) + "\x01x" + json_col(doc(jobj({{"k", jint(1)}})));
  e = decode(event(null_before + after));
  CHECK(e.find("column 'doc'") != std::string::npos);
  CHECK(e.find("binlog_row_image=FULL") != std::string::npos);

  // MINIMAL before image: only the key (columns bitmap 0b0001), after
  // image doc and v (0b0110): partial_bits still count both JSON columns.
  std::string minimal = le(0x2a, 6) + le(1, 2) + le(2, 2) + "\x04\x01\x06" + std::string(1, '\0') +
                        le(7, 4) + "\x01\x01" + std::string(1, '\0') + json_col(diffs) + "\x01y";
  e = decode(minimal);
  CHECK(e.find("table 'db.t'") != std::string::npos);
  CHECK(e.find("column 'doc'") != std::string::npos);
  CHECK(e.find("MINIMAL") != std::string::npos);

  // Unknown value_options, cut-short partial_bits and diff lengths.
  CHECK(decode(event(before_image() + "\x02")).find("unknown value_options 2") !=
        std::string::npos);
  CHECK(decode(event(before_image() + "\x01")).find("short partial_bits") != std::string::npos);
  const std::string cut = "\x01\x01" + std::string(1, '\0') + le(7, 4) + le(100, 4) + diffs;
  CHECK(decode(event(before_image() + cut)).find("diffs cut short") != std::string::npos);
}
