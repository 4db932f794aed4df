// MySQL binary JSON to text (see mysql_json.h).
#include "cdc/mysql_json.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_table_map.h"
#include "cdc/mysql_values.h"
#include "sluice/envelope.h"

namespace sluice::mysql {

namespace {

enum : uint8_t {
  kSmallObject = 0x0,
  kLargeObject = 0x1,
  kSmallArray = 0x2,
  kLargeArray = 0x3,
  kLiteral = 0x4,
  kInt16 = 0x5,
  kUint16 = 0x6,
  kInt32 = 0x7,
  kUint32 = 0x8,
  kInt64 = 0x9,
  kUint64 = 0xA,
  kDouble = 0xB,
  kString = 0xC,
  kOpaque = 0xF,
};

constexpr int kMaxDepth = 100;

class Decoder {
 public:
  explicit Decoder(std::string_view doc) : d_(doc) {}

  // The value of `type` whose bytes start at `at` (relative to the whole
  // document) and may run to `end`.
  Status value(uint8_t type, size_t at, size_t end, int depth, std::string& out) {
    if (depth > kMaxDepth) return bad("nested too deep", at);
    if (at > end || end > d_.size()) return bad("value out of bounds", at);
    const auto* p = reinterpret_cast<const uint8_t*>(d_.data()) + at;
    const size_t n = end - at;
    switch (type) {
      case kSmallObject:
      case kLargeObject:
        return container(true, type == kLargeObject, at, end, depth, out);
      case kSmallArray:
      case kLargeArray:
        return container(false, type == kLargeArray, at, end, depth, out);
      case kLiteral:
        if (n < 1) return bad("short literal", at);
        return literal(p[0], at, out);
      case kInt16:
        if (n < 2) return bad("short int16", at);
        append_int(static_cast<int16_t>(le_uint(p, 2)), out);
        return Status::Ok();
      case kUint16:
        if (n < 2) return bad("short uint16", at);
        append_int(static_cast<int64_t>(le_uint(p, 2)), out);
        return Status::Ok();
      case kInt32:
        if (n < 4) return bad("short int32", at);
        append_int(static_cast<int32_t>(le_uint(p, 4)), out);
        return Status::Ok();
      case kUint32:
        if (n < 4) return bad("short uint32", at);
        append_int(static_cast<int64_t>(le_uint(p, 4)), out);
        return Status::Ok();
      case kInt64:
        if (n < 8) return bad("short int64", at);
        append_int(static_cast<int64_t>(le_uint(p, 8)), out);
        return Status::Ok();
      case kUint64:
        if (n < 8) return bad("short uint64", at);
        debezium::append_u64(le_uint(p, 8), out);
        return Status::Ok();
      case kDouble: {
        if (n < 8) return bad("short double", at);
        uint64_t bits = le_uint(p, 8);
        double v;
        std::memcpy(&v, &bits, 8);
        // JSON has no NaN or infinity, and MySQL stores none in a JSON
        // document: such bytes are not a document.
        if (!std::isfinite(v)) return bad("double that is not finite", at);
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
        out.append(buf, static_cast<size_t>(r.ptr - buf));
        return Status::Ok();
      }
      case kString: {
        size_t len = 0, used = 0;
        if (!varlen(p, n, &len, &used) || len > n - used) return bad("short string", at);
        std::string_view s(reinterpret_cast<const char*>(p + used), len);
        append_text_string(0, s, out);
        return Status::Ok();
      }
      case kOpaque: {
        if (n < 1) return bad("short opaque value", at);
        size_t len = 0, used = 0;
        if (!varlen(p + 1, n - 1, &len, &used) || len > n - 1 - used)
          return bad("short opaque value", at);
        return opaque(p[0], std::string_view(reinterpret_cast<const char*>(p + 1 + used), len),
                      out);
      }
      default:
        return bad("unknown value type " + std::to_string(type), at);
    }
  }

