// The binlog's TABLE_MAP event: which table a table id stands for, its
// column types with their per-type metadata, and, with
// binlog_row_metadata=FULL, the optional metadata (column names,
// signedness, character sets, ENUM/SET values, primary key) that lets
// cdc-mysql type rows without a DDL parser or a schema-history store.
//
// Formats: MySQL source documentation, "Table_map_log_event" (libbinlogevents
// rows_event.h) and MariaDB's log_event.h; the optional metadata TLVs are
// MySQL WL#4618 (types 1-12). Bytes from the server: every parser checks what
// it reads and returns kBadData naming the offset on anything unexpected.
// Pure functions, thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice::mysql {

// Column types as the binlog writes them (enum_field_types).
enum ColumnType : uint8_t {
  kTypeDecimal = 0,
  kTypeTiny = 1,
  kTypeShort = 2,
  kTypeLong = 3,
  kTypeFloat = 4,
  kTypeDouble = 5,
  kTypeNull = 6,
  kTypeTimestamp = 7,
  kTypeLongLong = 8,
  kTypeInt24 = 9,
  kTypeDate = 10,
  kTypeTime = 11,
  kTypeDatetime = 12,
  kTypeYear = 13,
  kTypeNewDate = 14,
  kTypeVarchar = 15,
  kTypeBit = 16,
  kTypeTimestamp2 = 17,
  kTypeDatetime2 = 18,
  kTypeTime2 = 19,
  kTypeJson = 245,
  kTypeNewDecimal = 246,
  kTypeEnum = 247,
  kTypeSet = 248,
  kTypeTinyBlob = 249,
  kTypeMediumBlob = 250,
  kTypeLongBlob = 251,
  kTypeBlob = 252,
  kTypeVarString = 253,
  kTypeString = 254,
  kTypeGeometry = 255,
};

inline constexpr uint16_t kBinaryCollation = 63;

struct Column {
  uint8_t type = 0;     // the real type (STRING's metadata resolved: ENUM, SET)
  uint16_t meta = 0;    // per-type metadata (see table_map.cpp)
  uint32_t length = 0;  // STRING/VARCHAR max bytes, ENUM/SET/BIT/BLOB pack length
  bool is_unsigned = false;
  bool nullable = true;
  bool key = false;
  uint16_t collation = 0;  // 0 = not known (MINIMAL metadata)
  std::string name;
  std::vector<std::string> values;  // ENUM or SET members, in order
  // Filled from information_schema when the binlog lacks it.
  bool tinyint1 = false;
};

struct TableMap {
  uint64_t id = 0;
  std::string db;
  std::string table;
  std::vector<Column> columns;
  bool has_names = false;  // FULL metadata: names, ENUM/SET values, key
  bool has_key = false;
  bool has_signedness = false;
  bool has_charsets = false;
};

// True for the types whose signedness the SIGNEDNESS metadata covers.
bool is_numeric(uint8_t type);
// True for the columns the character-set metadata covers.
bool is_character(uint8_t type);

// Parses a TABLE_MAP event body (after the common header, without the
// checksum). `post_header_len` is the FORMAT_DESCRIPTION's for type 19
// (8: a 6-byte table id; 6: a 4-byte one).
Status parse_table_map(std::string_view body, unsigned post_header_len, TableMap* out);

}  // namespace sluice::mysql
