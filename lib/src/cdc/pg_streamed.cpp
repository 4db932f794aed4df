// cdc-pg: transactions streamed in progress (protocol 2+), spilled to an
// unlinked temporary file until their Stream Commit (see pg_cdc.h).
#include <algorithm>
#include <cstring>

#include "cdc/pg_cdc.h"

namespace sluice::pg {

// A spill record: subxact xid (4), data_start (8), length (4), then the
// message in its non-streamed form (type byte, body without the xid).
Status PgCdc::spill(std::string_view data, uint64_t data_start) {
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

Result<PgCdc::StreamedTx*> PgCdc::streamed_change(std::string_view data, uint32_t* subxid) {
  if (data.size() < 5) return Status::BadData("pgoutput streamed message is truncated");
  *subxid = 0;
  for (size_t i = 1; i < 5; ++i) *subxid = (*subxid << 8) | static_cast<uint8_t>(data[i]);
  StreamedTx& tx = streams_[stream_xid_];
  SLUICE_RETURN_IF_ERROR(open_spill(tx));
  return &tx;
}

Status PgCdc::open_spill(StreamedTx& tx) {
  if (!tx.spill) {
    auto f = pg::SpillFile::Create(o_.env, pg::SpillFile::default_dir());
    if (!f.ok()) return f.status();
    tx.spill = std::move(*f);
  }
  return Status::Ok();
}

// Decodes one streamed change (in its stream's relation cache) and formats
// its events through format_emitter_, which writes them to the stream's
// spill file.
Status PgCdc::format_streamed(std::string_view data, uint64_t data_start) {
  uint32_t subxid = 0;
  Result<StreamedTx*> txr = streamed_change(data, &subxid);
  if (!txr.ok()) return txr.status();
  StreamedTx& tx = **txr;
  if (!tx.decoder) tx.decoder = std::make_unique<pg::PgOutputDecoder>();
  replay_buf_.assign(1, data[0]);
  replay_buf_.append(data.substr(5));
  SLUICE_RETURN_IF_ERROR(tx.decoder->decode(replay_buf_, msg_));
  spill_target_.subxid = subxid;
  format_source_.xid = stream_xid_;
  return handle_change(msg_, data_start, format_emitter_, format_source_, *tx.decoder);
}

// A formatted record: subxact xid (4), has_key (1), key length (4), value
// length (4), the CommitFieldOffsets (4 x 4), then key and value bytes.
Status PgCdc::write_formatted(uint32_t subxid, std::optional<std::string_view> key,
                              std::string_view value, const debezium::DeferredFields& offsets) {
  StreamedTx& tx = streams_[stream_xid_];
  uint32_t head[8];
  head[0] = subxid;
  head[1] = key ? 1 : 0;
  head[2] = key ? static_cast<uint32_t>(key->size()) : 0;
  head[3] = static_cast<uint32_t>(value.size());
  head[4] = static_cast<uint32_t>(offsets.ts_begin);
  head[5] = static_cast<uint32_t>(offsets.ts_end);
  head[6] = static_cast<uint32_t>(offsets.commit_begin);
  head[7] = static_cast<uint32_t>(offsets.commit_end);
  pg::SpillFile& f = *tx.spill;
  SLUICE_RETURN_IF_ERROR(
      f.append(std::string_view(reinterpret_cast<const char*>(head), sizeof head)));
  if (head[2]) SLUICE_RETURN_IF_ERROR(f.append(*key));
  return f.append(value);
}

// Emits the formatted events of a committed streamed transaction, filling
// in its commit time and the previous commit's LSN.
Status PgCdc::replay_formatted(pg::SpillFile& f, const std::vector<uint32_t>& aborted_subxacts,
                               int64_t ts_us) {
  std::string commit_part;
  pg::PgSourceWriter::append_last_commit(last_commit_lsn_, commit_part);
  uint32_t head[8];
  uint64_t replayed = 0;
  for (;;) {
    auto got = f.read(head, sizeof head);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    if (*got != sizeof head)
      return Status::IoError("a streamed transaction's temporary file is truncated");
    size_t key_len = head[2], value_len = head[3];
    replay_buf_.resize(key_len + value_len);
    got = f.read(replay_buf_.data(), replay_buf_.size());
    if (!got.ok()) return got.status();
    if (*got != replay_buf_.size()) {
      return Status::IoError("a streamed transaction's temporary file is truncated");
    }
    if (std::find(aborted_subxacts.begin(), aborted_subxacts.end(), head[0]) !=
        aborted_subxacts.end()) {
      continue;
    }
    debezium::DeferredFields offsets;
    offsets.ts_begin = head[4];
    offsets.ts_end = head[5];
    offsets.commit_begin = head[6];
    offsets.commit_end = head[7];
    if (offsets.ts_begin > offsets.ts_end || offsets.ts_end > offsets.commit_begin ||
        offsets.commit_begin > offsets.commit_end || offsets.commit_end > value_len) {
      return Status::IoError("a streamed transaction's temporary file is corrupt");
    }
    value_buf_.clear();
    debezium::append_completed(std::string_view(replay_buf_).substr(key_len), offsets, ts_us,
                               commit_part, value_buf_);
    std::optional<std::string_view> key;
    if (head[1] != 0) key = std::string_view(replay_buf_).substr(0, key_len);
    // Only on stdout (see preformat_): the route names no table.
    SLUICE_RETURN_IF_ERROR(emitter_.emit_completed(CdcRoute{db_, {}, {}, false}, key, value_buf_));
    if (++replayed % 4096 == 0) SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
  }
  return Status::Ok();
}

Status PgCdc::stream_commit() {
  uint32_t xid = msg_.xid;
  uint64_t end_lsn = msg_.end_lsn;
  int64_t ts = msg_.ts_us;
  begin_tx(xid, msg_.lsn, ts);
  auto it = streams_.find(xid);
  if (it != streams_.end() && it->second.spill) {
    StreamedTx tx = std::move(it->second);
    streams_.erase(it);
    pg::SpillFile& f = *tx.spill;
    SLUICE_RETURN_IF_ERROR(f.rewind());
    if (preformat_) {
      // pgoutput now takes the relations this stream described as sent.
      if (tx.decoder) {
        decoder_.adopt_relations(*tx.decoder);
        keys_.clear();  // key columns are recomputed from the relations
      }
      SLUICE_RETURN_IF_ERROR(replay_formatted(f, tx.aborted_subxacts, ts));
      return commit_tx(end_lsn, ts);
    }
    char head[16];
    uint64_t replayed = 0;
    for (;;) {
      auto got = f.read(head, sizeof head);
      if (!got.ok()) return got.status();
      if (*got == 0) break;
      if (*got != sizeof head)
        return Status::IoError("a streamed transaction's temporary file is truncated");
      uint32_t subxid, len;
      uint64_t data_start;
      memcpy(&subxid, head, 4);
      memcpy(&data_start, head + 4, 8);
      memcpy(&len, head + 12, 4);
      replay_buf_.resize(len);
      got = f.read(replay_buf_.data(), len);
      if (!got.ok()) return got.status();
      if (*got != len)
        return Status::IoError("a streamed transaction's temporary file is truncated");
      if (std::find(tx.aborted_subxacts.begin(), tx.aborted_subxacts.end(), subxid) !=
          tx.aborted_subxacts.end()) {
        continue;
      }
      SLUICE_RETURN_IF_ERROR(decoder_.decode(replay_buf_, msg_));
      SLUICE_RETURN_IF_ERROR(handle_message(data_start));
      if (++replayed % 4096 == 0) SLUICE_RETURN_IF_ERROR(sink_.poll(Millis(0)));
    }
  } else if (it != streams_.end()) {
    streams_.erase(it);
  }
  return commit_tx(end_lsn, ts);
}

}  // namespace sluice::pg
