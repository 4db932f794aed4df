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
// covered.
#include <fcntl.h>
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

class RedisConsumer final : public Consumer {
 public:
  RedisConsumer(ConnConfig cfg, const std::vector<std::string>& streams,
                ConsumerOptions opts, std::string consumer_name, Millis claim_idle)
      : conn_(std::move(cfg)), opts_(std::move(opts)),
        consumer_name_(std::move(consumer_name)), claim_idle_(claim_idle) {
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
    release_unacked();
    if (wake_r_ >= 0) ::close(wake_r_);
    if (wake_w_ >= 0) ::close(wake_w_);
  }

  Status open(const std::string* from_id) {
    SLUICE_RETURN_IF_ERROR(conn_.connect());
    EntryId explicit_after;
    bool have_explicit = false;
    if (from_id) {
      EntryId id;
      if (!parse_entry_id(*from_id, &id)) {
        return Status::InvalidArgument("from_id='" + *from_id +
                                       "' is not a redis entry id (MS-N)");
      }
      explicit_after = pred(id);
      have_explicit = true;
    }
    for (StreamState& s : states_) {
      EntryId after;
      bool at_end = false;
      if (have_explicit) {
        after = explicit_after;
      } else if (!start_after_id(opts_.from, &after)) {
        if (opts_.from.kind == StartPosition::Kind::kEnd) {
          at_end = true;
          SLUICE_RETURN_IF_ERROR(last_id(s.name, &after));
        } else {
          SLUICE_RETURN_IF_ERROR(nth_from_end(s.name, opts_.from.value, &after));
        }
      }
      s.last = after;
      if (!opts_.group.empty()) {
        SLUICE_RETURN_IF_ERROR(create_group(s.name, at_end ? "$" : format_entry_id(after)));
        s.history = true;
      }
      if (opts_.exit_at_end && opts_.group.empty()) {
        SLUICE_RETURN_IF_ERROR(last_id(s.name, &s.end));
        s.drained = s.last >= s.end;
      }
    }
    next_claim_ = Clock::now();
    return Status::Ok();
  }

