// ConsumeLoop: the engine behind tap. Moves messages from a Consumer into
// an OutputSink in a chosen format and tells the consumer what the sink's
// reader actually took, committing the group only up to there.
//
// run() returns ok when done (--count reached, end of stream with --exit, or
// a stop signal), kClosed when the reader went away (stdout: a normal end;
// a named pipe: reattach the sink to the next reader and call run() again,
// the untaken records go out first), or an error. Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "sluice/backend.h"
#include "sluice/format.h"
#include "sluice/sink.h"
#include "sluice/stats.h"

namespace sluice {

// Turns each message into the one the format renders (tap --decode avro).
// decode() returns kBadData for a record that does not decode (the
// --on-error policy then applies: stop with it, or skip it); any other
// error ends the run. `out` stays valid until the next call.
class MessageDecoder {
 public:
  virtual ~MessageDecoder() = default;
  virtual Status decode(const Message& in, Message& out) = 0;
};

struct ConsumeOptions {
  OutputFormat format;
  MessageDecoder* decoder = nullptr;  // not owned; none: messages as they are
  bool skip_undecodable = false;      // report and skip a record that does not decode
  // Appended after each record unless the format is a template.
  std::string delimiter = "\n";
  // kU32Be or kVarint: each record is preceded by its length instead, and
  // `delimiter` is not used.
  Framing::Kind length_prefix = Framing::Kind::kLine;
  int64_t count = -1;  // -1 = unlimited
  bool group = false;  // commit what the reader took
  // Before finishing, wait until the reader took everything (or left, which
  // ends run() with kClosed so the caller can hand the rest to the next
  // reader). Implied by group; tap sets it for a named pipe.
  bool drain_at_end = false;
  Millis commit_interval{200};
  Millis poll_timeout{100};
};

class ConsumeLoop {
 public:
  ConsumeLoop(Consumer& consumer, OutputSink& sink, ConsumeOptions opts, RunStats& stats);

  Status run();

  // Marks what the sink reports taken and commits it (group only).
  Status settle_and_commit();

  bool done() const { return done_; }
  // Records that did not decode and were skipped (skip_undecodable).
  uint64_t skipped() const { return skipped_; }

 private:
  struct Position {
    uint32_t stream;  // index into stream_names_
    int32_t shard;
    int64_t seq;
  };
  void settle();
  uint32_t intern(std::string_view stream);
  static std::string position_of(const Message& m);

  Consumer& consumer_;
  OutputSink& sink_;
  ConsumeOptions opts_;
  RunStats& stats_;
  MessageBatch batch_;
  std::string prefix_;            // scratch for a record's length prefix
  std::deque<Position> pending_;  // records in the sink, not yet taken
  uint64_t settled_ = 0;          // sink records already marked taken
  std::vector<std::string> stream_names_;
  int64_t emitted_ = 0;
  bool done_ = false;
  bool dirty_ = false;  // marks not yet committed
  Message decoded_;     // opts_.decoder's output for the current message
  uint64_t skipped_ = 0;
};

}  // namespace sluice
