// Private to lib/src/codec: an Avro schema compiled from avro-c's (in
// avro.cpp), and the two walks over it: binary to JSON (avro_decode.cpp) and
// JSON to binary (avro_encode.cpp). See sluice/avro.h for the conventions.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::avro_detail {

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

inline const char* kind_name(Kind k) {
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

// Appends the JSON form of one binary datum of type `root` to `out`. False
// with `f` filled (reason, field path, byte offset) when the bytes do not
// hold exactly one such value; `out` may then hold part of it.
bool decode_datum(const Node& root, std::string_view datum, std::string& out, Failure& f);

// Appends the binary form of one JSON value of type `root` to `out`. False
// with `f` filled (reason, field path) when the value does not fit.
bool encode_datum(const Node& root, simdjson::dom::element value, std::string& out, Failure& f);

}  // namespace sluice::avro_detail
