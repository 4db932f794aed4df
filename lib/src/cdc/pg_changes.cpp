// cdc-pg: pgoutput messages to change events through the ChangeEmitter
// (see pg_cdc.h).
#include <cstring>

#include "cdc/pg_cdc.h"

namespace sluice::pg {

void PgCdc::begin_tx(uint32_t xid, uint64_t final_lsn, int64_t ts_us) {
  source_.xid = xid;
  if (o_.events.tx_markers) tx_id_ = std::to_string(xid) + ":" + std::to_string(final_lsn);
  emitter_.begin(tx_id_, ts_us);
}

Status PgCdc::commit_tx(uint64_t end_lsn, int64_t ts_us) {
  SLUICE_RETURN_IF_ERROR(emitter_.commit(ts_us, end_lsn));
  last_commit_lsn_ = source_.last_commit_lsn = end_lsn;
  return Status::Ok();
}

Status PgCdc::handle_xlog(std::string_view data, uint64_t data_start) {
  if (streamed_.in_stream() && !data.empty() && strchr("RYIUDTM", data[0]) != nullptr &&
      data[0] != '\0') {
    return streamed_.add(data, data_start);
  }
  SLUICE_RETURN_IF_ERROR(decoder_.decode(data, msg_));
  return handle_message(data_start);
}

Status PgCdc::handle_message(uint64_t data_start) {
  pg::PgMessage& m = msg_;
  switch (m.type) {
    case pg::PgMessageType::kBegin:
      begin_tx(m.xid, m.lsn, m.ts_us);
      return Status::Ok();
    case pg::PgMessageType::kCommit:
      return commit_tx(m.end_lsn, m.ts_us);
    case pg::PgMessageType::kStreamStart:
      streamed_.start(m.xid, m.first_segment);
      return Status::Ok();
    case pg::PgMessageType::kStreamStop:
      streamed_.stop();
      return Status::Ok();
    case pg::PgMessageType::kStreamAbort:
      streamed_.abort(m.xid, m.subxid);
      return Status::Ok();
    case pg::PgMessageType::kStreamCommit:
      return stream_commit();
    case pg::PgMessageType::kRelation:
    case pg::PgMessageType::kInsert:
    case pg::PgMessageType::kUpdate:
    case pg::PgMessageType::kDelete:
    case pg::PgMessageType::kTruncate:
      return handle_change(m, data_start, emitter_, source_, decoder_);
    default:
      // Origin, Type, Message; two-phase messages are not requested.
      return Status::Ok();
  }
}

Status PgCdc::stream_commit() {
  const uint32_t xid = msg_.xid;
  const uint64_t end_lsn = msg_.end_lsn;
  const int64_t ts = msg_.ts_us;
  begin_tx(xid, msg_.lsn, ts);
  SLUICE_RETURN_IF_ERROR(streamed_.replay(xid, ts, last_commit_lsn_));
  return commit_tx(end_lsn, ts);
}

Status PgCdc::handle_change(const pg::PgMessage& m, uint64_t data_start, ChangeEmitter& out,
                            pg::PgSourceWriter& src, const pg::PgOutputDecoder& dec) {
  src.lsn = data_start;
  switch (m.type) {
    case pg::PgMessageType::kRelation:
      keys_.erase(m.relation->oid);  // columns may have changed
      check_identity(*m.relation);
      return Status::Ok();
    case pg::PgMessageType::kInsert: {
      const pg::PgRelation& rel = *m.relation;
      if (!wanted(rel)) return Status::Ok();
      pg::fill_row(rel, key_columns(rel), m.new_values, nullptr, o_.values, after_row_);
      return out.change('c', TableId{rel.schema, rel.table}, nullptr, &after_row_);
    }
    case pg::PgMessageType::kUpdate: {
      const pg::PgRelation& rel = *m.relation;
      if (!wanted(rel)) return Status::Ok();
      const std::vector<bool>& keys = key_columns(rel);
      // The old tuple: the whole row ('O', REPLICA IDENTITY FULL), or the
      // old key only when it changed ('K').
      const std::vector<pg::PgValue>* old = m.old_kind ? &m.old_values : nullptr;
      if (old) pg::fill_row(rel, keys, *old, nullptr, o_.values, before_row_);
      pg::fill_row(rel, keys, m.new_values, m.old_kind == 'O' ? old : nullptr, o_.values,
                   after_row_);
      return out.update(TableId{rel.schema, rel.table}, m.old_kind == 'O' ? &before_row_ : nullptr,
                        old ? &before_row_ : nullptr, after_row_);
    }
    case pg::PgMessageType::kDelete: {
      const pg::PgRelation& rel = *m.relation;
      if (!wanted(rel)) return Status::Ok();
      pg::fill_row(rel, key_columns(rel), m.old_values, nullptr, o_.values, before_row_);
      return out.change('d', TableId{rel.schema, rel.table}, &before_row_, nullptr);
    }
    case pg::PgMessageType::kTruncate:
      for (uint32_t oid : m.truncated) {
        const pg::PgRelation* rel = dec.relation(oid);
        if (!rel || !wanted(*rel)) continue;
        SLUICE_RETURN_IF_ERROR(out.truncate(TableId{rel->schema, rel->table}));
      }
      return Status::Ok();
    default:
      return Status::Ok();
  }
}

}  // namespace sluice::pg
