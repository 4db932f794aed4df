// Redis producer: pipelined XADD.
//
// Every accepted record is encoded once into `journal_`, a byte log of the
// commands whose replies have not arrived yet. Bytes are written as the
// socket accepts them; replies come back in order, so the oldest in-flight
// entry owns the next reply. After a lost connection (or a LOADING/BUSY
// reply from a restarting server) the journal is re-sent from the oldest
// unanswered command: at-least-once, and nothing answered is ever re-sent or
// lost. The window (commands and bytes in flight) bounds memory; produce()
// blocks while it is full.
//
// Redis Cluster: the connection goes to the node serving the first stream's
// slot (learnt with CLUSTER SLOTS at open). A -MOVED reply re-aims the
// connection at the named node and re-sends the journal from that command
// on, by the same path as a reconnect, so order is kept. An -ASK reply (a
// slot being migrated) sends ASKING and that one command to the named node
// and takes its answer in place of the redirect.
#include <deque>
#include <thread>

#include "backends/redis_backend.h"

namespace sluice {
namespace {

using namespace redis;  // NOLINT: backend-internal
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxInFlight = 16384;
constexpr size_t kMaxJournalBytes = 32u << 20;
// Write to the socket once this much is queued (a few syscalls per window).
constexpr size_t kWriteChunk = 256u << 10;

bool transient_error(std::string_view e) {
  return e.rfind("LOADING", 0) == 0 || e.rfind("BUSY ", 0) == 0 ||
         e.rfind("TRYAGAIN", 0) == 0 || e.rfind("MASTERDOWN", 0) == 0;
}

class RedisProducer final : public Producer {
 public:
  RedisProducer(ConnConfig cfg, std::string default_stream, int64_t maxlen,
                Millis timeout)
      : conn_(std::move(cfg)), default_stream_(std::move(default_stream)),
        maxlen_(maxlen), timeout_(timeout) {
    if (maxlen_ >= 0) maxlen_text_ = std::to_string(maxlen_);
  }

  Status open() {
    SLUICE_RETURN_IF_ERROR(conn_.connect());
    SlotMap map;
    SLUICE_RETURN_IF_ERROR(map.refresh(conn_));
    const std::string_view owner = map.owner(key_slot(default_stream_));
    if (!map.cluster() || owner.empty() || owner == conn_.config().endpoint) return Status::Ok();
    conn_.retarget(owner);
    return conn_.connect();
  }

  Status produce(const Message& m, uint64_t* ticket) override {
    if (!broken_.ok()) return broken_;
    if (inflight_.size() >= kMaxInFlight ||
        journal_.size() - (head_ - base_) >= kMaxJournalBytes) {
      const auto deadline = Clock::now() + timeout_;
      while (inflight_.size() >= kMaxInFlight / 2) {
        SLUICE_RETURN_IF_ERROR(pump(Millis(100)));
        if (Clock::now() >= deadline) {
          return Status::TimedOut("redis '" + conn_.config().endpoint +
                                  "' did not answer within " +
                                  std::to_string(timeout_.count()) + " ms");
        }
      }
    }
    const std::string_view stream = m.stream.empty() ? std::string_view(default_stream_) : m.stream;
    RespCommand c(journal_);
    const size_t fields = xadd_field_args(m);
    c.begin(3 + (maxlen_ >= 0 ? 3 : 0) + fields).arg("XADD").arg(stream);
    if (maxlen_ >= 0) c.arg("MAXLEN").arg("~").arg(maxlen_text_);
    c.arg("*");
    append_xadd_fields(c, m);
    const uint64_t t = next_ticket_++;
    inflight_.push_back({t, base_ + journal_.size(), intern(stream)});
    if (ticket) *ticket = t;
    if (journal_.size() - (sent_ - base_) >= kWriteChunk) return pump(Millis(0));
    return Status::Ok();
  }

  Status poll(Millis timeout) override {
    if (!broken_.ok()) return broken_;
    const uint64_t before = acked_;
    SLUICE_RETURN_IF_ERROR(pump(Millis(0)));
    if (acked_ != before || inflight_.empty() || timeout.count() <= 0) return Status::Ok();
    return pump(timeout);
  }

