// The filter evaluator: walks a Program over one event.
//
// The event is iterated once with simdjson On-Demand (stage 1 indexes the
// structure); each path is then navigated lazily with at_pointer, which
// rewinds the document, so only the fields a filter names are parsed. Strings
// read from the event are copied into per-node buffers of the Scratch, since a
// rewind reuses the parser's string buffer; those buffers, the padded copy of
// the event and the parser all keep their capacity, so a warm Evaluator does
// not allocate.
#include <simdjson.h>

#include <cstring>
#include <string>
#include <vector>

#include "filter/program.h"
#include "sluice/filter.h"

namespace sluice::filter {

namespace {

enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "boolean";
    case Kind::kNumber:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kArray:
      return "array";
    case Kind::kObject:
      return "object";
  }
  return "value";
}

struct Value {
  Kind kind = Kind::kNull;
  bool b = false;
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // kString: the decoded text; kArray/kObject: raw JSON
};

Value from_literal(const Literal& l) {
  Value v;
  switch (l.kind) {
    case LitKind::kNull:
      break;
    case LitKind::kBool:
      v.kind = Kind::kBool;
      v.b = l.b;
      break;
    case LitKind::kNumber:
      v.kind = Kind::kNumber;
      v.is_int = l.is_int;
      v.i = l.i;
      v.d = l.d;
      break;
    case LitKind::kString:
      v.kind = Kind::kString;
      v.s = l.s;
      break;
  }
  return v;
}

Value int_value(int64_t x) {
  Value v;
  v.kind = Kind::kNumber;
  v.is_int = true;
  v.i = x;
  v.d = static_cast<double>(x);
  return v;
}

// -1, 0, 1 for numbers; exact for two integers.
int compare_numbers(const Value& a, const Value& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  return a.d < b.d ? -1 : (a.d > b.d ? 1 : 0);
}

}  // namespace

struct Evaluator::Scratch {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::parser aux_parser;  // for elements of an array value
  std::string padded;              // a copy of the event with padding, unless parsed in place
  const char* end = nullptr;       // where the readable bytes after the event end
  size_t slack = 0;                // readable bytes after the payload (matches' argument)
  std::vector<std::string> slots;  // per node: strings read from the event
  std::optional<std::string_view> payload;
  bool iterated = false;
  bool has_doc = false;
  Status error;  // first error of this evaluation
};

namespace {

class Walk {
 public:
  Walk(const Program& p, Evaluator::Options o, Evaluator::Scratch& s, const EventMeta& m)
      : p_(p), o_(o), s_(s), m_(m) {}

  bool truth(int n) {
    const Node& node = p_.nodes[n];
    switch (node.kind) {
      case NodeKind::kNot:
        return !truth(node.a);
      case NodeKind::kAnd:
        return truth(node.a) && truth(node.b);
      case NodeKind::kOr:
        return truth(node.a) || truth(node.b);
      case NodeKind::kCompare:
        return compare(node);
      case NodeKind::kIn:
        return in(node);
      case NodeKind::kContains:
        return contains(node);
      case NodeKind::kStartsWith: {
        Value a = value(node.a);
        Value b = value(node.b);
        if (a.kind == Kind::kNull || b.kind == Kind::kNull) return false;
        if (a.kind != Kind::kString || b.kind != Kind::kString) return mismatch(node, a, b);
        return a.s.substr(0, b.s.size()) == b.s;
      }
      case NodeKind::kMatches: {
        Value a = value(node.a);
        if (a.kind == Kind::kNull) return false;
        if (a.kind != Kind::kString) {
          Value re;
          re.kind = Kind::kString;
          return mismatch(node, a, re);
        }
        return RE2::PartialMatch(re2::StringPiece(a.s.data(), a.s.size()), *node.regex);
      }
      case NodeKind::kExists:
        return exists(node.pointer);
      case NodeKind::kChanged:
        return changed(node);
      case NodeKind::kLiteral:
      case NodeKind::kPath:
      case NodeKind::kMeta: {
        Value v = value(n);
        return v.kind == Kind::kBool && v.b;
      }
    }
    return false;
  }

 private:
  bool mismatch(const Node& node, const Value& a, const Value& b) {
    if (o_.strict && s_.error.ok()) {
      s_.error = Status::BadData(std::to_string(node.line) + ":" + std::to_string(node.column) +
                                 ": type mismatch: '" + node.text + "' compares a " +
                                 kind_name(a.kind) + " with a " + kind_name(b.kind));
    }
    return false;
  }

  bool equal(const Value& a, const Value& b) {
    switch (a.kind) {
      case Kind::kNull:
        return true;
      case Kind::kBool:
        return a.b == b.b;
      case Kind::kNumber:
        return compare_numbers(a, b) == 0;
      default:
        return a.s == b.s;
    }
  }

