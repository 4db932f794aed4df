// PostgreSQL column values typed as Debezium's PostgreSQL connector types
// them, into a debezium::Row, and cdc-pg's part of the source block.
//
// Values are typed from their PostgreSQL type OID, from the text form
// PostgreSQL's output functions produce with DateStyle=ISO and
// TimeZone=UTC (the session settings cdc-pg asks for):
//   int2/int4/int8/oid      JSON numbers
//   float4/float8           JSON numbers ("NaN", "Infinity" as strings)
//   numeric, money          strings (Debezium decimal.handling.mode=string;
//                           its default "precise" emits base64 bytes with a
//                           schema, useless without the schema)
//   bool                    true / false
//   json, jsonb             strings (Debezium's io.debezium.data.Json), or
//                           the JSON itself with embed_json
//   date                    days since 1970-01-01 (io.debezium.time.Date)
//   time                    microseconds since midnight (MicroTime)
//   timestamp               microseconds since the epoch (MicroTimestamp)
//   timestamptz             ISO 8601 string in UTC (ZonedTimestamp)
//   interval                microseconds (MicroDuration)
//   timetz                  "HH:MM:SS[.ffffff]Z" in UTC (ZonedTime)
//   uuid, text, varchar...  strings
//   bytea                   base64 (Debezium binary.handling.mode=base64)
//   arrays of the above     JSON arrays of typed elements
// Unchanged TOASTed values that PostgreSQL did not send are the string
// "__debezium_unavailable_value", as Debezium writes them.
//
// Pure functions over caller-owned buffers; no I/O, thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cdc/pgoutput.h"
#include "sluice/debezium.h"

namespace sluice::pg {

// Appends the JSON form of one text-format value of type `type_oid`.
// Never fails: text that does not parse as its type is emitted as a string.
void append_text_value(uint32_t type_oid, std::string_view text, const debezium::ValueOptions& opts,
                       std::string& out);

// Appends the JSON form of a tuple value (null, unavailable, text, binary).
void append_value(uint32_t type_oid, const PgValue& v, const debezium::ValueOptions& opts,
                  std::string& out);

// Fills `row` with the tuple `values` of `rel` (key columns flagged from
// `key_columns`). An unchanged TOASTed value ('u') is taken from
// `fallback` (the old tuple) when that has it.
void fill_row(const PgRelation& rel, const std::vector<bool>& key_columns,
              const std::vector<PgValue>& values, const std::vector<PgValue>* fallback,
              const debezium::ValueOptions& opts, debezium::Row& row);

// The source block's PostgreSQL fields: sequence, schema, table, txId,
// lsn, xmin, from the position set before each event.
class PgSourceWriter final : public debezium::SourceWriter {
 public:
  uint64_t xid = 0;              // source.txId; 0 is written as null
  uint64_t lsn = 0;              // this change's WAL position
  uint64_t last_commit_lsn = 0;  // previous commit's end LSN, 0 = none

  void append_fields(std::string_view schema, std::string_view table, std::string& out,
                     size_t event_start, debezium::DeferredFields* deferred) override;
  // The commit-time part of source.sequence: `null` or `\"LSN\"`.
  static void append_last_commit(uint64_t last_commit_lsn, std::string& out);
};

}  // namespace sluice::pg
