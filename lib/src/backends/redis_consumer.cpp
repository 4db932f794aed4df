// Redis consumer: XREAD (plain) or XREADGROUP (--group) over every stream
// of the URI at once.
//
// Each read carries every stream's own last ID, and COUNT applies per
// stream, so a busy stream can neither starve nor skip a quiet one. Reads
// block at most 1 s on the server (never BLOCK 0), and the socket wait also
// watches a self-pipe, so wake() is prompt and async-signal-safe. A read may
// still be in flight when poll() returns (after wake(), or a prefetch issued
// to overlap the server with the sink); the next poll() or commit() picks
// its reply up first, so replies are always consumed in order.
//
// Groups: the group is created at the --from position with MKSTREAM
// (BUSYGROUP ignored). A member first re-reads its own pending entries
// (ID 0 onwards: what it had delivered but not acknowledged before a
// restart), then new ones ('>'). Every claim_idle_ms/2 it takes over entries
// idle longer than claim_idle_ms from any member (XAUTOCLAIM), so a crashed
// member's records are not stuck. commit() XACKs the entries mark_taken()
// covered. A clean exit leaves no dead member behind: what the sink did
// not take is handed on, and a member with nothing pending deletes itself
// (leave_group()).
//
// Redis Cluster: a multi-key read must stay in one hash slot, and a
// blocking read holds its connection, so the streams are read through one
// Reader (connection + read state) per slot they live in, each talking to
// the node serving that slot (CLUSTER SLOTS at open). Streams sharing a
// slot through a {hash tag} share a read; without a cluster there is one
// Reader for all streams. Reads go out to every Reader at once and poll()
// takes whichever answer first, so a quiet stream's read never holds up a
// busy one. Control calls (XGROUP, XACK, XAUTOCLAIM) go to the stream's
// Reader while no read is in flight on it. -MOVED re-learns the slot map
// and lays the Readers out again (a group member then re-reads its pending
// entries, as after a reconnect); -ASK sends ASKING and the command to the
// named node once.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <thread>

#include "backends/redis_backend.h"
#include "sluice/envelope.h"

namespace sluice {
namespace {

using namespace redis;  // NOLINT: backend-internal
using Clock = std::chrono::steady_clock;

constexpr Millis kMaxBlock{1000};
// leave_group() marks entries it hands on as idle for a year; entries this
// idle were released by a member at its clean exit (or abandoned for most
// of a year): their owner is gone.
constexpr Millis kReleaseIdle{int64_t{365} * 86400 * 1000};
constexpr Millis kReleasedIdle{int64_t{300} * 86400 * 1000};

class RedisConsumer final : public Consumer {
 public:
  RedisConsumer(ConnConfig cfg, const std::vector<std::string>& streams, ConsumerOptions opts,
                std::string consumer_name, Millis claim_idle)
      : cfg_(std::move(cfg)),
        opts_(std::move(opts)),
        consumer_name_(std::move(consumer_name)),
        claim_idle_(claim_idle) {
    for (const std::string& s : streams) {
      StreamState st;
      st.name = s;
      states_.push_back(std::move(st));
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
      wake_r_ = p[0];
      wake_w_ = p[1];
    }
  }
  ~RedisConsumer() override {
    leave_group();
    if (wake_r_ >= 0) ::close(wake_r_);
    if (wake_w_ >= 0) ::close(wake_w_);
  }

  Status open(const std::string* from_id) {
    auto seed = std::make_unique<Connection>(cfg_);
    SLUICE_RETURN_IF_ERROR(seed->connect());
    SLUICE_RETURN_IF_ERROR(lay_out(std::move(seed)));
    EntryId explicit_after;
    bool have_explicit = false;
    if (EntryId id; !opts_.from.id.empty() && !parse_entry_id(opts_.from.id, &id)) {
      return Status::InvalidArgument("start position '" + opts_.from.id +
                                     "' is not a redis entry id (MS-N)");
    }
    if (from_id) {
      EntryId id;
      if (!parse_entry_id(*from_id, &id)) {
        return Status::InvalidArgument("from_id='" + *from_id + "' is not a redis entry id (MS-N)");
      }
      explicit_after = pred(id);
      have_explicit = true;
    }
    for (size_t i = 0; i < states_.size(); ++i) {
      StreamState& s = states_[i];
      SLUICE_RETURN_IF_ERROR(check_exists(i));
      EntryId after;
      bool at_end = false;
      if (have_explicit) {
        after = explicit_after;
      } else if (!start_after_id(opts_.from, &after)) {
        if (opts_.from.kind == StartPosition::Kind::kEnd) {
          at_end = true;
          SLUICE_RETURN_IF_ERROR(last_id(i, &after));
        } else {
          SLUICE_RETURN_IF_ERROR(nth_from_end(i, opts_.from.value, &after));
        }
      }
      s.last = after;
      if (!opts_.group.empty()) {
        SLUICE_RETURN_IF_ERROR(create_group(i, at_end ? "$" : format_entry_id(after)));
        s.history = true;
      }
      if (opts_.exit_at_end && opts_.group.empty()) {
        SLUICE_RETURN_IF_ERROR(last_id(i, &s.end));
        s.drained = s.last >= s.end;
      }
    }
    return Status::Ok();
  }

