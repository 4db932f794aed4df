// Redis producer: pipelined XADD.
//
// Every accepted record is encoded once into a journal, a byte log of the
// commands whose replies have not arrived yet. Bytes are written as the
// socket accepts them; replies come back in order, so the oldest in-flight
// entry owns the next reply. After a lost connection (or a LOADING/BUSY
// reply from a restarting server) the journal is re-sent from the oldest
// unanswered command: at-least-once, and nothing answered is ever re-sent or
// lost. The window (commands and bytes in flight) bounds memory; produce()
// blocks while it is full.
//
// Redis Cluster: there is one Lane (connection + journal) per node serving
// a stream the producer writes to (CLUSTER SLOTS at open; usually one
// stream, but a cdc sink routes per table). A -MOVED reply re-learns the
// map and moves that Lane's unanswered commands, in order, to the Lanes of
// their streams' new nodes (the same re-send as after a reconnect). An -ASK
// reply (a slot being migrated) sends ASKING and that one command to the
// named node and takes its answer in place of the redirect. Tickets finish
// in order within a Lane but not across Lanes; `done_` turns them back into
// the acknowledged() watermark.
#include <poll.h>

#include <deque>
#include <thread>

#include "backends/redis_backend.h"
#include "core/backoff.h"

namespace sluice {
namespace {

using namespace redis;  // NOLINT: backend-internal
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxInFlight = 16384;
constexpr size_t kMaxJournalBytes = 32u << 20;
// Write to the socket once this much is queued (a few syscalls per window).
constexpr size_t kWriteChunk = 256u << 10;
constexpr size_t kNoLane = SIZE_MAX;

bool transient_error(std::string_view e) {
  return e.rfind("LOADING", 0) == 0 || e.rfind("BUSY ", 0) == 0 || e.rfind("TRYAGAIN", 0) == 0 ||
         e.rfind("MASTERDOWN", 0) == 0;
}

class RedisProducer final : public Producer {
 public:
  RedisProducer(ConnConfig cfg, std::string default_stream, int64_t maxlen, Millis timeout)
      : cfg_(std::move(cfg)),
        default_stream_(std::move(default_stream)),
        maxlen_(maxlen),
        timeout_(timeout) {
    if (maxlen_ >= 0) maxlen_text_ = std::to_string(maxlen_);
  }

  Status open() {
    auto seed = std::make_unique<Connection>(cfg_);
    SLUICE_RETURN_IF_ERROR(seed->connect());
    SLUICE_RETURN_IF_ERROR(map_.refresh(*seed));
    // The seed connection becomes the default stream's Lane.
    const std::string_view owner = map_.owner(key_slot(default_stream_));
    if (map_.cluster() && !owner.empty() && owner != seed->config().endpoint) {
      seed->retarget(owner);
      SLUICE_RETURN_IF_ERROR(seed->connect());
    }
    lanes_.push_back(std::make_unique<Lane>());
    lanes_[0]->conn = std::move(seed);
    Result<size_t> lane = lane_for(intern(default_stream_));
    if (!lane.ok()) return lane.status();
    return read_retention();
  }

  // Reads the default stream's retention age, before any XADD is in
  // flight on the connection.
  Status read_retention() {
    if (maxlen_ >= 0) return Status::Ok();
    Result<ReplyPtr> r = lanes_[0]->conn->call({"HGET", meta_key(default_stream_), "retention_ms"});
    if (!r.ok()) return r.status();
    const redisReply* rep = r->get();
    // An error reply (CLUSTERDOWN, MOVED, a NOPERM on the hash) leaves the
    // stream untrimmed: the XADDs that follow meet the same state and
    // report it the way they always do (retried, then exit 69 or 77).
    if (rep->type == REDIS_REPLY_STRING) {
      char* end = nullptr;
      const std::string v(reply_str(rep));
      const long long ms = std::strtoll(v.c_str(), &end, 10);
      if (!v.empty() && *end == '\0' && ms >= 0) retention_ms_ = ms;
    }
    return Status::Ok();
  }

