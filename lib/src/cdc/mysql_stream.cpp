// cdc-mysql: the run, the streaming loop with its confirmation of what the
// sink acknowledged (the offsets file), and reconnects (see mysql_cdc.h).
#include <poll.h>

#include <algorithm>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_cdc.h"
#include "core/backoff.h"

namespace sluice::mysql {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\t' || s.back() == ';'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

void MysqlCdc::advance_confirmed(bool force_save) {
  emitter_.advance(&confirmed_id_);
  if (const BinlogPosition* p = positions_.confirm(confirmed_id_)) {
    acked_ = *p;
    has_acked_ = true;
  }
  if (o_.offsets_path.empty() || !has_acked_ || acked_ == saved_) return;
  const auto now = Clock::now();
  if (!force_save && now - last_save_ < std::chrono::milliseconds(200)) return;
  if (Status st = save_now(); !st.ok()) warn(st.message());
}

Status MysqlCdc::save_now() {
  last_save_ = Clock::now();
  SLUICE_RETURN_IF_ERROR(save_offsets(o_.env, o_.offsets_path, acked_));
  saved_ = acked_;
  return Status::Ok();
}

Status MysqlCdc::begin_tx(const RawEvent& ev, std::string gtid) {
  in_tx_ = true;
  tx_gtid_ = std::move(gtid);
  tx_ts_us_ = int64_t{ev.timestamp} * 1000000;
  emitter_.begin(tx_gtid_, tx_ts_us_);
  source_.gtid = tx_gtid_;
  source_.thread = -1;
  return Status::Ok();
}

Status MysqlCdc::commit_tx(const RawEvent& ev) {
  if (!in_tx_) SLUICE_RETURN_IF_ERROR(begin_tx(ev, ""));
  BinlogPosition p;
  p.file = file_;
  p.pos = ev.next_pos;
  if (!gtid_domains_.empty()) {
    for (const auto& [domain, gtid] : gtid_domains_) {
      if (!p.gtid.empty()) p.gtid.push_back(',');
      p.gtid += gtid;
    }
  } else {
    p.gtid = mysql_gtid_;
    p.gtid_set = mysql_gtids_.format();
  }
  const uint64_t id = positions_.add(std::move(p));
  in_tx_ = false;
  standalone_ = false;
  return emitter_.commit(tx_ts_us_, id);
}

Status MysqlCdc::handle_query(const RawEvent& ev) {
  LeReader r(ev.body);
  uint64_t thread = 0, exec_time = 0, db_len = 0, error = 0, vars = 0;
  if (!r.le(4, &thread) || !r.le(4, &exec_time) || !r.le(1, &db_len) || !r.le(2, &error) ||
      !r.le(2, &vars) || !r.skip(vars) || !r.skip(db_len + 1))
    return Status::BadData("query event at " + file_ + ":" + std::to_string(ev.next_pos - ev.size) +
                           " is cut short");
  const std::string_view sql = ev.type == kQueryEvent ? trim(r.rest()) : std::string_view("DDL");
  if (iequals(sql, "BEGIN")) {
    if (!in_tx_) SLUICE_RETURN_IF_ERROR(begin_tx(ev, ""));
    source_.thread = static_cast<int64_t>(thread);
    return Status::Ok();
  }
  if (iequals(sql, "COMMIT") || iequals(sql, "ROLLBACK")) return commit_tx(ev);
  if (iequals(sql.substr(0, 9), "SAVEPOINT") || iequals(sql.substr(0, 11), "ROLLBACK TO"))
    return Status::Ok();
  // DDL (or any other statement logged as a statement): the columns may
  // have changed; a DDL ends any transaction (an implicit commit).
  schema_cache_.clear();
  return commit_tx(ev);
}

void MysqlCdc::use_db(const std::string& db) {
  // source.db and the {db} of routing are the table's database.
  if (emitter_.info().db == db) return;
  debezium::SourceInfo info = emitter_.info();
  info.db = db;
  emitter_.set_info(std::move(info));
}

Status MysqlCdc::handle_rows(const RawEvent& ev) {
  RowsEvent re;
  SLUICE_RETURN_IF_ERROR(
      parse_rows_event(ev.type, ev.body, binlog_.post_header_len(ev.type), &scratch_, &re)
          .With("at " + file_ + ":" + std::to_string(ev.next_pos - ev.size)));
  auto it = maps_.find(re.table_id);
  if (it == maps_.end())
    return Status::BadData("rows event at " + file_ + ":" + std::to_string(ev.next_pos - ev.size) +
                           " for table id " + std::to_string(re.table_id) + " without a table map");
  const TableMap& t = it->second;
  if (!wanted(t.db, t.table)) return Status::Ok();
  if (re.column_count != t.columns.size())
    return Status::BadData("rows event of '" + t.db + "." + t.table + "' has " +
                           std::to_string(re.column_count) + " columns, its table map " +
                           std::to_string(t.columns.size()));
  if (!in_tx_) SLUICE_RETURN_IF_ERROR(begin_tx(ev, ""));
  use_db(t.db);
  if (source_.file != file_) source_.file = file_;
  source_.server_id = ev.server_id;
  source_.pos = ev.next_pos >= ev.size ? ev.next_pos - ev.size : 0;
  const TableId id{t.db, t.table};
  // Every key column in the after image: an update may change the key.
  bool key_in_after = t.has_key;
  if (re.op == 'u') {
    for (size_t i = 0; i < t.columns.size(); ++i) {
      if (t.columns[i].key && !bit_set(re.present_after, i)) key_in_after = false;
    }
  }
  size_t pos = 0;
  uint32_t row = 0;
  while (pos < re.rows.size()) {
    source_.row = row++;
    Status st;
    switch (re.op) {
      case 'c':
        st = decode_row_image(t, re.present, re.rows, &pos, o_.values, after_);
        if (st.ok()) st = emitter_.change('c', id, nullptr, &after_);
        break;
      case 'd':
        st = decode_row_image(t, re.present, re.rows, &pos, o_.values, before_);
        if (st.ok()) st = emitter_.change('d', id, &before_, nullptr);
        break;
      default:
        if (re.partial) {
          // MySQL 8 partial JSON: the after image may hold diffs against
          // the before image's documents.
          st = decode_row_image(t, re.present, re.rows, &pos, o_.values, before_, &before_json_);
          if (st.ok())
            st = decode_partial_after_image(t, re.present_after, re.rows, &pos, o_.values,
                                            before_json_, after_);
        } else {
          st = decode_row_image(t, re.present, re.rows, &pos, o_.values, before_);
          if (st.ok()) st = decode_row_image(t, re.present_after, re.rows, &pos, o_.values, after_);
        }
        if (st.ok()) st = emitter_.update(id, &before_, key_in_after ? &before_ : nullptr, after_);
        break;
    }
    if (!st.ok()) {
      if (!st.is(StatusCode::kBadData)) return st;
      return st.With("rows event at " + file_ + ":" + std::to_string(source_.pos) + " row " +
                     std::to_string(source_.row));
    }
  }
  return Status::Ok();
}

Status MysqlCdc::handle(const RawEvent& ev) {
  switch (ev.type) {
    case kRotateEvent: {
      if (ev.body.size() < 8) return Status::BadData("rotate event cut short");
      file_.assign(ev.body.substr(8));
      return Status::Ok();
    }
    case kMariaGtidEvent: {
      LeReader r(ev.body);
      uint64_t seq = 0, domain = 0, flags = 0;
      if (!r.le(8, &seq) || !r.le(4, &domain) || !r.le(1, &flags))
        return Status::BadData("GTID event cut short");
      std::string gtid =
          std::to_string(domain) + "-" + std::to_string(ev.server_id) + "-" + std::to_string(seq);
      gtid_domains_[static_cast<uint32_t>(domain)] = gtid;
      if (in_tx_) emitter_.abandon();  // a transaction never closed (cannot happen)
      SLUICE_RETURN_IF_ERROR(begin_tx(ev, std::move(gtid)));
      standalone_ = flags & 1;
      return Status::Ok();
    }
    case kMysqlGtidEvent: {
      if (ev.body.size() < 25) return Status::BadData("GTID event cut short");
      static const char* kHex = "0123456789abcdef";
      std::string uuid;
      for (size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) uuid.push_back('-');
        auto b = static_cast<uint8_t>(ev.body[1 + i]);
        uuid.push_back(kHex[b >> 4]);
        uuid.push_back(kHex[b & 15]);
      }
      const uint64_t gno = le_uint(reinterpret_cast<const uint8_t*>(ev.body.data()) + 17, 8);
      if (gno == 0 || gno > GtidSet::kMaxGno)
        return Status::BadData("GTID event with gno 0 or above 2^63-1");
      mysql_gtid_ = uuid + ":" + std::to_string(gno);
      mysql_gtids_.add(uuid, gno);
      return begin_tx(ev, mysql_gtid_);
    }
    case kQueryEvent:
    case kQueryCompressedEvent:
      return handle_query(ev);
    case kXidEvent:
      return commit_tx(ev);
    case kTableMapEvent: {
      TableMap map;
      SLUICE_RETURN_IF_ERROR(
          parse_table_map(ev.body, binlog_.post_header_len(kTableMapEvent), &map)
              .With("at " + file_ + ":" + std::to_string(ev.next_pos - ev.size)));
      if (wanted(map.db, map.table) && (!map.has_names || !map.has_signedness)) {
        SLUICE_RETURN_IF_ERROR(complete_table_map(&map));
      }
      maps_[map.id] = std::move(map);
      return Status::Ok();
    }
    case kTransactionPayload: {
      // A compressed transaction: its events go through this same switch.
      if (in_payload_) return Status::BadData("TRANSACTION_PAYLOAD event inside another");
      SLUICE_RETURN_IF_ERROR(decode_transaction_payload(ev.body, &payload_));
      in_payload_ = true;
      std::string_view events = payload_;
      Status st;
      RawEvent inner;
      while (st.ok() && !events.empty()) {
        st = next_payload_event(&events, ev.next_pos, &inner);
        if (st.ok()) st = handle(inner);
      }
      in_payload_ = false;
      return st;
    }
    default:
      if (is_rows_event(ev.type)) return handle_rows(ev);
      return Status::Ok();  // format description, heartbeats, annotations, ...
  }
}

