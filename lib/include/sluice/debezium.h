// Debezium-compatible change events for PostgreSQL rows: the event value
// {"before","after","source","op","ts_ms","transaction"} and key (the
// primary-key columns as a JSON object), as Debezium's PostgreSQL connector
// writes them through Kafka Connect's JsonConverter with schemas disabled.
//
// Column values are typed from their PostgreSQL type OID, from the text
// form PostgreSQL's output functions produce with DateStyle=ISO and
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

namespace sluice::pg {
// From pgoutput's decoder (lib/src/cdc/pgoutput.h, private to lib).
struct PgRelation;
struct PgValue;
}  // namespace sluice::pg

namespace sluice::debezium {

inline constexpr std::string_view kUnavailableValue = "__debezium_unavailable_value";

struct ValueOptions {
  bool embed_json = false;  // json/jsonb as JSON values instead of strings
};

// Appends the JSON form of one text-format value of type `type_oid`.
// Never fails: text that does not parse as its type is emitted as a string.
void append_pg_text_value(uint32_t type_oid, std::string_view text, const ValueOptions& opts,
                          std::string& out);

// Appends the JSON form of a tuple value (null, unavailable, text, binary).
void append_pg_value(uint32_t type_oid, const pg::PgValue& v, const ValueOptions& opts,
                     std::string& out);

// Constant parts of every event's source block.
struct SourceInfo {
  std::string version;  // source.version
  std::string name;     // source.name (topic prefix)
  std::string db;       // source.db
};

// One change: op 'c','u','d','r' or 't'. `before`/`after` may be null
// (absent). Values are indexed like relation->columns.
struct ChangeEvent {
  char op = 'c';
  const pg::PgRelation* relation = nullptr;
  const std::vector<pg::PgValue>* before = nullptr;
  const std::vector<pg::PgValue>* after = nullptr;
  // source.snapshot: "true", "last", "false".
  std::string_view snapshot = "false";
  // source.txId: the transaction's id (snapshot: the snapshot's own
  // transaction, txid_current()); 0 is written as null.
  uint64_t xid = 0;
  uint64_t lsn = 0;              // this change's WAL position
  uint64_t last_commit_lsn = 0;  // previous commit's end LSN, 0 = none
  int64_t source_ts_us = 0;      // commit time (snapshot: its start)
  int64_t now_us = 0;            // top-level ts_ms (processing time)
  // Transaction metadata block; omitted ("transaction":null) when tx_id empty.
  std::string_view tx_id;
  uint64_t total_order = 0;
  uint64_t collection_order = 0;
};

// Where the commit-time parts of an appended event are (offsets in `out`,
// [begin, end)): the source.ts_ms number and the first element of
// source.sequence (the previous commit LSN: `null` or `\"123\"`), so that
// an event formatted before its transaction committed can be completed at
// the commit (see append_commit_fields).
struct CommitFieldOffsets {
  size_t ts_begin = 0, ts_end = 0;
  size_t last_commit_begin = 0, last_commit_end = 0;
};

// Appends the event value. Returns the offset in `out` of the 4 characters
// of the source.snapshot value when it is "true" (so a caller holding one
// event of look-ahead can turn it into "last"), else std::string::npos.
// With `offsets`, also reports where the commit-time fields are.
size_t append_event(const SourceInfo& src, const ChangeEvent& ev, const ValueOptions& opts,
                    std::string& out, CommitFieldOffsets* offsets = nullptr);

// Appends `event` (formatted by append_event with `offsets`, relative to
// its start) with source.ts_ms and the sequence's last commit LSN replaced
// by the given commit-time values, as append_event would have written them.
void append_with_commit_fields(std::string_view event, const CommitFieldOffsets& offsets,
                               int64_t source_ts_us, uint64_t last_commit_lsn, std::string& out);

// Appends the key: {"col":value,...} over the relation's key columns taken
// from `values`. Returns false (and appends nothing) when the relation has
// no key columns.
bool append_key(const pg::PgRelation& rel, const std::vector<bool>& key_columns,
                const std::vector<pg::PgValue>& values, const ValueOptions& opts, std::string& out);

// Transaction metadata events (Debezium's <name>.transaction topic).
void append_tx_begin(std::string_view tx_id, int64_t ts_us, std::string& out);
struct CollectionCount {
  std::string collection;  // "schema.table"
  uint64_t events = 0;
};
void append_tx_end(std::string_view tx_id, int64_t ts_us, uint64_t event_count,
                   const std::vector<CollectionCount>& collections, std::string& out);

}  // namespace sluice::debezium
