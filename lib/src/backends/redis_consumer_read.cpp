// Redis consumer: XREAD / XREADGROUP and XAUTOCLAIM replies into message
// batches. See redis_consumer.h for the design.
#include <algorithm>

#include "backends/redis_consumer.h"
#include "sluice/envelope.h"

namespace sluice::redis {

bool RedisConsumer::any_history(const Reader& r) const {
  return std::any_of(r.streams.begin(), r.streams.end(),
                     [&](size_t i) { return states_[i].history; });
}

bool RedisConsumer::build_read(Reader& r, Millis timeout) {
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

Status RedisConsumer::send_read(Reader& r) {
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

Status RedisConsumer::await_reads(Reader* only, bool wakeable) {
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

Status RedisConsumer::poll_once(MessageBatch& batch, Millis timeout) {
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
  if (!group &&
      std::all_of(states_.begin(), states_.end(), [](const StreamState& s) { return s.drained; })) {
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

Status RedisConsumer::take_read_reply(Reader& r, ReplyPtr reply, MessageBatch& batch) {
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

void RedisConsumer::add_entries(StreamState& s, const redisReply* entries, MessageBatch& batch,
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
    m.id = reply_str(e->element[0]);  // lives in the reply, kept in held_
    m.ts_us = static_cast<int64_t>(id.ms) * 1000;
    decode_fields(fields, m);
    batch.messages.push_back(m);
  }
}

void RedisConsumer::decode_fields(const redisReply* f, Message& m) {
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

void RedisConsumer::finish_batch(MessageBatch& batch) {
  if (spans_.size() != batch.size()) return;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (spans_[i].second) {
      batch.messages[i].headers =
          std::span<const Header>(headers_.data() + spans_[i].first, spans_[i].second);
    }
  }
}

Status RedisConsumer::claim(size_t ri, MessageBatch& batch) {
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

}  // namespace sluice::redis
