// relay-ws's Server-Sent Events streams (GET /sse): the query becomes
// ordinary relay subscriptions (Hub::attach), so filters, catch-up, resume
// and --slow-client are the relay's own; only the framing differs. Each
// data frame goes out as `id: TOPIC/SHARD/SEQ` and `data: FRAME`; errors
// are `event: error` and end the stream. Service thread.
#include <algorithm>
#include <charconv>

#include "relay/ws/relay_internal.h"
#include "sluice/envelope.h"
#include "sluice/relay_protocol.h"

namespace sluice::relay {

namespace {

// As session.cpp's write path: bytes per write, writes per wake-up.
constexpr size_t kSseBatchBytes = 16384;
constexpr int kSseWritesPerWakeup = 4;

// `data` as SSE data lines: a line break inside it (a pretty-printed JSON
// value) starts another `data:` line, which the client joins with "\n".
void append_sse_data(std::string_view data, std::string& out) {
  out.append("data: ");
  for (size_t i = 0; i < data.size(); ++i) {
    const char ch = data[i];
    if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      out.append("\ndata: ");
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('\n');
}

// The id of entry `e` on `topic`: TOPIC/SHARD/SEQ (a line break in the
// topic name would end the field: it becomes '?').
void append_sse_id(std::string_view topic, const Entry& e, std::string& out) {
  out.append("id: ");
  for (char ch : topic) out.push_back(ch == '\r' || ch == '\n' ? '?' : ch);
  out.push_back('/');
  out.append(std::to_string(e.shard)).push_back('/');
  out.append(std::to_string(e.seq)).push_back('\n');
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
}

// TOPIC/SHARD/SEQ (the topic may hold '/': the last two fields are split off).
bool parse_last_event_id(std::string_view id, std::string* topic, int32_t* shard, int64_t* seq) {
  const size_t b = id.rfind('/');
  if (b == std::string_view::npos || b == 0) return false;
  const size_t a = id.rfind('/', b - 1);
  if (a == std::string_view::npos || a == 0) return false;
  *topic = std::string(id.substr(0, a));
  return parse_number(id.substr(a + 1, b - a - 1), shard) && parse_number(id.substr(b + 1), seq);
}

// The query as a relay-ws subscribe message, so that parse_client_message
// checks `from` and the topics as it does for WebSocket clients.
std::string subscribe_message(const SseRequest& req) {
  std::string m = "{\"action\":\"subscribe\",\"topics\":[";
  size_t start = 0;
  bool first = true;
  while (start <= req.topics.size() && !req.topics.empty()) {
    size_t comma = req.topics.find(',', start);
    if (comma == std::string::npos) comma = req.topics.size();
    if (!first) m.push_back(',');
    first = false;
    append_json_string(std::string_view(req.topics).substr(start, comma - start), m);
    start = comma + 1;
  }
  m.push_back(']');
  if (!req.from.empty()) {
    m.append(",\"from\":");
    const bool number = std::all_of(req.from.begin(), req.from.end(),
                                    [](char ch) { return ch >= '0' && ch <= '9'; });
    if (number || req.from[0] == '{') {
      m.append(req.from);  // a seq, or the per-shard object
    } else {
      append_json_string(req.from, m);
    }
  }
  m.push_back('}');
  return m;
}

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
  const std::string text = subscribe_message(sreq);
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
      if (c->close_code) {
        // Closing: what is queued (the error event) goes first, no more data.
        more = !c->control.empty();
        if (!more) break;
        control = std::move(c->control.front());
        c->control.pop_front();
      } else if (!next_frame(c, &control, &data, &via)) {
        more = false;
        break;
      }
      if (data) {
        const size_t before = wbuf_.size();
        append_sse_id(via->topic->name, *data, wbuf_);
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
