// The relay-ws client protocol: client message parsing (simdjson) and the
// server's frames. See sluice/relay_protocol.h.
#include <simdjson.h>

#include <charconv>

#include "sluice/envelope.h"
#include "sluice/relay_protocol.h"

namespace sluice::relay {
namespace {

Status field_error(std::string_view field, std::string_view what) {
  return Status::InvalidArgument("field '" + std::string(field) + "': " + std::string(what));
}

bool parse_int(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

Status parse_from(simdjson::dom::element v, int64_t now_us, From* from) {
  using simdjson::dom::element_type;
  switch (v.type()) {
    case element_type::INT64:
    case element_type::UINT64: {
      int64_t seq = 0;
      if (v.get_int64().get(seq) != simdjson::SUCCESS || seq < 0) {
        return field_error("from", "a seq must be a whole number, 0 or more");
      }
      from->kind = From::Kind::kSeq;
      from->value = seq;
      return Status::Ok();
    }
    case element_type::STRING: {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) return field_error("from", "bad string");
      if (s == "end") {
        from->kind = From::Kind::kEnd;
      } else if (s == "beginning") {
        from->kind = From::Kind::kBeginning;
      } else if (!s.empty() && s.front() == '@') {
        auto pos = parse_start_position(s, now_us);
        if (!pos.ok() || pos->kind != StartPosition::Kind::kTime) {
          return field_error(
              "from", "'" + std::string(s) + "' is not a time (RFC 3339 or an age such as 5m)");
        }
        from->kind = From::Kind::kTime;
        from->value = pos->value;
      } else if (int64_t seq = 0; parse_int(s, &seq) && seq >= 0) {
        from->kind = From::Kind::kSeq;
        from->value = seq;
      } else {
        return field_error("from",
                           "expected \"end\", \"beginning\", SEQ, \"@TIME\" or "
                           "{\"SHARD\":SEQ}");
      }
      return Status::Ok();
    }
    case element_type::OBJECT: {
      from->kind = From::Kind::kShards;
      simdjson::dom::object obj;
      if (v.get_object().get(obj) != simdjson::SUCCESS) return field_error("from", "bad object");
      for (auto [key, seqv] : obj) {
        int64_t shard = 0, seq = 0;
        if (!parse_int(key, &shard) || shard < 0 || shard > INT32_MAX) {
          return field_error("from", "shard '" + std::string(key) + "' is not a shard number");
        }
        if (seqv.get_int64().get(seq) != simdjson::SUCCESS || seq < 0) {
          return field_error("from", "the seq of shard " + std::string(key) +
                                         " must be a whole number, 0 or more");
        }
        from->shards.emplace_back(static_cast<int32_t>(shard), seq);
      }
      if (from->shards.empty()) return field_error("from", "names no shard");
      return Status::Ok();
    }
    default:
      return field_error("from",
                         "expected \"end\", \"beginning\", SEQ, \"@TIME\" or {\"SHARD\":SEQ}");
  }
}

}  // namespace

Result<ClientRequest> parse_client_message(std::string_view text, int64_t now_us) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto err = parser.parse(text.data(), text.size()).get(root)) {
    return Status::InvalidArgument(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  if (!root.is_object()) return Status::InvalidArgument("expected a JSON object");
  ClientRequest req;
  std::string_view action;
  if (root["action"].get_string().get(action) != simdjson::SUCCESS) {
    return field_error("action", "expected \"subscribe\", \"unsubscribe\" or \"auth\"");
  }
  if (action == "subscribe") {
    req.action = ClientRequest::Action::kSubscribe;
  } else if (action == "unsubscribe") {
    req.action = ClientRequest::Action::kUnsubscribe;
  } else if (action == "auth") {
    req.action = ClientRequest::Action::kAuth;
    std::string_view token;
    if (root["token"].get_string().get(token) != simdjson::SUCCESS || token.empty()) {
      return field_error("token", "expected the JWT as a string");
    }
    req.token = token;
    return req;
  } else {
    return field_error("action", "'" + std::string(action) +
                                     "': expected \"subscribe\", \"unsubscribe\" or \"auth\"");
  }
  simdjson::dom::array topics;
  if (root["topics"].get_array().get(topics) != simdjson::SUCCESS) {
    return field_error("topics", "expected an array of topic names");
  }
  for (auto t : topics) {
    std::string_view name;
    if (t.get_string().get(name) != simdjson::SUCCESS || name.empty()) {
      return field_error("topics", "expected an array of topic names");
    }
    req.topics.emplace_back(name);
  }
  if (req.topics.empty()) return field_error("topics", "names no topic");
  if (req.action == ClientRequest::Action::kUnsubscribe) return req;
  simdjson::dom::element fromv;
  if (root["from"].get(fromv) == simdjson::SUCCESS && !fromv.is_null()) {
    SLUICE_RETURN_IF_ERROR(parse_from(fromv, now_us, &req.from));
  }
  simdjson::dom::element wherev;
  if (root["where"].get(wherev) == simdjson::SUCCESS && !wherev.is_null()) {
    std::string_view w;
    if (wherev.get_string().get(w) != simdjson::SUCCESS) {
      return field_error("where", "expected a filter expression as a string");
    }
    req.where = std::string(w);
  }
  return req;
}

void append_frame_value(std::optional<std::string_view> bytes, std::string& out) {
  if (!bytes) {
    out.append("null");
  } else if (is_embeddable_json(*bytes)) {
    out.append(*bytes);
  } else if (is_valid_utf8(*bytes)) {
    append_json_string(*bytes, out);
  } else {
    out.append("{\"b64\":\"");
    append_base64(*bytes, out);
    out.append("\"}");
  }
}

void append_frame_key(std::optional<std::string_view> key, std::string& out) {
  if (key && !is_valid_utf8(*key)) {
    out.append("{\"b64\":\"");
    append_base64(*key, out);
    out.append("\"}");
  } else if (key) {
    append_json_string(*key, out);
  } else {
    out.append("null");
  }
}

void append_data_frame(std::string_view topic, const Message& m, std::string& out,
                       size_t* value_off, size_t* value_len) {
  out.append("{\"topic\":");
  append_json_string(is_valid_utf8(topic) ? topic : std::string_view("?"), out);
  out.append(",\"shard\":");
  append_int(m.shard < 0 ? 0 : m.shard, out);
  out.append(",\"seq\":");
  append_int(m.seq, out);
  out.append(",\"ts\":\"");
  append_rfc3339(m.ts_us, out);
  out.append("\",\"key\":");
  append_frame_key(m.key, out);
  out.append(",\"value\":");
  const size_t start = out.size();
  append_frame_value(m.payload, out);
  if (value_off) *value_off = start;
  if (value_len) *value_len = out.size() - start;
  out.push_back('}');
}

void append_error_frame(std::string_view code, std::string_view message, std::string& out, int line,
                        int column) {
  out.append("{\"type\":\"error\",\"error\":{\"code\":");
  append_json_string(code, out);
  out.append(",\"message\":");
  append_json_string(is_valid_utf8(message) ? message : std::string_view("(not UTF-8)"), out);
  if (line > 0) {
    out.append(",\"line\":");
    append_int(line, out);
  }
  if (column > 0) {
    out.append(",\"column\":");
    append_int(column, out);
  }
  out.append("}}");
}

bool split_position(std::string_view text, int* line, int* column, std::string_view* rest) {
  const size_t c1 = text.find(':');
  if (c1 == std::string_view::npos) return false;
  const size_t c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  int64_t l = 0, c = 0;
  if (!parse_int(text.substr(0, c1), &l) || !parse_int(text.substr(c1 + 1, c2 - c1 - 1), &c)) {
    return false;
  }
  *line = static_cast<int>(l);
  *column = static_cast<int>(c);
  std::string_view r = text.substr(c2 + 1);
  while (!r.empty() && r.front() == ' ') r.remove_prefix(1);
  *rest = r;
  return true;
}

}  // namespace sluice::relay
