// Avro binary -> Avro JSON encoding over a compiled schema (avro_node.h).
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "codec/avro_node.h"
#include "sluice/envelope.h"

namespace sluice::avro_detail {

namespace {

struct Decoder {
  const uint8_t* begin;
  const uint8_t* p;
  const uint8_t* end;
  std::string& out;
  Failure& f;

  bool fail(std::string why) {
    f.offset = static_cast<size_t>(p - begin);
    return f.fail(std::move(why));
  }

  bool too_big() {
    return fail("the value's JSON form is larger than " + std::to_string(kMaxJsonBytes >> 20) +
                " MiB");
  }

  bool read_varint(uint64_t* v, int max_bytes) {
    uint64_t r = 0;
    for (int i = 0; i < max_bytes; ++i) {
      if (p == end) return fail("cut short inside a number");
      const uint8_t b = *p++;
      r |= uint64_t{b & 0x7fu} << (7 * i);
      if (!(b & 0x80)) {
        *v = r;
        return true;
      }
    }
    return fail("a number longer than " + std::to_string(max_bytes) + " bytes");
  }
  bool read_long(int64_t* v) {
    uint64_t u = 0;
    if (!read_varint(&u, 10)) return false;
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return true;
  }
  bool read_int(int64_t* v) {
    uint64_t u = 0;
    if (!read_varint(&u, 5)) return false;
    if (u > 0xffffffffu) return fail("an int out of the 32-bit range");
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return true;
  }
  bool read_length(size_t* len, const char* what) {
    int64_t n = 0;
    if (!read_long(&n)) return false;
    if (n < 0) return fail(std::string("a negative ") + what + " length");
    if (static_cast<uint64_t>(n) > static_cast<uint64_t>(end - p)) {
      return fail(std::string(what) + " of " + std::to_string(n) + " bytes, but only " +
                  std::to_string(end - p) + " remain");
    }
    *len = static_cast<size_t>(n);
    return true;
  }