  Status flush(Millis timeout) override {
    const auto deadline = Clock::now() + timeout;
    while (!inflight_.empty()) {
      if (!broken_.ok()) return broken_;
      const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) {
        const std::string n = std::to_string(inflight_.size());
        // Still failing (a node or the cluster down): say why, as a give-up would.
        if (recovering_) return Status::Unavailable(n + " records not acknowledged: " + trouble_.message());
        return Status::TimedOut(n + " records not yet acknowledged by redis '" +
                                conn_.config().endpoint + "'");
      }
      SLUICE_RETURN_IF_ERROR(pump(std::min(left, Millis(100))));
    }
    return broken_;
  }

  uint64_t acknowledged() const override { return acked_; }
  uint64_t failed() const override { return failed_; }

 private:
  struct InFlight {
    uint64_t ticket;
    uint64_t end;     // absolute journal offset just past this command
    uint32_t stream;  // index into streams_, for error messages
  };

  uint32_t intern(std::string_view s) {
    if (last_stream_ < streams_.size() && streams_[last_stream_] == s) return last_stream_;
    for (uint32_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i] == s) return last_stream_ = i;
    }
    streams_.emplace_back(s);
    return last_stream_ = static_cast<uint32_t>(streams_.size() - 1);
  }

  // Writes what the socket takes, reads and settles replies; waits up to
  // `wait` for progress when there was none. Connection trouble leads to
  // recover(); only a give-up is returned as an error.
  Status pump(Millis wait) {
    for (int attempt = 0;; ++attempt) {
      Status st = pump_once(wait);
      if (st.ok()) return st;
      if (!st.is(StatusCode::kUnavailable) && !st.is(StatusCode::kTryAgain)) return fail_all(st);
      SLUICE_RETURN_IF_ERROR(recover(st));
      wait = Millis(0);
      if (attempt > 1000) return Status::Ok();
    }
  }

  Status pump_once(Millis wait) {
    if (!conn_.connected()) return conn_.lost("not connected");
    bool progressed = false;
    SLUICE_RETURN_IF_ERROR(write_pending(&progressed));
    SLUICE_RETURN_IF_ERROR(conn_.read_available());
    SLUICE_RETURN_IF_ERROR(settle(&progressed));
    if (progressed || wait.count() <= 0 || inflight_.empty()) return Status::Ok();
    bool writable = false;
    SLUICE_RETURN_IF_ERROR(conn_.wait_and_read(wait, sent_ < base_ + journal_.size(), -1,
                                               nullptr, &writable));
    if (writable) SLUICE_RETURN_IF_ERROR(write_pending(&progressed));
    return settle(&progressed);
  }

  Status write_pending(bool* progressed) {
    while (sent_ < base_ + journal_.size()) {
      const size_t off = static_cast<size_t>(sent_ - base_);
      Result<size_t> n = conn_.write_some(journal_.data() + off, journal_.size() - off);
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      sent_ += *n;
      *progressed = true;
    }
    return Status::Ok();
  }

  Status settle(bool* progressed) {
    for (;;) {
      Result<ReplyPtr> r = conn_.next_reply();
      if (!r.ok()) return r.status();
      if (!*r) break;
      if (inflight_.empty()) {
        return Status::Internal("redis '" + conn_.config().endpoint +
                                "' sent a reply nobody asked for");
      }
      const InFlight f = inflight_.front();
      Redirect to;
      if ((*r)->type == REDIS_REPLY_ERROR && parse_redirect(reply_str(r->get()), &to)) {
        if (!to.ask) {
          // The slot moved for good: re-send from this command on, there.
          conn_.retarget(to.endpoint);
          return Status::TryAgain("redis '" + conn_.config().endpoint + "': moved");
        }
        const size_t off = static_cast<size_t>(head_ - base_);
        r = ask_call(conn_.config(), to.endpoint,
                     journal_.substr(off, static_cast<size_t>(f.end - head_)), &ask_conn_);
        if (!r.ok()) return r.status();
      }
      if ((*r)->type == REDIS_REPLY_ERROR) {
        const std::string_view err = reply_str(r->get());
        if (transient_error(err)) {
          // The server is (re)starting: re-send from this command on.
          return Status::TryAgain("redis '" + conn_.config().endpoint + "': " + std::string(err));
        }
        SLUICE_RETURN_IF_ERROR(cluster_state_error(conn_.config(), err));
        ++failed_;
        if (listener_) listener_(f.ticket, reply_error(conn_.config(), streams_[f.stream], err));
      }
      inflight_.pop_front();
      acked_ = f.ticket;
      head_ = f.end;
      *progressed = true;
      recovering_ = false;
    }
    compact();
    return Status::Ok();
  }

  void compact() {
    const size_t dead = static_cast<size_t>(head_ - base_);
    if (dead == journal_.size()) {
      journal_.clear();
      base_ = head_;
    } else if (dead >= (1u << 20) && dead * 2 >= journal_.size() && sent_ >= head_) {
      journal_.erase(0, dead);
      base_ = head_;
    }
  }

  // Reconnects with backoff and rewinds to the oldest unanswered command.
  // Gives up (failing every in-flight ticket) after `timeout_` without a
  // single reply.
  Status recover(const Status& why) {
    const auto now = Clock::now();
    if (!recovering_) {
      recovering_ = true;
      recover_since_ = now;
      backoff_ = Millis(20);
    }
    trouble_ = why;
    const auto left = std::chrono::duration_cast<Millis>(recover_since_ + timeout_ - now);
    if (left.count() <= 0) return fail_all(why);
    conn_.close();
    std::this_thread::sleep_for(std::min(backoff_, left));
    backoff_ = std::min(backoff_ * 2, Millis(1000));
    Status st = conn_.reconnect(std::max(Millis(1), left - std::min(backoff_, left)));
    if (!st.ok()) return fail_all(st);
    sent_ = head_;
    return Status::Ok();
  }

  // Permanent failure: every in-flight ticket fails with `why`.
  Status fail_all(const Status& why) {
    for (const InFlight& f : inflight_) {
      ++failed_;
      if (listener_) listener_(f.ticket, why);
      acked_ = f.ticket;
    }
    inflight_.clear();
    journal_.clear();
    base_ = head_ = sent_ = 0;
    broken_ = why;
    return why;
  }

  Connection conn_;
  std::unique_ptr<Connection> ask_conn_;  // to the node an -ASK named
  std::string default_stream_;
  int64_t maxlen_;
  std::string maxlen_text_;
  Millis timeout_;

  std::string journal_;
  uint64_t base_ = 0;  // absolute offset of journal_[0]
  uint64_t head_ = 0;  // absolute offset of the oldest unanswered command
  uint64_t sent_ = 0;  // absolute offset written to the socket so far
  std::deque<InFlight> inflight_;
  std::vector<std::string> streams_;
  uint32_t last_stream_ = 0;

  uint64_t next_ticket_ = 1;
  uint64_t acked_ = 0;
  uint64_t failed_ = 0;
  Status broken_;
  bool recovering_ = false;
  Status trouble_;  // why the last recover() was needed
  Clock::time_point recover_since_;
  Millis backoff_{20};
};

}  // namespace

Result<std::unique_ptr<Producer>> open_redis_producer(const StreamUri& uri,
                                                      const ProducerOptions& o) {
  Result<ConnConfig> cfg = redis::conn_config(uri, o.timeout);
  if (!cfg.ok()) return cfg.status();
  if (uri.streams.empty()) {
    return Status::InvalidArgument("redis uri '" + uri.redacted() +
                                   "' names no stream (redis://HOST/STREAM)");
  }
  int64_t maxlen = -1;
  if (const std::string* v = uri.param("maxlen")) {
    char* end = nullptr;
    maxlen = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || maxlen < 0) {
      return Status::InvalidArgument("redis uri '" + uri.redacted() + "': maxlen='" +
                                     *v + "' is not a count");
    }
  }
  auto p = std::make_unique<RedisProducer>(std::move(*cfg), uri.streams[0], maxlen, o.timeout);
  SLUICE_RETURN_IF_ERROR(p->open());
  return std::unique_ptr<Producer>(std::move(p));
}

}  // namespace sluice
