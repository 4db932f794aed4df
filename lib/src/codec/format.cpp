// Output formats (kcat-style templates) and --delimiter parsing.
//
// A template is parsed once into pieces so render() is a flat loop of
// appends with no parsing and no allocation per message.
#include "sluice/format.h"

#include <charconv>

#include "sluice/csv.h"
#include "sluice/envelope.h"
#include "sluice/msgpack.h"

namespace sluice {
namespace {

Status bad_spec(std::string_view what, std::string_view token, size_t column) {
  std::string m(what);
  m.append(" '").append(token).append("' at column ").append(std::to_string(column));
  return Status::InvalidArgument(std::move(m));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes the escape starting at spec[i] == '\\' into *out; returns the
// escape's length, or 0 when it is not one of the accepted escapes.
size_t decode_escape(std::string_view spec, size_t i, bool allow_hex, std::string* out) {
  if (i + 1 >= spec.size()) return 0;
  switch (spec[i + 1]) {
    case 'n':
      out->push_back('\n');
      return 2;
    case 't':
      out->push_back('\t');
      return 2;
    case 'r':
      out->push_back('\r');
      return 2;
    case '0':
      out->push_back('\0');
      return 2;
    case '\\':
      out->push_back('\\');
      return 2;
    case 'x': {
      if (!allow_hex || i + 3 >= spec.size()) return 0;
      const int hi = hex_value(spec[i + 2]), lo = hex_value(spec[i + 3]);
      if (hi < 0 || lo < 0) return 0;
      out->push_back(static_cast<char>(hi * 16 + lo));
      return 4;
    }
    default:
      return 0;
  }
}

}  // namespace

Result<OutputFormat> OutputFormat::Parse(std::string_view spec) {
  OutputFormat f;
  if (spec == "payload") {
    f.kind_ = Kind::kPayload;
    return f;
  }
  if (spec == "envelope") {
    f.kind_ = Kind::kEnvelope;
    return f;
  }
  if (spec == "msgpack") {
    f.kind_ = Kind::kMsgpack;
    return f;
  }
  if (spec.empty()) {
    return Status::InvalidArgument(
        "empty format (expected payload, envelope or a template such as '%k\\t%s')");
  }
  f.kind_ = Kind::kTemplate;
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    f.pieces_.push_back({Token::kLiteral, std::move(literal)});
    literal.clear();
  };
  for (size_t i = 0; i < spec.size();) {
    const char c = spec[i];
    const size_t column = i + 1;
    if (c == '\\') {
      const size_t n = decode_escape(spec, i, false, &literal);
      if (n == 0) {
        return bad_spec("unknown escape", spec.substr(i, 2), column);
      }
      i += n;
      continue;
    }
    if (c != '%') {
      literal.push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= spec.size()) return bad_spec("incomplete token", "%", column);
    Token t;
    switch (spec[i + 1]) {
      case '%':
        literal.push_back('%');
        i += 2;
        continue;
      case 's':
        t = Token::kPayload;
        break;
      case 'k':
        t = Token::kKey;
        break;
      case 't':
        t = Token::kStream;
        break;
      case 'p':
        t = Token::kShard;
        break;
      case 'o':
        t = Token::kSeq;
        break;
      case 'i':
        t = Token::kId;
        break;
      case 'T':
        t = Token::kTimeMs;
        break;
      case 'D':
        t = Token::kTimeRfc3339;
        break;
      case 'h':
        t = Token::kHeaders;
        break;
      case 'S':
        t = Token::kPayloadLen;
        break;
      case 'K':
        t = Token::kKeyLen;
        break;
      default: {
        // Name the whole UTF-8 character, not half of it.
        size_t len = 1;
        while (i + 1 + len < spec.size() &&
               (static_cast<unsigned char>(spec[i + 1 + len]) & 0xC0) == 0x80) {
          ++len;
        }
        return bad_spec("unknown token", spec.substr(i, 1 + len), column);
      }
    }
    flush_literal();
    f.pieces_.push_back({t, {}});
    i += 2;
  }
  flush_literal();
  return f;
}

Result<OutputFormat> OutputFormat::Csv(std::string_view fields, bool tsv, bool header) {
  auto csv = JsonToCsv::Parse(fields, tsv ? CsvDialect::Tsv() : CsvDialect::Csv(), header);
  if (!csv.ok()) return csv.status();
  OutputFormat f;
  f.kind_ = Kind::kCsv;
  f.csv_ = std::move(*csv);
  return f;
}

void OutputFormat::render_msgpack(const Message& m, std::string& out) {
  if (!m.payload) {
    out.push_back('\xc0');  // nil
    return;
  }
  for (const Header& h : m.headers) {
    if (h.name == kContentTypeHeader && h.value == kMsgpackContentType) {
      out.append(*m.payload);
      return;
    }
  }
  const size_t before = out.size();
  if (!json_to_msgpack(*m.payload, &out).ok()) {
    out.resize(before);
    append_msgpack_bytes(*m.payload, &out);
  }
}

void OutputFormat::render(const Message& m, std::string& out) const {
  switch (kind_) {
    case Kind::kCsv:
      csv_->append_row(m.payload ? std::string_view(*m.payload) : std::string_view(), &out);
      return;
    case Kind::kMsgpack:
      render_msgpack(m, out);
      return;
    case Kind::kPayload:
      if (m.payload) out.append(*m.payload);
      return;
    case Kind::kEnvelope:
      encode_envelope(m, out);
      return;
    case Kind::kTemplate:
      break;
  }
  for (const Piece& p : pieces_) {
    switch (p.token) {
      case Token::kLiteral:
        out.append(p.literal);
        break;
      case Token::kPayload:
        if (m.payload) out.append(*m.payload);
        break;
      case Token::kKey:
        if (m.key) out.append(*m.key);
        break;
      case Token::kStream:
        out.append(m.stream);
        break;
      case Token::kShard:
        append_int(m.shard, out);
        break;
      case Token::kSeq:
        append_int(m.seq, out);
        break;
      case Token::kId:
        // What --from takes back: the native id, or the seq where that is
        // the backend's own position (file seq, kafka offset).
        if (m.id.empty()) {
          append_int(m.seq, out);
        } else {
          out.append(m.id);
        }
        break;
      case Token::kTimeMs: {
        // Floor division, so times before 1970 stay ordered.
        int64_t ms = m.ts_us / 1000;
        if (m.ts_us % 1000 < 0) --ms;
        append_int(ms, out);
        break;
      }
      case Token::kTimeRfc3339:
        append_rfc3339(m.ts_us, out);
        break;
      case Token::kHeaders: {
        bool first = true;
        for (const Header& h : m.headers) {
          if (!first) out.push_back(',');
          first = false;
          out.append(h.name).push_back('=');
          out.append(h.value);
        }
        break;
      }
      case Token::kPayloadLen:
        append_int(m.payload ? static_cast<int64_t>(m.payload->size()) : -1, out);
        break;
      case Token::kKeyLen:
        append_int(m.key ? static_cast<int64_t>(m.key->size()) : -1, out);
        break;
    }
  }
}

Result<Framing> Framing::LengthPrefixed(std::string_view spec) {
  Framing f;
  if (spec == "u32be") {
    f.kind = Kind::kU32Be;
  } else if (spec == "varint") {
    f.kind = Kind::kVarint;
  } else {
    return Status::InvalidArgument("'" + std::string(spec) + "': expected u32be or varint");
  }
  f.delimiter.clear();
  return f;
}

void append_length_prefix(Framing::Kind kind, uint64_t len, std::string& out) {
  if (kind == Framing::Kind::kU32Be) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(len >> shift));
    return;
  }
  do {
    const uint8_t low = len & 0x7f;
    len >>= 7;
    out.push_back(static_cast<char>(len != 0 ? low | 0x80 : low));
  } while (len != 0);
}