  // As value(), into a tree: containers become nodes, scalars their text.
  Status tree(uint8_t type, size_t at, size_t end, int depth, JsonNode* node) {
    if (depth > kMaxDepth) return bad("nested too deep", at);
    if (at > end || end > d_.size()) return bad("value out of bounds", at);
    node->keys.clear();
    node->items.clear();
    node->scalar.clear();
    if (type > kLargeArray) {
      node->kind = JsonNode::Kind::kScalar;
      return value(type, at, end, depth, node->scalar);
    }
    const bool object = type <= kLargeObject;
    node->kind = object ? JsonNode::Kind::kObject : JsonNode::Kind::kArray;
    return entries(object, type == kLargeObject || type == kLargeArray, at, end,
                   [&](std::string_view key, uint8_t t, size_t vat, size_t vend) -> Status {
                     if (object) node->keys.emplace_back(key);
                     node->items.emplace_back();
                     return tree(t, vat, vend, depth + 1, &node->items.back());
                   });
  }

 private:
  Status bad(const std::string& what, size_t at) const {
    return Status::BadData("binary JSON: " + what + " at byte " + std::to_string(at));
  }

  static Status literal(uint8_t v, size_t at, std::string& out) {
    switch (v) {
      case 0:
        out.append("null");
        return Status::Ok();
      case 1:
        out.append("true");
        return Status::Ok();
      case 2:
        out.append("false");
        return Status::Ok();
      default:
        return Status::BadData("binary JSON: unknown literal " + std::to_string(v) + " at byte " +
                               std::to_string(at));
    }
  }

  // A length of 7 bits per byte, least significant first, at most 5 bytes.
  static bool varlen(const uint8_t* p, size_t n, size_t* len, size_t* used) {
    uint64_t v = 0;
    for (size_t i = 0; i < 5 && i < n; ++i) {
      v |= uint64_t{p[i] & 0x7fu} << (7 * i);
      if (!(p[i] & 0x80)) {
        if (v > UINT32_MAX) return false;
        *len = static_cast<size_t>(v);
        *used = i + 1;
        return true;
      }
    }
    return false;
  }

  // Calls fn(key, type, value_at, value_end) for each entry of the object
  // or array at `at` (key empty for arrays), in the document's order.
  template <typename Fn>
  Status entries(bool object, bool large, size_t at, size_t end, Fn&& fn) {
    const size_t off = large ? 4 : 2;
    const size_t n = end - at;
    const auto* p = reinterpret_cast<const uint8_t*>(d_.data()) + at;
    if (n < 2 * off) return bad("short container header", at);
    const uint64_t count = le_uint(p, off);
    const uint64_t size = le_uint(p + off, off);
    if (size > n || size < 2 * off) return bad("container size out of bounds", at);
    const size_t key_entry = off + 2;
    const size_t value_entry = 1 + off;
    const uint64_t header = 2 * off + count * (object ? key_entry : 0) + count * value_entry;
    if (count > size || header > size) return bad("container entries out of bounds", at);
    const size_t cend = at + static_cast<size_t>(size);
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view key;
      if (object) {
        const uint8_t* ke = p + 2 * off + i * key_entry;
        const uint64_t koff = le_uint(ke, off), klen = le_uint(ke + off, 2);
        if (koff > size || klen > size - koff) return bad("key out of bounds", at);
        key = std::string_view(reinterpret_cast<const char*>(p + koff), static_cast<size_t>(klen));
      }
      const uint8_t* ve = p + 2 * off + count * (object ? key_entry : 0) + i * value_entry;
      const uint8_t t = ve[0];
      // Small scalars are inlined in the entry itself.
      const bool inlined =
          t == kLiteral || t == kInt16 || t == kUint16 || (large && (t == kInt32 || t == kUint32));
      const size_t ve_at = static_cast<size_t>(ve - reinterpret_cast<const uint8_t*>(d_.data()));
      if (inlined) {
        SLUICE_RETURN_IF_ERROR(fn(key, t, ve_at + 1, ve_at + 1 + off));
      } else {
        const uint64_t voff = le_uint(ve + 1, off);
        if (voff < header || voff >= size) return bad("value offset out of bounds", ve_at);
        SLUICE_RETURN_IF_ERROR(fn(key, t, at + static_cast<size_t>(voff), cend));
      }
    }
    return Status::Ok();
  }

  Status container(bool object, bool large, size_t at, size_t end, int depth, std::string& out) {
    out.push_back(object ? '{' : '[');
    bool first = true;
    SLUICE_RETURN_IF_ERROR(
        entries(object, large, at, end,
                [&](std::string_view key, uint8_t t, size_t vat, size_t vend) -> Status {
                  if (!first) out.push_back(',');
                  first = false;
                  if (object) {
                    append_text_string(0, key, out);
                    out.push_back(':');
                  }
                  return value(t, vat, vend, depth + 1, out);
                }));
    out.push_back(object ? '}' : ']');
    return Status::Ok();
  }

