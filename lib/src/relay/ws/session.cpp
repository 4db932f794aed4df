// What relay-ws does with a client's messages: auth, subscribe (with its
// `from` and `where`) and unsubscribe (relay_internal.h). Service thread.
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
  auto s = std::make_unique<Subscription>();
  s->client = c;
  s->topic = t;
  if (req.where) {
    auto f = filter::Filter::Compile(*req.where);
    if (!f.ok()) {
      int line = 0, column = 0;
      std::string_view rest = f.status().message();
      split_position(f.status().message(), &line, &column, &rest);
      send_error(c, "bad_where", "where: " + f.status().message(), line, column);
      return;
    }
    s->where.emplace(std::move(*f));
  }
  unsubscribe(c, name);  // a second subscribe replaces the first
  const From& from = req.from;
  if (from.kind == From::Kind::kShards) {
    int64_t low = INT64_MAX;
    for (auto [shard, seq] : from.shards) {
      s->want[shard] = seq;
      low = std::min(low, seq);
    }
    s->want_default = low;
  } else if (from.kind == From::Kind::kSeq) {
    s->want_default = from.value;
  }
  if (from.kind == From::Kind::kEnd) {
    s->next = t->head();
    for (auto& [shard, last] : t->last_seq) s->want[shard] = last + 1;
  } else if (t->source) {
    StartPosition sp;
    switch (from.kind) {
      case From::Kind::kBeginning:
        sp.kind = StartPosition::Kind::kBeginning;
        break;
      case From::Kind::kTime:
        sp.kind = StartPosition::Kind::kTime;
        sp.value = from.value;
        break;
      default:
        sp.kind = StartPosition::Kind::kSeq;
        sp.value = s->want_default;
        break;
    }
    if (Status st = start_catchup(s.get(), sp); !st.ok()) {
      send_error(c, "source", "reading '" + name + "': " + st.message());
      return;
    }
  } else {
    // stdin: the ring is all there is.
    s->next = t->base;
    if (from.kind == From::Kind::kTime) {
      while (s->next < t->head() && t->ring[s->next - t->base]->ts_us < from.value) ++s->next;
    }
  }
  t->subs.push_back(s.get());
  c->subs.push_back(std::move(s));
  send_control(c, topics_frame("subscribed", {name}));
}

void Hub::unsubscribe(Client* c, const std::string& name) {
  for (size_t i = 0; i < c->subs.size(); ++i) {
    Subscription* s = c->subs[i].get();
    if (s->topic->name != name) continue;
    auto& subs = s->topic->subs;
    subs.erase(std::remove(subs.begin(), subs.end(), s), subs.end());
    catching_up_.erase(std::remove(catching_up_.begin(), catching_up_.end(), s),
                       catching_up_.end());
    c->subs.erase(c->subs.begin() + static_cast<std::ptrdiff_t>(i));
    c->rr = 0;
    return;
  }
}

void Hub::unsubscribe_all(Client* c) {
  while (!c->subs.empty()) unsubscribe(c, c->subs.back()->topic->name);
}

}  // namespace sluice::relay
