// Transactions that PostgreSQL streams while they are still in progress
// (pgoutput protocol 2+, "streaming 'on'"): their changes wait in an
// unlinked temporary file (SpillFile, through Env) until Stream Commit,
// are dropped at Stream Abort, and a rolled-back subtransaction's are
// skipped, so nothing uncommitted is ever emitted.
//
// Two ways to spill. Raw: the pgoutput messages, decoded and emitted at the
// commit like any transaction's. Pre-formatted (stdout without transaction
// markers, whose ids and counts depend on the commit): each change is
// formatted into its final events as it arrives, by an emitter of its own
// whose EventTarget is the spill file, so the work overlaps the
// transaction on the server; only source.ts_ms and the previous commit's
// LSN are filled in at the commit. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cdc/pg_values.h"
#include "cdc/pgoutput.h"
#include "cdc/spill_file.h"
#include "sluice/cdc.h"
#include "sluice/env.h"

namespace sluice::pg {

// What the streamed transactions hand their changes to (the run).
class ChangeHandler {
 public:
  virtual ~ChangeHandler() = default;
  // A row change or Relation message: emitted through `out`, its position
  // in `src`; `dec` knows the relations.
  virtual Status handle_change(const PgMessage& m, uint64_t data_start, ChangeEmitter& out,
                               PgSourceWriter& src, const PgOutputDecoder& dec) = 0;
  // The relations of `dec` were replaced (key columns must be looked up
  // again).
  virtual void relations_replaced() = 0;
};

class StreamedTransactions final : private EventTarget {
 public:
  // Committed changes go to `handler` through `emitter` (the run's, with
  // `source` and `decoder`); `sink` is polled while a long one replays.
  StreamedTransactions(Env* env, ChangeHandler& handler, ChangeEmitter& emitter,
                       PgSourceWriter& source, PgOutputDecoder& decoder, CdcSink& sink);
  StreamedTransactions(const StreamedTransactions&) = delete;
  StreamedTransactions& operator=(const StreamedTransactions&) = delete;

  // Pre-formatted spilling, with the source block's constant part.
  void set_preformat(bool on, const debezium::SourceInfo& info);

  // Stream Start / Stop / Abort.
  void start(uint32_t xid, bool first_segment);
  void stop() { in_stream_ = false; }
  void abort(uint32_t xid, uint32_t subxid);
  // True between Stream Start and Stream Stop: row changes belong to the
  // stream (add them).
  bool in_stream() const { return in_stream_; }
  // A change inside a stream (type byte, subxact xid, body).
  Status add(std::string_view data, uint64_t data_start);
  // Stream Commit of `xid`: emits its changes (the caller began and ends
  // the transaction on the emitter); `last_commit_lsn` is the previous
  // commit's, for pre-formatted events.
  Status replay(uint32_t xid, int64_t ts_us, uint64_t last_commit_lsn);

  bool empty() const { return streams_.empty(); }
  // Forgets every stream (a lost connection: the server sends them again).
  void clear();

 private:
  struct StreamedTx {
    std::unique_ptr<SpillFile> spill;
    std::vector<uint32_t> aborted_subxacts;
    // Pre-formatted mode: the stream's own relation cache (pgoutput sends
    // a streamed transaction the Relation messages of its changes within
    // its stream, whatever other transactions saw).
    std::unique_ptr<PgOutputDecoder> decoder;
  };
  // A streamed change's subxact xid and the current stream, spill file open.
  Result<StreamedTx*> streamed_change(std::string_view data, uint32_t* subxid);
  Status spill(std::string_view data, uint64_t data_start);
  Status format(std::string_view data, uint64_t data_start);
  // EventTarget: a pre-formatted event of the change being formatted.
  Status put(const CdcRoute& route, std::optional<std::string_view> key, std::string_view value,
             const debezium::DeferredFields& deferred) override;
  Status replay_raw(StreamedTx& tx);
  Status replay_formatted(StreamedTx& tx, int64_t ts_us, uint64_t last_commit_lsn);

  Env* env_;
  ChangeHandler& handler_;
  ChangeEmitter& emitter_;
  PgSourceWriter& source_;
  PgOutputDecoder& decoder_;
  CdcSink& sink_;
  bool preformat_ = false;
  PgSourceWriter format_source_;
  ChangeEmitter format_emitter_;
  std::unordered_map<uint32_t, StreamedTx> streams_;  // by top-level xid
  bool in_stream_ = false;
  uint32_t stream_xid_ = 0;
  uint32_t subxid_ = 0;  // of the change being formatted
  PgMessage msg_;
  std::string buf_, value_;
  std::string db_;
};

}  // namespace sluice::pg
