// cdc-pg: the run, the streaming loop with its confirmation of what the
// sink acknowledged, and reconnects after a lost server (see pg_cdc.h).
#include <poll.h>

#include <algorithm>

#include "cdc/pg_cdc.h"
#include "core/backoff.h"

namespace sluice::pg {

void PgCdc::advance_confirmed() {
  const bool all_acknowledged = emitter_.advance(&confirmed_);
  // Idle: every received transaction is taken, none is open. Whatever the
  // server decoded up to its last keepalive position holds nothing for us.
  if (all_acknowledged && !emitter_.in_transaction() && streamed_.empty()) {
    confirmed_ = std::max(confirmed_, server_wal_end_);
  }
}

Status PgCdc::send_status(bool reply_requested) {
  char buf[1 + 8 * 4 + 1];
  buf[0] = 'r';
  auto put64 = [&](int at, uint64_t v) {
    for (int i = 0; i < 8; ++i) buf[at + i] = static_cast<char>(v >> (56 - 8 * i));
  };
  put64(1, confirmed_);
  put64(9, confirmed_);
  put64(17, confirmed_);
  put64(25, static_cast<uint64_t>(o_.env->now_us() - pg::kPgEpochOffsetUs));
  buf[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(repl_.get(), buf, sizeof buf) <= 0 || PQflush(repl_.get()) < 0) {
    source_lost_ = true;
    return Status::Unavailable("lost the replication connection to '" + client_.server() +
                               "': " + client_.scrub(PQerrorMessage(repl_.get())));
  }
  sent_confirmed_ = confirmed_;
  last_status_ = Clock::now();
  return Status::Ok();
}

Status PgCdc::stream(uint64_t start_lsn) {
  std::string sql =
      "START_REPLICATION SLOT " + quote_ident(o_.slot) + " LOGICAL " + pg::format_lsn(start_lsn) +
      " (proto_version '" + std::to_string(proto_version_) + "', publication_names " +
      quote_literal(quote_ident(o_.publication)) + (streaming_ ? ", streaming 'on'" : "") + ")";
  source_lost_ = false;
  auto r = client_.exec(repl_.get(), sql, PGRES_COPY_BOTH,
                        "starting replication from slot '" + o_.slot + "'");
  if (!r.ok()) {
    source_lost_ = r.status().is(StatusCode::kUnavailable);
    return r.status();
  }
  if (resumed_)
    warn("reconnected to '" + client_.server() + "': streaming again from slot '" + o_.slot + "'");
  PGconn* c = repl_.get();
  last_status_ = Clock::now();
  auto last_heartbeat = Clock::now();
  uint64_t since_check = 0;
  Status result;
  for (;;) {
    if (o_.stop && *o_.stop) break;
    char* buf = nullptr;
    int n = PQgetCopyData(c, &buf, 1);
    if (n > 0) {
      std::unique_ptr<char, decltype(&PQfreemem)> hold(buf, &PQfreemem);
      std::string_view frame(buf, static_cast<size_t>(n));
      auto be64 = [&](size_t at) {
        uint64_t v = 0;
        for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(frame[at + i]);
        return v;
      };
      if (frame[0] == 'w' && frame.size() >= 25) {
        Status st = handle_xlog(frame.substr(25), be64(1));
        if (!st.ok()) {
          result = st.is(StatusCode::kBadData) ? st.With("decoding the replication stream") : st;
          break;
        }
      } else if (frame[0] == 'k' && frame.size() >= 18) {
        server_wal_end_ = std::max(server_wal_end_, be64(1));
        if (frame[17]) {
          advance_confirmed();
          if (Status st = send_status(false); !st.ok()) {
            result = st;
            break;
          }
        }
      }
      if (++since_check >= 4096) {
        since_check = 0;
        advance_confirmed();
        if (confirmed_ != sent_confirmed_ &&
            Clock::now() - last_status_ >= std::chrono::seconds(1)) {
          if (Status st = send_status(false); !st.ok()) {
            result = st;
            break;
          }
        }
        stats_.tick();
      }
      continue;
    }
    if (n == -1) {  // the server ended the stream
      source_lost_ = true;
      ResultPtr end(PQgetResult(c));
      if (end && PQresultStatus(end.get()) != PGRES_COMMAND_OK) {
        result = client_.classify(c, end.get(), "replication from slot '" + o_.slot + "'");
      } else {
        result = Status::Unavailable("the server '" + client_.server() + "' ended replication");
      }
      break;
    }
    if (n == -2) {
      source_lost_ = true;
      result = Status::Unavailable("lost the replication connection to '" + client_.server() +
                                   "': " + client_.scrub(PQerrorMessage(c)));
      break;
    }
    // Nothing buffered: push events out, confirm, then wait.
    Status st = sink_.poll(Millis(0));
    if (!st.ok()) {
      result = st;
      break;
    }
    if (!sink_.error().ok()) {
      result = sink_.error().With("delivering change events");
      break;
    }
    advance_confirmed();
    auto now = Clock::now();
    if (confirmed_ != sent_confirmed_ && now - last_status_ >= std::chrono::milliseconds(200)) {
      if (Status s = send_status(false); !s.ok()) {
        result = s;
        break;
      }
    }
    if (now - last_heartbeat >= o_.heartbeat) {
      last_heartbeat = now;
      // Ask for a keepalive: its position is confirmed when idle.
      if (Status s = send_status(true); !s.ok()) {
        result = s;
        break;
      }
    }
    stats_.tick();
    bool waiting_acks = sink_.acknowledged() < emitter_.last_ticket();
    struct pollfd p[2] = {{PQsocket(c), POLLIN, 0}, {o_.stop_fd, POLLIN, 0}};
    int wait_ms = waiting_acks ? 10 : 200;
    ::poll(p, o_.stop_fd >= 0 ? 2 : 1, wait_ms);
    if (PQconsumeInput(c) == 0) {
      source_lost_ = true;
      result = Status::Unavailable("lost the replication connection to '" + client_.server() +
                                   "': " + client_.scrub(PQerrorMessage(c)));
      break;
    }
  }
  if (result.is(StatusCode::kClosed)) result = Status::Ok();  // stdout reader left
  // Drain: confirm what the sink acknowledged, then end the stream.
  Status st = sink_.flush(o_.timeout);
  advance_confirmed();
  if (PQstatus(c) == CONNECTION_OK) {
    (void)send_status(false);
    PQputCopyEnd(c, nullptr);
    PQflush(c);
  }
  if (result.ok() && !st.ok() && !st.is(StatusCode::kClosed) && !st.is(StatusCode::kTryAgain))
    result = st;
  if (result.ok() && !sink_.error().ok()) result = sink_.error().With("delivering change events");
  return result;
}

Status PgCdc::run() {
  SLUICE_RETURN_IF_ERROR(client_.connect(false, &aux_));
  SLUICE_RETURN_IF_ERROR(check_server());
  if (o_.snapshot == SnapshotMode::kOnly) {
    auto r = client_.exec_params(aux_.get(), "SELECT 1 FROM pg_publication WHERE pubname = $1",
                                 {o_.publication}, "looking up the publication");
    if (!r.ok()) return r.status();
    if (PQntuples(r->get()) == 1) {
      SLUICE_RETURN_IF_ERROR(check_tables());
    } else {
      if (o_.tables.empty()) {
        return Status::Config("publication '" + o_.publication +
                              "' does not exist: name the tables with "
                              "--tables, or create the publication");
      }
      for (const std::string& t : o_.tables) tables_.push_back(split_table(t));
    }
    SLUICE_RETURN_IF_ERROR(snapshot("", 0));
    Status st = sink_.flush(o_.timeout);
    if (st.is(StatusCode::kClosed)) return Status::Ok();
    if (st.ok() && !sink_.error().ok()) return sink_.error().With("delivering change events");
    return st;
  }
  SLUICE_RETURN_IF_ERROR(ensure_publication());
  SLUICE_RETURN_IF_ERROR(check_tables());
  SLUICE_RETURN_IF_ERROR(connect_replication());
  bool created = false;
  std::string snapshot_name;
  uint64_t start_lsn = 0;
  SLUICE_RETURN_IF_ERROR(prepare_slot_waiting(&created, &snapshot_name, &start_lsn));
  // A table that is truncated again and again can race every attempt that
  // follows at once: the attempts back off (100 ms doubling to 2 s, about
  // 10 s in all) so the writer has a gap to leave.
  Backoff race_backoff(Millis(100), Millis(2000));
  for (int attempt = 1; created && !snapshot_name.empty(); ++attempt) {
    Status st = snapshot(snapshot_name, start_lsn);
    bool interrupted = o_.stop && *o_.stop;
    if (!st.ok() || interrupted) {
      // A half-taken snapshot is taken again by the next run.
      abandon_snapshot();
      if (snapshot_raced_ && !interrupted && attempt < 10) {
        // A TRUNCATE slipped in between the slot's snapshot and our table
        // locks (lock_snapshot_tables); nothing was emitted: start over.
        const Millis wait = race_backoff.next();
        warn(st.message() + ": taking the snapshot again in " + std::to_string(wait.count()) +
             " ms");
        struct pollfd p = {o_.stop_fd, POLLIN, 0};
        ::poll(&p, o_.stop_fd >= 0 ? 1 : 0, static_cast<int>(wait.count()));
        if (stopped()) return Status::Ok();
        snapshot_raced_ = false;
        SLUICE_RETURN_IF_ERROR(connect_replication());
        SLUICE_RETURN_IF_ERROR(prepare_slot_waiting(&created, &snapshot_name, &start_lsn));
        continue;
      }
      if (!interrupted) return st;
      warn("snapshot interrupted: the next run takes it again");
      Status f = sink_.flush(o_.timeout);
      return f.is(StatusCode::kClosed) || f.is(StatusCode::kTryAgain) ? Status::Ok() : f;
    }
    // Every snapshot row must be taken before the slot marks it complete.
    Status f = sink_.flush(o_.timeout);
    if (f.is(StatusCode::kClosed)) return Status::Ok();
    if (f.is(StatusCode::kTryAgain) && o_.stop && *o_.stop) {
      abandon_snapshot();
      warn("stopped before the snapshot was delivered: the next run takes the snapshot again");
      return Status::Ok();
    }
    if (!f.ok()) return f.With("delivering the snapshot");
    if (!sink_.error().ok()) return sink_.error().With("delivering the snapshot");
    SLUICE_RETURN_IF_ERROR(finish_snapshot());
    break;
  }
  last_commit_lsn_ = 0;
  return stream_reconnecting(start_lsn);
}

Status PgCdc::stream_reconnecting(uint64_t start_lsn) {
  Status st = stream(start_lsn);
  Backoff backoff(Millis(500), Millis(30000));
  while (o_.reconnect && !o_.temporary && source_lost_ && st.is(StatusCode::kUnavailable) &&
         !stopped()) {
    const Millis wait = backoff.next();
    warn(st.message() + ": reconnecting in " + std::to_string(wait.count()) +
         " ms (--no-reconnect to exit instead)");
    struct pollfd p = {o_.stop_fd, POLLIN, 0};
    ::poll(&p, o_.stop_fd >= 0 ? 1 : 0, static_cast<int>(wait.count()));
    if (stopped()) return Status::Ok();
    const auto began = Clock::now();
    st = resume();
    // A connection that streamed for a while starts the backoff afresh.
    if (Clock::now() - began > backoff.max()) backoff.reset();
  }
  return st;
}

void PgCdc::reset_session() {
  // What a lost connection left half done is sent again by the server from
  // the slot's confirmed position (at least once): forget it.
  decoder_.reset();
  keys_.clear();
  streamed_.clear();
  emitter_.abandon();
}

Status PgCdc::resume() {
  repl_.reset();
  aux_.reset();
  source_lost_ = true;  // until a stream starts, every failure is the server's
  SLUICE_RETURN_IF_ERROR(client_.connect(false, &aux_));
  auto r =
      client_.exec_params(aux_.get(), "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                          {o_.slot}, "looking up replication slot '" + o_.slot + "'");
  if (!r.ok()) return r.status();
  if (PQntuples(r->get()) != 1) {
    source_lost_ = false;
    return Status::Config("replication slot '" + o_.slot + "' on '" + client_.server() +
                          "' was dropped while cdc-pg was reconnecting: changes since may be lost; "
                          "start again (a new slot takes a new snapshot)");
  }
  SLUICE_RETURN_IF_ERROR(connect_replication());
  bool created = false;
  std::string snapshot_name;
  uint64_t start_lsn = 0;
  Status st = prepare_slot_waiting(&created, &snapshot_name, &start_lsn);
  if (!st.ok()) {
    source_lost_ = st.is(StatusCode::kUnavailable);
    return st;
  }
  reset_session();
  resumed_ = true;
  return stream(start_lsn);
}

}  // namespace sluice::pg

namespace sluice {

Status run_pg_cdc(const PgCdcOptions& opts, CdcSink& sink, RunStats& stats) {
  pg::PgCdc cdc(opts, sink, stats);
  return cdc.run();
}

}  // namespace sluice
