// What relay-ws does with a client's messages: auth, subscribe (with its
// `from` and `where`) and unsubscribe; and the write path, several frames
// per lws_write (relay_internal.h). Service thread.
#include <algorithm>

#include "relay/ws/relay_internal.h"
#include "sluice/envelope.h"
#include "sluice/relay_protocol.h"

namespace sluice::relay {

int close_code_for(JwtError e) {
  switch (e) {
    case JwtError::kNone:
      return 0;
    case JwtError::kMalformed:
      return kCloseAuthMalformed;
    case JwtError::kAlgorithm:
      return kCloseAuthAlgorithm;
    case JwtError::kSignature:
      return kCloseAuthSignature;
    case JwtError::kExpired:
      return kCloseAuthExpired;
    case JwtError::kNotYetValid:
      return kCloseAuthNotYetValid;
    case JwtError::kBadClaim:
      return kCloseAuthClaim;
    case JwtError::kAudience:
      return kCloseAuthAudience;
    case JwtError::kIssuer:
      return kCloseAuthIssuer;
  }
  return kCloseAuthMalformed;
}

namespace {

std::string topics_frame(std::string_view type, const std::vector<std::string>& topics) {
  std::string f = "{\"type\":\"";
  f.append(type);
  f.append("\",\"topics\":[");
  for (size_t i = 0; i < topics.size(); ++i) {
    if (i) f.push_back(',');
    append_json_string(is_valid_utf8(topics[i]) ? topics[i] : "?", f);
  }
  f.append("]}");
  return f;
}

}  // namespace

void Hub::on_message(Client* c, std::string_view text) {
  if (c->close_code) return;
  auto req = parse_client_message(text, now_us());
  if (!c->authed) {
    if (!req.ok() || req->action != ClientRequest::Action::kAuth) {
      ++metrics_.auth_failures;
      c->close_code = kCloseAuthMissing;
      c->close_reason = "token required: send {\"action\":\"auth\",\"token\":...} first";
      request_write(c);
      return;
    }
  }
  if (!req.ok()) {
    send_error(c, "bad_request", req.status().message());
    return;
  }
  switch (req->action) {
    case ClientRequest::Action::kAuth: {
      if (!opts_.jwt) {
        send_error(c, "bad_request", "this relay takes no token (no --jwt-secret-file)");
        return;
      }
      JwtVerdict v = opts_.jwt->verify(req->token, now_us() / 1000000);
      if (!v.ok()) {
        ++metrics_.auth_failures;
        c->close_code = close_code_for(v.error);
        c->close_reason = v.reason;
        request_write(c);
        return;
      }
      c->authed = true;
      c->allowed = std::move(v.topics);
      send_control(c, "{\"type\":\"authenticated\"}");
      return;
    }
    case ClientRequest::Action::kSubscribe:
      for (const std::string& t : req->topics) {
        if (c->allowed &&
            std::find(c->allowed->begin(), c->allowed->end(), t) == c->allowed->end()) {
          ++metrics_.auth_failures;
          c->close_code = kCloseForbiddenTopic;
          c->close_reason = "topic '" + t.substr(0, 64) + "' not permitted by the token";
          request_write(c);
          return;
        }
      }
      for (const std::string& t : req->topics) subscribe(c, t, *req);
      return;
    case ClientRequest::Action::kUnsubscribe:
      for (const std::string& t : req->topics) unsubscribe(c, t);
      send_control(c, topics_frame("unsubscribed", req->topics));
      return;
  }
}

void Hub::subscribe(Client* c, const std::string& name, const ClientRequest& req) {
  Topic* t = find(name);
  if (!t) {
    send_error(c, "unknown_topic", "no topic '" + name + "' on this relay");
    return;
  }
  std::optional<filter::Filter> where;
  if (req.where) {
    auto f = filter::Filter::Compile(*req.where);
    if (!f.ok()) {
      int line = 0, column = 0;
      std::string_view rest = f.status().message();
      split_position(f.status().message(), &line, &column, &rest);
      send_error(c, "bad_where", "where: " + f.status().message(), line, column);
      return;
    }
    where.emplace(std::move(*f));
  }
  unsubscribe(c, name);  // a second subscribe replaces the first
  if (Status st = attach(c, t, req.from, std::move(where)); !st.ok()) {
    send_error(c, "source", "reading '" + name + "': " + st.message());
    return;
  }
  send_control(c, topics_frame("subscribed", {name}));
}

Status Hub::attach(Client* c, Topic* t, const From& from, std::optional<filter::Filter> where,
                   Subscription** out, const std::vector<std::pair<int32_t, int64_t>>* resume) {
  auto s = std::make_unique<Subscription>();
  s->client = c;
  s->topic = t;
  s->where = std::move(where);
  const bool resumed = resume && !resume->empty();
  if (from.kind == From::Kind::kShards) {
    int64_t low = INT64_MAX;
    for (auto [shard, seq] : from.shards) {
      s->want[shard] = seq;
      low = std::min(low, seq);
    }
    s->want_default = low;
  } else if (from.kind == From::Kind::kSeq) {
    s->want_default = from.value;
  } else if (from.kind == From::Kind::kEnd) {
    for (auto& [shard, last] : t->last_seq) s->want[shard] = last + 1;
  } else if (from.kind == From::Kind::kTime && resumed) {
    s->want_from_ts = from.value;  // one reader from the lowest seq: filter by time
  }
  if (resumed) {
    for (auto [shard, seq] : *resume) s->want[shard] = seq;
  }
  if (from.kind == From::Kind::kEnd && !resumed) {
    s->next = t->head();
  } else if (t->source) {
    StartPosition sp;
    if (resumed) {
      // One reader for every shard: from the lowest seq any shard wants
      // (`want` filters the rest). From the end, shards not in `want` have
      // had no message.
      int64_t low = from.kind == From::Kind::kEnd ? INT64_MAX : s->want_default;
      for (auto& [shard, seq] : s->want) low = std::min(low, seq);
      sp.kind = StartPosition::Kind::kSeq;
      sp.value = std::max<int64_t>(low, 0);
    } else if (from.kind == From::Kind::kBeginning) {
      sp.kind = StartPosition::Kind::kBeginning;
    } else if (from.kind == From::Kind::kTime) {
      sp.kind = StartPosition::Kind::kTime;
      sp.value = from.value;
    } else {
      sp.kind = StartPosition::Kind::kSeq;
      sp.value = s->want_default;
    }
    SLUICE_RETURN_IF_ERROR(start_catchup(s.get(), sp));
  } else {
    // stdin: the ring is all there is.
    s->next = t->base;
    if (from.kind == From::Kind::kTime && !resumed) {
      while (s->next < t->head() && t->ring[s->next - t->base]->ts_us < from.value) ++s->next;
    }
  }
  t->subs.push_back(s.get());
  if (out) *out = s.get();
  c->subs.push_back(std::move(s));
  return Status::Ok();
}

void Hub::unsubscribe(Client* c, const std::string& name) {
  for (auto& s : c->subs) {
    if (s->topic->name == name) return detach(s.get());
  }
}

void Hub::detach(Subscription* s) {
  Client* c = s->client;
  auto& subs = s->topic->subs;
  subs.erase(std::remove(subs.begin(), subs.end(), s), subs.end());
  catching_up_.erase(std::remove(catching_up_.begin(), catching_up_.end(), s), catching_up_.end());
  for (size_t i = 0; i < c->subs.size(); ++i) {
    if (c->subs[i].get() != s) continue;
    c->subs.erase(c->subs.begin() + static_cast<std::ptrdiff_t>(i));
    c->rr = 0;
    return;
  }
}

void Hub::unsubscribe_all(Client* c) {
  while (!c->subs.empty()) unsubscribe(c, c->subs.back()->topic->name);
}

}  // namespace sluice::relay

