// The change-data-capture contract every connector shares (cdc-pg,
// cdc-mysql, ...): where change events go (CdcSink, with per-table routing
// by {db}, {schema}, {table}) and how a run begins (SnapshotMode).
//
// A connector reads its source and turns each row change into a
// Debezium-compatible event (sluice/debezium.h); the sink takes the events
// and says, through tickets, which of them are acknowledged, so that the
// connector confirms a source position (a WAL LSN, a binlog position) only
// once every event before it is safe. Not thread-safe: one run per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/backend.h"
#include "sluice/status.h"

namespace sluice {

// What a change event is about, for routing by {db}, {schema}, {table}.
// Transaction markers have `transaction` set and empty schema/table.
struct CdcRoute {
  std::string_view db;
  std::string_view schema;
  std::string_view table;
  bool transaction = false;
};

// Where change events go. A sink hands out increasing tickets (one per
// emit) and reports through acknowledged() the highest ticket T such that
// every event up to T was durably taken (stdout: read by the reader of a
// pipe, or written; a stream: acknowledged by its backend).
class CdcSink {
 public:
  virtual ~CdcSink() = default;
  CdcSink(const CdcSink&) = delete;
  CdcSink& operator=(const CdcSink&) = delete;

  // Queues one event (the bytes are copied); a value of nullopt is a
  // tombstone (Kafka's null value; "null" on stdout). kClosed when the
  // reader of stdout went away.
  virtual Status emit(const CdcRoute& route, std::optional<std::string_view> key,
                      std::optional<std::string_view> value, uint64_t* ticket) = 0;
  // Pushes queued events out without waiting long; serves acknowledgements.
  virtual Status poll(Millis timeout) = 0;
  // Waits until every emitted event is acknowledged (kTimedOut after
  // `timeout`; kTryAgain when the stop flag interrupts a wait).
  virtual Status flush(Millis timeout) = 0;
  virtual uint64_t acknowledged() = 0;
  // The first delivery failure reported by the backend, or ok.
  virtual Status error() const = 0;
  // True when events go to a stream as keyed messages (where tombstones
  // let log compaction drop a deleted key), false for stdout.
  virtual bool keyed_stream() const = 0;

 protected:
  CdcSink() = default;
};

// Appends `value` (a database, schema or table name) to `out` as part of a
// stream name: each character other than [A-Za-z0-9._-] becomes one '_', as
// Debezium's TopicNamingStrategy does, so the name is valid for every
// backend (a Kafka topic, a file: stream with no '/', a Redis key).
void append_stream_name_part(std::string_view value, std::string& out);

// Opens the sink for DESTINATION: "-" or "stdio:" = stdout (one event value
// per line, or {"key":...,"value":...} with `with_key`); any other stream
// URI = a producer, whose stream name may hold {db}, {schema}, {table}
// placeholders expanded per event (through append_stream_name_part; a
// table whose name changes so is named in a warning, once). The producer
// is opened on the first event (so a routed URI never creates a stream
// named by the template).
Result<std::unique_ptr<CdcSink>> open_cdc_sink(std::string_view destination, bool with_key,
                                               const ProducerOptions& opts);

enum class SnapshotMode {
  kInitial,     // snapshot when the slot is created here, then stream
  kNever,       // stream only
  kOnly,        // snapshot, then exit (no slot is created)
  kWhenNeeded,  // snapshot when the source has no usable position (cdc-pg: as
                // initial, it keeps no offsets besides the slot)
};

}  // namespace sluice