Status MysqlCdc::stream(const BinlogPosition& from) {
  lost_ = true;  // until the dump starts, every failure is the server's
  Status st = binlog_.open(client_, from.file, from.pos, from.gtid, server_id_, o_.heartbeat);
  if (!st.ok()) {
    lost_ = st.is(StatusCode::kUnavailable);
    return st;
  }
  file_ = from.file;
  maps_.clear();
  in_tx_ = false;
  auto last_poll = Clock::now();
  Status result;
  RawEvent ev;
  for (;;) {
    if (stopped()) break;
    st = binlog_.next(&ev);
    if (!st.ok()) {
      lost_ = st.is(StatusCode::kUnavailable);
      result = st;
      break;
    }
    lost_ = false;
    st = handle(ev);
    if (!st.ok()) {
      result = st;
      break;
    }
    // Between transactions (and on heartbeats, when idle): push events
    // out, take acknowledgements, save the offsets.
    if (!in_tx_ || ev.type == kHeartbeatEvent) {
      const auto now = Clock::now();
      if (ev.type == kHeartbeatEvent || now - last_poll >= std::chrono::milliseconds(5)) {
        last_poll = now;
        if (Status s = sink_.poll(Millis(0)); !s.ok()) {
          result = s;
          break;
        }
        if (!sink_.error().ok()) {
          result = sink_.error().With("delivering change events");
          break;
        }
        advance_confirmed(false);
        stats_.tick();
      }
    }
  }
  if (result.is(StatusCode::kClosed)) result = Status::Ok();  // stdout reader left
  Status f = sink_.flush(o_.timeout);
  advance_confirmed(true);
  binlog_.close();
  if (result.ok() && !f.ok() && !f.is(StatusCode::kClosed) && !f.is(StatusCode::kTryAgain))
    result = f;
  if (result.ok() && !sink_.error().ok()) result = sink_.error().With("delivering change events");
  return result;
}