  Status poll(MessageBatch& batch, Millis timeout) override {
    batch.clear();
    held_.clear();
    headers_.clear();
    spans_.clear();
    owned_.clear();
    const auto deadline = Clock::now() + timeout;
    for (int round = 0;; ++round) {
      Status st = poll_once(batch, timeout);
      if (st.is(StatusCode::kUnavailable) || st.is(StatusCode::kTryAgain)) {
        batch.clear();
        SLUICE_RETURN_IF_ERROR(recover(st));
        continue;
      }
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
      if (!st.is(StatusCode::kUnavailable)) return st;
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
    EntryId last;            // plain: last delivered; group: start position
    EntryId end;             // plain + exit_at_end: last entry at open
    bool drained = false;    // plain + exit_at_end: reached `end`
    bool history = false;    // group: still re-reading own pending entries
    EntryId history_after;   // group: pending-read cursor
    std::deque<int64_t> unacked;  // group: delivered, not yet marked taken
    std::vector<int64_t> to_ack;  // group: marked, not yet XACKed
  };

  StreamState* find(std::string_view name) {
    for (StreamState& s : states_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  std::string all_names() const {
    std::string n;
    for (const StreamState& s : states_) {
      if (!n.empty()) n += ',';
      n += s.name;
    }
    return n;
  }

  // ---------------------------------------------------------- setup calls

  Status checked_call(std::initializer_list<std::string_view> args,
                      std::string_view key, ReplyPtr* out) {
    Result<ReplyPtr> r = conn_.call(args);
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      return reply_error(conn_.config(), key, reply_str(r->get()));
    }
    *out = std::move(*r);
    return Status::Ok();
  }

  // ID of the newest entry, "0-0" when the stream is empty or missing.
  Status last_id(const std::string& stream, EntryId* id) {
    ReplyPtr r;
    SLUICE_RETURN_IF_ERROR(checked_call({"XREVRANGE", stream, "+", "-", "COUNT", "1"}, stream, &r));
    *id = {};
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
        r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements > 0) {
      parse_entry_id(reply_str(r->element[0]->element[0]), id);
    }
    return Status::Ok();
  }

  // The ID to read after so that the last `n` entries are delivered.
  Status nth_from_end(const std::string& stream, int64_t n, EntryId* after) {
    *after = {};
    if (n <= 0) return last_id(stream, after);
    ReplyPtr r;
    SLUICE_RETURN_IF_ERROR(checked_call(
        {"XREVRANGE", stream, "+", "-", "COUNT", std::to_string(n)}, stream, &r));
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

  Status create_group(const std::string& stream, const std::string& start) {
    Result<ReplyPtr> r = conn_.call({"XGROUP", "CREATE", stream, opts_.group, start, "MKSTREAM"});
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      const std::string_view err = reply_str(r->get());
      if (err.rfind("BUSYGROUP", 0) == 0) return Status::Ok();
      return reply_error(conn_.config(), stream, err);
    }
    return Status::Ok();
  }

  // ---------------------------------------------------------- reading

  bool any_history() const {
    return std::any_of(states_.begin(), states_.end(),
                       [](const StreamState& s) { return s.history; });
  }

  // Encodes the next XREAD/XREADGROUP into cmd_; false when there is
  // nothing to read (plain --exit and every stream drained).
  bool build_read(Millis timeout) {
    cmd_.clear();
    RespCommand c(cmd_);
    const bool group = !opts_.group.empty();
    size_t n = 0;
    for (const StreamState& s : states_) n += group || !s.drained;
    if (n == 0) return false;
    const bool block = !opts_.exit_at_end && timeout.count() > 0 && !(group && any_history());
    c.begin((group ? 4 : 1) + 2 + (block ? 2 : 0) + 1 + 2 * n);
    if (group) {
      c.arg("XREADGROUP").arg("GROUP").arg(opts_.group).arg(consumer_name_);
    } else {
      c.arg("XREAD");
    }
    c.arg("COUNT").arg(static_cast<int64_t>(std::max<size_t>(1, opts_.max_batch)));
    if (block) c.arg("BLOCK").arg(static_cast<int64_t>(std::min(timeout, kMaxBlock).count()));
    c.arg("STREAMS");
    for (const StreamState& s : states_) {
      if (group || !s.drained) c.arg(s.name);
    }
    for (const StreamState& s : states_) {
      if (group) {
        c.arg(s.history ? format_entry_id(s.history_after) : ">");
      } else if (!s.drained) {
        c.arg(format_entry_id(s.last));
      }
    }
    read_blocks_ = block;
    read_is_new_ = group && !any_history();
    return true;
  }

  Status send_read() {
    size_t off = 0;
    const auto deadline = Clock::now() + conn_.config().timeout;
    while (off < cmd_.size()) {
      Result<size_t> w = conn_.write_some(cmd_.data() + off, cmd_.size() - off);
      if (!w.ok()) return w.status();
      off += *w;
      if (off < cmd_.size()) {
        if (Clock::now() >= deadline) return conn_.lost("write timed out");
        SLUICE_RETURN_IF_ERROR(conn_.wait_and_read(Millis(100), true));
      }
    }
    read_in_flight_ = true;
    read_sent_at_ = Clock::now();
    return Status::Ok();
  }

  // Waits for the in-flight read's reply. Returns ok with *reply null when
  // woken first (the read stays in flight).
  Status await_read(ReplyPtr* reply, bool wakeable) {
    const Millis limit = (read_blocks_ ? kMaxBlock : Millis(0)) + conn_.config().timeout;
    for (;;) {
      Result<ReplyPtr> r = conn_.next_reply();
      if (!r.ok()) return r.status();
      if (*r) {
        read_in_flight_ = false;
        *reply = std::move(*r);
        return Status::Ok();
      }
      const auto waited = std::chrono::duration_cast<Millis>(Clock::now() - read_sent_at_);
      if (waited >= limit) {
        conn_.close();
        return conn_.lost("no reply within " + std::to_string(limit.count()) + " ms");
      }
      bool woken = false;
      SLUICE_RETURN_IF_ERROR(conn_.wait_and_read(std::min(limit - waited, Millis(1000)), false,
                                                 wakeable ? wake_r_ : -1, &woken));
      if (woken) {
        woken_ = true;
        return Status::Ok();
      }
    }
  }

  Status poll_once(MessageBatch& batch, Millis timeout) {
    if (!conn_.connected()) return conn_.lost("not connected");
    const bool group = !opts_.group.empty();
    if (group && !read_in_flight_ && !stashed_ && !any_history() && Clock::now() >= next_claim_) {
      SLUICE_RETURN_IF_ERROR(claim(batch));
      next_claim_ = Clock::now() + std::max(Millis(50), claim_idle_ / 2);
      if (!batch.empty()) return Status::Ok();
    }
    ReplyPtr reply;
    if (stashed_) {
      reply = std::move(stashed_);
    } else {
      if (!read_in_flight_) {
        if (!build_read(timeout)) return Status::EndOfStream();
        SLUICE_RETURN_IF_ERROR(send_read());
      }
      SLUICE_RETURN_IF_ERROR(await_read(&reply, true));
      if (!reply) return Status::Ok();  // woken
    }
    const size_t had = batch.size();
    const bool reply_was_new = read_is_new_;
    SLUICE_RETURN_IF_ERROR(take_read_reply(std::move(reply), batch));
    const bool got = batch.size() > had;
    if (!group && opts_.exit_at_end &&
        std::all_of(states_.begin(), states_.end(), [](const StreamState& s) { return s.drained; }) &&
        !got) {
      return Status::EndOfStream();
    }
    // Drained only when a read of new entries ('>') came back empty.
    if (group && opts_.exit_at_end && !got && reply_was_new) return Status::EndOfStream();
    // Overlap the server's next read with the sink's work on this batch.
    if (!group && got && build_read(timeout)) SLUICE_RETURN_IF_ERROR(send_read());
    return Status::Ok();
  }

  Status take_read_reply(ReplyPtr reply, MessageBatch& batch) {
    const bool group = !opts_.group.empty();
    if (reply->type == REDIS_REPLY_ERROR) {
      const std::string_view err = reply_str(reply.get());
      if (err.rfind("NOGROUP", 0) == 0 && group) {
        // The server lost the group (restart without persistence): re-create.
        for (StreamState& s : states_) {
          SLUICE_RETURN_IF_ERROR(create_group(s.name, format_entry_id(s.last)));
        }
        return Status::Ok();
      }
      if (err.rfind("LOADING", 0) == 0) return Status::TryAgain(std::string(err));
      return reply_error(conn_.config(), all_names(), err);
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
    for (size_t i = 0; i < states_.size(); ++i) {
      StreamState& s = states_[i];
      if (!group && opts_.exit_at_end && !seen[i]) s.drained = true;  // nothing after `last`
      if (group && s.history && !seen[i]) s.history = false;
    }
    held_.push_back(std::move(reply));
    return Status::Ok();
  }

  // Appends the entries of one stream (an array of [id, [f, v, ...]]).
  void add_entries(StreamState& s, const redisReply* entries, MessageBatch& batch,
                   bool history) {
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

  // Takes over entries other members left idle (XAUTOCLAIM, Redis 6.2+).
  Status claim(MessageBatch& batch) {
    const std::string idle = std::to_string(claim_idle_.count());
    const std::string count = std::to_string(std::max<size_t>(1, opts_.max_batch));
    for (StreamState& s : states_) {
      std::string cursor = "0-0";
      do {
        Result<ReplyPtr> r = conn_.call(
            {"XAUTOCLAIM", s.name, opts_.group, consumer_name_, idle, cursor, "COUNT", count});
        if (!r.ok()) return r.status();
        ReplyPtr reply = std::move(*r);
        if (reply->type == REDIS_REPLY_ERROR) {
          const std::string_view err = reply_str(reply.get());
          if (err.rfind("NOGROUP", 0) == 0) {
            SLUICE_RETURN_IF_ERROR(create_group(s.name, format_entry_id(s.last)));
            break;
          }
          return reply_error(conn_.config(), s.name, err);
        }
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 2) break;
        cursor = std::string(reply_str(reply->element[0]));
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
    }
    return Status::Ok();
  }

  Status commit_once() {
    if (!conn_.connected()) return conn_.lost("not connected");
    if (read_in_flight_) {
      // Keep reply order: the read's answer comes first; keep it for poll().
      ReplyPtr r;
      SLUICE_RETURN_IF_ERROR(await_read(&r, false));
      stashed_ = std::move(r);
    }
    for (StreamState& s : states_) {
      size_t i = 0;
      while (i < s.to_ack.size()) {
        const size_t n = std::min<size_t>(s.to_ack.size() - i, 2048);
        std::string cmd;
        RespCommand c(cmd);
        c.begin(3 + n).arg("XACK").arg(s.name).arg(opts_.group);
        for (size_t k = i; k < i + n; ++k) c.arg(format_entry_id(seq_to_entry_id(s.to_ack[k])));
        Result<ReplyPtr> r = conn_.call(cmd);
        if (!r.ok()) return r.status();
        if ((*r)->type == REDIS_REPLY_ERROR) {
          return reply_error(conn_.config(), s.name, reply_str(r->get()));
        }
        i += n;
      }
      s.to_ack.clear();
    }
    return Status::Ok();
  }

  // On a clean exit, entries this member was given but the sink never took
  // would wait claim_idle_ms for another member. Marking them idle for a
  // year (XCLAIM to ourselves with IDLE) lets the next member's first
  // XAUTOCLAIM take them at once, so `tap --group g --count N` run again
  // continues in order. Best effort: errors are ignored.
  void release_unacked() {
    if (opts_.group.empty() || !conn_.connected()) return;
    if (stashed_) {
      MessageBatch scratch;
      (void)take_read_reply(std::move(stashed_), scratch);
    }
    if (read_in_flight_) {
      ReplyPtr r;
      if (!await_read(&r, false).ok()) return;
      // A reply that delivered entries still counts: release those too.
      if (r && r->type == REDIS_REPLY_ARRAY) {
        MessageBatch scratch;
        (void)take_read_reply(std::move(r), scratch);
      }
    }
    for (StreamState& s : states_) {
      std::vector<int64_t> ids(s.to_ack.begin(), s.to_ack.end());
      ids.insert(ids.end(), s.unacked.begin(), s.unacked.end());
      for (size_t i = 0; i < ids.size(); i += 2048) {
        const size_t n = std::min<size_t>(ids.size() - i, 2048);
        std::string cmd;
        RespCommand c(cmd);
        c.begin(5 + n + 3).arg("XCLAIM").arg(s.name).arg(opts_.group).arg(consumer_name_).arg("0");
        for (size_t k = i; k < i + n; ++k) c.arg(format_entry_id(seq_to_entry_id(ids[k])));
        c.arg("IDLE").arg(int64_t{365} * 86400 * 1000).arg("JUSTID");
        if (!conn_.call(cmd).ok()) return;
      }
    }
  }

  // Reconnects with backoff; a group member then re-reads its pending
  // entries (what it delivered but never acknowledged), a plain reader
  // continues after the last entry it delivered.
  Status recover(const Status& why) {
    conn_.close();
    read_in_flight_ = false;
    stashed_.reset();
    std::this_thread::sleep_for(Millis(50));
    Status st = conn_.reconnect(opts_.timeout);
    if (!st.ok()) return st.is(StatusCode::kUnavailable) ? st.With(why.message()) : st;
    for (StreamState& s : states_) {
      if (!opts_.group.empty()) {
        s.history = true;
        s.history_after = {};
        s.unacked.clear();
      }
    }
    return Status::Ok();
  }

  Connection conn_;
  ConsumerOptions opts_;
  std::string consumer_name_;
  Millis claim_idle_;
  std::vector<StreamState> states_;  // never resized after construction
  int wake_r_ = -1;
  int wake_w_ = -1;

  std::string cmd_;
  bool read_in_flight_ = false;
  bool read_blocks_ = false;
  bool read_is_new_ = false;  // group: the read in flight asks for '>' only
  bool woken_ = false;
  Clock::time_point read_sent_at_;
  ReplyPtr stashed_;
  Clock::time_point next_claim_;

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
  Millis claim_idle{30000};
  if (const std::string* v = uri.param("claim_idle_ms")) {
    char* end = nullptr;
    const long long ms = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || ms < 0) {
      return Status::InvalidArgument("redis uri '" + uri.redacted() + "': claim_idle_ms='" +
                                     *v + "' is not a number of milliseconds");
    }
    claim_idle = Millis(ms);
  }
  std::string name = default_consumer_name();
  if (const std::string* v = uri.param("consumer")) name = *v;
  auto c = std::make_unique<RedisConsumer>(std::move(*cfg), uri.streams, o, name, claim_idle);
  SLUICE_RETURN_IF_ERROR(c->open(uri.param("from_id")));
  return std::unique_ptr<Consumer>(std::move(c));
}

}  // namespace sluice
