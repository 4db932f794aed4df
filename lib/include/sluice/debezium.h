// Debezium-compatible change events, for any connector: the event value
// {"before","after","source","op","ts_ms","transaction"}, its key (the
// primary-key columns as a JSON object) and the transaction metadata
// events, as Debezium writes them through Kafka Connect's JsonConverter
// with schemas disabled.
//
// The writer knows nothing of any database. A connector types its column
// values into JSON itself (cdc-pg: lib/src/cdc/pg_values.h) and fills a
// Row with them; it writes the connector's own part of the source block
// (after "db": PostgreSQL's sequence/schema/table/txId/lsn/xmin, MySQL's
// file/pos/gtid...) through a SourceWriter.
//
// Pure functions over caller-owned buffers; no I/O, thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::debezium {

inline constexpr std::string_view kUnavailableValue = "__debezium_unavailable_value";

// How connectors type their values.
struct ValueOptions {
  bool embed_json = false;  // JSON columns as JSON values instead of strings
};

// One row image: column names and their values, each value already JSON.
// Reuse one Row across events (clear()): after warm-up it allocates nothing.
// Names are views: they must outlive the Row's use for the event.
class Row {
 public:
  void clear() {
    json_.clear();
    columns_.clear();
  }
  // Starts column `name` (part of the key when `key`): append the value's
  // JSON to the returned buffer before the next add().
  std::string& add(std::string_view name, bool key) {
    columns_.push_back(Column{name, json_.size(), key});
    return json_;
  }
  size_t size() const { return columns_.size(); }
  std::string_view name(size_t i) const { return columns_[i].name; }
  bool key(size_t i) const { return columns_[i].key; }
  std::string_view value(size_t i) const {
    size_t end = i + 1 < columns_.size() ? columns_[i + 1].begin : json_.size();
    return std::string_view(json_).substr(columns_[i].begin, end - columns_[i].begin);
  }

 private:
  struct Column {
    std::string_view name;
    size_t begin;
    bool key;
  };
  std::string json_;
  std::vector<Column> columns_;
};

// Appends the row as {"col":value,...}, or null when `row` is null.
void append_row(const Row* row, std::string& out);

// Appends the key, {"col":value,...} over the key columns. Returns false
// (and appends nothing) when the row has no key columns.
bool append_key(const Row& row, std::string& out);

// True when both rows have the same key columns with the same values.
bool same_key(const Row& a, const Row& b);

// The parts of every event's source block that do not change per event.
struct SourceInfo {
  std::string version;    // source.version
  std::string connector;  // source.connector: "postgresql", "mysql"...
  std::string name;       // source.name (topic prefix)
  std::string db;         // source.db
};

// Where an event formatted before its transaction committed has the fields
// known only at the commit (offsets in the event, [begin, end)):
// source.ts_ms, and a part of the source block that the connector's
// SourceWriter marked (cdc-pg: the previous commit's LSN in
// source.sequence). See append_completed.
struct DeferredFields {
  size_t ts_begin = 0, ts_end = 0;
  size_t commit_begin = 0, commit_end = 0;
};

// The connector's part of the source block, for the event being written.
class SourceWriter {
 public:
  virtual ~SourceWriter() = default;
  // Appends the fields after source.db, each with its leading comma
  // (",\"lsn\":123..."), for a change of schema.table. With `deferred`, marks
  // the commit-time part (DeferredFields::commit_*, offsets from
  // `event_start`).
  virtual void append_fields(std::string_view schema, std::string_view table, std::string& out,
                             size_t event_start, DeferredFields* deferred) = 0;
};

// One change: op 'c', 'u', 'd', 'r' (snapshot read) or 't' (truncate).
// `before`/`after` may be null.
struct ChangeEvent {
  char op = 'c';
  std::string_view schema;  // as the source names it ("" = none)
  std::string_view table;
  const Row* before = nullptr;
  const Row* after = nullptr;
  // source.snapshot: "true", "last", "false".
  std::string_view snapshot = "false";
  int64_t source_ts_us = 0;  // commit time (snapshot: its start)
  int64_t now_us = 0;        // top-level ts_ms (processing time)
  // Transaction metadata block; "transaction":null when tx_id is empty.
  std::string_view tx_id;
  uint64_t total_order = 0;
  uint64_t collection_order = 0;
};

// Appends the event value. Returns the offset in `out` of the 4 characters
// of the source.snapshot value when it is "true" (so a caller holding one
// event of look-ahead can turn it into "last"), else std::string::npos.
// With `deferred`, also reports where the commit-time fields are.
size_t append_event(const SourceInfo& info, SourceWriter& source, const ChangeEvent& ev,
                    std::string& out, DeferredFields* deferred = nullptr);

// Appends `event` (formatted by append_event with `deferred`, offsets
// relative to its start) with source.ts_ms set to `source_ts_us` and the
// marked commit part replaced by `commit_part`.
void append_completed(std::string_view event, const DeferredFields& deferred, int64_t source_ts_us,
                      std::string_view commit_part, std::string& out);

// Transaction metadata events (Debezium's <prefix>.transaction topic).
void append_tx_begin(std::string_view tx_id, int64_t ts_us, std::string& out);
struct CollectionCount {
  std::string collection;  // "schema.table"
  uint64_t events = 0;
};
void append_tx_end(std::string_view tx_id, int64_t ts_us, uint64_t event_count,
                   const std::vector<CollectionCount>& collections, std::string& out);

// Helpers for connectors' value typing and source writers.
void append_u64(uint64_t v, std::string& out);
int64_t floor_div(int64_t a, int64_t b);

}  // namespace sluice::debezium
