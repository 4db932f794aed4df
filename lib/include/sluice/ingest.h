// Ingest: the engine behind flux. Reads records from a file descriptor with
// a Framing, turns each into a Message (plain payload, key taken from a JSON
// field or split off at a delimiter, or a whole NDJSON envelope), adds fixed
// headers, produces it, and applies the bad-record policy.
//
// Under --key-field a record that is not JSON, or lacks the field, is
// produced as it is, without a key. Under --envelope a blank line is no
// record and is skipped silently.
//
// MessagePack input: each value is a record, stored byte for byte with the
// header content-type: application/msgpack, or (to_json) as its JSON form
// with no added header; a value with no JSON form, or one cut short by the
// end of the input, is a bad record. Bytes that are no MessagePack end the
// run (kBadData): a stream of values cannot be resynchronised.
//
// CSV/TSV input: each row is produced as JSON (an array, or an object keyed
// by the header row); --key-field then applies to that JSON. A malformed
// row is a bad record reported by the line it starts on; a bad header
// (not UTF-8, a name twice) ends the run with kBadData.
//
// Bad records (an oversized record, an invalid envelope) never cost the good
// ones: each is reported via
// warn() as "<source> line N: <reason>" and then, per policy, stops the run
// (fail), is skipped (skip) or is produced raw to a dead-letter producer
// with headers sluice.error / sluice.line / sluice.source (dlq).
//
// Not thread-safe: one Ingest per input loop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/backend.h"
#include "sluice/format.h"
#include "sluice/stats.h"

namespace sluice {

// Turns each record's payload into the bytes to store (flux --encode avro).
// encode() returns kBadData for a record that does not fit (a bad record:
// the policy applies); any other error ends the run.
class PayloadEncoder {
 public:
  virtual ~PayloadEncoder() = default;
  virtual Status encode(std::string_view in, std::string& out) = 0;
};

struct IngestOptions {
  // What the input holds: records split by `framing`, or CSV/TSV rows
  // (see csv.h), each produced as its JSON form.
  enum class Input { kLines, kCsv, kTsv, kMsgpack };
  Input input = Input::kLines;
  bool csv_header = false;  // the first row names the fields: rows become objects
  char csv_delimiter = 0;   // 0: ',' for CSV, tab for TSV
  bool infer = false;       // numbers, true, false unquoted in the JSON
  bool to_json = false;     // msgpack: store the JSON form, not the bytes
  Framing framing;
  size_t max_record_bytes = 1u << 20;
  bool envelope = false;
  // Dotted path of a JSON field ("id", "user.id", ".user.id", "$.user.id")
  // whose value becomes the key; empty = none.
  std::string key_field;
  // When set, the key is the bytes before the first occurrence.
  std::optional<std::string> key_delimiter;
  std::vector<std::pair<std::string, std::string>> headers;
  enum class OnError { kFail, kSkip, kDeadLetter };
  OnError on_error = OnError::kSkip;
  Producer* dead_letter = nullptr;    // required for kDeadLetter, not owned
  PayloadEncoder* encoder = nullptr;  // not owned; applied after the key is taken
};

class Ingest {
 public:
  Ingest(Producer& out, IngestOptions opts, RunStats& stats);
  ~Ingest();
  Ingest(const Ingest&) = delete;
  Ingest& operator=(const Ingest&) = delete;

  // Reads `fd` until EOF, a stop signal, or (policy fail) the first bad
  // record. `source` names the input in messages ("stdin", the pipe path).
  // A non-blocking fd is waited on with poll(); pending records are handed
  // to the backend (producer.poll) before every wait so that a quiet input
  // does not hold records back. Returns kBadData under policy fail, an I/O
  // or backend error, or ok.
  Status run(int fd, const std::string& source);

  // Records rejected so far (reported, then skipped or dead-lettered).
  uint64_t rejected() const { return rejected_; }

 private:
  struct Impl;
  Status reject(const std::string& source, uint64_t line, std::string_view record,
                const std::string& reason);
  Status produce_record(std::string_view record, const std::string& source, uint64_t line);
  Status run_csv(int fd, const std::string& source);
  Status run_msgpack(int fd, const std::string& source);
  // Serves the backend, then waits for `fd` to be readable (or a stop).
  Status wait_for_input(int fd);
  Producer& out_;
  IngestOptions opts_;
  RunStats& stats_;
  std::unique_ptr<Impl> impl_;
  uint64_t rejected_ = 0;
};

}  // namespace sluice
