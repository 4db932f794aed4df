// Avro binary <-> Avro JSON encoding over a schema compiled from avro-c's.
// See avro.h for the JSON conventions and why the codec is ours.
#include "sluice/avro.h"

#include <avro.h>
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "sluice/envelope.h"

namespace sluice {

namespace {

enum class Kind {
  kNull,
  kBoolean,
  kInt,
  kLong,
  kFloat,
  kDouble,
  kBytes,
  kString,
  kRecord,
  kEnum,
  kArray,
  kMap,
  kUnion,
  kFixed
};

struct Node {
  Kind kind = Kind::kNull;
  std::string label;       // union branch name: "int", "map", "ns.Name"
  std::string short_name;  // a named type's name without its namespace
  std::vector<std::pair<std::string, const Node*>> fields;  // record
  std::vector<std::string> symbols;                         // enum
  const Node* items = nullptr;                              // array, map
  std::vector<const Node*> branches;                        // union
  int null_branch = -1;                                     // union
  int64_t size = 0;                                         // fixed
  int64_t min_bytes = 0;  // the fewest bytes a value of this type takes
};

constexpr int kMaxDepth = 256;
// A decoded value past this size is refused.
constexpr size_t kMaxJsonBytes = 64u << 20;
// Items of a type that takes no bytes (null, an empty record) cost no
// input, so a few bytes could ask for billions of them: at most this many
// per array or map.
constexpr int64_t kMaxFreeItems = 1 << 16;

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBoolean:
      return "boolean";
    case Kind::kInt:
      return "int";
    case Kind::kLong:
      return "long";
    case Kind::kFloat:
      return "float";
    case Kind::kDouble:
      return "double";
    case Kind::kBytes:
      return "bytes";
    case Kind::kString:
      return "string";
    case Kind::kRecord:
      return "record";
    case Kind::kEnum:
      return "enum";
    case Kind::kArray:
      return "array";
    case Kind::kMap:
      return "map";
    case Kind::kUnion:
      return "union";
    case Kind::kFixed:
      return "fixed";
  }
  return "?";
}

// Where a value went wrong: the reason, and the path built on the way back
// up (innermost first), so the success path never pays for it.
struct Failure {
  std::string reason;
  std::vector<std::string> path;
  size_t offset = 0;  // decoding: the byte offset of the failing value

  bool fail(std::string why) {
    reason = std::move(why);
    return false;
  }
  std::string where() const {
    std::string p;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
      if (!p.empty() && (*it)[0] != '[') p += '.';
      p += *it;
    }
    return p;
  }
};

}  // namespace

struct AvroSchema::Impl {
  std::string text;
  std::vector<std::unique_ptr<Node>> nodes;
  const Node* root = nullptr;