// ---- the write path (LWS_CALLBACK_SERVER_WRITEABLE)

namespace sluice::relay {

namespace {

// One write takes frames up to about this many bytes (the last may run
// over); lws sends up to the protocol's tx_packet_size at once and keeps
// what the socket did not take, sending it before anything else.
constexpr size_t kBatchBytes = 16384;
// Writes per wake-up while the socket takes them without blocking
// (lws_send_pipe_choked), so that one busy client does not starve others.
constexpr int kWritesPerWakeup = 4;
// The same for the one-frame-per-write path (see Hub::preframed).
constexpr int kFramesPerWakeup = 64;

// A server text frame's header (FIN, no mask) for `len` payload bytes.
void append_frame_header(size_t len, std::string& out) {
  out.push_back(static_cast<char>(0x81));
  if (len < 126) {
    out.push_back(static_cast<char>(len));
  } else if (len < 65536) {
    out.push_back(static_cast<char>(126));
    out.push_back(static_cast<char>((len >> 8) & 0xff));
    out.push_back(static_cast<char>(len & 0xff));
  } else {
    out.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((uint64_t{len} >> shift) & 0xff));
    }
  }
}

// The close frame is written here rather than left to lws_close_reason():
// returning -1 after it closed the socket with no close frame here (the
// client saw 1006). 4 is lws's private LWS_WRITE_CLOSE (lws-write.h leaves
// its slot empty), the opcode lws itself writes a close with.
void write_close(lws* wsi, const Client* c) {
  std::string frame(LWS_PRE, '\0');
  frame.push_back(static_cast<char>((c->close_code >> 8) & 0xff));
  frame.push_back(static_cast<char>(c->close_code & 0xff));
  frame.append(c->close_reason.substr(0, 123));
  const size_t n = frame.size() - LWS_PRE;
  lws_write(wsi, reinterpret_cast<unsigned char*>(frame.data()) + LWS_PRE, n,
            static_cast<lws_write_protocol>(4));
}

}  // namespace

