// NDJSON envelope encoding and decoding (see envelope.h for the rules).
//
// Encoding runs once per message in `tap --format envelope`, so it avoids
// allocation (thread-local, reused validator and padded buffer) and skips
// the JSON validator altogether for payloads whose first or last byte
// already rules JSON out. Decoding validates the whole line with the DOM
// parser (strict: every byte checked) and then walks it with On-Demand,
// which is the only simdjson API that exposes the raw bytes of a value.
#include "sluice/envelope.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sluice {
namespace {

// The encoder embeds payloads nested at most this deep; the decoder accepts
// a little more so that an embedded payload inside the envelope object (one
// level deeper) always decodes.
constexpr size_t kEncodeMaxDepth = 1000;
constexpr size_t kDecodeMaxDepth = 1024;

// Owns a padded copy of bytes handed to simdjson, which reads up to
// SIMDJSON_PADDING bytes past the end of its input.
class PaddedBuffer {
 public:
  const char* assign(std::string_view s) {
    if (!buf_ || cap_ < s.size()) {
      cap_ = std::max({s.size(), cap_ * 2, size_t{256}});
      buf_.reset(new char[cap_ + simdjson::SIMDJSON_PADDING]);
    }
    if (!s.empty()) std::memcpy(buf_.get(), s.data(), s.size());
    std::memset(buf_.get() + s.size(), 0, simdjson::SIMDJSON_PADDING);
    return buf_.get();
  }
  size_t capacity() const { return cap_ + simdjson::SIMDJSON_PADDING; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
};

struct PayloadValidator {
  simdjson::dom::parser parser;
  PaddedBuffer padded;
  bool ready = false;
};

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// True when `p` is exactly one JSON object, array, number, true or false,
// with no surrounding whitespace and no CR/LF: the payloads embedded as-is.
bool embeddable_json(std::string_view p) {
  if (p.empty()) return false;
  const char first = p.front(), last = p.back();
  // Cheap rejections first: most text payloads fail here.
  const bool first_ok = first == '{' || first == '[' || first == '-' ||
                        (first >= '0' && first <= '9') || first == 't' || first == 'f';
  const bool last_ok = last == '}' || last == ']' || last == 'e' || (last >= '0' && last <= '9');
  if (!first_ok || !last_ok) return false;
  if (p == "true" || p == "false") return true;
  if (first == 't' || first == 'f') return false;
  if (std::memchr(p.data(), '\n', p.size()) != nullptr ||
      std::memchr(p.data(), '\r', p.size()) != nullptr) {
    return false;
  }
  thread_local PayloadValidator v;
  if (!v.ready) {
    if (v.parser.allocate(4096, kEncodeMaxDepth) != simdjson::SUCCESS) {
      return false;
    }
    v.ready = true;
  }
  const char* buf = v.padded.assign(p);
  simdjson::dom::element root;
  return v.parser.parse(buf, p.size(), false).get(root) == simdjson::SUCCESS;
}

// Appends `s` as a JSON string; invalid UTF-8 is replaced by U+FFFD so the
// output stays valid JSON (used only for fields that are names, not data).
void append_text_lossy(std::string_view s, std::string& out) {
  if (is_valid_utf8(s)) {
    append_json_string(s, out);
    return;
  }
  // Rare (stream names are text), so the allocation does not matter.
  std::string fixed;
  size_t i = 0;
  while (i < s.size()) {
    size_t n = 1;
    while (i + n <= s.size() && n <= 4 && !is_valid_utf8(s.substr(i, n))) ++n;
    if (i + n <= s.size() && n <= 4) {
      fixed.append(s.substr(i, n));
      i += n;
    } else {
      fixed.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  append_json_string(fixed, out);
}

// RFC 3339 is defined for years 0000-9999 only.
constexpr int64_t kMinRfc3339Us = -62167219200000000LL;  // 0000-01-01
constexpr int64_t kMaxRfc3339Us = 253402300799999999LL;  // 9999-12-31...

}  // namespace

bool is_embeddable_json(std::string_view payload) {
  return embeddable_json(payload);
}

void encode_envelope(const Message& m, std::string& out) {
  out.append("{\"stream\":");
  append_text_lossy(m.stream, out);
  out.append(",\"shard\":");
  append_int(m.shard, out);
  out.append(",\"seq\":");
  append_int(m.seq, out);
  if (!m.id.empty()) {
    out.append(",\"id\":");
    append_text_lossy(m.id, out);
  }
  out.append(",\"ts\":");
  if (m.ts_us >= kMinRfc3339Us && m.ts_us <= kMaxRfc3339Us) {
    out.push_back('"');
    append_rfc3339(m.ts_us, out);
    out.push_back('"');
  } else {
    append_int(m.ts_us, out);
  }
  if (!m.key) {
    out.append(",\"key\":null");
  } else if (is_valid_utf8(*m.key)) {
    out.append(",\"key\":");
    append_json_string(*m.key, out);
  } else {
    out.append(",\"key_b64\":\"");
    append_base64(*m.key, out);
    out.push_back('"');
  }
  if (!m.headers.empty()) {
    out.append(",\"headers\":{");
    bool first = true;
    for (const Header& h : m.headers) {
      if (!first) out.push_back(',');
      first = false;
      const bool name_ok = is_valid_utf8(h.name);
      append_json_string(name_ok ? h.name : std::string_view(), out);
      out.push_back(':');
      if (name_ok && is_valid_utf8(h.value)) {
        append_json_string(h.value, out);
        continue;
      }
      // Binary header: {"b64":VALUE} and, for a binary name, "name_b64"
      // (the object key is then "" and ignored by the decoder).
      out.push_back('{');
      if (!name_ok) {
        out.append("\"name_b64\":\"");
        append_base64(h.name, out);
        out.append("\",");
      }
      out.append("\"b64\":\"");
      append_base64(h.value, out);
      out.append("\"}");
    }
    out.push_back('}');
  }
  if (!m.payload) {
    out.append(",\"payload\":null}");
    return;
  }
  const std::string_view p = *m.payload;
  if (embeddable_json(p)) {
    out.append(",\"payload\":");
    out.append(p);
  } else if (is_valid_utf8(p)) {
    out.append(",\"payload\":");
    append_json_string(p, out);
  } else {
    out.append(",\"payload_b64\":\"");
    append_base64(p, out);
    out.push_back('"');
  }
  out.push_back('}');
}

// ------------------------------------------------------------------ decoder

struct EnvelopeDecoder::Impl {
  simdjson::dom::parser validator;
  simdjson::ondemand::parser walker;
  PaddedBuffer padded;
  std::string arena;  // base64-decoded bytes; reserved so views stay put
  std::vector<Header> headers;
  bool ready = false;

  Status decode(std::string_view line, Message& out);
  Status decode_headers(simdjson::ondemand::value v);
  Status decode_payload(simdjson::ondemand::value v, Message& out);
  bool b64(std::string_view text, std::string_view* bytes);
};

namespace {

Status field_error(std::string_view field, std::string_view what) {
  std::string m = "field '";
  m.append(field).append("': ").append(what);
  return Status::BadData(std::move(m));
}

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_json_space(s.back())) s.remove_suffix(1);
  return s;
}

using simdjson::ondemand::json_type;

// simdjson's messages are long and upper-case; the toolkit's are short.
Status json_error(simdjson::error_code err) {
  const char* why = "malformed";
  switch (err) {
    case simdjson::EMPTY:
      why = "empty line";
      break;
    case simdjson::UTF8_ERROR:
      why = "not valid UTF-8";
      break;
    case simdjson::DEPTH_ERROR:
      why = "nested too deeply";
      break;
    case simdjson::UNCLOSED_STRING:
      why = "unclosed string";
      break;
    case simdjson::UNESCAPED_CHARS:
      why = "control character inside a string";
      break;
    case simdjson::NUMBER_ERROR:
      why = "bad number";
      break;
    case simdjson::STRING_ERROR:
      why = "bad string escape";
      break;
    case simdjson::CAPACITY:
      why = "line too long";
      break;
    default:
      break;
  }
  return Status::BadData(std::string("invalid json: ") + why);
}

}  // namespace

EnvelopeDecoder::EnvelopeDecoder() : impl_(std::make_unique<Impl>()) {}
EnvelopeDecoder::~EnvelopeDecoder() = default;

Status EnvelopeDecoder::decode(std::string_view line, Message& out) {
  return impl_->decode(line, out);
}

bool EnvelopeDecoder::Impl::b64(std::string_view text, std::string_view* bytes) {
  const size_t start = arena.size();
  if (!decode_base64(text, arena)) return false;
  *bytes = std::string_view(arena.data() + start, arena.size() - start);
  return true;
}

Status EnvelopeDecoder::Impl::decode(std::string_view line, Message& out) {
  out = Message{};
  headers.clear();
  arena.clear();
  // Decoded base64 is always shorter than its text, so this one reservation
  // keeps every view into the arena valid while the line is decoded.
  arena.reserve(line.size());
  if (!ready) {
    if (validator.allocate(4096, kDecodeMaxDepth) != simdjson::SUCCESS) {
      return Status::Internal("cannot allocate the json parser");
    }
    ready = true;
  }
  const char* buf = padded.assign(line);
  simdjson::dom::element root;
  if (auto err = validator.parse(buf, line.size(), false).get(root)) {
    return json_error(err);
  }
  if (!root.is_object()) return Status::BadData("not a JSON object");

  simdjson::ondemand::document doc;
  if (auto err = walker.iterate(buf, line.size(), padded.capacity()).get(doc)) {
    return json_error(err);
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return Status::BadData("not a JSON object");

  bool have_payload = false, have_payload_b64 = false;
  bool have_key = false, have_key_b64 = false;
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    std::string_view name;
    if (std::move(field_result).get(field) || field.unescaped_key().get(name)) {
      return Status::BadData("invalid json object");
    }
    simdjson::ondemand::value v = field.value();
    json_type type;
    if (v.type().get(type)) return field_error(name, "invalid value");
    const bool is_null = type == json_type::null;
    if (name == "stream") {
      if (is_null) {
        out.stream = {};
      } else if (type != json_type::string || v.get_string().get(out.stream)) {
        return field_error(name, "expected a string");
      }
    } else if (name == "shard") {
      int64_t shard = -1;
      if (!is_null && (type != json_type::number || v.get_int64().get(shard) || shard < -1 ||
                       shard > INT32_MAX)) {
        return field_error(name, "expected an integer from -1 to 2147483647");
      }
      out.shard = static_cast<int32_t>(shard);
    } else if (name == "seq") {
      int64_t seq = -1;
      if (!is_null && (type != json_type::number || v.get_int64().get(seq))) {
        return field_error(name, "expected an integer");
      }
      out.seq = seq;
    } else if (name == "ts") {
      std::string_view text;
      int64_t ts = 0;
      if (type == json_type::string) {
        if (v.get_string().get(text)) return field_error(name, "invalid string");
        Result<int64_t> r = parse_rfc3339(text);
        if (!r.ok()) return Status::BadData("field 'ts': " + r.status().message());
        ts = *r;
      } else if (!is_null && (type != json_type::number || v.get_int64().get(ts))) {
        return field_error(name, "expected an RFC 3339 string or integer microseconds");
      }
      out.ts_us = ts;
    } else if (name == "key") {
      have_key = true;
      std::string_view key;
      if (is_null) {
        out.key.reset();
      } else if (type != json_type::string || v.get_string().get(key)) {
        return field_error(name, "expected a string or null");
      } else {
        out.key = key;
      }
    } else if (name == "key_b64") {
      have_key_b64 = true;
      std::string_view text, bytes;
      if (type != json_type::string || v.get_string().get(text)) {
        return field_error(name, "expected a base64 string");
      }
      if (!b64(text, &bytes)) return field_error(name, "invalid base64");
      out.key = bytes;
    } else if (name == "headers") {
      headers.clear();  // a repeated field replaces, like every other field
      if (is_null) continue;
      SLUICE_RETURN_IF_ERROR(decode_headers(v));
    } else if (name == "payload") {
      have_payload = true;
      SLUICE_RETURN_IF_ERROR(decode_payload(v, out));
    } else if (name == "payload_b64") {
      have_payload_b64 = true;
      std::string_view text, bytes;
      if (type != json_type::string || v.get_string().get(text)) {
        return field_error(name, "expected a base64 string");
      }
      if (!b64(text, &bytes)) return field_error(name, "invalid base64");
      out.payload = bytes;
    }
    // Unknown fields are ignored (forward compatibility).
  }
  if (have_key && have_key_b64) {
    return Status::BadData("fields 'key' and 'key_b64' are both present");
  }
  if (have_payload && have_payload_b64) {
    return Status::BadData("fields 'payload' and 'payload_b64' are both present");
  }
  if (!have_payload && !have_payload_b64) {
    return Status::BadData("missing field 'payload' (use \"payload\":null for a tombstone)");
  }
  out.headers = headers;
  return Status::Ok();
}

Status EnvelopeDecoder::Impl::decode_headers(simdjson::ondemand::value v) {
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj)) {
    return field_error("headers", "expected an object");
  }
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    Header h;
    if (std::move(field_result).get(field) || field.unescaped_key().get(h.name)) {
      return field_error("headers", "invalid object");
    }
    simdjson::ondemand::value hv = field.value();
    json_type type;
    if (hv.type().get(type)) return field_error("headers", "invalid value");
    if (type == json_type::string) {
      if (hv.get_string().get(h.value)) {
        return field_error("headers", "invalid string");
      }
    } else if (type == json_type::object) {
      // {"b64":VALUE[,"name_b64":NAME]}: a header that is not UTF-8.
      simdjson::ondemand::object bin;
      bool have_value = false;
      if (hv.get_object().get(bin)) return field_error("headers", "invalid object");
      for (auto inner_result : bin) {
        simdjson::ondemand::field inner;
        std::string_view inner_name, text;
        if (std::move(inner_result).get(inner) || inner.unescaped_key().get(inner_name)) {
          return field_error("headers", "invalid object");
        }
        const bool is_value = inner_name == "b64";
        if (!is_value && inner_name != "name_b64") continue;
        if (inner.value().get_string().get(text)) {
          return field_error("headers",
                             "expected a base64 string in '" + std::string(inner_name) + "'");
        }
        std::string_view bytes;
        if (!b64(text, &bytes)) {
          return field_error("headers", "invalid base64 in '" + std::string(inner_name) + "'");
        }
        (is_value ? h.value : h.name) = bytes;
        have_value |= is_value;
      }
      if (!have_value) {
        return field_error("headers", "binary header without 'b64'");
      }
    } else {
      return field_error("headers", "header values must be strings or {\"b64\":...}");
    }
    headers.push_back(h);
  }
  return Status::Ok();
}

Status EnvelopeDecoder::Impl::decode_payload(simdjson::ondemand::value v, Message& out) {
  json_type type;
  if (v.type().get(type)) return field_error("payload", "invalid value");
  std::string_view bytes;
  switch (type) {
    case json_type::null:
      out.payload.reset();
      return Status::Ok();
    case json_type::string:
      if (v.get_string().get(bytes)) return field_error("payload", "invalid string");
      break;
    case json_type::object: {
      simdjson::ondemand::object o;
      if (v.get_object().get(o) || o.raw_json().get(bytes)) {
        return field_error("payload", "invalid object");
      }
      break;
    }
    case json_type::array: {
      simdjson::ondemand::array a;
      if (v.get_array().get(a) || a.raw_json().get(bytes)) {
        return field_error("payload", "invalid array");
      }
      break;
    }
    default:  // number, true, false: the token itself
      bytes = v.raw_json_token();
      break;
  }
  // raw_json() and raw_json_token() include the whitespace after the
  // value; an embedded payload never ends in whitespace, so drop it.
  out.payload = type == json_type::string ? bytes : trim_right(bytes);
  return Status::Ok();
}

}  // namespace sluice