  Status poll(MessageBatch& batch, Millis timeout) override {
    batch.clear();
    held_.clear();
    headers_.clear();
    spans_.clear();
    owned_.clear();
    const auto deadline = Clock::now() + timeout;
    if (!deferred_.ok()) {
      const Status why = std::exchange(deferred_, Status::Ok());
      SLUICE_RETURN_IF_ERROR(recover(why));
    }
    for (int round = 0;; ++round) {
      Status st = poll_once(batch, timeout);
      if (st.is(StatusCode::kUnavailable) || st.is(StatusCode::kTryAgain)) {
        if (!batch.empty()) {
          // Entries already in the batch moved their stream's position (or
          // wait in `unacked` for mark_taken): dropping them would skip
          // them, or acknowledge them unseen. Deliver them; recover on the
          // next call (their reply buffers live until then).
          deferred_ = st;
          finish_batch(batch);
          return Status::Ok();
        }
        held_.clear();
        headers_.clear();
        spans_.clear();
        owned_.clear();
        SLUICE_RETURN_IF_ERROR(recover(st));
        continue;
      }
      recovering_ = false;
      if (!st.ok() || !batch.empty() || woken_) {
        woken_ = false;
        finish_batch(batch);
        return st;
      }
      // Only history/claim bookkeeping happened: try again while time is left.
      if (Clock::now() >= deadline || round > 64) return Status::Ok();
      timeout = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    }
  }

  void mark_taken(const Message& m) override {
    if (opts_.group.empty()) return;
    StreamState* s = find(m.stream);
    if (!s) return;
    // Entries are marked in delivery order; everything delivered up to and
    // including `m` on this stream is taken.
    auto it = std::find(s->unacked.begin(), s->unacked.end(), m.seq);
    if (it == s->unacked.end()) return;
    for (auto i = s->unacked.begin(); i != it + 1; ++i) s->to_ack.push_back(*i);
    s->unacked.erase(s->unacked.begin(), it + 1);
  }

  Status commit() override {
    if (opts_.group.empty()) return Status::Ok();
    for (int attempt = 0; attempt < 2; ++attempt) {
      Status st = commit_once();
      if (st.ok()) return st;
      if (!st.is(StatusCode::kUnavailable) && !st.is(StatusCode::kTryAgain)) return st;
      SLUICE_RETURN_IF_ERROR(recover(st));
    }
    return commit_once();
  }

  void wake() override {
    if (wake_w_ >= 0) {
      const ssize_t n = ::write(wake_w_, "w", 1);
      (void)n;
    }
  }

 private:
  struct StreamState {
    std::string name;
    size_t reader = 0;            // index into readers_
    EntryId last;                 // plain: last delivered; group: start position
    EntryId end;                  // plain + exit_at_end: last entry at open
    bool drained = false;         // plain + exit_at_end: reached `end`
    bool history = false;         // group: still re-reading own pending entries
    EntryId history_after;        // group: pending-read cursor
    std::deque<int64_t> unacked;  // group: delivered, not yet marked taken
    std::vector<int64_t> to_ack;  // group: marked, not yet XACKed
  };

  // One connection and the streams (all in one slot in a cluster) read
  // through it, with the state of its read.
  struct Reader {
    std::unique_ptr<Connection> conn;
    uint16_t slot = 0;
    std::vector<size_t> streams;  // indices into states_
    std::string cmd;
    bool in_flight = false;
    bool blocks = false;
    bool is_new = false;     // group: the read in flight asks for '>' only
    bool new_empty = false;  // group: the last '>' read came back empty
    Clock::time_point sent_at;
    ReplyPtr stashed;  // a read's answer not yet taken
    Clock::time_point next_claim;
  };