  bool compare(const Node& node) {
    Value a = value(node.a);
    Value b = value(node.b);
    const bool eq_op = node.cmp == CompareOp::kEq || node.cmp == CompareOp::kNe;
    if (a.kind == Kind::kNull || b.kind == Kind::kNull) {
      if (!eq_op) return false;
      const bool same = a.kind == b.kind;
      return node.cmp == CompareOp::kEq ? same : !same;
    }
    if (a.kind != b.kind) return mismatch(node, a, b);
    if (eq_op) {
      const bool same = equal(a, b);
      return node.cmp == CompareOp::kEq ? same : !same;
    }
    int c = 0;
    if (a.kind == Kind::kNumber) {
      c = compare_numbers(a, b);
      // NaN cannot reach here: JSON and the literal syntax have none.
    } else if (a.kind == Kind::kString) {
      c = a.s.compare(b.s);
      c = c < 0 ? -1 : (c > 0 ? 1 : 0);
    } else {
      return mismatch(node, a, b);
    }
    switch (node.cmp) {
      case CompareOp::kLt:
        return c < 0;
      case CompareOp::kLe:
        return c <= 0;
      case CompareOp::kGt:
        return c > 0;
      case CompareOp::kGe:
        return c >= 0;
      default:
        return false;
    }
  }

  bool in(const Node& node) {
    Value a = value(node.a);
    if (node.b < 0) {
      for (int lit : node.list) {
        Value b = from_literal(p_.nodes[lit].lit);
        if (a.kind == b.kind && equal(a, b)) return true;
      }
      return false;
    }
    Value b = value(node.b);
    if (b.kind == Kind::kNull) return false;
    if (b.kind != Kind::kArray) return mismatch(node, b, a);
    return array_has(b.s, a);
  }

  bool contains(const Node& node) {
    Value a = value(node.a);
    Value b = value(node.b);
    if (a.kind == Kind::kNull || b.kind == Kind::kNull) {
      // [..] contains null is a question about elements; a null haystack is not.
      if (a.kind == Kind::kArray) return array_has(a.s, b);
      return false;
    }
    if (a.kind == Kind::kString && b.kind == Kind::kString) {
      return a.s.find(b.s) != std::string_view::npos;
    }
    if (a.kind == Kind::kArray) return array_has(a.s, b);
    return mismatch(node, a, b);
  }

  // Whether the JSON array `raw` (a view into the padded event) holds an
  // element equal to `needle`.
  bool array_has(std::string_view raw, const Value& needle) {
    simdjson::padded_string_view in(raw.data(), raw.size(),
                                    static_cast<size_t>(s_.end - raw.data()));
    simdjson::ondemand::document doc;
    if (s_.aux_parser.iterate(in).get(doc)) return false;
    simdjson::ondemand::array arr;
    if (doc.get_array().get(arr)) return false;
    for (auto el : arr) {
      simdjson::ondemand::value v;
      if (el.get(v)) return bad_json(el.error());
      Value got;  // strings are compared in place, in aux_parser's buffer
      if (!read(v, got, nullptr)) return false;
      if (got.kind == needle.kind && equal(got, needle)) return true;
    }
    return false;
  }

  bool bad_json(simdjson::error_code e) {
    if (s_.error.ok()) {
      s_.error =
          Status::BadData(std::string("event is not valid JSON: ") + simdjson::error_message(e));
    }
    return false;
  }

  // Navigation errors that mean "not there" rather than "not JSON".
  static bool absent(simdjson::error_code e) {
    return e == simdjson::NO_SUCH_FIELD || e == simdjson::INCORRECT_TYPE ||
           e == simdjson::INDEX_OUT_OF_BOUNDS || e == simdjson::INVALID_JSON_POINTER;
  }

  // Starts the document on first use; false (and an error) when the event is
  // not JSON, false without error when there is no payload.
  bool document() {
    if (s_.iterated) return s_.has_doc;
    s_.iterated = true;
    if (!s_.payload) return false;
    const std::string_view p = *s_.payload;
    simdjson::padded_string_view in;
    const char after = s_.slack > 0 ? p.data()[p.size()] : 'x';
    if (s_.slack >= simdjson::SIMDJSON_PADDING &&
        (after == '\n' || after == '\r' || after == ' ' || after == '\t')) {
      // Whitespace ends the event (a root scalar stops there), and the
      // parser may read ahead into the bytes after it.
      in = simdjson::padded_string_view(p.data(), p.size(), p.size() + s_.slack);
      s_.end = p.data() + p.size() + s_.slack;
    } else {
      s_.padded.assign(p.data(), p.size());
      s_.padded.append(simdjson::SIMDJSON_PADDING, '\0');
      in = simdjson::padded_string_view(s_.padded.data(), p.size(), s_.padded.size());
      s_.end = s_.padded.data() + s_.padded.size();
    }
    auto err = s_.parser.iterate(in).get(s_.doc);
    if (err) return bad_json(err);
    s_.has_doc = true;
    // A scalar event is read whole now, so that "not json" is an error and
    // not a null that every path misses.
    simdjson::ondemand::json_type t{};
    if ((err = s_.doc.type().get(t))) return bad_json(err);
    if (t != simdjson::ondemand::json_type::object && t != simdjson::ondemand::json_type::array) {
      Value ignored;
      std::string* slot = &s_.slots.back();
      if (!read_root(ignored, slot)) {
        s_.has_doc = false;
        return false;
      }
    }
    return true;
  }

