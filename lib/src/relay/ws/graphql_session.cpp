// What relay-ws does with a graphql-transport-ws client's messages
// (sluice/graphql.h; the close codes are in sluice/relay.h). A subscribe
// becomes an ordinary relay subscription (Hub::attach), so filters,
// catch-up, resume and auth are the relay's own; only the frames differ.
// Service thread.
#include <algorithm>

#include "relay/ws/relay_internal.h"
#include "sluice/envelope.h"

namespace sluice::relay {

namespace {

void close_with(Hub& hub, Client* c, int code, std::string reason) {
  if (c->close_code) return;
  c->close_code = code;
  c->close_reason = std::move(reason);
  hub.request_write(c);
}

}  // namespace

void graphql_data_frame(const Subscription& s, const Entry& e, std::string& out) {
  out.assign(LWS_PRE, '\0');
  append_graphql_next(s.op_id, *s.gql, s.topic->name, e.shard, e.seq, e.ts_us, e.key, e.value(),
                      out);
}

void Hub::on_graphql_message(Client* c, std::string_view text) {
  if (c->close_code) return;
  GraphqlClient& g = *c->gql;
  auto msg = parse_graphql_message(text);
  if (!msg.ok()) {
    close_with(*this, c, kCloseGraphqlBadMessage, msg.status().message());
    return;
  }
  switch (msg->type) {
    case GraphqlMessage::Type::kConnectionInit: {
      if (g.init) {
        close_with(*this, c, kCloseGraphqlTooManyInits, "Too many initialisation requests");
        return;
      }
      g.init = true;
      if (opts_.jwt && !msg->token.empty()) {
        JwtVerdict v = opts_.jwt->verify(msg->token, now_us() / 1000000);
        if (!v.ok()) {
          ++metrics_.auth_failures;
          close_with(*this, c, kCloseGraphqlForbidden, "Forbidden: " + v.reason);
          return;
        }
        c->authed = true;
        c->allowed = std::move(v.topics);
      }
      if (!c->authed) {
        ++metrics_.auth_failures;
        close_with(*this, c, kCloseGraphqlForbidden,
                   "Forbidden: token required (connection_init payload {\"token\":...})");
        return;
      }
      g.acked = true;
      send_control(c, graphql_ack());
      return;
    }
    case GraphqlMessage::Type::kPing:
      send_control(c, graphql_pong());
      return;
    case GraphqlMessage::Type::kPong:
      return;
    case GraphqlMessage::Type::kComplete: {
      auto it = g.ops.find(msg->id);
      if (it == g.ops.end()) return;  // already over, or never was
      Subscription* s = it->second;
      g.ops.erase(it);
      detach(s);
      return;
    }
    case GraphqlMessage::Type::kSubscribe:
      break;
  }
  if (!g.acked) {
    close_with(*this, c, kCloseGraphqlUnauthorized, "Unauthorized");
    return;
  }
  const std::string& id = msg->id;
  if (g.ops.count(id)) {
    close_with(*this, c, kCloseGraphqlSubscriberExists,
               "Subscriber for " + id.substr(0, 64) + " already exists");
    return;
  }
  auto sub = std::make_unique<GraphqlSubscription>();
  GraphqlError err;
  if (!parse_graphql_subscription(msg->query, msg->variables, msg->operation_name, sub.get(),
                                  &err)) {
    send_control(c, graphql_error(id, "GRAPHQL_VALIDATION_FAILED", err));
    return;
  }
  ClientRequest req;
  if (!graphql_request(*sub, now_us(), &req, &err)) {
    send_control(c, graphql_error(id, "BAD_USER_INPUT", err));
    return;
  }
  const std::string& name = sub->topic;
  if (c->allowed && std::find(c->allowed->begin(), c->allowed->end(), name) == c->allowed->end()) {
    ++metrics_.auth_failures;
    send_control(
        c, graphql_error(id, "FORBIDDEN",
                         {"topic '" + name.substr(0, 64) + "' not permitted by the token", 0, 0}));
    return;
  }
  Topic* t = find(name);
  if (!t) {
    send_control(
        c, graphql_error(id, "UNKNOWN_TOPIC", {"no topic '" + name + "' on this relay", 0, 0}));
    return;
  }
  std::optional<filter::Filter> where;
  if (req.where) {
    auto f = filter::Filter::Compile(*req.where);
    if (!f.ok()) {
      send_control(c, graphql_error(id, "BAD_WHERE",
                                    {"argument 'where': " + f.status().message(), sub->where_line,
                                     sub->where_column}));
      return;
    }
    where.emplace(std::move(*f));
  }
  Subscription* s = nullptr;
  if (Status st = attach(c, t, req.from, std::move(where), &s); !st.ok()) {
    send_control(c, graphql_error(id, "SOURCE", {"reading '" + name + "': " + st.message(), 0, 0}));
    return;
  }
  s->op_id = id;
  s->gql = std::move(sub);
  g.ops.emplace(id, s);
}

}  // namespace sluice::relay