  // Compiles avro-c's schema; named types are compiled once, so a
  // recursive reference points back at its node.
  Result<const Node*> compile(avro_schema_t s, std::map<avro_schema_t, const Node*>& seen) {
    if (avro_typeof(s) == AVRO_LINK) s = avro_schema_link_target(s);
    if (auto it = seen.find(s); it != seen.end()) return it->second;
    auto owned = std::make_unique<Node>();
    Node* n = owned.get();
    nodes.push_back(std::move(owned));
    seen[s] = n;
    switch (avro_typeof(s)) {
      case AVRO_NULL:
        n->kind = Kind::kNull;
        break;
      case AVRO_BOOLEAN:
        n->kind = Kind::kBoolean;
        break;
      case AVRO_INT32:
        n->kind = Kind::kInt;
        break;
      case AVRO_INT64:
        n->kind = Kind::kLong;
        break;
      case AVRO_FLOAT:
        n->kind = Kind::kFloat;
        break;
      case AVRO_DOUBLE:
        n->kind = Kind::kDouble;
        break;
      case AVRO_BYTES:
        n->kind = Kind::kBytes;
        break;
      case AVRO_STRING:
        n->kind = Kind::kString;
        break;
      case AVRO_RECORD: {
        n->kind = Kind::kRecord;
        const size_t count = avro_schema_record_size(s);
        for (size_t i = 0; i < count; ++i) {
          const int idx = static_cast<int>(i);
          auto field = compile(avro_schema_record_field_get_by_index(s, idx), seen);
          if (!field.ok()) return field.status();
          n->fields.emplace_back(avro_schema_record_field_name(s, idx), *field);
        }
        break;
      }
      case AVRO_ENUM: {
        n->kind = Kind::kEnum;
        const int count = avro_schema_enum_number_of_symbols(s);
        for (int i = 0; i < count; ++i) n->symbols.emplace_back(avro_schema_enum_get(s, i));
        break;
      }
      case AVRO_FIXED:
        n->kind = Kind::kFixed;
        n->size = avro_schema_fixed_size(s);
        break;
      case AVRO_ARRAY:
      case AVRO_MAP: {
        const bool array = avro_typeof(s) == AVRO_ARRAY;
        n->kind = array ? Kind::kArray : Kind::kMap;
        auto items = compile(array ? avro_schema_array_items(s) : avro_schema_map_values(s), seen);
        if (!items.ok()) return items.status();
        n->items = *items;
        break;
      }
      case AVRO_UNION: {
        n->kind = Kind::kUnion;
        const size_t count = avro_schema_union_size(s);
        for (size_t i = 0; i < count; ++i) {
          auto b = compile(avro_schema_union_branch(s, static_cast<int>(i)), seen);
          if (!b.ok()) return b.status();
          if ((*b)->kind == Kind::kNull && n->null_branch < 0) n->null_branch = static_cast<int>(i);
          n->branches.push_back(*b);
        }
        break;
      }
      default:
        return Status::InvalidArgument("unsupported Avro schema type");
    }
    if (n->kind == Kind::kRecord || n->kind == Kind::kEnum || n->kind == Kind::kFixed) {
      const char* name = avro_schema_name(s);
      const char* ns = avro_schema_namespace(s);
      n->short_name = name ? name : "";
      n->label = ns && *ns ? std::string(ns) + "." + n->short_name : n->short_name;
    } else {
      n->label = kind_name(n->kind);
    }
    switch (n->kind) {
      case Kind::kNull:
        n->min_bytes = 0;
        break;
      case Kind::kFloat:
        n->min_bytes = 4;
        break;
      case Kind::kDouble:
        n->min_bytes = 8;
        break;
      case Kind::kFixed:
        n->min_bytes = n->size;
        break;
      case Kind::kRecord:
        // A recursive field's own value is not known yet (0 then): the
        // estimate stays a lower bound.
        for (const auto& field : n->fields) n->min_bytes += field.second->min_bytes;
        break;
      default:
        n->min_bytes = 1;
        break;  // a length, an index, a count or a byte
    }
    return static_cast<const Node*>(n);
  }
};

// ------------------------------------------------------------ binary -> JSON

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

// ------------------------------------------------------------ JSON -> binary

using simdjson::dom::element;
using simdjson::dom::element_type;

