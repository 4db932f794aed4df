// The relay-ws fan-out: topic rings, subscriptions with a read position
// each, --slow-client, and the switch between the ring and the backend log
// (relay_internal.h). Service thread only, except topic().
#include <algorithm>

#include "relay/ws/relay_internal.h"
#include "sluice/envelope.h"
#include "sluice/relay_protocol.h"

namespace sluice::relay {

Hub::Hub(const RelayOptions& opts, lws_context** ctx, Metrics& metrics)
    : opts_(opts), ctx_(ctx), metrics_(metrics) {}

Topic* Hub::topic(std::string_view name, const StreamUri* source) {
  std::lock_guard<std::mutex> lock(topics_mu_);
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second.get();
  auto t = std::make_unique<Topic>();
  t->name = std::string(name);
  t->source = source;
  Topic* raw = t.get();
  topics_.emplace(raw->name, std::move(t));
  return raw;
}

Topic* Hub::find(std::string_view name) {
  std::lock_guard<std::mutex> lock(topics_mu_);
  auto it = topics_.find(name);
  return it == topics_.end() ? nullptr : it->second.get();
}

void Hub::seed_positions(const StreamUri& uri) {
  auto admin = open_admin(uri);
  if (!admin.ok()) return;
  auto streams = (*admin)->describe(uri.streams);
  if (!streams.ok()) return;
  for (const StreamInfo& info : *streams) {
    Topic* t = find(info.name);
    if (!t || t->source != &uri) continue;
    for (const ShardInfo& sh : info.shards) {
      auto [it, fresh] = t->last_seq.try_emplace(sh.shard, sh.last_seq);
      if (!fresh) it->second = std::max(it->second, sh.last_seq);
    }
  }
}

std::vector<std::pair<std::string, size_t>> Hub::subscription_counts() {
  std::lock_guard<std::mutex> lock(topics_mu_);
  std::vector<std::pair<std::string, size_t>> out;
  for (auto& [name, t] : topics_) out.emplace_back(name, t->subs.size());
  return out;
}

void Hub::request_write(Client* c) {
  if (c->writable_requested) return;
  c->writable_requested = true;
  lws_callback_on_writable(c->wsi);
}

void Hub::send_control(Client* c, std::string frame) {
  c->control.push_back(make_control(frame));
  request_write(c);
}

void Hub::send_error(Client* c, std::string_view code, std::string_view message, int line,
                     int column) {
  std::string f;
  append_error_frame(code, message, f, line, column);
  send_control(c, std::move(f));
}

namespace {

// {"type":"dropped","count":N,"subscription":TOPIC}
std::string dropped_frame(uint64_t count, std::string_view topic) {
  std::string f = "{\"type\":\"dropped\",\"count\":" + std::to_string(count) + ",\"subscription\":";
  append_json_string(topic, f);
  f.push_back('}');
  return f;
}

}  // namespace

void Hub::notice_dropped(Subscription* s, uint64_t lost) {
  if (s->client->sse) {
    send_sse(s->client, "notice", dropped_frame(lost, s->topic->name));
  } else if (s->gql) {
    send_control(s->client, graphql_next_error(s->op_id, "dropped",
                                               std::to_string(lost) + " messages dropped"));
  } else {
    send_control(s->client, dropped_frame(lost, s->topic->name));
  }
}

void Hub::notice_error(Subscription* s, std::string_view code, const std::string& message) {
  if (s->client->sse) {
    // An SSE stream ends after its error event.
    std::string f;
    append_error_frame(code, message, f);
    send_sse(s->client, "error", f);
    s->client->close_code = kClosePolicy;
  } else if (s->gql) {
    send_control(s->client, graphql_next_error(s->op_id, code, message));
  } else {
    send_error(s->client, code, message);
  }
}

void Hub::append(Topic* t, EntryPtr e) {
  ++metrics_.messages_in;
  auto [it, fresh] = t->last_seq.try_emplace(e->shard, e->seq);
  if (!fresh) it->second = std::max(it->second, e->seq);
  t->ring.push_back(std::move(e));
  while (t->ring.size() > opts_.history) {
    const Entry& old = *t->ring.front();
    auto [ev, first] = t->evicted_max.try_emplace(old.shard, old.seq);
    if (!first) ev->second = std::max(ev->second, old.seq);
    t->ring.pop_front();
    ++t->base;
  }
  for (Subscription* s : t->subs) {
    if (s->catchup) continue;
    if (s->next < t->base) {
      // Only the ring holds this topic (stdin): what left it is lost.
      const uint64_t lost = t->base - s->next;
      s->next = t->base;
      metrics_.dropped += lost;
      notice_dropped(s, lost);
      continue;
    }
    if (t->head() - s->next > opts_.client_queue) {
      fell_behind(s);
    } else if (preframed) {
      Client* c = s->client;
      if (!c->ready && !c->writable_requested) mark_ready(c);
    } else {
      request_write(s->client);
    }
  }
}

void Hub::fell_behind(Subscription* s) {
  Topic* t = s->topic;
  Client* c = s->client;
  if (c->close_code) return;
  switch (opts_.slow) {
    case SlowClient::kClose:
      ++metrics_.slow_closes;
      c->close_code = kClosePolicy;
      c->close_reason = "slow client: more than " + std::to_string(opts_.client_queue) +
                        " messages behind on '" + t->name + "'";
      if (c->sse) {
        std::string f;
        append_error_frame("slow_client", c->close_reason, f);
        send_sse(c, "error", f);
      }
      request_write(c);
      return;
    case SlowClient::kDropOldest: {
      const uint64_t keep = opts_.client_queue / 2;
      const uint64_t lost = t->head() - s->next - keep;
      s->next = t->head() - keep;
      metrics_.dropped += lost;
      notice_dropped(s, lost);
      return;
    }
    case SlowClient::kCatchUp: {
      if (!t->source) {
        request_write(c);  // the ring is the log: read on at the client's pace
        return;
      }
      // Resume each shard at its first message not yet delivered.
      for (uint64_t i = s->next; i < t->head(); ++i) {
        const Entry& e = *t->ring[i - t->base];
        if (!s->want.count(e.shard)) s->want[e.shard] = std::max(e.seq, s->want_default);
      }
      for (auto& [shard, last] : t->last_seq) {
        if (!s->want.count(shard)) s->want[shard] = std::max(last + 1, s->want_default);
      }
      int64_t low = INT64_MAX;
      for (auto& [shard, seq] : s->want) low = std::min(low, seq);
      StartPosition from;
      from.kind = StartPosition::Kind::kSeq;
      from.value = low == INT64_MAX ? 0 : low;
      if (Status st = start_catchup(s, from); !st.ok()) {
        notice_error(s, "catch_up", st.message());
        s->next = t->head();
      }
      ++metrics_.catch_ups;
      request_write(c);
      return;
    }
  }
}

Status Hub::start_catchup(Subscription* s, const StartPosition& from) {
  auto cu = std::make_unique<CatchUp>(*ctx_, s->topic->name, opts_.client_queue);
  SLUICE_RETURN_IF_ERROR(cu->start(*s->topic->source, from, opts_.timeout));
  s->catchup = std::move(cu);
  catching_up_.push_back(s);
  return Status::Ok();
}

void Hub::try_go_live(Subscription* s) {
  Topic* t = s->topic;
  for (auto& [shard, evicted] : t->evicted_max) {
    auto it = s->want.find(shard);
    if ((it == s->want.end() ? s->want_default : it->second) <= evicted) return;
  }
  uint64_t i = t->base;
  while (i < t->head() && !s->wants(*t->ring[i - t->base])) ++i;
  if (t->head() - i > opts_.client_queue) return;  // still far behind: read on
  s->next = i;
  s->catchup.reset();
  catching_up_.erase(std::remove(catching_up_.begin(), catching_up_.end(), s), catching_up_.end());
}

void Hub::poll_catchups() {
  for (size_t i = 0; i < catching_up_.size(); ++i) {
    Subscription* s = catching_up_[i];
    if (Status st = s->catchup->error(); !st.ok()) {
      notice_error(s, "source", "reading '" + s->topic->name + "': " + st.message());
      s->catchup.reset();
      s->next = s->topic->head();
      catching_up_.erase(catching_up_.begin() + static_cast<std::ptrdiff_t>(i));
      --i;
      continue;
    }
    request_write(s->client);
  }
}

bool Hub::matches(Subscription* s, const Entry& e) {
  if (!s->where) return true;
  filter::EventMeta meta;
  if (e.key) meta.key = *e.key;
  meta.stream = s->topic->name;
  meta.shard = e.shard;
  meta.seq = e.seq;
  meta.ts_us = e.ts_us;
  auto r = eval_.matches(*s->where, e.value(), meta);
  return r.ok() && *r;
}

// Up to this many entries are looked at per pick (filtered or already
// delivered ones are passed over); then the client's turn ends.
constexpr int kPickBudget = 4096;

bool Hub::pick(Subscription* s, EntryPtr* out) {
  int budget = kPickBudget;
  // 1: `e` goes out; 0: look further; -1: stop (budget spent: the client
  // gets another writable turn for the rest).
  auto offer = [&](const EntryPtr& e) {
    if (s->wants(*e) && matches(s, *e)) {
      s->want[e->shard] = e->seq + 1;
      *out = e;
      return 1;
    }
    if (--budget > 0) return 0;
    request_write(s->client);
    return -1;
  };
  while (s->catchup) {
    EntryPtr e = s->catchup->pop();
    if (!e) {
      if (!s->catchup->at_end()) return false;
      try_go_live(s);
      if (s->catchup) return false;
      break;
    }
    if (const int r = offer(e); r != 0) return r > 0;
  }
  Topic* t = s->topic;
  while (s->next < t->head()) {
    const EntryPtr& e = t->ring[s->next - t->base];
    ++s->next;
    if (const int r = offer(e); r != 0) return r > 0;
  }
  return false;
}

bool Hub::next_frame(Client* c, std::string* control, EntryPtr* data, Subscription** via) {
  if (!c->control.empty()) {
    *control = std::move(c->control.front());
    c->control.pop_front();
    return true;
  }
  const size_t n = c->subs.size();
  for (size_t k = 0; k < n; ++k) {
    Subscription* s = c->subs[(c->rr + k) % n].get();
    if (pick(s, data)) {
      if (via) *via = s;
      c->rr = (c->rr + k + 1) % n;
      return true;
    }
  }
  return false;
}

}  // namespace sluice::relay
