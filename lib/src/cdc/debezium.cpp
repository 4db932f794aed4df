// The Debezium event writer, for any connector (see sluice/debezium.h).
#include "sluice/debezium.h"

#include <charconv>

#include "sluice/envelope.h"

namespace sluice::debezium {

void append_u64(uint64_t v, std::string& out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, static_cast<size_t>(r.ptr - buf));
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

void append_row(const Row* row, std::string& out) {
  if (!row) {
    out.append("null");
    return;
  }
  out.push_back('{');
  for (size_t i = 0; i < row->size(); ++i) {
    if (i) out.push_back(',');
    append_json_string(row->name(i), out);
    out.push_back(':');
    out.append(row->value(i));
  }
  out.push_back('}');
}

bool append_key(const Row& row, std::string& out) {
  size_t mark = out.size();
  bool any = false;
  out.push_back('{');
  for (size_t i = 0; i < row.size(); ++i) {
    if (!row.key(i)) continue;
    if (any) out.push_back(',');
    any = true;
    append_json_string(row.name(i), out);
    out.push_back(':');
    out.append(row.value(i));
  }
  out.push_back('}');
  if (!any) out.resize(mark);
  return any;
}

bool same_key(const Row& a, const Row& b) {
  size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && !a.key(i)) ++i;
    while (j < b.size() && !b.key(j)) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a.name(i) != b.name(j) || a.value(i) != b.value(j)) return false;
    ++i;
    ++j;
  }
}

size_t append_event(const SourceInfo& info, SourceWriter& source, const ChangeEvent& ev,
                    std::string& out, DeferredFields* deferred) {
  size_t start = out.size();
  DeferredFields marks;
  out.append("{\"before\":");
  append_row(ev.before, out);
  out.append(",\"after\":");
  append_row(ev.after, out);
  out.append(",\"source\":{\"version\":");
  append_json_string(info.version, out);
  out.append(",\"connector\":");
  append_json_string(info.connector, out);
  out.append(",\"name\":");
  append_json_string(info.name, out);
  out.append(",\"ts_ms\":");
  marks.ts_begin = out.size() - start;
  append_int(floor_div(ev.source_ts_us, 1000), out);
  marks.ts_end = out.size() - start;
  out.append(",\"snapshot\":\"");
  size_t snap_at = ev.snapshot == "true" ? out.size() : std::string::npos;
  out.append(ev.snapshot);
  out.append("\",\"db\":");
  append_json_string(info.db, out);
  // Nothing of the source's own part is deferred unless its writer says so.
  marks.commit_begin = marks.commit_end = marks.ts_end;
  source.append_fields(ev.schema, ev.table, out, start, deferred ? &marks : nullptr);
  out.append("},\"op\":\"");
  out.push_back(ev.op);
  out.append("\",\"ts_ms\":");
  append_int(floor_div(ev.now_us, 1000), out);
  out.append(",\"transaction\":");
  if (ev.tx_id.empty()) {
    out.append("null");
  } else {
    out.append("{\"id\":");
    append_json_string(ev.tx_id, out);
    out.append(",\"total_order\":");
    append_u64(ev.total_order, out);
    out.append(",\"data_collection_order\":");
    append_u64(ev.collection_order, out);
    out.push_back('}');
  }
  out.push_back('}');
  if (deferred) *deferred = marks;
  return snap_at;
}

void append_completed(std::string_view event, const DeferredFields& deferred, int64_t source_ts_us,
                      std::string_view commit_part, std::string& out) {
  out.append(event.substr(0, deferred.ts_begin));
  append_int(floor_div(source_ts_us, 1000), out);
  out.append(event.substr(deferred.ts_end, deferred.commit_begin - deferred.ts_end));
  out.append(commit_part);
  out.append(event.substr(deferred.commit_end));
}

void append_tx_begin(std::string_view tx_id, int64_t ts_us, std::string& out) {
  out.append("{\"status\":\"BEGIN\",\"id\":");
  append_json_string(tx_id, out);
  out.append(",\"ts_ms\":");
  append_int(floor_div(ts_us, 1000), out);
  out.append(",\"event_count\":null,\"data_collections\":null}");
}

void append_tx_end(std::string_view tx_id, int64_t ts_us, uint64_t event_count,
                   const std::vector<CollectionCount>& collections, std::string& out) {
  out.append("{\"status\":\"END\",\"id\":");
  append_json_string(tx_id, out);
  out.append(",\"ts_ms\":");
  append_int(floor_div(ts_us, 1000), out);
  out.append(",\"event_count\":");
  append_u64(event_count, out);
  out.append(",\"data_collections\":[");
  for (size_t i = 0; i < collections.size(); ++i) {
    if (i) out.push_back(',');
    out.append("{\"data_collection\":");
    append_json_string(collections[i].collection, out);
    out.append(",\"event_count\":");
    append_u64(collections[i].events, out);
    out.push_back('}');
  }
  out.append("]}");
}

}  // namespace sluice::debezium
