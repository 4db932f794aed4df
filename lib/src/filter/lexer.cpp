// The filter language's lexer; see lexer.h.
#include "filter/lexer.h"

#include <cctype>

#include "sluice/envelope.h"

namespace sluice::filter {

namespace {

bool name_start(unsigned char c) {
  return std::isalpha(c) || c == '_';
}
bool name_char(unsigned char c) {
  return std::isalnum(c) || c == '_';
}

}  // namespace

void Lexer::advance() {
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
    while (i_ + len < s_.size() && (static_cast<unsigned char>(s_[i_ + len]) & 0xC0) == 0x80) ++len;
    tok_.text.assign(s_.substr(i_, len));
    error_ = "unexpected character '" + tok_.text + "'";
    if (c == '=') error_ += " (use '==')";
    if (c == '&') error_ += " (use '&&')";
    if (c == '|') error_ += " (use '||')";
    i_ += len;
  }
}

void Lexer::lex_string(char quote) {
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
    error_ = "unterminated string";
    i_ = s_.size();
    return;
  }
  tok_.kind = Tok::kString;
  tok_.text = std::move(out);
  i_ = j + 1;
}

bool Lexer::hex4(size_t at, uint32_t& cp) const {
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

void Lexer::fail_string(size_t at, std::string what) {
  tok_.kind = Tok::kError;
  tok_.pos = at;
  error_ = std::move(what);
  i_ = s_.size();
}

void Lexer::lex_number() {
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

Lexer::Raw Lexer::raw_header_name(std::string* name, size_t* at) {
  if (i_ >= s_.size() || s_[i_] != '.') return Raw::kNone;
  size_t j = i_ + 1;
  while (j < s_.size() && (name_char(static_cast<unsigned char>(s_[j])) || s_[j] == '-')) ++j;
  if (j == i_ + 1) {
    *at = j;
    return Raw::kEmpty;
  }
  name->assign(s_.substr(i_ + 1, j - i_ - 1));
  i_ = j;
  return Raw::kOk;
}

}  // namespace sluice::filter