  void refresh_minid() {
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    if (minid_at_ms_ >= 0 && now_ms - minid_at_ms_ < 1000) return;
    minid_at_ms_ = now_ms;
    minid_text_ = std::to_string(std::max<int64_t>(0, now_ms - retention_ms_));
  }

  Status produce(const Message& m, uint64_t* ticket) override {
    if (!broken_.ok()) return broken_;
    if (inflight_ >= kMaxInFlight || unanswered_bytes() >= kMaxJournalBytes) {
      const auto deadline = Clock::now() + timeout_;
      // Down to half of either limit (the byte one too: big records would
      // otherwise grow the journal without bound).
      while (inflight_ >= kMaxInFlight / 2 ||
             (inflight_ > 0 && unanswered_bytes() >= kMaxJournalBytes / 2)) {
        SLUICE_RETURN_IF_ERROR(pump(Millis(100)));
        if (Clock::now() >= deadline) {
          return Status::TimedOut("redis '" + cfg_.endpoint + "' did not answer within " +
                                  std::to_string(timeout_.count()) + " ms");
        }
      }
    }
    const std::string_view stream = m.stream.empty() ? std::string_view(default_stream_) : m.stream;
    const uint32_t si = intern(stream);
    Result<size_t> li = lane_for(si);
    if (!li.ok()) return li.status();
    Lane& lane = *lanes_[*li];
    RespCommand c(lane.journal);
    const size_t fields = xadd_field_args(m);
    const bool minid = maxlen_ < 0 && retention_ms_ >= 0 && stream == default_stream_;
    if (minid) refresh_minid();
    c.begin(3 + (maxlen_ >= 0 || minid ? 3 : 0) + fields).arg("XADD").arg(stream);
    if (maxlen_ >= 0) c.arg("MAXLEN").arg("~").arg(maxlen_text_);
    if (minid) c.arg("MINID").arg("~").arg(minid_text_);
    c.arg("*");
    append_xadd_fields(c, m);
    const uint64_t t = next_ticket_++;
    lane.inflight.push_back({t, lane.base + lane.journal.size(), si});
    done_.push_back(0);
    ++inflight_;
    if (ticket) *ticket = t;
    if (lane.journal.size() - (lane.sent - lane.base) >= kWriteChunk) return pump(Millis(0));
    return Status::Ok();
  }

  Status poll(Millis timeout) override {
    if (!broken_.ok()) return broken_;
    const uint64_t before = acked_;
    SLUICE_RETURN_IF_ERROR(pump(Millis(0)));
    if (acked_ != before || inflight_ == 0 || timeout.count() <= 0) return Status::Ok();
    return pump(timeout);
  }