  Status opaque(uint8_t field_type, std::string_view data, std::string& out) {
    const auto* p = reinterpret_cast<const uint8_t*>(data.data());
    switch (field_type) {
      case kTypeNewDecimal: {
        if (data.size() < 2) break;
        const unsigned precision = p[0], scale = p[1];
        if (data.size() - 2 < decimal_size(precision, scale)) break;
        if (!decimal_to_string(p + 2, precision, scale, out)) break;
        return Status::Ok();
      }
      case kTypeDate:
      case kTypeDatetime:
      case kTypeTimestamp:
      case kTypeTime: {
        if (data.size() < 8) break;
        int64_t packed = static_cast<int64_t>(le_uint(p, 8));
        char buf[40];
        const bool neg = packed < 0;
        // Negated as unsigned: -INT64_MIN does not fit an int64_t.
        const uint64_t v = neg ? 0 - static_cast<uint64_t>(packed) : static_cast<uint64_t>(packed);
        const uint64_t micros = v % (1 << 24), ymdhms = v >> 24;
        int len;
        if (field_type == kTypeTime) {
          const uint64_t hms = ymdhms;
          len = snprintf(buf, sizeof buf, "%s%02u:%02u:%02u", neg ? "-" : "",
                         static_cast<unsigned>((hms >> 12) % 1024),
                         static_cast<unsigned>((hms >> 6) % 64), static_cast<unsigned>(hms % 64));
        } else {
          const uint64_t ymd = ymdhms >> 17, hms = ymdhms % (1 << 17), ym = ymd >> 5;
          if (field_type == kTypeDate) {
            len = snprintf(buf, sizeof buf, "%04u-%02u-%02u", static_cast<unsigned>(ym / 13),
                           static_cast<unsigned>(ym % 13), static_cast<unsigned>(ymd % 32));
          } else {
            len = snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u",
                           static_cast<unsigned>(ym / 13), static_cast<unsigned>(ym % 13),
                           static_cast<unsigned>(ymd % 32), static_cast<unsigned>(hms >> 12),
                           static_cast<unsigned>((hms >> 6) % 64), static_cast<unsigned>(hms % 64));
          }
        }
        std::string s(buf, static_cast<size_t>(len));
        if (micros && field_type != kTypeDate) {
          char f[8];
          snprintf(f, sizeof f, ".%06u", static_cast<unsigned>(micros % 1000000));
          s.append(f);
        }
        append_json_string(s, out);
        return Status::Ok();
      }
      default:
        break;
    }
    std::string s = "base64:type" + std::to_string(field_type) + ":";
    append_base64(data, s);
    append_json_string(s, out);
    return Status::Ok();
  }

  std::string_view d_;
};

}  // namespace

Status json_binary_to_text(std::string_view doc, std::string& out) {
  if (doc.empty()) {
    out.append("null");
    return Status::Ok();
  }
  Decoder d(doc);
  return d.value(static_cast<uint8_t>(doc[0]), 1, doc.size(), 0, out);
}

Status json_binary_to_tree(std::string_view doc, JsonNode* out) {
  if (doc.empty()) {
    *out = JsonNode();
    return Status::Ok();
  }
  Decoder d(doc);
  return d.tree(static_cast<uint8_t>(doc[0]), 1, doc.size(), 0, out);
}

void append_json_tree(const JsonNode& node, std::string& out) {
  switch (node.kind) {
    case JsonNode::Kind::kScalar:
      out.append(node.scalar);
      return;
    case JsonNode::Kind::kObject:
    case JsonNode::Kind::kArray: {
      const bool object = node.kind == JsonNode::Kind::kObject;
      out.push_back(object ? '{' : '[');
      for (size_t i = 0; i < node.items.size(); ++i) {
        if (i) out.push_back(',');
        if (object) {
          append_text_string(0, node.keys[i], out);
          out.push_back(':');
        }
        append_json_tree(node.items[i], out);
      }
      out.push_back(object ? '}' : ']');
      return;
    }
  }
}

}  // namespace sluice::mysql
