// The compiled form of a filter expression (private to lib/src/filter).
//
// A Program is a tree of Nodes stored in one vector (children by index), built
// once by the parser (parse.cpp) and walked by the evaluator (eval.cpp). Paths
// are pre-converted to JSON pointers so that evaluation only navigates.
#pragma once

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::filter {

enum class NodeKind : uint8_t {
  kLiteral,  // lit
  kPath,     // path
  kMeta,     // meta (+ text: header name)
  kNot,      // a
  kAnd,      // a b
  kOr,       // a b
  kCompare,  // a b cmp
  kIn,       // a, list (literal nodes) or b (an operand)
  kContains,
  kStartsWith,
  kMatches,  // a, regex
  kExists,   // path
  kChanged,  // pointer: /before/PATH, text: /after/PATH
};

enum class CompareOp : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };
enum class MetaField : uint8_t { kKey, kStream, kShard, kSeq, kTs, kHeader };
enum class LitKind : uint8_t { kNull, kBool, kNumber, kString };

struct Literal {
  LitKind kind = LitKind::kNull;
  bool b = false;
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
};

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  int line = 1;
  int column = 1;
  int a = -1;  // child node indexes
  int b = -1;
  CompareOp cmp = CompareOp::kEq;
  MetaField meta = MetaField::kKey;
  Literal lit;
  std::string pointer;  // kPath/kExists: JSON pointer; kChanged: /before/PATH
  std::string text;     // kMeta kHeader: the header name; kChanged: /after/PATH; else the operator
  std::vector<int> list;  // kIn with a literal list
  std::unique_ptr<RE2> regex;
};

struct Program {
  std::string text;
  std::vector<Node> nodes;
  int root = -1;
  bool reads_event = false;
  int path_slots = 0;  // upper bound of values alive at once (string copies)
};

}  // namespace sluice::filter
