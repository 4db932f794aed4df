// Fuzz target: cdc-mysql's own binlog row decoder (TABLE_MAP and rows
// events). The bytes come from the server, so anything goes.
//
// The first byte picks what the rest is: with its top bit set, a TABLE_MAP
// body (parsed, then used to decode the fixed rows seed below); else a rows
// event body of the type that byte picks (v1, v2, compressed), decoded with
// the table map of a table that has one column of every type, or for a
// PARTIAL_UPDATE_ROWS_EVENT (MySQL 8 partial JSON) with the table map of a
// MySQL table with two JSON columns, its after images through
// decode_partial_after_image. Whatever the bytes, a row image decoded
// without error must be one valid JSON object.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "../unhex.h"
#include "cdc/mysql_rows.h"
#include "cdc/mysql_table_map.h"

using namespace sluice;
using namespace sluice::mysql;
using sluice::testing::unhex;

namespace {

// A MariaDB 10.11 TABLE_MAP with FULL metadata (tests/unit/test_mysql_binlog.cpp).
constexpr std::string_view kTableMap =
    "1a00000000000100036361700001740013030108f60405fe0ffcfefe100a1312110dfc03130a030408fe05500002"
    "f701f801020103060204feff070101220304082d3f2e0430026964027469026275016401660264620163017602"
    "626c01650173016202647402746d0364746d0274730179016a016e0a012d05070301780179017a06070301610162"
    "0163080100";
constexpr std::string_view kRows =
    "1a0000000000010013ffff070000fc01000000fbffffffffffffffff7ffffb2dfe0b0000c03f0000000000000240"
    "0261620668c3a96c6c6f030000ff41020502aa5dd00f4b9105fb3299b24431050a5bf565937d25437c0b00000"
    "07b2261223a5b312c325d7d";
// db.t (id INT key, doc JSON, v VARCHAR(80), meta JSON), a MySQL 8 TABLE_MAP
// (tests/unit/test_mysql_partial_json.cpp).
constexpr std::string_view kJsonTableMap =
    "2a000000000001000264620001740004"
    "03f50ff50404500004"
    "0e010100040e02696403646f630176046d657461080100";
constexpr uint8_t kTypes[] = {
    kWriteRowsV1,           kUpdateRowsV1,     kDeleteRowsV1,          kWriteRowsV2,
    kUpdateRowsV2,          kDeleteRowsV2,     kWriteRowsCompressedV1, kUpdateRowsCompressedV1,
    kWriteRowsCompressedV2, kPartialUpdateRows};

void decode(const TableMap& t, uint8_t type, const std::string& body) {
  RowsEvent re;
  std::string scratch;
  const unsigned post =
      (type >= kWriteRowsV2 && type <= kDeleteRowsV2) || type == kPartialUpdateRows ? 10 : 8;
  if (!parse_rows_event(type, body, post, &scratch, &re).ok()) return;
  if (re.column_count != t.columns.size()) return;  // the stream checks this first
  debezium::ValueOptions opts;
  // Not for the JSON table: an embedded DECIMAL of 20+ digits is valid JSON
  // that simdjson 3.0's DOM refuses (fuzz_mysql_json checks such documents).
  opts.embed_json = (type & 1) && type != kPartialUpdateRows;
  debezium::Row row;
  static simdjson::dom::parser parser;
  std::vector<std::optional<std::string_view>> json;
  size_t pos = 0;
  for (int images = 0; pos < re.rows.size() && images < 10000; ++images) {
    const size_t before = pos;
    const bool after = re.op == 'u' && images % 2;
    std::string_view present = after ? re.present_after : re.present;
    Status st = re.partial && after
                    ? decode_partial_after_image(t, present, re.rows, &pos, opts, json, row)
                    : decode_row_image(t, present, re.rows, &pos, opts, row, &json);
    if (!st.ok()) return;
    if (pos <= before) {
      std::fprintf(stderr, "fuzz_mysql_rows: a row image consumed nothing\n");
      std::abort();
    }
    std::string out;
    debezium::append_row(&row, out);
    simdjson::dom::element doc;
    if (parser.parse(out).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
      std::fprintf(stderr, "fuzz_mysql_rows: not one JSON object: %s\n", out.c_str());
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  static const TableMap kTable = [] {
    TableMap t;
    if (!parse_table_map(unhex(kTableMap), 8, &t).ok()) std::abort();
    return t;
  }();
  static const TableMap kJsonTable = [] {
    TableMap t;
    if (!parse_table_map(unhex(kJsonTableMap), 8, &t).ok()) std::abort();
    return t;
  }();
  std::string rest(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  if (bytes[0] & 0x80) {
    TableMap t;
    if (!parse_table_map(rest, bytes[0] & 1 ? 6 : 8, &t).ok()) return 0;
    decode(t, kWriteRowsV1, unhex(kRows));
    return 0;
  }
  const uint8_t type = kTypes[bytes[0] % (sizeof kTypes)];
  decode(type == kPartialUpdateRows ? kJsonTable : kTable, type, rest);
  return 0;
}
