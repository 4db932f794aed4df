// The rules every CDC connector shares (see sluice/cdc.h): transaction
// markers, tombstones, primary-key changes, the snapshot's "last", and
// confirming a source position only after the sink acknowledged it.
#include <utility>

#include "sluice/cdc.h"

namespace sluice {

ChangeEmitter::ChangeEmitter(CdcSink& sink, debezium::SourceWriter& source, RunStats& stats,
                             Env* env, ChangeEmitterOptions opts)
    : sink_(&sink), source_(source), stats_(&stats), env_(env), opts_(opts) {}

ChangeEmitter::ChangeEmitter(EventTarget& target, debezium::SourceWriter& source, Env* env)
    : target_(&target), source_(source), env_(env) {
  opts_.tx_markers = false;
  opts_.tombstones = false;
}

void ChangeEmitter::begin(std::string_view tx_id, int64_t commit_ts_us) {
  in_tx_ = true;
  tx_ts_us_ = commit_ts_us;
  tx_order_ = 0;
  tx_collections_.clear();
  tx_begun_marker_ = false;
  if (opts_.tx_markers) tx_id_.assign(tx_id);
}

void ChangeEmitter::abandon() {
  in_tx_ = false;
  tx_collections_.clear();
  tx_begun_marker_ = false;
}

Status ChangeEmitter::put(const CdcRoute& route, bool has_key,
                          std::optional<std::string_view> value) {
  std::optional<std::string_view> key;
  if (has_key) key = key_;
  uint64_t ticket = 0;
  SLUICE_RETURN_IF_ERROR(sink_->emit(route, key, value, &ticket));
  last_ticket_ = ticket;
  stats_->add(1, value ? value->size() : 0);
  return Status::Ok();
}

Status ChangeEmitter::emit(char op, TableId table, const debezium::Row* before,
                           const debezium::Row* after) {
  const CdcRoute route{info_.db, table.schema, table.table, false};
  debezium::ChangeEvent ev;
  ev.op = op;
  ev.schema = table.schema;
  ev.table = table.table;
  ev.before = before;
  ev.after = after;
  ev.now_us = env_->now_us();
  value_.clear();
  key_.clear();
  const debezium::Row* key_row = op == 'd' ? before : after;
  if (target_) {
    // Formatted ahead of the commit: source.ts_ms is filled in then.
    debezium::DeferredFields deferred;
    debezium::append_event(info_, source_, ev, value_, &deferred);
    bool has_key = key_row && debezium::append_key(*key_row, key_);
    return target_->put(route, has_key ? std::optional<std::string_view>(key_) : std::nullopt,
                        value_, deferred);
  }
  if (opts_.tx_markers && !tx_begun_marker_) {
    tx_begun_marker_ = true;
    debezium::append_tx_begin(tx_id_, tx_ts_us_, value_);
    SLUICE_RETURN_IF_ERROR(put(CdcRoute{info_.db, {}, {}, true}, false, value_));
    value_.clear();
  }
  ev.source_ts_us = tx_ts_us_;
  if (opts_.tx_markers) {
    ++tx_order_;
    std::string collection;
    collection.reserve(table.schema.size() + 1 + table.table.size());
    collection.append(table.schema).append(".").append(table.table);
    ev.tx_id = tx_id_;
    ev.total_order = tx_order_;
    ev.collection_order = ++tx_collections_[collection];
  }
  debezium::append_event(info_, source_, ev, value_);
  bool has_key = key_row && debezium::append_key(*key_row, key_);
  // An update whose after image lacks the key (MySQL's MINIMAL row image
  // logs only the changed columns): the key did not change, before has it.
  if (!has_key && op == 'u' && before) has_key = debezium::append_key(*before, key_);
  SLUICE_RETURN_IF_ERROR(put(route, has_key, value_));
  if (op == 'd' && has_key && opts_.tombstones && sink_->keyed_stream())
    return put(route, true, std::nullopt);
  return Status::Ok();
}

Status ChangeEmitter::change(char op, TableId table, const debezium::Row* before,
                             const debezium::Row* after) {
  return emit(op, table, before, after);
}

Status ChangeEmitter::update(TableId table, const debezium::Row* before,
                             const debezium::Row* old_key, const debezium::Row& after) {
  if (old_key && !debezium::same_key(*old_key, after)) {
    SLUICE_RETURN_IF_ERROR(emit('d', table, old_key, nullptr));
    return emit('c', table, before, &after);
  }
  return emit('u', table, before, &after);
}

Status ChangeEmitter::truncate(TableId table) {
  return emit('t', table, nullptr, nullptr);
}

Status ChangeEmitter::commit(int64_t commit_ts_us, uint64_t position) {
  if (opts_.tx_markers && tx_begun_marker_) {
    value_.clear();
    std::vector<debezium::CollectionCount> cols;
    for (const auto& [name, n] : tx_collections_) cols.push_back({name, n});
    debezium::append_tx_end(tx_id_, commit_ts_us, tx_order_, cols, value_);
    SLUICE_RETURN_IF_ERROR(put(CdcRoute{info_.db, {}, {}, true}, false, value_));
  }
  in_tx_ = false;
  pending_.emplace_back(position, last_ticket_);
  return Status::Ok();
}

void ChangeEmitter::begin_snapshot() {
  held_ = false;
}

Status ChangeEmitter::release_held(bool last) {
  if (!held_) return Status::Ok();
  held_ = false;
  if (last && held_snap_at_ != std::string::npos) held_value_.replace(held_snap_at_, 4, "last");
  key_.swap(held_key_);
  Status st = put(CdcRoute{held_db_, held_schema_, held_table_, false}, held_has_key_, held_value_);
  key_.swap(held_key_);
  return st;
}

Status ChangeEmitter::snapshot_row(TableId table, const debezium::Row& row, int64_t started_us) {
  SLUICE_RETURN_IF_ERROR(release_held(false));
  held_value_.clear();
  held_key_.clear();
  debezium::ChangeEvent ev;
  ev.op = 'r';
  ev.schema = table.schema;
  ev.table = table.table;
  ev.after = &row;
  ev.snapshot = "true";
  ev.source_ts_us = started_us;
  ev.now_us = env_->now_us();
  held_snap_at_ = debezium::append_event(info_, source_, ev, held_value_);
  held_has_key_ = debezium::append_key(row, held_key_);
  held_db_.assign(info_.db);  // a connector may switch databases (cdc-mysql)
  held_schema_.assign(table.schema);
  held_table_.assign(table.table);
  held_ = true;
  return Status::Ok();
}

Status ChangeEmitter::end_snapshot() {
  return release_held(true);
}

Status ChangeEmitter::emit_completed(const CdcRoute& route, std::optional<std::string_view> key,
                                     std::string_view value) {
  uint64_t ticket = 0;
  SLUICE_RETURN_IF_ERROR(sink_->emit(route, key, value, &ticket));
  last_ticket_ = ticket;
  stats_->add(1, value.size());
  return Status::Ok();
}

bool ChangeEmitter::advance(uint64_t* confirmed) {
  uint64_t acked = sink_->acknowledged();
  while (!pending_.empty() && pending_.front().second <= acked) {
    if (pending_.front().first > *confirmed) *confirmed = pending_.front().first;
    pending_.pop_front();
  }
  return pending_.empty() && acked >= last_ticket_;
}

}  // namespace sluice