  StreamState* find(std::string_view name) {
    for (StreamState& s : states_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  std::string names_of(const Reader& r) const {
    std::string n;
    for (size_t i : r.streams) {
      if (!n.empty()) n += ',';
      n += states_[i].name;
    }
    return n;
  }

  // ---------------------------------------------------------- layout

  // Learns the slot map through `asker` (after -MOVED `moved`, insisting on
  // one) and opens one Reader per slot the
  // streams live in (one Reader for all when the server is no cluster).
  // Connections to the same node are reused from `asker` and the old
  // Readers when nothing is in flight on them.
  Status lay_out(std::unique_ptr<Connection> asker, const Redirect* moved = nullptr) {
    SlotMap map;
    SLUICE_RETURN_IF_ERROR(moved ? learn_map(*asker, *moved, &map) : map.refresh(*asker));
    std::vector<std::unique_ptr<Connection>> spare;
    spare.push_back(std::move(asker));
    for (auto& r : readers_) {
      if (r->conn->connected() && !r->in_flight) spare.push_back(std::move(r->conn));
    }
    readers_.clear();  // until the new layout is complete (recover() redoes it)
    std::vector<std::unique_ptr<Reader>> fresh;
    std::vector<size_t> where(states_.size());
    for (size_t i = 0; i < states_.size(); ++i) {
      const uint16_t slot = map.cluster() ? key_slot(states_[i].name) : 0;
      size_t ri = 0;
      while (ri < fresh.size() && fresh[ri]->slot != slot) ++ri;
      if (ri == fresh.size()) {
        auto r = std::make_unique<Reader>();
        r->slot = slot;
        const std::string owner(map.cluster() ? map.owner(slot) : spare[0]->config().endpoint);
        if (owner.empty()) {
          return Status::Unavailable("no node of redis cluster '" + cfg_.endpoint +
                                     "' serves slot " + std::to_string(slot) + " of stream '" +
                                     states_[i].name +
                                     "' (check `redis-cli --cluster check HOST:PORT`)");
        }
        for (auto& c : spare) {
          if (c && c->config().endpoint == owner) {
            r->conn = std::move(c);
            break;
          }
        }
        if (!r->conn) {
          ConnConfig node = for_endpoint(cfg_, owner);
          r->conn = std::make_unique<Connection>(std::move(node));
          SLUICE_RETURN_IF_ERROR(r->conn->connect());
        }
        r->next_claim = Clock::now();
        fresh.push_back(std::move(r));
      }
      fresh[ri]->streams.push_back(i);
      where[i] = ri;
    }
    readers_ = std::move(fresh);
    for (size_t i = 0; i < states_.size(); ++i) {
      states_[i].reader = where[i];
      reset_group_reading(states_[i]);
    }
    ++layouts_;
    return Status::Ok();
  }

  // A group member that lost its place (reconnect, new layout) re-reads
  // its pending entries from the start.
  void reset_group_reading(StreamState& s) {
    if (opts_.group.empty()) return;
    s.history = true;
    s.history_after = {};
    s.unacked.clear();
  }

  // ---------------------------------------------------------- control calls

  // Sends `cmd` about stream `i` to the node serving it, following one
  // redirect. No read may be in flight on that stream's Reader.
  Result<ReplyPtr> call_on(size_t i, const std::string& cmd) {
    Result<ReplyPtr> r = readers_[states_[i].reader]->conn->call(cmd);
    Redirect to;
    if (!r.ok() || (*r)->type != REDIS_REPLY_ERROR || !parse_redirect(reply_str(r->get()), &to)) {
      return r;
    }
    Connection& conn = *readers_[states_[i].reader]->conn;
    if (to.ask) return ask_call(conn.config(), to.endpoint, cmd, &ask_conn_);
    SLUICE_RETURN_IF_ERROR(relay_out(to));
    return readers_[states_[i].reader]->conn->call(cmd);
  }

  Result<ReplyPtr> call_on(size_t i, std::initializer_list<std::string_view> args) {
    std::string cmd;
    RespCommand c(cmd);
    c.begin(args.size());
    for (std::string_view a : args) c.arg(a);
    return call_on(i, cmd);
  }

  // After -MOVED: the map changed; reads in flight elsewhere are dropped
  // (a plain reader re-reads from its last ID, a group member re-reads its
  // pending entries).
  Status relay_out(const Redirect& to) {
    for (auto& r : readers_) {
      if (r->in_flight) r->conn->close();
    }
    ConnConfig node = for_endpoint(cfg_, to.endpoint);
    auto asker = std::make_unique<Connection>(std::move(node));
    SLUICE_RETURN_IF_ERROR(asker->connect());
    return lay_out(std::move(asker), &to);
  }

  Status checked_call(size_t i, std::initializer_list<std::string_view> args, ReplyPtr* out) {
    Result<ReplyPtr> r = call_on(i, args);
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) return error_on(i, reply_str(r->get()));
    *out = std::move(*r);
    return Status::Ok();
  }

  Status error_on(size_t i, std::string_view err) {
    const ConnConfig& cfg = readers_[states_[i].reader]->conn->config();
    SLUICE_RETURN_IF_ERROR(cluster_state_error(cfg, err));
    return reply_error(cfg, states_[i].name, err);
  }

  // A missing stream: kNotFound with --exit, as every backend; when
  // following, one warning (a group's XGROUP CREATE ... MKSTREAM makes it).
  Status check_exists(size_t i) {
    if (!opts_.exit_at_end && !opts_.group.empty()) return Status::Ok();
    ReplyPtr r;
    SLUICE_RETURN_IF_ERROR(checked_call(i, {"EXISTS", states_[i].name}, &r));
    if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) return Status::Ok();
    Status missing = Status::NotFound("stream '" + states_[i].name + "' does not exist on redis '" +
                                      cfg_.endpoint + "'");
    if (opts_.exit_at_end) return missing;
    warn(missing.message() + ": waiting for it to be created");
    return Status::Ok();
  }

  // ID of the newest entry, "0-0" when the stream is empty or missing.
  Status last_id(size_t i, EntryId* id) {
    ReplyPtr r;
    SLUICE_RETURN_IF_ERROR(
        checked_call(i, {"XREVRANGE", states_[i].name, "+", "-", "COUNT", "1"}, &r));
    *id = {};
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements > 0) {
      parse_entry_id(reply_str(r->element[0]->element[0]), id);
    }
    return Status::Ok();
  }

