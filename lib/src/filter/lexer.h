// The filter language's lexer (private to lib/src/filter): the tokens of
// an expression, one at a time, for the parser (parse.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::filter {

enum class Tok : uint8_t {
  kEnd,
  kName,  // identifiers and keywords (in contains startswith matches true...)
  kMeta,  // @name
  kString,
  kNumber,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kDollar,
  kNot,
  kAnd,
  kOr,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kError,
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;    // byte offset in the text
  std::string text;  // name, meta name, decoded string, number text, operator
};

// Splits `text` into tokens. A token the lexer cannot make is kError, with
// error() saying why; its pos is where.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}
  // The next token (kEnd at the end of the text).
  Token next() {
    advance();
    return tok_;
  }
  const std::string& error() const { return error_; }
  // @headers.NAME: header names may hold '-' and '.', so they are read raw,
  // straight after the token last returned. kNone when no '.' follows;
  // kEmpty (and *at, where the name should be) when no name follows it.
  enum class Raw { kNone, kOk, kEmpty };
  Raw raw_header_name(std::string* name, size_t* at);

 private:
  void advance();
  void lex_string(char quote);
  bool hex4(size_t at, uint32_t& cp) const;
  void fail_string(size_t at, std::string what);
  void lex_number();

  std::string_view s_;
  size_t i_ = 0;
  Token tok_;
  std::string error_;
};

}  // namespace sluice::filter