const char* json_type_name(element_type t) {
  switch (t) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

struct Encoder {
  std::string& out;
  Failure& f;

  void write_long(int64_t v) {
    uint64_t u = (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
    while (u >= 0x80) {
      out.push_back(static_cast<char>(u | 0x80));
      u >>= 7;
    }
    out.push_back(static_cast<char>(u));
  }
  void write_bytes(std::string_view b) {
    write_long(static_cast<int64_t>(b.size()));
    out.append(b);
  }
  bool expected(const Node& n, element e) {
    return f.fail(std::string("expected ") + (n.kind == Kind::kInt ? "an " : "a ") + n.label +
                  ", got " + json_type_name(e.type()));
  }
  // A JSON string of code points U+0000..U+00FF as the bytes they stand for.
  bool code_points_to_bytes(std::string_view s, std::string& bytes) {
    bytes.clear();
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<uint8_t>(s[i]);
      if (c < 0x80) {
        bytes.push_back(static_cast<char>(c));
      } else if ((c == 0xc2 || c == 0xc3) && i + 1 < s.size()) {
        bytes.push_back(static_cast<char>(((c & 0x1f) << 6) | (s[++i] & 0x3f)));
      } else {
        return f.fail("bytes are written as a string of code points up to \\u00ff");
      }
    }
    return true;
  }
  bool integer(element e, int64_t lo, int64_t hi, int64_t* v) {
    if (e.is_int64()) {
      *v = int64_t(e);
    } else if (e.is_double()) {
      double d = double(e);
      if (d != std::floor(d) || d < -9.2e18 || d > 9.2e18) return false;
      *v = static_cast<int64_t>(d);
    } else {
      return false;
    }
    return *v >= lo && *v <= hi;
  }
  bool real(element e, double* v) {
    if (e.is_number()) {
      *v = e.is_double() ? double(e) : e.is_int64() ? double(int64_t(e)) : double(uint64_t(e));
      return true;
    }
    if (e.is_string()) {
      std::string_view s = e;
      if (s == "NaN")
        *v = std::numeric_limits<double>::quiet_NaN();
      else if (s == "Infinity")
        *v = std::numeric_limits<double>::infinity();
      else if (s == "-Infinity")
        *v = -std::numeric_limits<double>::infinity();
      else
        return false;
      return true;
    }
    return false;
  }

  bool value(const Node& n, element e, int depth) {
    if (depth > kMaxDepth) return f.fail("nested deeper than " + std::to_string(kMaxDepth));
    switch (n.kind) {
      case Kind::kNull:
        return e.is_null() || expected(n, e);
      case Kind::kBoolean:
        if (!e.is_bool()) return expected(n, e);
        out.push_back(bool(e) ? 1 : 0);
        return true;
      case Kind::kInt:
      case Kind::kLong: {
        int64_t v = 0;
        const bool is_int = n.kind == Kind::kInt;
        if (!integer(e, is_int ? INT32_MIN : INT64_MIN, is_int ? INT32_MAX : INT64_MAX, &v)) {
          if (e.is_number()) return f.fail(std::string("a number that is no ") + n.label);
          return expected(n, e);
        }
        write_long(v);
        return true;
      }
      case Kind::kFloat:
      case Kind::kDouble: {
        double v;
        if (!real(e, &v)) return expected(n, e);
        if (n.kind == Kind::kFloat) {
          float fv = static_cast<float>(v);
          uint32_t bits;
          std::memcpy(&bits, &fv, 4);
          for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
        } else {
          uint64_t bits;
          std::memcpy(&bits, &v, 8);
          for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
        }
        return true;
      }
      case Kind::kString:
        if (!e.is_string()) return expected(n, e);
        write_bytes(std::string_view(e));
        return true;
      case Kind::kBytes:
      case Kind::kFixed: {
        if (!e.is_string()) return expected(n, e);
        thread_local std::string bytes;  // reused: no allocation per field once grown
        if (!code_points_to_bytes(std::string_view(e), bytes)) return false;
        if (n.kind == Kind::kBytes) {
          write_bytes(bytes);
        } else {
          if (static_cast<int64_t>(bytes.size()) != n.size) {
            return f.fail("expected " + std::to_string(n.size) + " bytes for fixed " + n.label +
                          ", got " + std::to_string(bytes.size()));
          }
          out += bytes;
        }
        return true;
      }
      case Kind::kEnum: {
        if (!e.is_string()) return expected(n, e);
        std::string_view s = e;
        for (size_t i = 0; i < n.symbols.size(); ++i) {
          if (n.symbols[i] == s) {
            write_long(static_cast<int64_t>(i));
            return true;
          }
        }
        return f.fail("'" + std::string(s) + "' is not a symbol of enum " + n.label);
      }
      case Kind::kRecord: {
        if (!e.is_object()) return expected(n, e);
        simdjson::dom::object obj = e;
        size_t matched = 0;
        for (const auto& [name, type] : n.fields) {
          element v;
          if (obj.at_key(name).get(v)) {  // missing
            if (type->kind == Kind::kUnion && type->null_branch >= 0) {
              write_long(type->null_branch);
              continue;
            }
            f.path.push_back(name);
            return f.fail("missing (the schema has no null for it)");
          }
          ++matched;
          if (!value(*type, v, depth + 1)) {
            f.path.push_back(name);
            return false;
          }
        }
        if (matched != obj.size()) {
          for (auto [key, v] : obj) {
            bool known = false;
            for (const auto& field : n.fields) known = known || field.first == key;
            if (!known) {
              return f.fail("field '" + std::string(key) + "' is not in the schema of " + n.label);
            }
          }
        }
        return true;
      }
      case Kind::kArray: {
        if (!e.is_array()) return expected(n, e);
        simdjson::dom::array arr = e;
        if (arr.size() > 0) {
          write_long(static_cast<int64_t>(arr.size()));
          size_t i = 0;
          for (element item : arr) {
            if (!value(*n.items, item, depth + 1)) {
              f.path.push_back("[" + std::to_string(i) + "]");
              return false;
            }
            ++i;
          }
        }
        write_long(0);
        return true;
      }
      case Kind::kMap: {
        if (!e.is_object()) return expected(n, e);
        simdjson::dom::object obj = e;
        if (obj.size() > 0) {
          write_long(static_cast<int64_t>(obj.size()));
          for (auto [key, v] : obj) {
            write_bytes(key);
            if (!value(*n.items, v, depth + 1)) {
              f.path.push_back(std::string(key));
              return false;
            }
          }
        }
        write_long(0);
        return true;
      }
      case Kind::kUnion:
        return union_value(n, e, depth);
    }
    return f.fail("unknown type");
  }

  bool union_value(const Node& n, element e, int depth) {
    if (e.is_null() && n.null_branch >= 0) {
      write_long(n.null_branch);
      return true;
    }
    const size_t start = out.size();
    // {"BRANCH": value}, the Avro JSON encoding.
    if (e.is_object()) {
      simdjson::dom::object obj = e;
      if (obj.size() == 1) {
        auto [key, inner] = *obj.begin();
        for (size_t i = 0; i < n.branches.size(); ++i) {
          const Node& b = *n.branches[i];
          if (key != b.label && (b.short_name.empty() || key != b.short_name)) continue;
          write_long(static_cast<int64_t>(i));
          if (value(b, inner, depth + 1)) return true;
          f.path.push_back(std::string(key));
          return false;
        }
      }
    }
    // A bare value: the first branch it fits.
    for (size_t i = 0; i < n.branches.size(); ++i) {
      if (n.branches[i]->kind == Kind::kNull) continue;
      write_long(static_cast<int64_t>(i));
      Failure scratch;
      Encoder sub{out, scratch};
      if (sub.value(*n.branches[i], e, depth + 1)) return true;
      out.resize(start);
    }
    std::string names;
    for (const Node* b : n.branches) names += (names.empty() ? "" : ", ") + b->label;
    return f.fail(std::string("no branch of the union [") + names + "] fits " +
                  json_type_name(e.type()));
  }
};

}  // namespace