  Status flush(Millis timeout) override {
    const auto deadline = Clock::now() + timeout;
    while (inflight_ > 0) {
      if (!broken_.ok()) return broken_;
      const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0) {
        const std::string n = std::to_string(inflight_);
        // Still failing (a node or the cluster down): say why, as a give-up would.
        for (const auto& lane : lanes_) {
          if (lane->recovering) {
            return Status::Unavailable(n + " records not acknowledged: " + lane->trouble.message());
          }
        }
        return Status::TimedOut(n + " records not yet acknowledged by redis '" + cfg_.endpoint +
                                "'");
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
    uint32_t stream;  // index into streams_
  };

  // One connection (to one node) and its commands awaiting replies.
  struct Lane {
    std::unique_ptr<Connection> conn;
    std::string journal;
    uint64_t base = 0;  // absolute offset of journal[0]
    uint64_t head = 0;  // absolute offset of the oldest unanswered command
    uint64_t sent = 0;  // absolute offset written to the socket so far
    std::deque<InFlight> inflight;
    bool recovering = false;
    Status trouble;  // why the last recover() was needed
    Clock::time_point recover_since;
    Backoff backoff{Millis(20), Millis(1000)};  // between reconnects; reset by recover()
  };

  uint32_t intern(std::string_view s) {
    if (last_stream_ < streams_.size() && streams_[last_stream_] == s) return last_stream_;
    for (uint32_t i = 0; i < streams_.size(); ++i) {
      if (streams_[i] == s) return last_stream_ = i;
    }
    streams_.emplace_back(s);
    stream_lane_.push_back(kNoLane);
    return last_stream_ = static_cast<uint32_t>(streams_.size() - 1);
  }

  // The Lane for stream `si`: the node serving its slot (lane 0 without a
  // cluster), connecting a new Lane when no other goes there.
  Result<size_t> lane_for(uint32_t si) {
    if (stream_lane_[si] != kNoLane) return stream_lane_[si];
    if (!map_.cluster()) return stream_lane_[si] = 0;
    const uint16_t slot = key_slot(streams_[si]);
    const std::string_view owner = map_.owner(slot);
    if (owner.empty()) {
      return Status::Unavailable("no node of redis cluster '" + cfg_.endpoint + "' serves slot " +
                                 std::to_string(slot) + " of stream '" + streams_[si] +
                                 "' (check `redis-cli --cluster check HOST:PORT`)");
    }
    for (size_t i = 0; i < lanes_.size(); ++i) {
      if (lanes_[i]->conn->config().endpoint == owner) return stream_lane_[si] = i;
    }
    ConnConfig node = for_endpoint(cfg_, owner);
    auto lane = std::make_unique<Lane>();
    lane->conn = std::make_unique<Connection>(std::move(node));
    SLUICE_RETURN_IF_ERROR(lane->conn->connect());
    lanes_.push_back(std::move(lane));
    return stream_lane_[si] = lanes_.size() - 1;
  }

  size_t unanswered_bytes() const {
    size_t n = 0;
    for (const auto& lane : lanes_)
      n += lane->journal.size() - static_cast<size_t>(lane->head - lane->base);
    return n;
  }

  // Ticket `t` is delivered or failed; moves the watermark past every
  // finished ticket.
  void finish(uint64_t t) {
    done_[static_cast<size_t>(t - acked_ - 1)] = 1;
    while (!done_.empty() && done_.front()) {
      done_.pop_front();
      ++acked_;
    }
    --inflight_;
  }

  // Writes what the sockets take, reads and settles replies; waits up to
  // `wait` for progress when there was none. Connection trouble leads to
  // recover(); only a give-up is returned as an error.
  Status pump(Millis wait) {
    for (int attempt = 0;; ++attempt) {
      Status st = pump_once(wait);
      if (st.ok()) return st;
      if (!st.is(StatusCode::kUnavailable) && !st.is(StatusCode::kTryAgain)) return fail_all(st);
      SLUICE_RETURN_IF_ERROR(recover(*lanes_[failed_lane_], st));
      wait = Millis(0);
      if (attempt > 1000) return Status::Ok();
    }
  }

  // One pass over every Lane with work; on an error failed_lane_ names it.
  Status pump_once(Millis wait) {
    bool progressed = false;
    for (size_t i = 0; i < lanes_.size(); ++i) {
      Lane& lane = *lanes_[i];
      if (lane.inflight.empty()) continue;
      failed_lane_ = i;
      if (!lane.conn->connected()) return lane.conn->lost("not connected");
      SLUICE_RETURN_IF_ERROR(write_pending(lane, &progressed));
      SLUICE_RETURN_IF_ERROR(lane.conn->read_available());
      SLUICE_RETURN_IF_ERROR(settle(i, &progressed));
    }
    if (progressed || wait.count() <= 0 || inflight_ == 0) return Status::Ok();
    pollfds_.clear();
    polled_.clear();
    for (size_t i = 0; i < lanes_.size(); ++i) {
      const Lane& lane = *lanes_[i];
      if (lane.inflight.empty()) continue;
      if (lane.conn->tls_pending()) wait = Millis(0);
      const bool unsent = lane.sent < lane.base + lane.journal.size();
      pollfds_.push_back({lane.conn->fd(), static_cast<short>(POLLIN | (unsent ? POLLOUT : 0)), 0});
      polled_.push_back(i);
    }
    if (::poll(pollfds_.data(), pollfds_.size(), static_cast<int>(wait.count())) < 0 &&
        errno != EINTR) {
      return Status::FromErrno(errno, "poll");
    }
    for (size_t k = 0; k < polled_.size(); ++k) {
      const short ev = pollfds_[k].revents;
      Lane& lane = *lanes_[polled_[k]];
      failed_lane_ = polled_[k];
      if (ev & POLLOUT) SLUICE_RETURN_IF_ERROR(write_pending(lane, &progressed));
      if ((ev & (POLLIN | POLLHUP | POLLERR)) || lane.conn->tls_pending()) {
        SLUICE_RETURN_IF_ERROR(lane.conn->read_available());
      }
      SLUICE_RETURN_IF_ERROR(settle(polled_[k], &progressed));
    }
    return Status::Ok();
  }

  Status write_pending(Lane& lane, bool* progressed) {
    while (lane.sent < lane.base + lane.journal.size()) {
      const size_t off = static_cast<size_t>(lane.sent - lane.base);
      Result<size_t> n =
          lane.conn->write_some(lane.journal.data() + off, lane.journal.size() - off);
      if (!n.ok()) return n.status();
      if (*n == 0) break;
      lane.sent += *n;
      *progressed = true;
    }
    return Status::Ok();
  }

  Status settle(size_t li, bool* progressed) {
    Lane& lane = *lanes_[li];
    for (;;) {
      Result<ReplyPtr> r = lane.conn->next_reply();
      if (!r.ok()) return r.status();
      if (!*r) break;
      if (lane.inflight.empty()) {
        return Status::Internal("redis '" + lane.conn->config().endpoint +
                                "' sent a reply nobody asked for");
      }
      const InFlight f = lane.inflight.front();
      Redirect to;
      if ((*r)->type == REDIS_REPLY_ERROR && parse_redirect(reply_str(r->get()), &to)) {
        // The slot moved for good: re-send from this command on, there.
        if (!to.ask) return reroute(li, to);
        const size_t off = static_cast<size_t>(lane.head - lane.base);
        r = ask_call(lane.conn->config(), to.endpoint,
                     lane.journal.substr(off, static_cast<size_t>(f.end - lane.head)), &ask_conn_);
        if (!r.ok()) return r.status();
      }
      if ((*r)->type == REDIS_REPLY_ERROR) {
        const std::string_view err = reply_str(r->get());
        if (transient_error(err)) {
          // The server is (re)starting: re-send from this command on.
          return Status::TryAgain("redis '" + lane.conn->config().endpoint +
                                  "': " + std::string(err));
        }
        SLUICE_RETURN_IF_ERROR(cluster_state_error(lane.conn->config(), err));
        ++failed_;
        if (listener_)
          listener_(f.ticket, reply_error(lane.conn->config(), streams_[f.stream], err));
      }
      lane.inflight.pop_front();
      finish(f.ticket);
      lane.head = f.end;
      *progressed = true;
      lane.recovering = false;
    }
    compact(lane);
    return Status::Ok();
  }

  void compact(Lane& lane) {
    const size_t dead = static_cast<size_t>(lane.head - lane.base);
    if (dead == lane.journal.size()) {
      lane.journal.clear();
      lane.base = lane.head;
      lane.sent = std::max(lane.sent, lane.head);
    } else if (dead >= (1u << 20) && dead * 2 >= lane.journal.size() && lane.sent >= lane.head) {
      lane.journal.erase(0, dead);
      lane.base = lane.head;
    }
  }

  // After -MOVED on Lane `li`: learns the slot map again (from the node
  // named, over a fresh connection: the Lane's own still has replies
  // queued) and moves the Lane's unanswered commands, in order, to the
  // Lanes of their streams' nodes (this one included); its connection is
  // dropped, as after a reconnect, so they are all sent again.
  Status reroute(size_t li, const Redirect& to) {
    failed_lane_ = li;
    lanes_[li]->conn->close();
    ConnConfig node = for_endpoint(cfg_, to.endpoint);
    Connection asker(std::move(node));
    SLUICE_RETURN_IF_ERROR(asker.connect());
    SLUICE_RETURN_IF_ERROR(learn_map(asker, to, &map_));
    std::fill(stream_lane_.begin(), stream_lane_.end(), kNoLane);
    // Route every stream first: a node that cannot be reached leaves the
    // commands where they are (recover() re-sends them and they come back
    // here).
    for (const InFlight& f : lanes_[li]->inflight) {
      Result<size_t> lane = lane_for(f.stream);
      if (!lane.ok()) return lane.status();
    }
    Lane& from = *lanes_[li];
    std::string journal = std::move(from.journal);
    const uint64_t base = from.base;
    uint64_t start = from.head;
    std::deque<InFlight> moving = std::move(from.inflight);
    from.journal.clear();
    from.inflight.clear();
    from.base = from.head = from.sent = 0;
    for (const InFlight& f : moving) {
      Lane& lane = *lanes_[stream_lane_[f.stream]];
      lane.journal.append(journal, static_cast<size_t>(start - base),
                          static_cast<size_t>(f.end - start));
      lane.inflight.push_back({f.ticket, lane.base + lane.journal.size(), f.stream});
      start = f.end;
    }
    // Commands that stay here need the connection back.
    return from.inflight.empty()
               ? Status::Ok()
               : Status::TryAgain("redis '" + from.conn->config().endpoint + "': moved");
  }

  // Reconnects the Lane with backoff and rewinds to its oldest unanswered
  // command. Gives up (failing every in-flight ticket) after `timeout_`
  // without a single reply.
  Status recover(Lane& lane, const Status& why) {
    const auto now = Clock::now();
    if (!lane.recovering) {
      lane.recovering = true;
      lane.recover_since = now;
      lane.backoff.reset();
    }
    lane.trouble = why;
    const auto left = std::chrono::duration_cast<Millis>(lane.recover_since + timeout_ - now);
    if (left.count() <= 0) return fail_all(why);
    lane.conn->close();
    std::this_thread::sleep_for(std::min(lane.backoff.next(), left));
    Status st =
        lane.conn->reconnect(std::max(Millis(1), left - std::min(lane.backoff.peek(), left)));
    if (!st.ok()) return fail_all(st);
    lane.sent = lane.head;
    return Status::Ok();
  }

  // Permanent failure: every in-flight ticket fails with `why`.
  Status fail_all(const Status& why) {
    for (auto& lane : lanes_) {
      for (const InFlight& f : lane->inflight) {
        ++failed_;
        if (listener_) listener_(f.ticket, why);
      }
      lane->inflight.clear();
      lane->journal.clear();
      lane->base = lane->head = lane->sent = 0;
    }
    acked_ = next_ticket_ - 1;
    done_.clear();
    inflight_ = 0;
    broken_ = why;
    return why;
  }

  ConnConfig cfg_;  // as the URI says; Lanes aim copies at cluster nodes
  std::string default_stream_;
  int64_t maxlen_;
  std::string maxlen_text_;
  // The retention age `streams create/config` keep for the default stream
  // (meta_key()), -1 = none; maxlen= wins. XADD trims to MINID ~ now - age,
  // the text recomputed at most once a second.
  int64_t retention_ms_ = -1;
  int64_t minid_at_ms_ = -1;
  std::string minid_text_;
  Millis timeout_;

  SlotMap map_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // lane 0 is the seed's
  std::unique_ptr<Connection> ask_conn_;      // to the node an -ASK named
  size_t failed_lane_ = 0;                    // the Lane the last error came from
  std::vector<struct pollfd> pollfds_;        // pump_once() scratch, reused
  std::vector<size_t> polled_;
  std::vector<std::string> streams_;
  std::vector<size_t> stream_lane_;  // per stream, its Lane (kNoLane: not yet routed)
  uint32_t last_stream_ = 0;

  uint64_t next_ticket_ = 1;
  uint64_t acked_ = 0;
  std::deque<uint8_t> done_;  // tickets acked_+1 ...: finished yet?
  size_t inflight_ = 0;       // over all Lanes
  uint64_t failed_ = 0;
  Status broken_;
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
      return Status::InvalidArgument("redis uri '" + uri.redacted() + "': maxlen='" + *v +
                                     "' is not a count");
    }
  }
  auto p = std::make_unique<RedisProducer>(std::move(*cfg), uri.streams[0], maxlen, o.timeout);
  SLUICE_RETURN_IF_ERROR(p->open());
  return std::unique_ptr<Producer>(std::move(p));
}

}  // namespace sluice
