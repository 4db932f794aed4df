// Row events of the binlog (WRITE/UPDATE/DELETE_ROWS v1 and v2, MariaDB's
// compressed v1 and v2) decoded from their raw bytes, with the present
// (columns_before/after) bitmaps and each row's null bitmap, into
// debezium::Row images: cdc-mysql's own row decoder. Connector/C 3.3's
// mariadb_rpl_extract_rows is not used: it fails on CHAR, ENUM, SET, BIT,
// BLOB, TIMESTAMP, integer-only tables and MINIMAL images.
//
// Formats: MySQL source documentation, libbinlogevents rows_event.h
// ("Rows_event" post-header and body, v2 extra row info), sql/rpl_record.cc
// (pack_row, unpack_row: the after image of a PARTIAL_UPDATE_ROWS_EVENT,
// see decode_partial_after_image) and MariaDB's
// log_event.h (compressed row events: the row data after the bitmaps is
// zlib-compressed behind a header byte 0x80|N and an N-byte big-endian
// uncompressed length). Bytes from the server: everything is bounds
// checked; kBadData naming the offset otherwise. Pure functions,
// thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/mysql_table_map.h"
#include "sluice/debezium.h"
#include "sluice/status.h"

namespace sluice::mysql {

// Binlog event types that carry rows, and the others cdc-mysql reads.
enum EventType : uint8_t {
  kQueryEvent = 2,
  kRotateEvent = 4,
  kFormatDescriptionEvent = 15,
  kXidEvent = 16,
  kTableMapEvent = 19,
  kWriteRowsV1 = 23,
  kUpdateRowsV1 = 24,
  kDeleteRowsV1 = 25,
  kHeartbeatEvent = 27,
  kWriteRowsV2 = 30,
  kUpdateRowsV2 = 31,
  kDeleteRowsV2 = 32,
  kMysqlGtidEvent = 33,
  kMysqlAnonymousGtidEvent = 34,
  kPartialUpdateRows = 39,
  kTransactionPayload = 40,
  kMariaGtidEvent = 162,
  kQueryCompressedEvent = 165,
  kWriteRowsCompressedV1 = 166,
  kUpdateRowsCompressedV1 = 167,
  kDeleteRowsCompressedV1 = 168,
  kWriteRowsCompressedV2 = 169,
  kUpdateRowsCompressedV2 = 170,
  kDeleteRowsCompressedV2 = 171,
};

// True for the event types that parse_rows_event takes.
bool is_rows_event(uint8_t type);

struct RowsEvent {
  char op = 'c';  // 'c' write, 'u' update, 'd' delete
  uint64_t table_id = 0;
  uint16_t flags = 0;
  uint64_t column_count = 0;
  std::string_view present;        // columns in the (before) image
  std::string_view present_after;  // update: columns in the after image
  std::string_view rows;           // the row images, uncompressed
  // PARTIAL_UPDATE_ROWS_EVENT (MySQL 8, binlog_row_value_options=
  // PARTIAL_JSON): decode each after image with decode_partial_after_image.
  bool partial = false;
};

inline constexpr uint16_t kStmtEndFlag = 0x01;

// Parses the rows event `body` (after the common header, without the
// checksum) of binlog event `type`. `post_header_len` is the
// FORMAT_DESCRIPTION's for that type (the table id is 6 bytes when it is
// 8 or more, else 4). A compressed event is inflated into `*scratch` and
// out->rows points into it.
Status parse_rows_event(uint8_t type, std::string_view body, unsigned post_header_len,
                        std::string* scratch, RowsEvent* out);

// Decodes one row image at rows[*pos] (its null bitmap, then the values
// of the present, non-null columns) into `row` (cleared first; the
// column names are views into `table`), moving *pos past it. With
// `json_values`, also sets it to one entry per table column: the binary
// JSON of each JSON column in the image (views into `rows`), nullopt for
// other columns and for JSON columns absent or NULL.
Status decode_row_image(const TableMap& table, std::string_view present, std::string_view rows,
                        size_t* pos, const debezium::ValueOptions& opts, debezium::Row& row,
                        std::vector<std::optional<std::string_view>>* json_values = nullptr);

// The after image of a PARTIAL_UPDATE_ROWS_EVENT (sql/rpl_record.cc
// pack_row for UPDATE_AI): value_options (packed integer, 0 or 1 =
// PARTIAL_JSON_UPDATES), then when that bit is set partial_bits, one bit
// per JSON column of the table (present in the image or not, LSB first),
// then the image as decode_row_image reads it, except that a JSON column
// whose partial bit is set holds diffs (mysql_json_diff.h) against its
// value in the before image, `before_json` (decode_row_image's
// json_values for the before image). The full document lands in `row`.
// A partial column without a before value (a MINIMAL or NOBLOB before
// image) or whose diffs do not apply is kBadData naming table and column.
Status decode_partial_after_image(const TableMap& table, std::string_view present,
                                  std::string_view rows, size_t* pos,
                                  const debezium::ValueOptions& opts,
                                  const std::vector<std::optional<std::string_view>>& before_json,
                                  debezium::Row& row);

}  // namespace sluice::mysql
