// relay-ws's Server-Sent Events streams (GET /sse): the query becomes
// ordinary relay subscriptions (Hub::attach), so filters, catch-up, resume
// and --slow-client are the relay's own; only the framing differs. Each
// data frame goes out as `id: TOPIC/SHARD/SEQ` and `data: FRAME`; errors
// are `event: error` and end the stream. Service thread.
#include <algorithm>

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
  std::string resume_topic;
  int32_t resume_shard = 0;
  int64_t resume_seq = 0;
  if (!sreq.last_event_id.empty()) {
    if (!parse_last_event_id(sreq.last_event_id, &resume_topic, &resume_shard, &resume_seq)) {
      return fail("bad_last_event_id", "Last-Event-ID: expected TOPIC/SHARD/SEQ");
    }
    if (std::find(req->topics.begin(), req->topics.end(), resume_topic) == req->topics.end()) {
      return fail("bad_last_event_id",
                  "Last-Event-ID: topic '" + resume_topic.substr(0, 64) + "' is not in topics=");
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
    From from = req->from;
    if (t->name == resume_topic) {
      // Exactly after the event on its shard; the topic's other shards
      // from the same seq (see the man page).
      from.kind = From::Kind::kShards;
      from.shards = {{resume_shard, resume_seq + 1}};
    }
    std::optional<filter::Filter> w;  // one per subscription, as on WebSocket
    if (sreq.where) {
      auto f = filter::Filter::Compile(*sreq.where);
      if (f.ok()) w.emplace(std::move(*f));
    }
    if (Status st = attach(c, t, from, std::move(w)); !st.ok()) {
      return fail("source", "reading '" + t->name + "': " + st.message());
    }
  }
  request_write(c);
}

int Hub::on_sse_writeable(lws* wsi, Client* c) {
  c->writable_requested = false;
  std::string control;
  EntryPtr data;
  Subscription* via = nullptr;
  for (int i = 0; i < kSseWritesPerWakeup; ++i) {
    wbuf_.assign(LWS_PRE, '\0');
    if (c->sse_keepalive) {
      wbuf_.append(": keep-alive\n\n");
      c->sse_keepalive = false;
    }
    uint64_t frames = 0, bytes = 0;
    bool more = true;
    while (more && wbuf_.size() - LWS_PRE < kSseBatchBytes) {
      // Closing: only what is queued (the error event) goes out.
      if (!next_due(c, &control, &data, &via)) {
        more = false;
        break;
      }
      if (data) {
        const size_t before = wbuf_.size();
        append_sse_id(via->topic->name, data->shard, data->seq, wbuf_);
        append_sse_data(std::string_view(data->buf).substr(LWS_PRE), wbuf_);
        wbuf_.push_back('\n');
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
    if (!more) {
      if (!c->close_code) return 0;
      // Let lws send what it kept of the last write before hanging up.
      if (lws_partial_buffered(wsi)) break;
      return -1;
    }
    if (lws_partial_buffered(wsi)) break;
  }
  request_write(c);
  return 0;
}

}  // namespace sluice::relay