  // Finds `pointer` in the event. Returns false when absent or on error
  // (then s_.error is set).
  bool find(std::string_view pointer, simdjson::ondemand::value& out) {
    // After an error On-Demand's iterator must not be used again.
    if (!document() || !s_.error.ok()) return false;
    auto err = s_.doc.at_pointer(pointer).get(out);
    if (err == simdjson::SCALAR_DOCUMENT_AS_VALUE) {
      // A bare scalar event: only `$` reaches it, and read_root handles it.
      return false;
    }
    if (err) {
      if (!absent(err)) bad_json(err);
      return false;
    }
    return true;
  }

  // Decodes a JSON value; strings are copied into `slot` when given (they
  // must outlive the next rewind), else viewed in the parser's buffer.
  bool read(simdjson::ondemand::value& v, Value& out, std::string* slot) {
    simdjson::ondemand::json_type t{};
    auto err = v.type().get(t);
    if (err) return bad_json(err);
    switch (t) {
      case simdjson::ondemand::json_type::null:
        out.kind = Kind::kNull;
        // is_null() validates the literal (a bare "nul" is not null).
        if (bool is_null = false; v.is_null().get(is_null) || !is_null)
          return bad_json(simdjson::N_ATOM_ERROR);
        return true;
      case simdjson::ondemand::json_type::boolean:
        out.kind = Kind::kBool;
        if ((err = v.get_bool().get(out.b))) return bad_json(err);
        return true;
      case simdjson::ondemand::json_type::number: {
        out.kind = Kind::kNumber;
        simdjson::ondemand::number num;
        if ((err = v.get_number().get(num))) {
          // Beyond 64 bits: compare as a double.
          if ((err = v.get_double().get(out.d))) return bad_json(err);
          return true;
        }
        switch (num.get_number_type()) {
          case simdjson::ondemand::number_type::signed_integer:
            out.is_int = true;
            out.i = num.get_int64();
            out.d = static_cast<double>(out.i);
            break;
          case simdjson::ondemand::number_type::unsigned_integer:
            out.d = static_cast<double>(num.get_uint64());
            break;
          default:
            out.d = num.get_double();
        }
        return true;
      }
      case simdjson::ondemand::json_type::string: {
        out.kind = Kind::kString;
        std::string_view sv;
        if ((err = v.get_string().get(sv))) return bad_json(err);
        if (slot) {
          slot->assign(sv);
          sv = *slot;
        }
        out.s = sv;
        return true;
      }
      case simdjson::ondemand::json_type::array: {
        out.kind = Kind::kArray;
        simdjson::ondemand::array a;
        if ((err = v.get_array().get(a))) return bad_json(err);
        if ((err = a.raw_json().get(out.s))) return bad_json(err);
        return true;
      }
      case simdjson::ondemand::json_type::object: {
        out.kind = Kind::kObject;
        simdjson::ondemand::object o;
        if ((err = v.get_object().get(o))) return bad_json(err);
        if ((err = o.raw_json().get(out.s))) return bad_json(err);
        return true;
      }
    }
    return false;
  }

  // `$` when the whole event is a scalar (simdjson serves those from the
  // document, not as a value).
  bool read_root(Value& out, std::string* slot) {
    simdjson::ondemand::json_type t{};
    s_.doc.rewind();
    auto err = s_.doc.type().get(t);
    if (err) return bad_json(err);
    simdjson::error_code e = simdjson::SUCCESS;
    switch (t) {
      case simdjson::ondemand::json_type::null:
        if (bool is_null = false; s_.doc.is_null().get(is_null) || !is_null)
          e = simdjson::N_ATOM_ERROR;
        break;
      case simdjson::ondemand::json_type::boolean:
        out.kind = Kind::kBool;
        e = s_.doc.get_bool().get(out.b);
        break;
      case simdjson::ondemand::json_type::number:
        out.kind = Kind::kNumber;
        e = s_.doc.get_double().get(out.d);
        if (!e) {
          int64_t i = 0;
          s_.doc.rewind();
          if (!s_.doc.get_int64().get(i)) {
            out.is_int = true;
            out.i = i;
          }
        }
        break;
      case simdjson::ondemand::json_type::string: {
        out.kind = Kind::kString;
        std::string_view sv;
        e = s_.doc.get_string().get(sv);
        if (!e) {
          slot->assign(sv);
          out.s = *slot;
        }
        break;
      }
      default:
        return false;
    }
    if (e) return bad_json(e);
    return true;
  }