Result<AvroSchema> AvroSchema::Parse(std::string_view json) {
  avro_schema_t s = nullptr;
  if (avro_schema_from_json_length(json.data(), json.size(), &s) != 0) {
    std::string why = avro_strerror();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::InvalidArgument("not an Avro schema: " + why);
  }
  auto impl = std::make_shared<Impl>();
  impl->text.assign(json);
  std::map<avro_schema_t, const Node*> seen;
  auto root = impl->compile(s, seen);
  avro_schema_decref(s);
  if (!root.ok()) return root.status();
  impl->root = *root;
  AvroSchema out;
  out.impl_ = std::move(impl);
  return out;
}

const std::string& AvroSchema::text() const {
  return impl_->text;
}

Status AvroSchema::to_json(std::string_view datum, std::string& out) const {
  Failure f;
  const auto* b = reinterpret_cast<const uint8_t*>(datum.data());
  Decoder d{b, b, b + datum.size(), out, f};
  const size_t start = out.size();
  bool ok = d.value(*impl_->root, 0);
  if (ok && d.p != d.end) {
    f.offset = static_cast<size_t>(d.p - b);
    ok = f.fail(std::to_string(d.end - d.p) + " bytes left after the value");
  }
  if (ok) return Status::Ok();
  out.resize(start);
  std::string where = f.where();
  return Status::BadData("at byte " + std::to_string(f.offset) +
                         (where.empty() ? "" : ", field '" + where + "'") + ": " + f.reason);
}

Status AvroSchema::from_json(std::string_view json, std::string& out) const {
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return Status::BadData(std::string("not JSON: ") + simdjson::error_message(err));
  }
  Failure f;
  Encoder e{out, f};
  const size_t start = out.size();
  if (e.value(*impl_->root, root, 0)) return Status::Ok();
  out.resize(start);
  std::string where = f.where();
  return Status::BadData("does not fit the Avro schema" +
                         (where.empty() ? "" : ": field '" + where + "'") + ": " + f.reason);
}

void append_confluent_header(int32_t schema_id, std::string& out) {
  const auto id = static_cast<uint32_t>(schema_id);
  out.push_back(0);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(id >> shift));
}

Result<int32_t> parse_confluent_header(std::string_view record) {
  if (record.size() < kConfluentHeaderBytes) {
    return Status::BadData("not in the schema registry framing: " + std::to_string(record.size()) +
                           " bytes, fewer than its 5-byte header");
  }
  if (record[0] != 0) {
    return Status::BadData("not in the schema registry framing: the first byte is " +
                           std::to_string(static_cast<uint8_t>(record[0])) + ", not 0");
  }
  uint32_t id = 0;
  for (size_t i = 1; i < kConfluentHeaderBytes; ++i) id = id << 8 | static_cast<uint8_t>(record[i]);
  return static_cast<int32_t>(id);
}

}  // namespace sluice
