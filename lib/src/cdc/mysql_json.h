// MySQL's binary JSON (the JSON column type of MySQL 5.7+, as the binlog
// carries it) to JSON text. MariaDB's JSON is LONGTEXT and needs none of it.
//
// Format: MySQL source, sql/json_binary.h ("The binary format of JSON
// documents"): a type byte, then small (16-bit offsets) or large (32-bit)
// objects and arrays of key entries and value entries (small scalars
// inlined), literals, 16/32/64-bit integers, doubles, length-prefixed
// strings and "opaque" values of another column type (DECIMAL, DATE,
// TIME, DATETIME; others as MySQL prints them, "base64:typeN:...").
// Bytes from the server: every offset is checked against the document,
// nesting is bounded; kBadData naming the offset otherwise. Pure function,
// thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice::mysql {

// Appends the JSON text of the binary document `doc` to `out` (an empty
// document, as MySQL writes a JSON null in some row images, is "null").
Status json_binary_to_text(std::string_view doc, std::string& out);

// A JSON document as a tree that can be changed (partial JSON updates,
// mysql_json_diff.h): objects and arrays are nodes, a scalar is its JSON
// text as json_binary_to_text writes it. Object members keep MySQL's order
// (shorter names first, then bytewise: sql/json_dom.h Json_key_comparator),
// so the text of a tree equals json_binary_to_text of the same document.
struct JsonNode {
  enum class Kind : uint8_t { kScalar, kObject, kArray };
  Kind kind = Kind::kScalar;
  std::string scalar = "null";    // kScalar: the value's JSON text
  std::vector<std::string> keys;  // kObject: member names (raw bytes)
  std::vector<JsonNode> items;    // kObject: values of keys[i]; kArray: elements
};

// Decodes the binary document `doc` into `*out` (an empty document is null).
Status json_binary_to_tree(std::string_view doc, JsonNode* out);

// Appends the JSON text of `node` to `out`.
void append_json_tree(const JsonNode& node, std::string& out);

}  // namespace sluice::mysql
