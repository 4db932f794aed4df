// Partial JSON updates applied to the before document (see mysql_json_diff.h).
#include "cdc/mysql_json_diff.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cdc/mysql_bytes.h"

namespace sluice::mysql {

namespace {

enum Operation : uint8_t { kReplace = 0, kInsert = 1, kRemove = 2 };

const char* op_name(uint8_t op) {
  return op == kReplace ? "REPLACE" : op == kInsert ? "INSERT" : "REMOVE";
}

// One leg of a path without wildcards, ranges or ellipses: the only legs
// apply_json_diffs (sql/json_diff.cc seek_exact_path) follows.
struct Leg {
  bool member = false;
  std::string name;       // member
  uint64_t index = 0;     // array cell
  bool from_end = false;  // [last] (index 0), [last-N] (index N)
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// A JSON string literal starting at p[*i] (the opening quote): its
// unescaped bytes into *out, *i past the closing quote.
bool quoted(std::string_view p, size_t* i, std::string* out) {
  size_t j = *i + 1;
  while (j < p.size() && p[j] != '"') j += p[j] == '\\' ? 2 : 1;
  if (j >= p.size()) return false;
  thread_local simdjson::dom::parser parser;
  std::string_view s;
  if (parser.parse(simdjson::padded_string(p.substr(*i, j + 1 - *i))).get_string().get(s) !=
      simdjson::SUCCESS)
    return false;
  out->assign(s);
  *i = j + 1;
  return true;
}

bool number(std::string_view p, size_t* i, uint64_t* v) {
  const size_t start = *i;
  uint64_t n = 0;
  while (*i < p.size() && p[*i] >= '0' && p[*i] <= '9') {
    if (n > (UINT32_MAX - 9) / 10) return false;  // MySQL's indexes are 32-bit
    n = n * 10 + static_cast<uint64_t>(p[(*i)++] - '0');
  }
  *v = n;
  return *i > start;
}

void skip_space(std::string_view p, size_t* i) {
  while (*i < p.size() && is_space(p[*i])) ++*i;
}

// A path as sql/json_path.cc writes and parses it (whitespace between
// tokens allowed); wildcards, ranges and ellipses are refused.
Status parse_path(std::string_view p, std::vector<Leg>* legs) {
  auto bad = [&](const std::string& why) {
    return Status::BadData("JSON path '" + std::string(p) + "': " + why);
  };
  legs->clear();
  size_t i = 0;
  skip_space(p, &i);
  if (i >= p.size() || p[i] != '$') return bad("does not start with $");
  ++i;
  for (;;) {
    skip_space(p, &i);
    if (i >= p.size()) break;
    Leg leg;
    if (p[i] == '.') {
      ++i;
      skip_space(p, &i);
      if (i >= p.size()) return bad("member name missing");
      leg.member = true;
      if (p[i] == '"') {
        if (!quoted(p, &i, &leg.name)) return bad("bad quoted member name");
      } else {
        const size_t start = i;
        while (i < p.size() && !is_space(p[i]) && !std::strchr(".[]*\"", p[i])) ++i;
        if (i == start) return bad("wildcard or empty member name (not a single value)");
        leg.name.assign(p.substr(start, i - start));
      }
    } else if (p[i] == '[') {
      ++i;
      skip_space(p, &i);
      if (p.compare(i, 4, "last") == 0) {
        i += 4;
        leg.from_end = true;
        skip_space(p, &i);
        if (i < p.size() && p[i] == '-') {
          ++i;
          skip_space(p, &i);
          if (!number(p, &i, &leg.index)) return bad("bad index after last-");
        }
      } else if (!number(p, &i, &leg.index)) {
        return bad("array wildcard or bad index (not a single value)");
      }
      skip_space(p, &i);
      if (i >= p.size() || p[i] != ']')
        return bad("array range or unclosed [ (not a single value)");
      ++i;
    } else {
      return bad("unexpected '" + std::string(1, p[i]) + "' at " + std::to_string(i));
    }
    // MySQL's documents nest at most 100 deep (JSON_DOCUMENT_MAX_DEPTH);
    // this also bounds how deep diffs can make a tree.
    if (legs->size() == 100) return bad("deeper than 100 legs");
    legs->push_back(std::move(leg));
  }
  return Status::Ok();
}

// MySQL's Json_array_index (sql/json_path.h): the position of `leg` in an
// array of `size` elements, clamped to [0, size], and whether it is within.
size_t array_position(const Leg& leg, size_t size, bool* within) {
  *within = leg.index < size;
  if (leg.from_end) return leg.index < size ? size - 1 - static_cast<size_t>(leg.index) : 0;
  return static_cast<size_t>(std::min<uint64_t>(leg.index, size));
}

// MySQL's member order: shorter names first, then bytewise.
bool key_less(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// The child of `node` that `leg` names, or nullptr.
JsonNode* child(JsonNode* node, const Leg& leg) {
  if (node->kind == JsonNode::Kind::kObject && leg.member) {
    for (size_t k = 0; k < node->keys.size(); ++k) {
      if (node->keys[k] == leg.name) return &node->items[k];
    }
    return nullptr;
  }
  if (node->kind == JsonNode::Kind::kArray && !leg.member) {
    bool within;
    const size_t at = array_position(leg, node->items.size(), &within);
    return within ? &node->items[at] : nullptr;
  }
  return nullptr;
}

Status apply_one(uint8_t op, const std::vector<Leg>& legs, JsonNode&& value, JsonNode* doc) {
  if (legs.empty()) {
    if (op != kReplace) return Status::BadData("cannot INSERT or REMOVE the root");
    *doc = std::move(value);
    return Status::Ok();
  }
  JsonNode* parent = doc;
  for (size_t l = 0;; ++l) {
    if (parent->kind == JsonNode::Kind::kScalar) return Status::BadData("path goes into a scalar");
    if (l + 1 == legs.size()) break;
    parent = child(parent, legs[l]);
    if (parent == nullptr) return Status::BadData("path not found in the before document");
  }
  const Leg& last = legs.back();
  if (op == kReplace) {
    JsonNode* target = child(parent, last);
    if (target == nullptr) return Status::BadData("nothing to replace at the path");
    *target = std::move(value);
    return Status::Ok();
  }
  if (parent->kind == JsonNode::Kind::kObject && last.member) {
    auto at = std::find(parent->keys.begin(), parent->keys.end(), last.name);
    const auto k = static_cast<size_t>(at - parent->keys.begin());
    if (op == kRemove) {
      if (at == parent->keys.end()) return Status::BadData("no such member to remove");
      parent->keys.erase(at);
      parent->items.erase(parent->items.begin() + static_cast<ptrdiff_t>(k));
      return Status::Ok();
    }
    if (at != parent->keys.end()) return Status::BadData("member to insert already exists");
    auto pos =
        std::lower_bound(parent->keys.begin(), parent->keys.end(), last.name,
                         [](const std::string& a, const std::string& b) { return key_less(a, b); });
    const auto p = pos - parent->keys.begin();
    parent->keys.insert(pos, last.name);
    parent->items.insert(parent->items.begin() + p, std::move(value));
    return Status::Ok();
  }
  if (parent->kind == JsonNode::Kind::kArray && !last.member) {
    bool within;
    const size_t at = array_position(last, parent->items.size(), &within);
    if (op == kRemove) {
      if (!within) return Status::BadData("array index to remove out of bounds");
      parent->items.erase(parent->items.begin() + static_cast<ptrdiff_t>(at));
      return Status::Ok();
    }
    parent->items.insert(parent->items.begin() + static_cast<ptrdiff_t>(at), std::move(value));
    return Status::Ok();
  }
  return Status::BadData(
      "path leg does not fit the container (member of an array or index of an object)");
}

}  // namespace

Status apply_json_diffs(std::string_view diffs, JsonNode* doc) {
  LeReader r(diffs);
  std::vector<Leg> legs;
  for (unsigned n = 1; !r.done(); ++n) {
    const size_t at = r.pos();
    auto bad = [&](const std::string& why) {
      return Status::BadData("JSON diff " + std::to_string(n) + " at byte " + std::to_string(at) +
                             ": " + why);
    };
    uint8_t op = 0;
    std::string_view path, value;
    if (!r.u8(&op)) return bad("cut short");
    if (op > kRemove) return bad("unknown operation " + std::to_string(op));
    if (!r.lenenc_str(&path)) return bad("path cut short");
    if (op != kRemove && !r.lenenc_str(&value)) return bad("value cut short");
    if (Status st = parse_path(path, &legs); !st.ok()) return bad(st.message());
    JsonNode node;
    if (op != kRemove) {
      if (value.empty()) return bad("empty value");
      if (Status st = json_binary_to_tree(value, &node); !st.ok()) return bad(st.message());
    }
    if (Status st = apply_one(op, legs, std::move(node), doc); !st.ok())
      return bad(std::string(op_name(op)) + " '" + std::string(path) + "': " + st.message());
  }
  return Status::Ok();
}

Status partial_json_to_text(std::string_view before, std::string_view diffs, std::string& out) {
  JsonNode doc;
  if (Status st = json_binary_to_tree(before, &doc); !st.ok())
    return st.With("the before document");
  SLUICE_RETURN_IF_ERROR(apply_json_diffs(diffs, &doc));
  append_json_tree(doc, out);
  return Status::Ok();
}

}  // namespace sluice::mysql
