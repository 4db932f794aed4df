// The filter language's lexer and recursive-descent parser: text to Program.
//
// Errors name the position as LINE:COLUMN (1-based, columns in code points)
// of the token where the parser gave up, and say what it expected there.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "filter/program.h"
#include "sluice/envelope.h"
#include "sluice/filter.h"

namespace sluice::filter {

namespace {

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

bool name_start(unsigned char c) {
  return std::isalpha(c) || c == '_';
}
bool name_char(unsigned char c) {
  return std::isalnum(c) || c == '_';
}

class Parser {
 public:
  explicit Parser(Program& p) : p_(p), s_(p.text) {}

  Status run() {
    next();
    int root = -1;
    SLUICE_RETURN_IF_ERROR(parse_or(root));
    if (tok_.kind != Tok::kEnd) return error(tok_.pos, "unexpected " + describe(tok_));
    p_.root = root;
    return Status::Ok();
  }

 private:
  // ---- positions and errors
  std::pair<int, int> line_col(size_t pos) const {
    int line = 1;
    int col = 1;
    for (size_t i = 0; i < pos && i < s_.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s_[i]);
      if (c == '\n') {
        ++line;
        col = 1;
      } else if ((c & 0xC0) != 0x80) {
        ++col;
      }
    }
    return {line, col};
  }
  Status error(size_t pos, const std::string& what) const {
    auto [line, col] = line_col(pos);
    return Status::InvalidArgument(std::to_string(line) + ":" + std::to_string(col) + ": " + what);
  }
  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd:
        return "end of expression";
      case Tok::kString:
        return "string \"" + t.text + "\"";
      case Tok::kMeta:
        return "'@" + t.text + "'";
      default:
        return "'" + t.text + "'";
    }
  }

  // ---- lexer
  void next() {
    tok_ = Token{};
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    tok_.pos = i_;
    if (i_ >= s_.size()) {
      tok_.kind = Tok::kEnd;
      return;
    }
    const unsigned char c = static_cast<unsigned char>(s_[i_]);
    auto two = [&](char second) { return i_ + 1 < s_.size() && s_[i_ + 1] == second; };
    auto op = [&](Tok k, size_t len) {
      tok_.kind = k;
      tok_.text.assign(s_.substr(i_, len));
      i_ += len;
    };
    if (name_start(c)) {
      size_t j = i_;
      while (j < s_.size() && name_char(static_cast<unsigned char>(s_[j]))) ++j;
      tok_.kind = Tok::kName;
      tok_.text.assign(s_.substr(i_, j - i_));
      i_ = j;
    } else if (c == '@') {
      size_t j = i_ + 1;
      while (j < s_.size() && name_char(static_cast<unsigned char>(s_[j]))) ++j;
      tok_.kind = Tok::kMeta;
      tok_.text.assign(s_.substr(i_ + 1, j - i_ - 1));
      i_ = j;
    } else if (c == '"' || c == '\'') {
      lex_string(static_cast<char>(c));
    } else if (std::isdigit(c) || (c == '-' && i_ + 1 < s_.size() &&
                                   std::isdigit(static_cast<unsigned char>(s_[i_ + 1])))) {
      lex_number();
    } else if (c == '(') {
      op(Tok::kLParen, 1);
    } else if (c == ')') {
      op(Tok::kRParen, 1);
    } else if (c == '[') {
      op(Tok::kLBracket, 1);
    } else if (c == ']') {
      op(Tok::kRBracket, 1);
    } else if (c == ',') {
      op(Tok::kComma, 1);
    } else if (c == '.') {
      op(Tok::kDot, 1);
    } else if (c == '$') {
      op(Tok::kDollar, 1);
    } else if (c == '&' && two('&')) {
      op(Tok::kAnd, 2);
    } else if (c == '|' && two('|')) {
      op(Tok::kOr, 2);
    } else if (c == '=' && two('=')) {
      op(Tok::kEq, 2);
    } else if (c == '!' && two('=')) {
      op(Tok::kNe, 2);
    } else if (c == '!') {
      op(Tok::kNot, 1);
    } else if (c == '<' && two('=')) {
      op(Tok::kLe, 2);
    } else if (c == '<') {
      op(Tok::kLt, 1);
    } else if (c == '>' && two('=')) {
      op(Tok::kGe, 2);
    } else if (c == '>') {
      op(Tok::kGt, 1);
    } else {
      tok_.kind = Tok::kError;
      // One whole code point, so the message shows a character, not a byte.
      size_t len = 1;
      while (i_ + len < s_.size() && (static_cast<unsigned char>(s_[i_ + len]) & 0xC0) == 0x80)
        ++len;
      tok_.text.assign(s_.substr(i_, len));
      lex_error_ = "unexpected character '" + tok_.text + "'";
      if (c == '=') lex_error_ += " (use '==')";
      if (c == '&') lex_error_ += " (use '&&')";
      if (c == '|') lex_error_ += " (use '||')";
      i_ += len;
    }
  }

  void lex_string(char quote) {
    size_t j = i_ + 1;
    std::string out;
    while (j < s_.size() && s_[j] != quote) {
      char c = s_[j];
      if (c == '\\' && j + 1 < s_.size()) {
        const char e = s_[j + 1];
        switch (e) {
          case '"':
          case '\'':
          case '\\':
          case '/':
            out += e;
            j += 2;
            continue;
          case 'b':
            out += '\b';
            j += 2;
            continue;
          case 'f':
            out += '\f';
            j += 2;
            continue;
          case 'n':
            out += '\n';
            j += 2;
            continue;
          case 'r':
            out += '\r';
            j += 2;
            continue;
          case 't':
            out += '\t';
            j += 2;
            continue;
          case 'u': {
            uint32_t cp = 0;
            if (!hex4(j + 2, cp)) {
              fail_string(j, "invalid \\u escape (expected 4 hex digits)");
              return;
            }
            j += 6;
            if (cp >= 0xD800 && cp < 0xDC00) {
              uint32_t lo = 0;
              if (j + 1 < s_.size() && s_[j] == '\\' && s_[j + 1] == 'u' && hex4(j + 2, lo) &&
                  lo >= 0xDC00 && lo < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                j += 6;
              } else {
                fail_string(j - 6, "unpaired UTF-16 surrogate in \\u escape");
                return;
              }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
              fail_string(j - 6, "unpaired UTF-16 surrogate in \\u escape");
              return;
            }
            append_utf8(cp, out);
            continue;
          }
          default:
            // Kept as written, so regular expressions read naturally:
            // matches "^a\.b" is the regex ^a\.b.
            out += c;
            out += e;
            j += 2;
            continue;
        }
      }
      out += c;
      ++j;
    }
    if (j >= s_.size()) {
      tok_.kind = Tok::kError;
      lex_error_ = "unterminated string";
      i_ = s_.size();
      return;
    }
    tok_.kind = Tok::kString;
    tok_.text = std::move(out);
    i_ = j + 1;
  }

  bool hex4(size_t at, uint32_t& cp) const {
    if (at + 4 > s_.size()) return false;
    cp = 0;
    for (size_t k = at; k < at + 4; ++k) {
      const char h = s_[k];
      cp <<= 4;
      if (h >= '0' && h <= '9') {
        cp |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        cp |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        cp |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  void fail_string(size_t at, std::string what) {
    tok_.kind = Tok::kError;
    tok_.pos = at;
    lex_error_ = std::move(what);
    i_ = s_.size();
  }

  void lex_number() {
    size_t j = i_;
    if (s_[j] == '-') ++j;
    auto digits = [&] {
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
    };
    digits();
    if (j + 1 < s_.size() && s_[j] == '.' && std::isdigit(static_cast<unsigned char>(s_[j + 1]))) {
      ++j;
      digits();
    }
    if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
      size_t k = j + 1;
      if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
      if (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) {
        j = k;
        digits();
      }
    }
    tok_.kind = Tok::kNumber;
    tok_.text.assign(s_.substr(i_, j - i_));
    i_ = j;
  }

  // ---- parser
  int add(NodeKind kind, size_t pos) {
    Node n;
    n.kind = kind;
    auto [line, col] = line_col(pos);
    n.line = line;
    n.column = col;
    p_.nodes.push_back(std::move(n));
    return static_cast<int>(p_.nodes.size() - 1);
  }

  Status lex_check() {
    if (tok_.kind == Tok::kError) return error(tok_.pos, lex_error_);
    return Status::Ok();
  }

  Status parse_or(int& out) {
    SLUICE_RETURN_IF_ERROR(parse_and(out));
    while (tok_.kind == Tok::kOr) {
      const size_t pos = tok_.pos;
      next();
      int rhs = -1;
      SLUICE_RETURN_IF_ERROR(expect_operand("||"));
      SLUICE_RETURN_IF_ERROR(parse_and(rhs));
      const int n = add(NodeKind::kOr, pos);
      p_.nodes[n].a = out;
      p_.nodes[n].b = rhs;
      out = n;
    }
    return Status::Ok();
  }

  Status parse_and(int& out) {
    SLUICE_RETURN_IF_ERROR(parse_unary(out));
    while (tok_.kind == Tok::kAnd) {
      const size_t pos = tok_.pos;
      next();
      int rhs = -1;
      SLUICE_RETURN_IF_ERROR(expect_operand("&&"));
      SLUICE_RETURN_IF_ERROR(parse_unary(rhs));
      const int n = add(NodeKind::kAnd, pos);
      p_.nodes[n].a = out;
      p_.nodes[n].b = rhs;
      out = n;
    }
    return Status::Ok();
  }

  Status parse_unary(int& out) {
    if (tok_.kind == Tok::kNot) {
      const size_t pos = tok_.pos;
      next();
      SLUICE_RETURN_IF_ERROR(expect_operand("!"));
      int inner = -1;
      SLUICE_RETURN_IF_ERROR(parse_unary(inner));
      out = add(NodeKind::kNot, pos);
      p_.nodes[out].a = inner;
      return Status::Ok();
    }
    return parse_test(out);
  }

  // True when the current token can start an operand.
  bool operand_start() const {
    switch (tok_.kind) {
      case Tok::kName:
        return tok_.text != "in" && tok_.text != "contains" && tok_.text != "startswith" &&
               tok_.text != "matches";
      case Tok::kMeta:
      case Tok::kString:
      case Tok::kNumber:
      case Tok::kLParen:
      case Tok::kDollar:
      case Tok::kNot:
        return true;
      default:
        return false;
    }
  }

  Status expect_operand(const std::string& after) {
    SLUICE_RETURN_IF_ERROR(lex_check());
    if (!operand_start()) {
      return error(tok_.pos, "expected a value after '" + after + "'" +
                                 (tok_.kind == Tok::kEnd ? "" : ", found " + describe(tok_)));
    }
    return Status::Ok();
  }

  Status parse_test(int& out) {
    SLUICE_RETURN_IF_ERROR(lex_check());
    if (!operand_start() || tok_.kind == Tok::kNot) {
      return error(tok_.pos, "expected a value, found " + describe(tok_));
    }
    SLUICE_RETURN_IF_ERROR(parse_operand(out));
    SLUICE_RETURN_IF_ERROR(lex_check());
    const size_t pos = tok_.pos;
    const std::string op_text = tok_.text;
    CompareOp cmp{};
    bool is_cmp = true;
    switch (tok_.kind) {
      case Tok::kEq:
        cmp = CompareOp::kEq;
        break;
      case Tok::kNe:
        cmp = CompareOp::kNe;
        break;
      case Tok::kLt:
        cmp = CompareOp::kLt;
        break;
      case Tok::kLe:
        cmp = CompareOp::kLe;
        break;
      case Tok::kGt:
        cmp = CompareOp::kGt;
        break;
      case Tok::kGe:
        cmp = CompareOp::kGe;
        break;
      default:
        is_cmp = false;
    }
    if (is_cmp) {
      next();
      SLUICE_RETURN_IF_ERROR(expect_operand(op_text));
      if (tok_.kind == Tok::kNot)
        return error(tok_.pos,
                     "expected a value after '" + op_text + "' (put a negation in parentheses)");
      int rhs = -1;
      SLUICE_RETURN_IF_ERROR(parse_operand(rhs));
      const int n = add(NodeKind::kCompare, pos);
      p_.nodes[n].a = out;
      p_.nodes[n].b = rhs;
      p_.nodes[n].cmp = cmp;
      p_.nodes[n].text = op_text;
      out = n;
      return no_chained_comparison();
    }
    if (tok_.kind != Tok::kName) return Status::Ok();
    if (tok_.text == "in") {
      next();
      SLUICE_RETURN_IF_ERROR(lex_check());
      const int n = add(NodeKind::kIn, pos);
      p_.nodes[n].a = out;
      p_.nodes[n].text = "in";
      if (tok_.kind == Tok::kLBracket) {
        next();
        while (tok_.kind != Tok::kRBracket) {
          SLUICE_RETURN_IF_ERROR(lex_check());
          int lit = -1;
          if (!literal_start()) {
            return error(tok_.pos,
                         "expected a literal (string, number, true, false or null) in "
                         "the list after 'in', found " +
                             describe(tok_));
          }
          SLUICE_RETURN_IF_ERROR(parse_operand(lit));
          p_.nodes[n].list.push_back(lit);
          SLUICE_RETURN_IF_ERROR(lex_check());
          if (tok_.kind == Tok::kComma) {
            next();
          } else if (tok_.kind != Tok::kRBracket) {
            return error(tok_.pos,
                         "expected ',' or ']' in the list after 'in', found " + describe(tok_));
          }
        }
        next();
      } else {
        SLUICE_RETURN_IF_ERROR(expect_operand("in"));
        if (tok_.kind == Tok::kNot) return error(tok_.pos, "expected a list after 'in'");
        int rhs = -1;
        SLUICE_RETURN_IF_ERROR(parse_operand(rhs));
        p_.nodes[n].b = rhs;
      }
      out = n;
      return no_chained_comparison();
    }
    if (tok_.text == "contains" || tok_.text == "startswith") {
      next();
      SLUICE_RETURN_IF_ERROR(expect_operand(op_text));
      if (tok_.kind == Tok::kNot)
        return error(tok_.pos, "expected a value after '" + op_text + "'");
      int rhs = -1;
      SLUICE_RETURN_IF_ERROR(parse_operand(rhs));
      const int n = add(op_text == "contains" ? NodeKind::kContains : NodeKind::kStartsWith, pos);
      p_.nodes[n].a = out;
      p_.nodes[n].b = rhs;
      p_.nodes[n].text = op_text;
      out = n;
      return no_chained_comparison();
    }
    if (tok_.text == "matches") {
      next();
      SLUICE_RETURN_IF_ERROR(lex_check());
      if (tok_.kind != Tok::kString) {
        return error(tok_.pos,
                     "expected a regular expression string after 'matches'" +
                         (tok_.kind == Tok::kEnd ? std::string() : ", found " + describe(tok_)));
      }
      RE2::Options opts;
      opts.set_log_errors(false);
      // Bounds what one (possibly untrusted) pattern may cost in memory.
      opts.set_max_mem(8 << 20);
      auto re = std::make_unique<RE2>(tok_.text, opts);
      if (!re->ok()) {
        return error(tok_.pos, "invalid regular expression: " + re->error());
      }
      const int n = add(NodeKind::kMatches, pos);
      p_.nodes[n].a = out;
      p_.nodes[n].regex = std::move(re);
      p_.nodes[n].text = "matches";
      next();
      out = n;
      return no_chained_comparison();
    }
    return Status::Ok();
  }

  Status no_chained_comparison() {
    SLUICE_RETURN_IF_ERROR(lex_check());
    switch (tok_.kind) {
      case Tok::kEq:
      case Tok::kNe:
      case Tok::kLt:
      case Tok::kLe:
      case Tok::kGt:
      case Tok::kGe:
        return error(tok_.pos, "comparisons do not chain: put parentheses around one or use '&&'");
      case Tok::kName:
        if (tok_.text == "in" || tok_.text == "contains" || tok_.text == "startswith" ||
            tok_.text == "matches") {
          return error(tok_.pos,
                       "comparisons do not chain: put parentheses around one or use '&&'");
        }
        return error(tok_.pos, "expected an operator, '&&' or '||', found " + describe(tok_));
      default:
        return Status::Ok();
    }
  }

  bool literal_start() const {
    if (tok_.kind == Tok::kString || tok_.kind == Tok::kNumber) return true;
    return tok_.kind == Tok::kName &&
           (tok_.text == "true" || tok_.text == "false" || tok_.text == "null");
  }

  Status parse_operand(int& out) {
    SLUICE_RETURN_IF_ERROR(lex_check());
    const size_t pos = tok_.pos;
    switch (tok_.kind) {
      case Tok::kString: {
        out = add(NodeKind::kLiteral, pos);
        p_.nodes[out].lit.kind = LitKind::kString;
        p_.nodes[out].lit.s = tok_.text;
        next();
        return Status::Ok();
      }
      case Tok::kNumber:
        return parse_number(out);
      case Tok::kLParen: {
        next();
        SLUICE_RETURN_IF_ERROR(expect_operand("("));
        SLUICE_RETURN_IF_ERROR(parse_or(out));
        SLUICE_RETURN_IF_ERROR(lex_check());
        if (tok_.kind != Tok::kRParen) {
          return error(tok_.pos, "expected ')' to close the '(' at " + pos_text(pos) + ", found " +
                                     describe(tok_));
        }
        next();
        return Status::Ok();
      }
      case Tok::kMeta:
        return parse_meta(out);
      case Tok::kDollar:
      case Tok::kName: {
        if (tok_.kind == Tok::kName) {
          const std::string& w = tok_.text;
          if (w == "true" || w == "false" || w == "null") {
            out = add(NodeKind::kLiteral, pos);
            Literal& l = p_.nodes[out].lit;
            l.kind = w == "null" ? LitKind::kNull : LitKind::kBool;
            l.b = w == "true";
            next();
            return Status::Ok();
          }
          if (w == "exists" || w == "changed") {
            const std::string fn = w;
            next();
            if (tok_.kind == Tok::kLParen) return parse_function(fn, pos, out);
            // Not a call: a field that happens to be named so.
            out = add(NodeKind::kPath, pos);
            p_.nodes[out].pointer = "/" + fn;
            p_.reads_event = true;
            return parse_path_rest(out);
          }
        }
        out = add(NodeKind::kPath, pos);
        p_.reads_event = true;
        if (tok_.kind == Tok::kName) p_.nodes[out].pointer = "/" + escape(tok_.text);
        next();
        return parse_path_rest(out);
      }
      default:
        return error(pos, "expected a value, found " + describe(tok_));
    }
  }

  std::string pos_text(size_t pos) const {
    auto [l, c] = line_col(pos);
    return std::to_string(l) + ":" + std::to_string(c);
  }

  static std::string escape(const std::string& key) {
    std::string out;
    for (char c : key) {
      if (c == '~') {
        out += "~0";
      } else if (c == '/') {
        out += "~1";
      } else {
        out += c;
      }
    }
    return out;
  }

  // After the path's first segment: .name, [INT], ["key"]. No whitespace is
  // allowed before a segment so that `a .b` reads as an error, not a path.
  Status parse_path_rest(int node) {
    for (;;) {
      SLUICE_RETURN_IF_ERROR(lex_check());
      if (tok_.pos > 0 && tok_.kind != Tok::kEnd &&
          std::isspace(static_cast<unsigned char>(s_[tok_.pos - 1])) &&
          (tok_.kind == Tok::kDot || tok_.kind == Tok::kLBracket)) {
        return error(tok_.pos, "unexpected " + describe(tok_) + " (no spaces inside a path)");
      }
      if (tok_.kind == Tok::kDot) {
        const size_t dot = tok_.pos;
        next();
        if (tok_.kind != Tok::kName || tok_.pos != dot + 1) {
          return error(tok_.pos, "expected a field name after '.' (use [\"...\"] for others)");
        }
        p_.nodes[node].pointer += "/" + escape(tok_.text);
        next();
      } else if (tok_.kind == Tok::kLBracket) {
        next();
        SLUICE_RETURN_IF_ERROR(lex_check());
        if (tok_.kind == Tok::kNumber) {
          const std::string& t = tok_.text;
          if (t.find_first_not_of("0123456789") != std::string::npos || t.size() > 9) {
            return error(tok_.pos, "expected an array index (0 or more) inside '[ ]'");
          }
          p_.nodes[node].pointer += "/" + std::to_string(std::strtoll(t.c_str(), nullptr, 10));
        } else if (tok_.kind == Tok::kString) {
          p_.nodes[node].pointer += "/" + escape(tok_.text);
        } else {
          return error(tok_.pos, "expected an array index or a quoted field name inside '[ ]'");
        }
        next();
        SLUICE_RETURN_IF_ERROR(lex_check());
        if (tok_.kind != Tok::kRBracket) return error(tok_.pos, "expected ']'");
        next();
      } else {
        return Status::Ok();
      }
    }
  }

  Status parse_function(const std::string& fn, size_t pos, int& out) {
    next();  // '('
    SLUICE_RETURN_IF_ERROR(lex_check());
    if (tok_.kind != Tok::kName && tok_.kind != Tok::kDollar) {
      return error(tok_.pos, "expected a path inside " + fn + "(), found " + describe(tok_));
    }
    int path = -1;
    SLUICE_RETURN_IF_ERROR(parse_operand(path));
    if (p_.nodes[path].kind != NodeKind::kPath) {
      return error(pos, "expected a path inside " + fn + "()");
    }
    SLUICE_RETURN_IF_ERROR(lex_check());
    if (tok_.kind != Tok::kRParen) {
      return error(tok_.pos,
                   "expected ')' after the path in " + fn + "(), found " + describe(tok_));
    }
    next();
    out = add(fn == "exists" ? NodeKind::kExists : NodeKind::kChanged, pos);
    std::string ptr = p_.nodes[path].pointer;
    if (fn == "changed") {
      for (const char* side : {"/after", "/before"}) {
        const size_t len = std::strlen(side);
        if (ptr.compare(0, len, side) == 0 && (ptr.size() == len || ptr[len] == '/')) {
          ptr.erase(0, len);
          break;
        }
      }
    }
    if (fn == "changed") {
      p_.nodes[out].pointer = "/before" + ptr;
      p_.nodes[out].text = "/after" + ptr;
    } else {
      p_.nodes[out].pointer = std::move(ptr);
    }
    p_.reads_event = true;
    return Status::Ok();
  }

  Status parse_meta(int& out) {
    const size_t pos = tok_.pos;
    const std::string name = tok_.text;
    MetaField f{};
    if (name == "key") {
      f = MetaField::kKey;
    } else if (name == "stream") {
      f = MetaField::kStream;
    } else if (name == "shard") {
      f = MetaField::kShard;
    } else if (name == "seq") {
      f = MetaField::kSeq;
    } else if (name == "ts") {
      f = MetaField::kTs;
    } else if (name == "headers") {
      f = MetaField::kHeader;
    } else {
      return error(pos, "unknown metadata '@" + name +
                            "' (expected @key, @stream, @shard, @seq, @ts or @headers.NAME)");
    }
    out = add(NodeKind::kMeta, pos);
    p_.nodes[out].meta = f;
    if (f != MetaField::kHeader) {
      next();
      return Status::Ok();
    }
    // @headers.NAME: header names may hold '-' and '.', so read them raw.
    if (i_ < s_.size() && s_[i_] == '.') {
      size_t j = i_ + 1;
      while (j < s_.size() && (name_char(static_cast<unsigned char>(s_[j])) || s_[j] == '-')) ++j;
      if (j == i_ + 1) return error(j, "expected a header name after '@headers.'");
      p_.nodes[out].text.assign(s_.substr(i_ + 1, j - i_ - 1));
      i_ = j;
      next();
      return Status::Ok();
    }
    next();
    if (tok_.kind == Tok::kLBracket && tok_.pos == pos + 8) {
      next();
      SLUICE_RETURN_IF_ERROR(lex_check());
      if (tok_.kind != Tok::kString) return error(tok_.pos, "expected a quoted header name");
      p_.nodes[out].text = tok_.text;
      next();
      SLUICE_RETURN_IF_ERROR(lex_check());
      if (tok_.kind != Tok::kRBracket) return error(tok_.pos, "expected ']'");
      next();
      return Status::Ok();
    }
    return error(tok_.pos, "expected '.NAME' or '[\"NAME\"]' after '@headers'");
  }

  Status parse_number(int& out) {
    const size_t pos = tok_.pos;
    const std::string& t = tok_.text;
    out = add(NodeKind::kLiteral, pos);
    Literal& l = p_.nodes[out].lit;
    l.kind = LitKind::kNumber;
    const bool integral = t.find_first_of(".eE") == std::string::npos;
    errno = 0;
    if (integral) {
      char* end = nullptr;
      const long long v = std::strtoll(t.c_str(), &end, 10);
      if (errno == 0) {
        l.is_int = true;
        l.i = v;
        l.d = static_cast<double>(v);
        next();
        return Status::Ok();
      }
      errno = 0;
    }
    l.d = std::strtod(t.c_str(), nullptr);
    if (errno == ERANGE && std::isinf(l.d)) return error(pos, "number out of range: " + t);
    next();
    return Status::Ok();
  }

  Program& p_;
  std::string_view s_;
  size_t i_ = 0;
  Token tok_;
  std::string lex_error_;
};

}  // namespace

Result<Filter> Filter::Compile(std::string_view text) {
  auto p = std::make_unique<Program>();
  p->text.assign(text);
  Parser parser(*p);
  Status st = parser.run();
  if (!st.ok()) return st;
  return Filter(std::move(p));
}

Filter::Filter(std::unique_ptr<Program> p) : program_(std::move(p)) {}
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::~Filter() = default;
const std::string& Filter::text() const {
  return program_->text;
}
bool Filter::reads_event() const {
  return program_->reads_event;
}

}  // namespace sluice::filter