  // The ID to read after so that the last `n` entries are delivered.
  Status nth_from_end(size_t i, int64_t n, EntryId* after) {
    *after = {};
    if (n <= 0) return last_id(i, after);
    ReplyPtr r;
    SLUICE_RETURN_IF_ERROR(
        checked_call(i, {"XREVRANGE", states_[i].name, "+", "-", "COUNT", std::to_string(n)}, &r));
    if (r->type == REDIS_REPLY_ARRAY && static_cast<int64_t>(r->elements) == n) {
      const redisReply* oldest = r->element[r->elements - 1];
      EntryId id;
      if (oldest->type == REDIS_REPLY_ARRAY && oldest->elements > 0 &&
          parse_entry_id(reply_str(oldest->element[0]), &id)) {
        *after = pred(id);
      }
    }
    return Status::Ok();
  }

  Status create_group(size_t i, const std::string& start) {
    Result<ReplyPtr> r =
        call_on(i, {"XGROUP", "CREATE", states_[i].name, opts_.group, start, "MKSTREAM"});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      const std::string_view err = reply_str(r->get());
      if (err.rfind("BUSYGROUP", 0) == 0) return Status::Ok();
      return error_on(i, err);
    }
    return Status::Ok();
  }

  // ---------------------------------------------------------- reading

  bool any_history(const Reader& r) const {
    return std::any_of(r.streams.begin(), r.streams.end(),
                       [&](size_t i) { return states_[i].history; });
  }

  // Encodes the reader's next XREAD/XREADGROUP into r.cmd; false when there
  // is nothing to read (plain --exit and every stream drained).
  bool build_read(Reader& r, Millis timeout) {
    r.cmd.clear();
    RespCommand c(r.cmd);
    const bool group = !opts_.group.empty();
    size_t n = 0;
    for (size_t i : r.streams) n += group || !states_[i].drained;
    if (n == 0) return false;
    const bool history = group && any_history(r);
    const bool block = !opts_.exit_at_end && timeout.count() > 0 && !history;
    c.begin((group ? 4 : 1) + 2 + (block ? 2 : 0) + 1 + 2 * n);
    if (group) {
      c.arg("XREADGROUP").arg("GROUP").arg(opts_.group).arg(consumer_name_);
    } else {
      c.arg("XREAD");
    }
    c.arg("COUNT").arg(static_cast<int64_t>(std::max<size_t>(1, opts_.max_batch)));
    if (block) c.arg("BLOCK").arg(static_cast<int64_t>(std::min(timeout, kMaxBlock).count()));
    c.arg("STREAMS");
    for (size_t i : r.streams) {
      if (group || !states_[i].drained) c.arg(states_[i].name);
    }
    for (size_t i : r.streams) {
      const StreamState& s = states_[i];
      if (group) {
        c.arg(s.history ? format_entry_id(s.history_after) : ">");
      } else if (!s.drained) {
        c.arg(format_entry_id(s.last));
      }
    }
    r.blocks = block;
    r.is_new = group && !history;
    return true;
  }

  Status send_read(Reader& r) {
    size_t off = 0;
    const auto deadline = Clock::now() + r.conn->config().timeout;
    while (off < r.cmd.size()) {
      Result<size_t> w = r.conn->write_some(r.cmd.data() + off, r.cmd.size() - off);
      if (!w.ok()) return w.status();
      off += *w;
      if (off < r.cmd.size()) {
        if (Clock::now() >= deadline) return r.conn->lost("write timed out");
        SLUICE_RETURN_IF_ERROR(r.conn->wait_and_read(Millis(100), true));
      }
    }
    r.in_flight = true;
    r.sent_at = Clock::now();
    return Status::Ok();
  }