Status MysqlCdc::stream_reconnecting(BinlogPosition from) {
  Status st = stream(from);
  Backoff backoff(Millis(500), Millis(30000));
  while (o_.reconnect && lost_ && st.is(StatusCode::kUnavailable) && !stopped()) {
    const Millis wait = backoff.next();
    warn(st.message() + ": reconnecting in " + std::to_string(wait.count()) +
         " ms (--no-reconnect to exit instead)");
    struct pollfd p = {o_.stop_fd, POLLIN, 0};
    ::poll(&p, o_.stop_fd >= 0 ? 1 : 0, static_cast<int>(wait.count()));
    if (stopped()) return Status::Ok();
    // What was not acknowledged comes again (at least once).
    if (has_acked_) from = acked_;
    emitter_.abandon();
    const auto began = Clock::now();
    st = stream(from);
    if (Clock::now() - began > backoff.max()) backoff.reset();
  }
  return st;
}

Status MysqlCdc::run() {
  SLUICE_RETURN_IF_ERROR(client_.connect(&aux_));
  SLUICE_RETURN_IF_ERROR(check_server());
  SLUICE_RETURN_IF_ERROR(list_tables());
  server_id_ = o_.server_id ? o_.server_id
                            : derive_server_id(o_.uri.socket.empty() ? o_.uri.host : o_.uri.socket,
                                               o_.uri.port, o_.offsets_path);
  const std::string db = o_.uri.db;
  emitter_.set_info(debezium::SourceInfo{SLUICE_VERSION, "mysql",
                                         !o_.name.empty() ? o_.name
                                         : db.empty()     ? "mysql"
                                                          : db,
                                         db});
  auto finish_snapshot = [&](BinlogPosition* at, bool* done) -> Status {
    *done = false;
    SLUICE_RETURN_IF_ERROR(snapshot(at));
    Status f = sink_.flush(o_.timeout);
    if (f.is(StatusCode::kClosed)) return Status::Ok();
    if (stopped()) {
      warn("snapshot interrupted: the next run takes it again");
      return Status::Ok();
    }
    if (!f.ok()) return f.With("delivering the snapshot");
    if (!sink_.error().ok()) return sink_.error().With("delivering the snapshot");
    *done = true;
    return Status::Ok();
  };

  if (o_.snapshot == SnapshotMode::kOnly) {
    BinlogPosition at;
    bool done = false;
    return finish_snapshot(&at, &done);
  }
  std::optional<BinlogPosition> saved;
  if (!o_.offsets_path.empty()) {
    auto loaded = load_offsets(o_.env, o_.offsets_path);
    if (!loaded.ok()) return loaded.status();
    saved = *loaded;
  }
  if (saved && !saved->file.empty()) {
    auto exists = binlog_exists(saved->file);
    if (!exists.ok()) return exists.status();
    if (!*exists) {
      if (o_.snapshot != SnapshotMode::kWhenNeeded)
        return Status::Config("mysql '" + client_.server() + "': binlog file '" + saved->file +
                              "' of the offsets file '" + o_.offsets_path +
                              "' is no longer on the server (purged): changes since are lost "
                              "to the binlog; run with --snapshot when-needed to take a new "
                              "snapshot and stream from it");
      warn("binlog file '" + saved->file + "' of '" + o_.offsets_path +
           "' was purged: taking a new snapshot (--snapshot when-needed)");
      saved.reset();
    }
  }
  BinlogPosition start;
  if (saved) {
    start = *saved;
    acked_ = saved_ = start;
    has_acked_ = true;
  } else if (o_.snapshot == SnapshotMode::kNever) {
    SLUICE_RETURN_IF_ERROR(current_position(&start));
    // Nothing before it is wanted: a restart resumes from here at least.
    acked_ = start;
    has_acked_ = true;
    if (!o_.offsets_path.empty()) SLUICE_RETURN_IF_ERROR(save_now());
  } else {
    bool done = false;
    SLUICE_RETURN_IF_ERROR(finish_snapshot(&start, &done));
    if (!done) return Status::Ok();
    acked_ = start;
    has_acked_ = true;
    if (!o_.offsets_path.empty()) SLUICE_RETURN_IF_ERROR(save_now());
  }
  // MySQL GTID set as of the start (validated when the offsets were read).
  mysql_gtids_ = GtidSet();
  if (!start.gtid_set.empty()) {
    auto set = GtidSet::parse(start.gtid_set);
    if (!set.ok()) return set.status().With("offsets file '" + o_.offsets_path + "'");
    mysql_gtids_ = std::move(*set);
  }
  // MariaDB GTID state as of the start, so the offsets name every domain.
  gtid_domains_.clear();
  if (client_.mariadb() && !start.gtid.empty()) {
    size_t at = 0;
    while (at <= start.gtid.size()) {
      size_t comma = start.gtid.find(',', at);
      std::string g =
          start.gtid.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      size_t dash = g.find('-');
      if (dash != std::string::npos)
        gtid_domains_[static_cast<uint32_t>(std::strtoul(g.c_str(), nullptr, 10))] = g;
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  aux_.reset();
  MysqlPtr aux;
  SLUICE_RETURN_IF_ERROR(client_.connect(&aux));
  aux_ = std::move(aux);
  return stream_reconnecting(start);
}

}  // namespace sluice::mysql

namespace sluice {

Status run_mysql_cdc(const MysqlCdcOptions& opts, CdcSink& sink, RunStats& stats) {
  mysql::MysqlCdc cdc(opts, sink, stats);
  return cdc.run();
}

}  // namespace sluice