bool Hub::next_due(Client* c, std::string* control, EntryPtr* data, Subscription** via) {
  if (!c->close_code) return next_frame(c, control, data, via);
  if (c->control.empty()) return false;
  *control = std::move(c->control.front());
  c->control.pop_front();
  return true;
}

// Appends the client's next frames, framed, to wbuf_ until it holds about
// max_bytes: true when it stopped there (more may be due).
bool Hub::gather(Client* c, size_t max_bytes, uint64_t* frames, uint64_t* bytes) {
  std::string control;
  EntryPtr data;
  Subscription* via = nullptr;
  while (wbuf_.size() - LWS_PRE < max_bytes) {
    std::string_view payload;
    if (!next_due(c, &control, &data, &via)) return false;
    if (data && c->gql) {
      // A GraphQL `next` holds the operation's id and selection: per client.
      graphql_data_frame(*via, *data, gql_frame_);
      payload = std::string_view(gql_frame_).substr(LWS_PRE);
    } else if (data) {
      payload = std::string_view(data->buf).substr(LWS_PRE);
    } else {
      payload = std::string_view(control).substr(LWS_PRE);
    }
    append_frame_header(payload.size(), wbuf_);
    wbuf_.append(payload);
    ++*frames;
    *bytes += payload.size();
    data.reset();
  }
  return true;
}

int Hub::write_batches(lws* wsi, Client* c, bool* more) {
  for (int i = 0; i < kWritesPerWakeup; ++i) {
    wbuf_.assign(LWS_PRE, '\0');
    uint64_t frames = 0, bytes = 0;
    *more = gather(c, kBatchBytes, &frames, &bytes);
    if (frames) {
      // LWS_WRITE_HTTP on a ws connection sends the bytes as they are
      // (rops_write_role_protocol_ws: no frame header added); what the
      // socket does not take, lws keeps and sends first when it can.
      const size_t n = wbuf_.size() - LWS_PRE;
      auto* p = reinterpret_cast<unsigned char*>(wbuf_.data()) + LWS_PRE;
      if (lws_write(wsi, p, n, LWS_WRITE_HTTP) < static_cast<int>(n)) return -1;
      metrics_.frames_out += frames;
      metrics_.bytes_out += bytes;
    }
    // lws_partial_buffered: lws kept part of the write (no syscall, unlike
    // lws_send_pipe_choked).
    if (!*more || lws_partial_buffered(wsi)) break;
  }
  return 0;
}

