// MySQL/MariaDB column values typed as Debezium's MySQL connector types
// them (its defaults, with decimal.handling.mode=string and
// binary.handling.mode=base64, as cdc-pg), into JSON:
//   TINYINT..BIGINT, YEAR   numbers (BIGINT UNSIGNED exact up to 2^64-1;
//                           TINYINT(1) a number too)
//   FLOAT, DOUBLE           numbers
//   DECIMAL                 exact strings, never scientific ("-12.340")
//   CHAR, VARCHAR, TEXT     strings (latin1 converted to UTF-8)
//   ENUM                    the member's string
//   SET                     the members, comma-separated
//   BINARY, VARBINARY, BLOB base64
//   BIT(1)                  true / false
//   BIT(n > 1)              base64 of the bits, least significant byte
//                           first (Debezium's io.debezium.data.Bits)
//   DATE                    days since 1970-01-01 (io.debezium.time.Date)
//   TIME                    microseconds, negative and past 24 h allowed
//                           (io.debezium.time.MicroTime)
//   DATETIME(0-3)           milliseconds since the epoch, the value read as
//                           UTC (io.debezium.time.Timestamp)
//   DATETIME(4-6)           microseconds likewise (MicroTimestamp)
//   TIMESTAMP               ISO 8601 in UTC with the column's fraction
//                           digits (io.debezium.time.ZonedTimestamp)
//   JSON                    a string (io.debezium.data.Json), or the JSON
//                           itself with embed_json; MySQL's binary JSON is
//                           decoded to text (mysql_json.h)
//   GEOMETRY                {"wkb":base64,"srid":N} (Debezium's Geometry)
// A zero date or datetime ('0000-00-00') is null, as Debezium writes it.
//
// Two inputs, one typing: the binlog's binary row format (streaming) and
// the text protocol's values (the snapshot, read with time_zone '+00:00'
// and a utf8mb4 connection), so a row reads the same both ways.
// Pure functions over caller-owned buffers; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/mysql_table_map.h"
#include "sluice/debezium.h"
#include "sluice/status.h"

namespace sluice::mysql {

// Decodes the binlog value of column `c` at data[*pos], appends its JSON
// and moves *pos past it. kBadData (naming the column and offset) when the
// bytes run out or do not hold a value of the type.
Status append_binlog_value(const Column& c, std::string_view data, size_t* pos,
                           const debezium::ValueOptions& opts, std::string& out);

// Appends the JSON of a text-protocol value of column `c` (the snapshot).
// Never fails: text that does not parse as its type becomes a string.
void append_text_value(const Column& c, std::string_view text, const debezium::ValueOptions& opts,
                       std::string& out);

// Text of a character column as a JSON string: latin1 collations are
// converted to UTF-8; other bytes that are not UTF-8 are read as latin1.
void append_text_string(uint16_t collation, std::string_view bytes, std::string& out);

// Debezium's ZonedTimestamp: "YYYY-MM-DDTHH:MM:SS[.f{fsp}]Z" for seconds and
// microseconds since the epoch.
void append_zoned(int64_t secs, uint32_t micros, unsigned fsp, std::string& out);

// The exact decimal string of a binary DECIMAL(precision, scale) at data,
// which must hold decimal_size(precision, scale) bytes. False when a digit
// group is out of range.
bool decimal_to_string(const uint8_t* data, unsigned precision, unsigned scale, std::string& out);
size_t decimal_size(unsigned precision, unsigned scale);

// The source block's MySQL fields after "db": sequence, table, server_id,
// gtid, file, pos, row, thread, query, from the position set before each
// event.
class MysqlSourceWriter final : public debezium::SourceWriter {
 public:
  uint32_t server_id = 0;
  std::string gtid;  // empty = null
  std::string file;
  uint64_t pos = 0;
  uint32_t row = 0;
  int64_t thread = -1;  // -1 = null

  void append_fields(std::string_view schema, std::string_view table, std::string& out,
                     size_t event_start, debezium::DeferredFields* deferred) override;
};

}  // namespace sluice::mysql
