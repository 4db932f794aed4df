// Redis consumer: opening, the Reader layout, control calls, group
// commits and clean exits, and recovery. See redis_consumer.h for the
// design; the reads are in redis_consumer_read.cpp.
#include "backends/redis_consumer.h"

#include <algorithm>
#include <thread>

namespace sluice {
namespace redis {

Status RedisConsumer::open(const std::string* from_id) {
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

Status RedisConsumer::poll(MessageBatch& batch, Millis timeout) {
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

void RedisConsumer::mark_taken(const Message& m) {
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

Status RedisConsumer::commit() {
  if (opts_.group.empty()) return Status::Ok();
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status st = commit_once();
    if (st.ok()) return st;
    if (!st.is(StatusCode::kUnavailable) && !st.is(StatusCode::kTryAgain)) return st;
    SLUICE_RETURN_IF_ERROR(recover(st));
  }
  return commit_once();
}

std::string RedisConsumer::names_of(const Reader& r) const {
  std::string n;
  for (size_t i : r.streams) {
    if (!n.empty()) n += ',';
    n += states_[i].name;
  }
  return n;
}

Status RedisConsumer::lay_out(std::unique_ptr<Connection> asker, const Redirect* moved) {
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
        return Status::Unavailable("no node of redis cluster '" + cfg_.endpoint + "' serves slot " +
                                   std::to_string(slot) + " of stream '" + states_[i].name +
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

void RedisConsumer::reset_group_reading(StreamState& s) {
  if (opts_.group.empty()) return;
  s.history = true;
  s.history_after = {};
  s.unacked.clear();
}

Result<ReplyPtr> RedisConsumer::call_on(size_t i, const std::string& cmd) {
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

Result<ReplyPtr> RedisConsumer::call_on(size_t i, std::initializer_list<std::string_view> args) {
  std::string cmd;
  RespCommand c(cmd);
  c.begin(args.size());
  for (std::string_view a : args) c.arg(a);
  return call_on(i, cmd);
}

Status RedisConsumer::relay_out(const Redirect& to) {
  for (auto& r : readers_) {
    if (r->in_flight) r->conn->close();
  }
  ConnConfig node = for_endpoint(cfg_, to.endpoint);
  auto asker = std::make_unique<Connection>(std::move(node));
  SLUICE_RETURN_IF_ERROR(asker->connect());
  return lay_out(std::move(asker), &to);
}

Status RedisConsumer::checked_call(size_t i, std::initializer_list<std::string_view> args,
                                   ReplyPtr* out) {
  Result<ReplyPtr> r = call_on(i, args);
  if (!r.ok()) return r.status();
  if ((*r)->type == REDIS_REPLY_ERROR) return error_on(i, reply_str(r->get()));
  *out = std::move(*r);
  return Status::Ok();
}

Status RedisConsumer::error_on(size_t i, std::string_view err) {
  const ConnConfig& cfg = readers_[states_[i].reader]->conn->config();
  SLUICE_RETURN_IF_ERROR(cluster_state_error(cfg, err));
  return reply_error(cfg, states_[i].name, err);
}

Status RedisConsumer::check_exists(size_t i) {
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

Status RedisConsumer::last_id(size_t i, EntryId* id) {
  ReplyPtr r;
  SLUICE_RETURN_IF_ERROR(
      checked_call(i, {"XREVRANGE", states_[i].name, "+", "-", "COUNT", "1"}, &r));
  *id = {};
  if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
      r->element[0]->elements > 0) {
    parse_entry_id(reply_str(r->element[0]->element[0]), id);
  }
  return Status::Ok();
}

Status RedisConsumer::nth_from_end(size_t i, int64_t n, EntryId* after) {
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

Status RedisConsumer::create_group(size_t i, const std::string& start) {
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

template <typename Pred>
Status RedisConsumer::settle_reads(Pred wanted) {
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

template <typename Ids>
Status RedisConsumer::per_id_calls(size_t i, std::string_view verb, bool as_member, const Ids& ids,
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

Status RedisConsumer::commit_once() {
  SLUICE_RETURN_IF_ERROR(settle_reads([](const StreamState& s) { return !s.to_ack.empty(); }));
  for (size_t i = 0; i < states_.size(); ++i) {
    failed_ = states_[i].reader;
    SLUICE_RETURN_IF_ERROR(per_id_calls(i, "XACK", false, states_[i].to_ack, false));
    states_[i].to_ack.clear();
  }
  return Status::Ok();
}

void RedisConsumer::leave_group() {
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

std::vector<std::string> RedisConsumer::released_members(size_t i) {
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

void RedisConsumer::drop_if_empty(size_t i, const std::string& name) {
  static constexpr std::string_view kScript =
      "if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then "
      "return 0 end "
      "redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) return 1";
  (void)call_on(i, {"EVAL", kScript, "1", states_[i].name, opts_.group, name});
}

Status RedisConsumer::recover(const Status& why) {
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

}  // namespace redis

namespace {

std::string default_consumer_name() {
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "sluice");
  return std::string(host) + "-" + std::to_string(getpid());
}

}  // namespace

Result<std::unique_ptr<Consumer>> open_redis_consumer(const StreamUri& uri,
                                                      const ConsumerOptions& o) {
  Result<redis::ConnConfig> cfg = redis::conn_config(uri, o.timeout);
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
  auto c =
      std::make_unique<redis::RedisConsumer>(std::move(*cfg), uri.streams, o, name, claim_idle);
  SLUICE_RETURN_IF_ERROR(c->open(uri.param("from_id")));
  return std::unique_ptr<Consumer>(std::move(c));
}

}  // namespace sluice
