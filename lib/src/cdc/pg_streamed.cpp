// Transactions streamed in progress, spilled until their commit (see
// pg_streamed.h).
#include "cdc/pg_streamed.h"

#include <algorithm>
#include <cstring>

namespace sluice::pg {

namespace {

bool aborted(const std::vector<uint32_t>& subxacts, uint32_t subxid) {
  return std::find(subxacts.begin(), subxacts.end(), subxid) != subxacts.end();
}

// Reads exactly `n` bytes of a spill record: false at the end of the file
// when the record has not begun (`eof_ok`), an error when the file ends
// inside a record.
Result<bool> read_exact(SpillFile& f, void* p, size_t n, bool eof_ok) {
  auto got = f.read(p, n);
  if (!got.ok()) return got.status();
  if (*got == 0 && eof_ok) return false;
  if (*got != n) return Status::IoError("a streamed transaction's temporary file is truncated");
  return true;
}

}  // namespace

StreamedTransactions::StreamedTransactions(Env* env, ChangeHandler& handler, ChangeEmitter& emitter,
                                           PgSourceWriter& source, PgOutputDecoder& decoder,
                                           CdcSink& sink)
    : env_(env),
      handler_(handler),
      emitter_(emitter),
      source_(source),
      decoder_(decoder),
      sink_(sink),
      format_emitter_(*this, format_source_, env) {}

void StreamedTransactions::set_preformat(bool on, const debezium::SourceInfo& info) {
  preformat_ = on;
  format_emitter_.set_info(info);
  db_ = info.db;
}

void StreamedTransactions::start(uint32_t xid, bool first_segment) {
  in_stream_ = true;
  stream_xid_ = xid;
  StreamedTx& tx = streams_[xid];
  if (first_segment) {
    tx.spill.reset();
    tx.aborted_subxacts.clear();
    tx.decoder.reset();
  }
}

void StreamedTransactions::abort(uint32_t xid, uint32_t subxid) {
  auto it = streams_.find(xid);
  if (it == streams_.end()) return;
  if (subxid == xid) {
    streams_.erase(it);  // the whole transaction rolled back
  } else {
    it->second.aborted_subxacts.push_back(subxid);
  }
}

void StreamedTransactions::clear() {
  streams_.clear();
  in_stream_ = false;
}

Status StreamedTransactions::add(std::string_view data, uint64_t data_start) {
  return preformat_ ? format(data, data_start) : spill(data, data_start);
}

Result<StreamedTransactions::StreamedTx*> StreamedTransactions::streamed_change(
    std::string_view data, uint32_t* subxid) {
  if (data.size() < 5) return Status::BadData("pgoutput streamed message is truncated");
  *subxid = 0;
  for (size_t i = 1; i < 5; ++i) *subxid = (*subxid << 8) | static_cast<uint8_t>(data[i]);
  StreamedTx& tx = streams_[stream_xid_];
  if (!tx.spill) {
    auto f = SpillFile::Create(env_, SpillFile::default_dir());
    if (!f.ok()) return f.status();
    tx.spill = std::move(*f);
  }
  return &tx;
}

// A spill record: subxact xid (4), data_start (8), length (4), then the
// message in its non-streamed form (type byte, body without the xid).
Status StreamedTransactions::spill(std::string_view data, uint64_t data_start) {
  uint32_t subxid = 0;
  Result<StreamedTx*> txr = streamed_change(data, &subxid);
  if (!txr.ok()) return txr.status();
  StreamedTx& tx = **txr;
  char head[17];
  uint32_t len = static_cast<uint32_t>(data.size() - 4);
  memcpy(head, &subxid, 4);
  memcpy(head + 4, &data_start, 8);
  memcpy(head + 12, &len, 4);
  head[16] = data[0];
  SLUICE_RETURN_IF_ERROR(tx.spill->append(std::string_view(head, sizeof head)));
  return tx.spill->append(data.substr(5));
}

// Decodes one streamed change (in its stream's relation cache) and formats
// its events through format_emitter_, whose target (put) is the stream's
// spill file.
Status StreamedTransactions::format(std::string_view data, uint64_t data_start) {
  uint32_t subxid = 0;
  Result<StreamedTx*> txr = streamed_change(data, &subxid);
  if (!txr.ok()) return txr.status();
  StreamedTx& tx = **txr;
  if (!tx.decoder) tx.decoder = std::make_unique<PgOutputDecoder>();
  buf_.assign(1, data[0]);
  buf_.append(data.substr(5));
  SLUICE_RETURN_IF_ERROR(tx.decoder->decode(buf_, msg_));
  subxid_ = subxid;
  format_source_.xid = stream_xid_;
  return handler_.handle_change(msg_, data_start, format_emitter_, format_source_, *tx.decoder);
}

// A formatted record: subxact xid (4), has_key (1), key length (4), value
// length (4), the DeferredFields (4 x 4), then key and value bytes.
Status StreamedTransactions::put(const CdcRoute&, std::optional<std::string_view> key,
                                 std::string_view value, const debezium::DeferredFields& offsets) {
  StreamedTx& tx = streams_[stream_xid_];
  const uint32_t subxid = subxid_;
  uint32_t head[8];
  head[0] = subxid;
  head[1] = key ? 1 : 0;
  head[2] = key ? static_cast<uint32_t>(key->size()) : 0;
  head[3] = static_cast<uint32_t>(value.size());
  head[4] = static_cast<uint32_t>(offsets.ts_begin);
  head[5] = static_cast<uint32_t>(offsets.ts_end);
  head[6] = static_cast<uint32_t>(offsets.commit_begin);
  head[7] = static_cast<uint32_t>(offsets.commit_end);
  SpillFile& f = *tx.spill;
  SLUICE_RETURN_IF_ERROR(
      f.append(std::string_view(reinterpret_cast<const char*>(head), sizeof head)));
  if (head[2]) SLUICE_RETURN_IF_ERROR(f.append(*key));
  return f.append(value);
}

Status StreamedTransactions::replay(uint32_t xid, int64_t ts_us, uint64_t last_commit_lsn) {
  auto it = streams_.find(xid);
  if (it == streams_.end()) return Status::Ok();
  StreamedTx tx = std::move(it->second);
  streams_.erase(it);
  if (!tx.spill) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(tx.spill->rewind());
  if (!preformat_) return replay_raw(tx);
  // pgoutput now takes the relations this stream described as sent.
  if (tx.decoder) {
    decoder_.adopt_relations(*tx.decoder);
    handler_.relations_replaced();
  }
  return replay_formatted(tx, ts_us, last_commit_lsn);
}

Status StreamedTransactions::replay_raw(StreamedTx& tx) {
  SpillFile& f = *tx.spill;
  char head[16];
  uint64_t replayed = 0;
  for (;;) {
    Result<bool> more = read_exact(f, head, sizeof head, true);
    if (!more.ok()) return more.status();
    if (!*more) break;
    uint32_t subxid, len;
    uint64_t data_start;
    memcpy(&subxid, head, 4);
    memcpy(&data_start, head + 4, 8);
    memcpy(&len, head + 12, 4);
    buf_.resize(len);
    SLUICE_RETURN_IF_ERROR(read_exact(f, buf_.data(), len, false).status());
    if (aborted(tx.aborted_subxacts, subxid)) continue;
    SLUICE_RETURN_IF_ERROR(decoder_.decode(buf_, msg_));
    SLUICE_RETURN_IF_ERROR(handler_.handle_change(msg_, data_start, emitter_, source_, decoder_));
    if (++replayed % 4096 == 0) SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
  }
  return Status::Ok();
}

// Emits the formatted events of a committed streamed transaction, filling
// in its commit time and the previous commit's LSN.
Status StreamedTransactions::replay_formatted(StreamedTx& tx, int64_t ts_us,
                                              uint64_t last_commit_lsn) {
  SpillFile& f = *tx.spill;
  std::string commit_part;
  PgSourceWriter::append_last_commit(last_commit_lsn, commit_part);
  uint32_t head[8];
  uint64_t replayed = 0;
  for (;;) {
    Result<bool> more = read_exact(f, head, sizeof head, true);
    if (!more.ok()) return more.status();
    if (!*more) break;
    size_t key_len = head[2], value_len = head[3];
    buf_.resize(key_len + value_len);
    SLUICE_RETURN_IF_ERROR(read_exact(f, buf_.data(), buf_.size(), false).status());
    if (aborted(tx.aborted_subxacts, head[0])) continue;
    debezium::DeferredFields offsets;
    offsets.ts_begin = head[4];
    offsets.ts_end = head[5];
    offsets.commit_begin = head[6];
    offsets.commit_end = head[7];
    if (offsets.ts_begin > offsets.ts_end || offsets.ts_end > offsets.commit_begin ||
        offsets.commit_begin > offsets.commit_end || offsets.commit_end > value_len) {
      return Status::IoError("a streamed transaction's temporary file is corrupt");
    }
    value_.clear();
    debezium::append_completed(std::string_view(buf_).substr(key_len), offsets, ts_us, commit_part,
                               value_);
    std::optional<std::string_view> key;
    if (head[1] != 0) key = std::string_view(buf_).substr(0, key_len);
    // Only on stdout (see preformat_): the route names no table.
    SLUICE_RETURN_IF_ERROR(emitter_.emit_completed(CdcRoute{db_, {}, {}, false}, key, value_));
    if (++replayed % 4096 == 0) SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
  }
  return Status::Ok();
}

}  // namespace sluice::pg