  // Waits until the read in flight on `only` (or, when null, on any Reader)
  // has been answered, moving each answer to its Reader's `stashed`.
  // Returns ok with nothing stashed when woken first (reads stay in
  // flight). On a failure, failed_ names the Reader.
  Status await_reads(Reader* only, bool wakeable) {
    std::vector<struct pollfd>& fds = pollfds_;
    std::vector<Reader*>& who = polled_;
    for (;;) {
      bool got = false;
      Millis wait{1000};
      fds.clear();
      who.clear();
      for (size_t i = 0; i < readers_.size(); ++i) {
        Reader& r = *readers_[i];
        if (!r.in_flight || (only && only != &r)) continue;
        failed_ = i;
        Result<ReplyPtr> rep = r.conn->next_reply();
        if (!rep.ok()) return rep.status();
        if (*rep) {
          r.in_flight = false;
          r.stashed = std::move(*rep);
          got = true;
          continue;
        }
        const Millis limit = (r.blocks ? kMaxBlock : Millis(0)) + r.conn->config().timeout;
        const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - r.sent_at);
        if (waited >= limit) {
          r.conn->close();
          return r.conn->lost("no reply within " + std::to_string(limit.count()) + " ms");
        }
        wait = std::min(wait, limit - waited);
        if (r.conn->tls_pending()) wait = Millis(0);
        fds.push_back({r.conn->fd(), POLLIN, 0});
        who.push_back(&r);
      }
      if (got || fds.empty()) return Status::Ok();
      if (wakeable && wake_r_ >= 0) fds.push_back({wake_r_, POLLIN, 0});
      const int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait.count()));
      if (n < 0 && errno != EINTR) return Status::FromErrno(errno, "poll");
      for (size_t k = 0; k < who.size(); ++k) {
        if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) || who[k]->conn->tls_pending()) {
          failed_ = static_cast<size_t>(std::find_if(readers_.begin(), readers_.end(),
                                                     [&](auto& r) { return r.get() == who[k]; }) -
                                        readers_.begin());
          SLUICE_RETURN_IF_ERROR(who[k]->conn->read_available());
        }
      }
      if (fds.size() > who.size() && (fds.back().revents & POLLIN)) {
        char drain[64];
        while (::read(wake_r_, drain, sizeof drain) > 0) {
        }
        woken_ = true;
        return Status::Ok();
      }
    }
  }

  Status poll_once(MessageBatch& batch, Millis timeout) {
    const bool group = !opts_.group.empty();
    if (readers_.empty())
      return Status::Unavailable("redis cluster '" + cfg_.endpoint + "': no layout");
    for (size_t i = 0; i < readers_.size(); ++i) {
      Reader& r = *readers_[i];
      failed_ = i;
      if (!r.conn->connected()) return r.conn->lost("not connected");
      if (group && !r.in_flight && !r.stashed && !any_history(r) && Clock::now() >= r.next_claim) {
        const size_t layout = layouts_;
        SLUICE_RETURN_IF_ERROR(claim(i, batch));
        if (layouts_ != layout) return Status::Ok();  // readers_ changed under us
        readers_[i]->next_claim = Clock::now() + std::max(Millis(50), claim_idle_ / 2);
      }
    }
    if (!batch.empty()) return Status::Ok();
    bool reading = false;
    for (size_t i = 0; i < readers_.size(); ++i) {
      Reader& r = *readers_[i];
      if (!r.in_flight && !r.stashed && build_read(r, timeout)) {
        failed_ = i;
        SLUICE_RETURN_IF_ERROR(send_read(r));
      }
      reading = reading || r.in_flight || r.stashed;
    }
    if (!reading) return Status::EndOfStream();
    if (std::none_of(readers_.begin(), readers_.end(), [](auto& r) { return !!r->stashed; })) {
      SLUICE_RETURN_IF_ERROR(await_reads(nullptr, true));
    }
    bool got = false;
    for (size_t i = 0; i < readers_.size(); ++i) {
      Reader& r = *readers_[i];
      if (!r.stashed) continue;
      failed_ = i;
      const size_t had = batch.size();
      const bool was_new = r.is_new;
      const size_t layout = layouts_;
      SLUICE_RETURN_IF_ERROR(take_read_reply(r, std::move(r.stashed), batch));
      if (layouts_ != layout) return Status::Ok();  // readers_ changed under us
      const bool mine = batch.size() > had;
      got = got || mine;
      if (was_new) r.new_empty = !mine;
      // Overlap the server's next read with the sink's work on this batch.
      if (!group && mine && build_read(r, timeout)) SLUICE_RETURN_IF_ERROR(send_read(r));
    }
    if (got || !opts_.exit_at_end) return Status::Ok();
    if (!group && std::all_of(states_.begin(), states_.end(),
                              [](const StreamState& s) { return s.drained; })) {
      return Status::EndOfStream();
    }
    // Drained only when every Reader's last read of new entries ('>') came
    // back empty.
    if (group &&
        std::all_of(readers_.begin(), readers_.end(), [](auto& r) { return r->new_empty; })) {
      return Status::EndOfStream();
    }
    return Status::Ok();
  }

  Status take_read_reply(Reader& r, ReplyPtr reply, MessageBatch& batch) {
    const bool group = !opts_.group.empty();
    if (reply->type == REDIS_REPLY_ERROR) {
      const std::string_view err = reply_str(reply.get());
      Redirect to;
      if (parse_redirect(err, &to)) {
        if (to.ask) {
          Result<ReplyPtr> again = ask_call(r.conn->config(), to.endpoint, r.cmd, &ask_conn_);
          if (!again.ok()) return again.status();
          if ((*again)->type != REDIS_REPLY_ERROR)
            return take_read_reply(r, std::move(*again), batch);
          return Status::TryAgain("redis '" + to.endpoint +
                                  "': " + std::string(reply_str(again->get())));
        }
        return relay_out(to);
      }
      if (err.rfind("NOGROUP", 0) == 0 && group) {
        // The server lost the group (restart without persistence): re-create.
        for (size_t i : r.streams) {
          SLUICE_RETURN_IF_ERROR(create_group(i, format_entry_id(states_[i].last)));
        }
        return Status::Ok();
      }
      if (err.rfind("LOADING", 0) == 0 || err.rfind("TRYAGAIN", 0) == 0) {
        return Status::TryAgain(std::string(err));
      }
      SLUICE_RETURN_IF_ERROR(cluster_state_error(r.conn->config(), err));
      return reply_error(r.conn->config(), names_of(r), err);
    }
    std::vector<bool> seen(states_.size(), false);
    if (reply->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < reply->elements; ++i) {
        const redisReply* sr = reply->element[i];
        if (sr->type != REDIS_REPLY_ARRAY || sr->elements != 2) continue;
        StreamState* s = find(reply_str(sr->element[0]));
        if (!s) continue;
        seen[static_cast<size_t>(s - states_.data())] = true;
        const redisReply* entries = sr->element[1];
        if (s->history && (entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)) {
          s->history = false;
        }
        add_entries(*s, entries, batch, s->history);
      }
    }
    for (size_t i : r.streams) {
      StreamState& s = states_[i];
      if (!group && opts_.exit_at_end && !seen[i]) s.drained = true;  // nothing after `last`
      if (group && s.history && !seen[i]) s.history = false;
    }
    held_.push_back(std::move(reply));
    return Status::Ok();
  }
  // Appends the entries of one stream (an array of [id, [f, v, ...]]).
  void add_entries(StreamState& s, const redisReply* entries, MessageBatch& batch, bool history) {
    if (!entries || entries->type != REDIS_REPLY_ARRAY) return;
    const bool group = !opts_.group.empty();
    for (size_t j = 0; j < entries->elements; ++j) {
      const redisReply* e = entries->element[j];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 1) continue;
      EntryId id;
      if (!parse_entry_id(reply_str(e->element[0]), &id)) continue;
      if (history) s.history_after = id;
      const redisReply* fields = e->elements > 1 ? e->element[1] : nullptr;
      const int64_t seq = entry_id_to_seq(id);
      if (!fields || fields->type != REDIS_REPLY_ARRAY) {
        // A pending entry that was deleted meanwhile: acknowledge, skip.
        if (group) s.to_ack.push_back(seq);
        continue;
      }
      if (!group) {
        s.last = id;
        if (opts_.exit_at_end && s.last >= s.end) s.drained = true;
        if (opts_.exit_at_end && id > s.end) continue;  // written after open
      } else {
        s.unacked.push_back(seq);
      }
      Message m;
      m.stream = s.name;
      m.shard = 0;
      m.seq = seq;
      m.id = reply_str(e->element[0]);  // lives in the reply, kept in held_
      m.ts_us = static_cast<int64_t>(id.ms) * 1000;
      decode_fields(fields, m);
      batch.messages.push_back(m);
    }
  }

  // Field layout in redis_backend.h; foreign entries become a JSON object.
  void decode_fields(const redisReply* f, Message& m) {
    const size_t first_header = headers_.size();
    bool foreign = false;
    for (size_t k = 0; k + 1 < f->elements; k += 2) {
      const std::string_view name = reply_str(f->element[k]);
      const std::string_view value = reply_str(f->element[k + 1]);
      if (name == "p") {
        m.payload = value;
      } else if (name == "k") {
        m.key = value;
      } else if (name.size() >= 2 && name[0] == 'h' && name[1] == '.') {
        headers_.push_back({name.substr(2), value});
      } else if (name != "n") {
        foreign = true;
      }
    }
    if (foreign) {
      headers_.resize(first_header);
      m.key.reset();
      std::string& json = owned_.emplace_back();
      json += '{';
      for (size_t k = 0; k + 1 < f->elements; k += 2) {
        if (k) json += ',';
        append_json_string(reply_str(f->element[k]), json);
        json += ':';
        append_json_string(reply_str(f->element[k + 1]), json);
      }
      json += '}';
      m.payload = json;
    }
    spans_.push_back({first_header, headers_.size() - first_header});
  }

  // Headers live in one vector that may grow while the batch is built, so
  // the spans are attached once it is complete.
  void finish_batch(MessageBatch& batch) {
    if (spans_.size() != batch.size()) return;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (spans_[i].second) {
        batch.messages[i].headers =
            std::span<const Header>(headers_.data() + spans_[i].first, spans_[i].second);
      }
    }
  }

  // Takes over entries other members left idle (XAUTOCLAIM, Redis 6.2+) on
  // the streams of Reader `ri`.
  Status claim(size_t ri, MessageBatch& batch) {
    const std::string idle = std::to_string(claim_idle_.count());
    const std::string count = std::to_string(std::max<size_t>(1, opts_.max_batch));
    const std::vector<size_t> streams = readers_[ri]->streams;
    for (size_t i : streams) {
      StreamState& s = states_[i];
      const std::vector<std::string> released = released_members(i);
      std::string cursor = "0-0";
      bool complete = false;
      do {
        Result<ReplyPtr> r = call_on(
            i, {"XAUTOCLAIM", s.name, opts_.group, consumer_name_, idle, cursor, "COUNT", count});
        if (!r.ok()) return r.status();
        ReplyPtr reply = std::move(*r);
        if (reply->type == REDIS_REPLY_ERROR) {
          const std::string_view err = reply_str(reply.get());
          if (err.rfind("NOGROUP", 0) == 0) {
            SLUICE_RETURN_IF_ERROR(create_group(i, format_entry_id(s.last)));
            break;
          }
          return error_on(i, err);
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) break;
        cursor = std::string(reply_str(reply->element[0]));
        complete = cursor == "0-0";
        // Our own slow entries may be idle too: never deliver those twice.
        const redisReply* entries = reply->element[1];
        if (entries->type == REDIS_REPLY_ARRAY) {
          for (size_t j = 0; j < entries->elements; ++j) {
            const redisReply* e = entries->element[j];
            EntryId id;
            if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
                !parse_entry_id(reply_str(e->element[0]), &id)) {
              continue;
            }
            const int64_t seq = entry_id_to_seq(id);
            if (std::find(s.unacked.begin(), s.unacked.end(), seq) != s.unacked.end()) continue;
            if (std::find(s.to_ack.begin(), s.to_ack.end(), seq) != s.to_ack.end()) continue;
            redisReply one = *entries;
            one.elements = 1;
            one.element = &entries->element[j];
            add_entries(s, &one, batch, false);
          }
        }
        held_.push_back(std::move(reply));
      } while (cursor != "0-0" && batch.size() < opts_.max_batch);
      // Members that exited with entries released are done once those are
      // taken over: delete them, as they would have deleted themselves.
      if (complete) {
        for (const std::string& name : released) drop_if_empty(i, name);
      }
    }
    return Status::Ok();
  }

  // Makes the Readers of every stream `wanted` accepts free for control
  // calls: a read in flight there is answered first and kept for poll(),
  // so replies are consumed in order.
  template <typename Pred>
  Status settle_reads(Pred wanted) {
    for (size_t ri = 0; ri < readers_.size(); ++ri) {
      Reader& r = *readers_[ri];
      if (!std::any_of(r.streams.begin(), r.streams.end(),
                       [&](size_t i) { return wanted(states_[i]); })) {
        continue;
      }
      failed_ = ri;
      if (!r.conn->connected()) return r.conn->lost("not connected");
      if (r.in_flight) SLUICE_RETURN_IF_ERROR(await_reads(&r, false));
    }
    return Status::Ok();
  }

  // Sends `verb STREAM GROUP [consumer min-idle] ID... [tail]` for `ids` of
  // stream `i` in chunks of 2048 IDs.
  template <typename Ids>
  Status per_id_calls(size_t i, std::string_view verb, bool as_member, const Ids& ids,
                      bool claim_tail) {
    for (size_t k0 = 0; k0 < ids.size(); k0 += 2048) {
      const size_t n = std::min<size_t>(ids.size() - k0, 2048);
      std::string cmd;
      RespCommand c(cmd);
      c.begin(3 + (as_member ? 2 : 0) + n + (claim_tail ? 3 : 0))
          .arg(verb)
          .arg(states_[i].name)
          .arg(opts_.group);
      if (as_member) c.arg(consumer_name_).arg("0");
      for (size_t k = k0; k < k0 + n; ++k) c.arg(format_entry_id(seq_to_entry_id(ids[k])));
      if (claim_tail) c.arg("IDLE").arg(static_cast<int64_t>(kReleaseIdle.count())).arg("JUSTID");
      Result<ReplyPtr> r = call_on(i, cmd);
      if (!r.ok()) return r.status();
      if ((*r)->type == REDIS_REPLY_ERROR) return error_on(i, reply_str(r->get()));
    }
    return Status::Ok();
  }

  Status commit_once() {
    SLUICE_RETURN_IF_ERROR(settle_reads([](const StreamState& s) { return !s.to_ack.empty(); }));
    for (size_t i = 0; i < states_.size(); ++i) {
      failed_ = states_[i].reader;
      SLUICE_RETURN_IF_ERROR(per_id_calls(i, "XACK", false, states_[i].to_ack, false));
      states_[i].to_ack.clear();
    }
    return Status::Ok();
  }

  // On a clean exit, entries this member was given but the sink never took
  // would wait claim_idle_ms for another member. Marking them idle for a
  // year (XCLAIM to ourselves with IDLE) lets the next member's first
  // XAUTOCLAIM take them at once, so `tap --group g --count N` run again
  // continues in order; that member then deletes this one (claim()). A
  // member left with no pending entry deletes itself (XGROUP DELCONSUMER),
  // so runs from cron, each a new HOSTNAME-PID, do not pile up dead
  // members. Best effort: errors are ignored.
  void leave_group() {
    if (opts_.group.empty() || readers_.empty()) return;
    if (!settle_reads([](const StreamState&) { return true; }).ok()) return;
    for (auto& r : readers_) {
      // A reply that delivered entries still counts: release those too.
      if (r->stashed && r->stashed->type == REDIS_REPLY_ARRAY) {
        MessageBatch scratch;
        (void)take_read_reply(*r, std::move(r->stashed), scratch);
      }
    }
    for (size_t i = 0; i < states_.size(); ++i) {
      const StreamState& s = states_[i];
      std::vector<int64_t> ids(s.to_ack.begin(), s.to_ack.end());
      ids.insert(ids.end(), s.unacked.begin(), s.unacked.end());
      if (!ids.empty()) {
        if (!per_id_calls(i, "XCLAIM", true, ids, true).ok()) return;
        continue;
      }
      // Pending entries of an earlier run under this name (not re-read
      // yet) keep the member too: ask the server, not our own books.
      Result<ReplyPtr> r =
          call_on(i, {"XPENDING", s.name, opts_.group, "-", "+", "1", consumer_name_});
      if (!r.ok() || (*r)->type != REDIS_REPLY_ARRAY || (*r)->elements != 0) continue;
      (void)call_on(i, {"XGROUP", "DELCONSUMER", s.name, opts_.group, consumer_name_});
    }
  }

  // The members other than this one holding entries released at a clean
  // exit (idle for most of a year: see leave_group()) on stream `i`: they
  // have exited. Best effort: empty on any error.
  std::vector<std::string> released_members(size_t i) {
    std::vector<std::string> names;
    Result<ReplyPtr> r = call_on(i, {"XPENDING", states_[i].name, opts_.group, "IDLE",
                                     std::to_string(kReleasedIdle.count()), "-", "+", "256"});
    if (!r.ok() || (*r)->type != REDIS_REPLY_ARRAY) return names;
    for (size_t k = 0; k < (*r)->elements; ++k) {
      const redisReply* e = (*r)->element[k];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 2) continue;
      const std::string_view who = reply_str(e->element[1]);
      if (who != consumer_name_ && std::find(names.begin(), names.end(), who) == names.end()) {
        names.emplace_back(who);
      }
    }
    return names;
  }

  // Deletes member `name` of stream `i`'s group if it has no pending entry,
  // in one step on the server (a script), so an entry it is given between
  // the check and the deletion cannot lose its pending record. Best effort.
  void drop_if_empty(size_t i, const std::string& name) {
    static constexpr std::string_view kScript =
        "if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then "
        "return 0 end "
        "redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) return 1";
    (void)call_on(i, {"EVAL", kScript, "1", states_[i].name, opts_.group, name});
  }

  // Reconnects the Reader that failed (and any that lost its connection)
  // with backoff; a group member then re-reads its pending entries (what it
  // delivered but never acknowledged), a plain reader continues after the
  // last entry it delivered. Gives up when the failures last longer than
  // --timeout (a cluster that stays down).
  Status recover(const Status& why) {
    const auto now = Clock::now();
    if (!recovering_) {
      recovering_ = true;
      recover_since_ = now;
    } else if (now - recover_since_ > opts_.timeout) {
      return why;
    }
    std::this_thread::sleep_for(Millis(50));
    if (readers_.empty()) {  // a new layout failed half-way: start from the seeds
      auto seed = std::make_unique<Connection>(cfg_);
      Status st = seed->reconnect(opts_.timeout);
      if (!st.ok()) return st.is(StatusCode::kUnavailable) ? st.With(why.message()) : st;
      return lay_out(std::move(seed));
    }
    for (size_t ri = 0; ri < readers_.size(); ++ri) {
      Reader& r = *readers_[ri];
      if (ri != failed_ && r.conn->connected()) continue;
      r.conn->close();
      r.in_flight = false;
      r.stashed.reset();
      r.new_empty = false;
      Status st = r.conn->reconnect(opts_.timeout);
      if (!st.ok()) return st.is(StatusCode::kUnavailable) ? st.With(why.message()) : st;
      for (size_t i : r.streams) reset_group_reading(states_[i]);
    }
    return Status::Ok();
  }

  ConnConfig cfg_;  // as the URI says; Readers aim copies at cluster nodes
  ConsumerOptions opts_;
  std::string consumer_name_;
  Millis claim_idle_;
  std::vector<StreamState> states_;  // never resized after construction
  std::vector<std::unique_ptr<Reader>> readers_;
  std::unique_ptr<Connection> ask_conn_;  // to the node an -ASK named
  size_t layouts_ = 0;                    // bumped by every lay_out(): Reader references are stale
  size_t failed_ = 0;                     // the Reader the last error came from
  Status deferred_;                       // a failure to recover from at the next poll()
  int wake_r_ = -1;
  int wake_w_ = -1;
  std::vector<struct pollfd> pollfds_;  // await_reads() scratch, reused
  std::vector<Reader*> polled_;

  bool woken_ = false;
  bool recovering_ = false;
  Clock::time_point recover_since_;

  // What the current batch's views point into; cleared by the next poll().
  std::vector<ReplyPtr> held_;
  std::vector<Header> headers_;
  std::vector<std::pair<size_t, size_t>> spans_;
  std::deque<std::string> owned_;
};

