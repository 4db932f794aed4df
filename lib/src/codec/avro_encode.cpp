// Avro JSON encoding -> Avro binary over a compiled schema (avro_node.h).
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "codec/avro_node.h"
#include "sluice/envelope.h"

namespace sluice::avro_detail {

namespace {

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

bool encode_datum(const Node& root, simdjson::dom::element value, std::string& out, Failure& f) {
  Encoder e{out, f};
  return e.value(root, value, 0);
}

}  // namespace sluice::avro_detail
