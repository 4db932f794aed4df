// The graphql-transport-ws messages relay-ws reads and writes, and the
// hand-over from a parsed subscription to the relay's own subscribe
// request (sluice/graphql.h).
#include <simdjson.h>

#include "sluice/envelope.h"
#include "sluice/graphql.h"

namespace sluice::relay {
namespace {

Status invalid(std::string what) {
  return Status::InvalidArgument(std::move(what));
}

// `field` of `obj` as a string: absent (or null) leaves *out alone and is
// fine unless `required`; any other type is an error.
Status string_field(simdjson::dom::object obj, const char* field, bool required, std::string* out) {
  simdjson::dom::element e;
  if (obj[field].get(e) != simdjson::SUCCESS || e.is_null()) {
    if (required) return invalid(std::string("\"") + field + "\" is missing");
    return Status::Ok();
  }
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) {
    return invalid(std::string("\"") + field + "\" must be a string");
  }
  *out = std::string(s);
  return Status::Ok();
}

// The optional object payload of connection_init, ping and pong.
Status optional_payload(simdjson::dom::object root, simdjson::dom::object* payload, bool* present) {
  simdjson::dom::element e;
  *present = false;
  if (root["payload"].get(e) != simdjson::SUCCESS || e.is_null()) return Status::Ok();
  if (e.get_object().get(*payload) != simdjson::SUCCESS) {
    return invalid("\"payload\" must be an object");
  }
  *present = true;
  return Status::Ok();
}

}  // namespace

Result<GraphqlMessage> parse_graphql_message(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text.data(), text.size()).get(root)) {
    return invalid(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) return invalid("expected a JSON object");
  std::string type;
  SLUICE_RETURN_IF_ERROR(string_field(obj, "type", true, &type));
  GraphqlMessage m;
  simdjson::dom::object payload;
  bool have_payload = false;
  if (type == "connection_init") {
    m.type = GraphqlMessage::Type::kConnectionInit;
    SLUICE_RETURN_IF_ERROR(optional_payload(obj, &payload, &have_payload));
    if (have_payload) {
      SLUICE_RETURN_IF_ERROR(string_field(payload, "token", false, &m.token));
      std::string auth;
      if (m.token.empty()) {
        SLUICE_RETURN_IF_ERROR(string_field(payload, "Authorization", false, &auth));
        if (auth.empty())
          SLUICE_RETURN_IF_ERROR(string_field(payload, "authorization", false, &auth));
        if (auth.rfind("Bearer ", 0) == 0) m.token = auth.substr(7);
      }
    }
    return m;
  }
  if (type == "ping" || type == "pong") {
    m.type = type == "ping" ? GraphqlMessage::Type::kPing : GraphqlMessage::Type::kPong;
    SLUICE_RETURN_IF_ERROR(optional_payload(obj, &payload, &have_payload));
    return m;
  }
  if (type == "subscribe" || type == "complete") {
    SLUICE_RETURN_IF_ERROR(string_field(obj, "id", true, &m.id));
    if (m.id.empty()) return invalid("\"id\" must not be empty");
    if (type == "complete") {
      m.type = GraphqlMessage::Type::kComplete;
      return m;
    }
    m.type = GraphqlMessage::Type::kSubscribe;
    if (obj["payload"].get_object().get(payload) != simdjson::SUCCESS) {
      return invalid("subscribe: \"payload\" must be an object");
    }
    SLUICE_RETURN_IF_ERROR(string_field(payload, "query", true, &m.query));
    SLUICE_RETURN_IF_ERROR(string_field(payload, "operationName", false, &m.operation_name));
    simdjson::dom::element vars;
    if (payload["variables"].get(vars) == simdjson::SUCCESS && !vars.is_null()) {
      if (!vars.is_object()) return invalid("subscribe: \"variables\" must be an object");
      m.variables = simdjson::to_string(vars);
    }
    return m;
  }
  if (type == "connection_ack" || type == "next" || type == "error") {
    return invalid("'" + type + "' is a message servers send, not clients");
  }
  return invalid("unknown message type '" + type.substr(0, 64) + "'");
}