int Hub::on_writeable(lws* wsi, Client* c) {
  c->writable_requested = false;
  if (!preframed) {
    // With permessage-deflate, one frame: lws may still be compressing the
    // last one (draining it over later POLLOUTs) and calls again once done.
    const int frames = opts_.compress ? 1 : kFramesPerWakeup;
    for (int i = 0; i < frames; ++i) {
      const int r = write_next(wsi, c);
      if (r <= 0) return r;
      if (lws_send_pipe_choked(wsi)) break;
    }
    request_write(c);
    return 0;
  }
  bool more = false;
  if (write_batches(wsi, c, &more) < 0) return -1;
  if (more) {
    request_write(c);
  } else if (c->close_code) {
    write_close(wsi, c);
    return -1;
  }
  return 0;
}

void Hub::mark_ready(Client* c) {
  c->ready = true;
  c->ready_slot = ready_.size();
  ready_.push_back(c);
}

void Hub::hang_up(Client* c) {
  if (!c->close_code) c->close_code = kCloseGoingAway;
  c->peer_closed = true;  // nothing more is written
  lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

void Hub::forget(Client* c) {
  if (c->ready) ready_[c->ready_slot] = nullptr;
  c->ready = false;
}

bool Hub::flush_ready(const std::function<void()>& refill) {
  // ready_ grows while this runs (refill appends): index, never hold a
  // reference.
  size_t visits = 0;
  while (ready_head_ < ready_.size() && visits < kFlushSlice) {
    if (refill && visits > 0 && visits % kRefillEvery == 0) refill();
    Client* c = ready_[ready_head_++];
    if (!c) continue;  // closed while queued (forget)
    ++visits;
    c->ready = false;
    if (c->writable_requested) continue;  // its callback comes anyway
    // Closing, or lws still holds part of an earlier write: the writable
    // callback orders that.
    if (c->close_code || c->peer_closed || lws_partial_buffered(c->wsi)) {
      request_write(c);
      continue;
    }
    bool more = false;
    // SSE streams too: their bytes differ from WebSocket framing, but
    // each entry's data lines are built once (Entry::sse_data).
    const int r = c->sse ? sse_write_batches(c->wsi, c, &more) : write_batches(c->wsi, c, &more);
    if (r < 0) {
      hang_up(c);
    } else if (more) {
      request_write(c);
    }
  }
  if (ready_head_ == ready_.size()) {
    ready_.clear();
    ready_head_ = 0;
    return false;
  }
  // Under a steady stream the queue never empties: drop the visited front
  // once it is most of the vector.
  if (ready_head_ * 2 >= ready_.size()) {
    ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(ready_head_));
    ready_head_ = 0;
    for (size_t i = 0; i < ready_.size(); ++i) {
      if (ready_[i]) ready_[i]->ready_slot = i;
    }
  }
  return true;
}

// One frame per lws_write: 1 when one was written, 0 when none is due, -1
// to close the connection.
int Hub::write_next(lws* wsi, Client* c) {
  std::string control;
  EntryPtr data;
  Subscription* via = nullptr;
  const bool have = next_due(c, &control, &data, &via);
  if (!have && c->close_code) {
    write_close(wsi, c);
    return -1;
  }
  if (!have) return 0;
  if (data && c->gql) {
    // A GraphQL `next` is this client's own text, as a control frame is.
    graphql_data_frame(*via, *data, gql_frame_);
    control.swap(gql_frame_);
    data.reset();
  }
  if (opts_.compress) {
    // lws's deflate reads a large frame over several POLLOUTs, after
    // lws_write returned: the frame must outlive this call (until the
    // next one). ASan caught a freed catch-up entry read there.
    c->tx_hold = data;
    c->tx_hold_control = std::move(control);
    control.clear();
  }
  std::string& text = opts_.compress ? c->tx_hold_control : control;
  unsigned char* p;
  size_t n;
  if (data) {
    // The shared buffer's LWS_PRE bytes take this frame's header: fine on
    // the one service thread, where writes do not interleave.
    p = reinterpret_cast<unsigned char*>(const_cast<char*>(data->buf.data())) + LWS_PRE;
    n = data->frame_size();
  } else {
    p = reinterpret_cast<unsigned char*>(text.data()) + LWS_PRE;
    n = text.size() - LWS_PRE;
  }
  if (lws_write(wsi, p, n, LWS_WRITE_TEXT) < static_cast<int>(n)) return -1;
  ++metrics_.frames_out;
  metrics_.bytes_out += n;
  return 1;
}

}  // namespace sluice::relay