  Value value(int n) {
    const Node& node = p_.nodes[n];
    switch (node.kind) {
      case NodeKind::kLiteral:
        return from_literal(node.lit);
      case NodeKind::kMeta:
        return meta(node);
      case NodeKind::kPath: {
        Value v;
        simdjson::ondemand::value jv;
        std::string* slot = &s_.slots[static_cast<size_t>(n)];
        if (find(node.pointer, jv)) {
          read(jv, v, slot);
        } else if (node.pointer.empty() && s_.has_doc && s_.error.ok()) {
          read_root(v, slot);
        }
        return v;
      }
      default:
        return Value{Kind::kBool, truth(n)};
    }
  }

  Value meta(const Node& node) {
    Value v;
    switch (node.meta) {
      case MetaField::kKey:
        if (m_.key) {
          v.kind = Kind::kString;
          v.s = *m_.key;
        }
        return v;
      case MetaField::kStream:
        if (!m_.stream.empty()) {
          v.kind = Kind::kString;
          v.s = m_.stream;
        }
        return v;
      case MetaField::kShard:
        return m_.shard >= 0 ? int_value(m_.shard) : v;
      case MetaField::kSeq:
        return m_.seq >= 0 ? int_value(m_.seq) : v;
      case MetaField::kTs:
        return m_.ts_us != 0 ? int_value(m_.ts_us) : v;
      case MetaField::kHeader:
        for (const Header& h : m_.headers) {
          if (h.name == node.text) {
            v.kind = Kind::kString;
            v.s = h.value;
            return v;
          }
        }
        return v;
    }
    return v;
  }

  bool exists(const std::string& pointer) {
    simdjson::ondemand::value v;
    if (pointer.empty()) return document();
    return find(pointer, v);
  }

  // Whether the event's `side` ("/before" or "/after") is an object.
  bool side_is_object(std::string_view side) {
    simdjson::ondemand::value v;
    simdjson::ondemand::json_type t{};
    return find(side, v) && !v.type().get(t) && t == simdjson::ondemand::json_type::object;
  }

  bool changed(const Node& node) {
    if (!document()) return false;
    // Two slots of this node's own: before's string, after's string.
    const size_t slot = static_cast<size_t>(&node - p_.nodes.data());
    Value before;
    Value after;
    simdjson::ondemand::value jv;
    // The fields first: an update has both, and then both sides are row
    // images; only a side without the field needs a look at the side itself
    // (an object without the column counts as null, a null side as no image).
    const bool whole = node.pointer == "/before";  // changed($)
    const bool has_before = find(node.pointer, jv);
    if (has_before && !read(jv, before, &s_.slots[slot])) return false;
    if (!s_.error.ok()) return false;
    const bool has_after = find(node.text, jv);
    if (has_after && !read(jv, after, &s_.slots[slot + p_.nodes.size()])) return false;
    if (!s_.error.ok()) return false;
    if ((whole || !has_before) && !side_is_object("/before")) return false;
    if ((whole || !has_after) && !side_is_object("/after")) return false;
    if (before.kind != after.kind) return true;
    return !equal(before, after);
  }

  const Program& p_;
  Evaluator::Options o_;
  Evaluator::Scratch& s_;
  const EventMeta& m_;
};

}  // namespace

Evaluator::Evaluator() : Evaluator(Options{}) {}
Evaluator::Evaluator(Options options) : options_(options), scratch_(std::make_unique<Scratch>()) {}
Evaluator::Evaluator(Evaluator&&) noexcept = default;
Evaluator& Evaluator::operator=(Evaluator&&) noexcept = default;
Evaluator::~Evaluator() = default;

Result<bool> Evaluator::matches(const Filter& filter, std::optional<std::string_view> payload,
                                const EventMeta& meta, size_t slack) {
  const Program& p = *filter.program_;
  Scratch& s = *scratch_;
  // Two slots per node (changed() uses a second one), kept across events.
  if (s.slots.size() < 2 * p.nodes.size()) s.slots.resize(2 * p.nodes.size());
  s.payload = payload;
  s.slack = slack;
  s.iterated = false;
  s.has_doc = false;
  s.error = Status::Ok();
  Walk walk(p, options_, s, meta);
  const bool matched = walk.truth(p.root);
  if (!s.error.ok()) return s.error;
  return matched;
}

}  // namespace sluice::filter