std::string default_consumer_name() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "sluice");
  return std::string(host) + "-" + std::to_string(getpid());
}

}  // namespace

Result<std::unique_ptr<Consumer>> open_redis_consumer(const StreamUri& uri,
                                                      const ConsumerOptions& o) {
  Result<ConnConfig> cfg = redis::conn_config(uri, o.timeout);
  if (!cfg.ok()) return cfg.status();
  if (uri.streams.empty()) {
    return Status::InvalidArgument("redis uri '" + uri.redacted() +
                                   "' names no stream (redis://HOST/STREAM)");
  }
  // --session-timeout means the same here: how long a dead member's work
  // waits for the others. The URI's claim_idle_ms wins.
  Millis claim_idle = o.session_timeout > Millis(0) ? o.session_timeout : Millis(30000);
  if (const std::string* v = uri.param("claim_idle_ms")) {
    char* end = nullptr;
    const long long ms = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || ms < 0) {
      return Status::InvalidArgument("redis uri '" + uri.redacted() + "': claim_idle_ms='" + *v +
                                     "' is not a number of milliseconds");
    }
    claim_idle = Millis(ms);
  }
  std::string name = default_consumer_name();
  if (const std::string* v = uri.param("consumer")) name = *v;
  if (!o.consumer.empty()) name = o.consumer;
  auto c = std::make_unique<RedisConsumer>(std::move(*cfg), uri.streams, o, name, claim_idle);
  SLUICE_RETURN_IF_ERROR(c->open(uri.param("from_id")));
  return std::unique_ptr<Consumer>(std::move(c));
}

}  // namespace sluice