bool graphql_request(const GraphqlSubscription& sub, int64_t now_us, ClientRequest* out,
                     GraphqlError* err) {
  std::string msg = "{\"action\":\"subscribe\",\"topics\":[";
  append_json_string(sub.topic, msg);
  msg.append("]");
  if (!sub.from_json.empty()) msg.append(",\"from\":").append(sub.from_json);
  if (sub.where) {
    msg.append(",\"where\":");
    append_json_string(*sub.where, msg);
  }
  msg.push_back('}');
  auto req = parse_client_message(msg, now_us);
  if (!req.ok()) {
    // The topic and where are strings by now: the one left to refuse is `from`.
    std::string why = req.status().message();
    const std::string prefix = "field 'from': ";
    if (why.rfind(prefix, 0) == 0) why = why.substr(prefix.size());
    *err = GraphqlError{"argument 'from': " + why, sub.from_line, sub.from_column};
    return false;
  }
  *out = std::move(*req);
  return true;
}

std::string graphql_ack() {
  return "{\"type\":\"connection_ack\"}";
}

std::string graphql_pong() {
  return "{\"type\":\"pong\"}";
}

void append_graphql_next(std::string_view id, const GraphqlSubscription& sub,
                         std::string_view topic, int32_t shard, int64_t seq, int64_t ts_us,
                         const std::optional<std::string>& key, std::string_view value_json,
                         std::string& out) {
  out.append("{\"id\":");
  append_json_string(id, out);
  out.append(",\"type\":\"next\",\"payload\":{\"data\":{");
  append_json_string(sub.root_key, out);
  out.append(":{");
  bool first = true;
  for (const auto& [name, field] : sub.fields) {
    if (!first) out.push_back(',');
    first = false;
    append_json_string(name, out);
    out.push_back(':');
    switch (field) {
      case kFieldTopic:
        append_json_string(is_valid_utf8(topic) ? topic : std::string_view("?"), out);
        break;
      case kFieldShard:
        append_int(shard < 0 ? 0 : shard, out);
        break;
      case kFieldSeq:
        append_int(seq, out);
        break;
      case kFieldTs:
        out.push_back('"');
        append_rfc3339(ts_us, out);
        out.push_back('"');
        break;
      case kFieldKey:
        append_frame_key(key ? std::optional<std::string_view>(*key) : std::nullopt, out);
        break;
      case kFieldValue:
        out.append(value_json);
        break;
    }
  }
  out.append("}}}}");
}

std::string graphql_next_error(std::string_view id, std::string_view code,
                               std::string_view message) {
  std::string out = "{\"id\":";
  append_json_string(id, out);
  out.append(",\"type\":\"next\",\"payload\":{\"errors\":[{\"message\":");
  append_json_string(is_valid_utf8(message) ? message : std::string_view("(not UTF-8)"), out);
  out.append(",\"extensions\":{\"code\":");
  append_json_string(code, out);
  out.append("}}]}}");
  return out;
}

std::string graphql_error(std::string_view id, std::string_view code, const GraphqlError& e) {
  std::string out = "{\"id\":";
  append_json_string(id, out);
  out.append(",\"type\":\"error\",\"payload\":[{\"message\":");
  append_json_string(is_valid_utf8(e.message) ? e.message : std::string_view("(not UTF-8)"), out);
  if (e.line > 0 && e.column > 0) {
    out.append(",\"locations\":[{\"line\":");
    append_int(e.line, out);
    out.append(",\"column\":");
    append_int(e.column, out);
    out.append("}]");
  }
  out.append(",\"extensions\":{\"code\":");
  append_json_string(code, out);
  out.append("}}]}");
  return out;
}

}  // namespace sluice::relay
