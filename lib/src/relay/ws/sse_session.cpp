// relay-ws's Server-Sent Events streams (GET /sse): the query becomes
// ordinary relay subscriptions (Hub::attach), so filters, catch-up, resume
// and --slow-client are the relay's own; only the framing differs. Each
// data frame goes out as `id: TOPIC/SHARD/SEQ` and `data: FRAME`; errors
// are `event: error` and end the stream. Service thread.
#include <algorithm>
#include <map>

#include "relay/ws/relay_internal.h"
#include "sluice/envelope.h"
#include "sluice/relay_protocol.h"
#include "sluice/relay_sse.h"

namespace sluice::relay {

namespace {

// As session.cpp's write path: bytes per write, writes per wake-up.
constexpr size_t kSseBatchBytes = 16384;
constexpr int kSseWritesPerWakeup = 4;

}  // namespace

void Hub::send_sse(Client* c, std::string_view event, std::string_view data) {
  std::string out(LWS_PRE, '\0');
  if (!event.empty()) out.append("event: ").append(event).push_back('\n');
  append_sse_data(data, out);
  out.push_back('\n');
  c->control.push_back(std::move(out));
  request_write(c);
}

void Hub::open_sse(Client* c, const SseRequest& sreq) {
  auto fail = [&](std::string_view code, std::string_view message, int line = 0, int column = 0) {
    std::string f;
    append_error_frame(code, message, f, line, column);
    send_sse(c, "error", f);
    c->close_code = kClosePolicy;
  };
  const std::string text = sse_subscribe_message(sreq.topics, sreq.from);
  auto req = is_valid_utf8(text) ? parse_client_message(text, now_us())
                                 : Result<ClientRequest>(Status::InvalidArgument("not UTF-8"));
  if (!req.ok()) return fail("bad_request", req.status().message());
  if (req->topics.empty()) return fail("bad_request", "query 'topics': expected topics=a,b");
  // Per topic, the next seq of each shard the Last-Event-ID names.
  std::map<std::string, std::vector<std::pair<int32_t, int64_t>>, std::less<>> resume;
  if (!sreq.last_event_id.empty()) {
    auto ids = parse_last_event_id(sreq.last_event_id);
    if (!ids.ok()) return fail("bad_last_event_id", ids.status().message());
    for (const SsePosition& p : *ids) {
      if (std::find(req->topics.begin(), req->topics.end(), p.topic) == req->topics.end()) {
        return fail("bad_last_event_id",
                    "Last-Event-ID: topic '" + p.topic.substr(0, 64) + "' is not in topics=");
      }
      resume[p.topic].emplace_back(p.shard, p.seq + 1);
    }
  }
  std::vector<Topic*> topics;
  for (const std::string& name : req->topics) {
    if (c->allowed &&
        std::find(c->allowed->begin(), c->allowed->end(), name) == c->allowed->end()) {
      ++metrics_.auth_failures;
      return fail("forbidden", "topic '" + name.substr(0, 64) + "' not permitted by the token");
    }
    Topic* t = find(name);
    if (!t) return fail("unknown_topic", "no topic '" + name + "' on this relay");
    topics.push_back(t);
  }
  if (sreq.where) {
    auto f = filter::Filter::Compile(*sreq.where);
    if (!f.ok()) {
      int line = 0, column = 0;
      std::string_view rest;
      split_position(f.status().message(), &line, &column, &rest);
      return fail("bad_where", "where: " + f.status().message(), line, column);
    }
  }
  for (Topic* t : topics) {
    auto named = resume.find(t->name);
    std::optional<filter::Filter> w;  // one per subscription, as on WebSocket
    if (sreq.where) {
      auto f = filter::Filter::Compile(*sreq.where);
      if (f.ok()) w.emplace(std::move(*f));
    }
    if (Status st = attach(c, t, req->from, std::move(w), nullptr,
                           named == resume.end() ? nullptr : &named->second);
        !st.ok()) {
      return fail("source", "reading '" + t->name + "': " + st.message());
    }
  }
  // Where the stream starts, as an id without data: a client that goes
  // before its first event resumes from here (EventSource keeps an id
  // even when no event fires). Only the positions known now (from=end
  // resolved, a per-shard from, the Last-Event-ID); the others resume
  // from `from` again, which is where they start now.
  std::string block(LWS_PRE, '\0');
  block.append("id: ");
  if (append_sse_positions(c, nullptr, nullptr, block)) {
    block.append("\n\n");
    c->control.push_back(std::move(block));
  }
  request_write(c);
}

bool Hub::append_sse_positions(Client* c, const Subscription* via, const Entry* e,
                               std::string& out) {
  bool any = false;
  if (via) {
    append_sse_position(via->topic->name, e->shard, e->seq, out);
    any = true;
  }
  for (const auto& s : c->subs) {
    if (s->want.empty() || (s.get() == via && s->want.size() == 1)) continue;
    sse_shards_.assign(s->want.begin(), s->want.end());
    std::sort(sse_shards_.begin(), sse_shards_.end());
    for (auto [shard, next] : sse_shards_) {
      if (s.get() == via && shard == e->shard) continue;
      if (any) out.push_back(';');
      append_sse_position(s->topic->name, shard, next - 1, out);
      any = true;
    }
  }
  return any;
}

int Hub::sse_write_batches(lws* wsi, Client* c, bool* more) {
  std::string control;
  EntryPtr data;
  Subscription* via = nullptr;
  *more = true;
  for (int i = 0; i < kSseWritesPerWakeup && *more; ++i) {
    wbuf_.assign(LWS_PRE, '\0');
    if (c->sse_keepalive) {
      wbuf_.append(": keep-alive\n\n");
      c->sse_keepalive = false;
    }
    uint64_t frames = 0, bytes = 0;
    while (wbuf_.size() - LWS_PRE < kSseBatchBytes) {
      // Closing: only what is queued (the error event) goes out.
      if (!next_due(c, &control, &data, &via)) {
        *more = false;
        break;
      }
      if (data) {
        const size_t before = wbuf_.size();
        wbuf_.append("id: ");
        append_sse_positions(c, via, data.get(), wbuf_);
        wbuf_.push_back('\n');
        if (data->sse_data.empty()) {
          // Once per entry, for every SSE client that takes it.
          append_sse_data(std::string_view(data->buf).substr(LWS_PRE), data->sse_data);
          data->sse_data.push_back('\n');
        }
        wbuf_.append(data->sse_data);
        ++frames;
        bytes += wbuf_.size() - before;
        data.reset();
      } else {
        wbuf_.append(std::string_view(control).substr(LWS_PRE));
      }
    }
    const size_t n = wbuf_.size() - LWS_PRE;
    if (n) {
      auto* p = reinterpret_cast<unsigned char*>(wbuf_.data()) + LWS_PRE;
      if (lws_write(wsi, p, n, LWS_WRITE_HTTP) < static_cast<int>(n)) return -1;
      metrics_.frames_out += frames;
      metrics_.bytes_out += bytes;
    }
    // lws kept part of the write: the writable callback sends it first.
    if (lws_partial_buffered(wsi)) break;
  }
  // Closing and all sent: hang up (after what lws kept of the last write).
  if (!*more && c->close_code && !lws_partial_buffered(wsi)) return -1;
  if (!*more && c->close_code) *more = true;
  return 0;
}

int Hub::on_sse_writeable(lws* wsi, Client* c) {
  c->writable_requested = false;
  bool more = false;
  if (sse_write_batches(wsi, c, &more) < 0) return -1;
  if (more) request_write(c);
  return 0;
}

}  // namespace sluice::relay