int parse_length_prefix(Framing::Kind kind, std::string_view in, uint64_t* len,
                        size_t* prefix_bytes) {
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  if (kind == Framing::Kind::kU32Be) {
    if (in.size() < 4) return 0;
    *len = (uint64_t{b[0]} << 24) | (uint64_t{b[1]} << 16) | (uint64_t{b[2]} << 8) | b[3];
    *prefix_bytes = 4;
    return 1;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < 10; ++i) {
    if (i == in.size()) return 0;
    const uint64_t part = b[i] & 0x7f;
    if (i == 9 && (b[i] & 0x80 || part > 1)) return -1;  // past 64 bits
    v |= part << (7 * i);
    if ((b[i] & 0x80) == 0) {
      *len = v;
      *prefix_bytes = i + 1;
      return 1;
    }
  }
  return -1;
}

Result<Framing> Framing::Delimited(std::string_view spec) {
  if (spec.empty()) {
    return Status::InvalidArgument("empty delimiter (use --null for NUL-separated records)");
  }
  Framing f;
  f.kind = Kind::kDelimiter;
  f.delimiter.clear();
  for (size_t i = 0; i < spec.size();) {
    if (spec[i] != '\\') {
      f.delimiter.push_back(spec[i++]);
      continue;
    }
    const size_t n = decode_escape(spec, i, true, &f.delimiter);
    if (n == 0) {
      const size_t len = spec.size() - i >= 2 && spec[i + 1] == 'x'
                             ? std::min<size_t>(4, spec.size() - i)
                             : std::min<size_t>(2, spec.size() - i);
      return bad_spec("unknown escape in delimiter", spec.substr(i, len), i + 1);
    }
    i += n;
  }
  return f;
}

}  // namespace sluice