  // Bytes as a JSON string of code points U+0000..U+00FF.
  void append_byte_string(const uint8_t* b, size_t n) {
    static const char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (size_t i = 0; i < n; ++i) {
      const uint8_t c = b[i];
      if (c == '"' || c == '\\') {
        out.push_back('\\');
        out.push_back(static_cast<char>(c));
      } else if (c >= 0x20 && c < 0x7f) {
        out.push_back(static_cast<char>(c));
      } else {
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
    out.push_back('"');
  }

  template <typename T>
  void append_real(T v) {
    if (std::isnan(v)) {
      out += "\"NaN\"";
    } else if (std::isinf(v)) {
      out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, v);
      out.append(buf, r.ptr);
    }
  }

  bool value(const Node& n, int depth) {
    if (depth > kMaxDepth) return fail("nested deeper than " + std::to_string(kMaxDepth));
    if (out.size() > kMaxJsonBytes) return too_big();
    switch (n.kind) {
      case Kind::kNull:
        out += "null";
        return true;
      case Kind::kBoolean:
        if (p == end) return fail("cut short inside a boolean");
        if (*p > 1) return fail("a boolean byte of " + std::to_string(*p));
        out += *p++ ? "true" : "false";
        return true;
      case Kind::kInt:
      case Kind::kLong: {
        int64_t v = 0;
        if (!(n.kind == Kind::kInt ? read_int(&v) : read_long(&v))) return false;
        append_int(v, out);
        return true;
      }
      case Kind::kFloat: {
        if (end - p < 4) return fail("cut short inside a float");
        uint32_t bits =
            uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
        p += 4;
        float v;
        std::memcpy(&v, &bits, 4);
        append_real(v);
        return true;
      }
      case Kind::kDouble: {
        if (end - p < 8) return fail("cut short inside a double");
        uint64_t bits = 0;
        for (int i = 7; i >= 0; --i) bits = bits << 8 | p[i];
        p += 8;
        double v;
        std::memcpy(&v, &bits, 8);
        append_real(v);
        return true;
      }
      case Kind::kBytes:
      case Kind::kString: {
        size_t len = 0;
        if (!read_length(&len, n.kind == Kind::kBytes ? "bytes" : "a string")) return false;
        if (n.kind == Kind::kBytes) {
          append_byte_string(p, len);
        } else {
          std::string_view s(reinterpret_cast<const char*>(p), len);
          if (!is_valid_utf8(s)) return fail("a string that is not UTF-8");
          append_json_string(s, out);
        }
        p += len;
        return true;
      }
      case Kind::kFixed:
        if (end - p < n.size) return fail("cut short inside a fixed of " + std::to_string(n.size));
        append_byte_string(p, static_cast<size_t>(n.size));
        p += n.size;
        return true;
      case Kind::kEnum: {
        int64_t i = 0;
        if (!read_int(&i)) return false;
        if (i < 0 || static_cast<size_t>(i) >= n.symbols.size()) {
          return fail("enum index " + std::to_string(i) + " out of " +
                      std::to_string(n.symbols.size()) + " symbols");
        }
        append_json_string(n.symbols[static_cast<size_t>(i)], out);
        return true;
      }
      case Kind::kRecord: {
        out.push_back('{');
        for (size_t i = 0; i < n.fields.size(); ++i) {
          if (i) out.push_back(',');
          append_json_string(n.fields[i].first, out);
          out.push_back(':');
          if (!value(*n.fields[i].second, depth + 1)) {
            f.path.push_back(n.fields[i].first);
            return false;
          }
        }
        out.push_back('}');
        return true;
      }
      case Kind::kUnion: {
        int64_t i = 0;
        if (!read_long(&i)) return false;
        if (i < 0 || static_cast<size_t>(i) >= n.branches.size()) {
          return fail("union branch " + std::to_string(i) + " out of " +
                      std::to_string(n.branches.size()));
        }
        const Node& b = *n.branches[static_cast<size_t>(i)];
        if (b.kind == Kind::kNull) return value(b, depth + 1);
        out.push_back('{');
        append_json_string(b.label, out);
        out.push_back(':');
        if (!value(b, depth + 1)) return false;
        out.push_back('}');
        return true;
      }
      case Kind::kArray:
      case Kind::kMap: {
        const bool map = n.kind == Kind::kMap;
        out.push_back(map ? '{' : '[');
        size_t index = 0;
        for (;;) {
          int64_t count = 0;
          if (!read_long(&count)) return false;
          if (count == 0) break;
          if (count < 0) {  // a block with its size in bytes: not needed to read it
            if (count == std::numeric_limits<int64_t>::min()) return fail("a block count too big");
            count = -count;
            int64_t bytes = 0;
            if (!read_long(&bytes)) return false;
          }
          const int64_t item_bytes = n.items->min_bytes + (map ? 1 : 0);
          if (item_bytes > 0 ? count > (end - p) / item_bytes : count > kMaxFreeItems) {
            return fail("a block of " + std::to_string(count) + " items: " +
                        (item_bytes > 0
                             ? "more than the " + std::to_string(end - p) + " bytes left can hold"
                             : "more than " + std::to_string(kMaxFreeItems) +
                                   " of a type that takes no bytes"));
          }
          for (int64_t k = 0; k < count; ++k, ++index) {
            if (index) out.push_back(',');
            if (map) {
              size_t len = 0;
              if (!read_length(&len, "a map key")) return false;
              std::string_view key(reinterpret_cast<const char*>(p), len);
              if (!is_valid_utf8(key)) return fail("a map key that is not UTF-8");
              append_json_string(key, out);
              out.push_back(':');
              p += len;
            }
            if (!value(*n.items, depth + 1)) {
              f.path.push_back("[" + std::to_string(index) + "]");
              return false;
            }
            if (out.size() > kMaxJsonBytes) return too_big();
          }
        }
        out.push_back(map ? '}' : ']');
        return true;
      }
    }
    return fail("unknown type");
  }
};

}  // namespace

bool decode_datum(const Node& root, std::string_view datum, std::string& out, Failure& f) {
  const auto* b = reinterpret_cast<const uint8_t*>(datum.data());
  Decoder d{b, b, b + datum.size(), out, f};
  if (!d.value(root, 0)) return false;
  if (d.p != d.end) {
    f.offset = static_cast<size_t>(d.p - b);
    return f.fail(std::to_string(d.end - d.p) + " bytes left after the value");
  }
  return true;
}

}  // namespace sluice::avro_detail
