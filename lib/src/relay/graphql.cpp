// The hand-written parser for relay-ws's GraphQL subscription subset
// (sluice/graphql.h): a lexer over GraphQL's tokens, and a recursive
// descent over just the grammar the subset allows. Anything else is
// recognised well enough to be named in the error, never parsed.
#include "sluice/graphql.h"

#include <simdjson.h>

#include <cctype>
#include <charconv>
#include <map>

#include "sluice/envelope.h"

namespace sluice::relay {
namespace {

enum class Tok { kEnd, kName, kInt, kFloat, kString, kBlockString, kPunct, kSpread };

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // the source text (a string: with its quotes)
  int line = 1, column = 1;
};

// A value as the query gives it: a JSON text, or absent (null).
struct Value {
  std::string json;  // empty: null
  int line = 0, column = 0;
};

constexpr size_t kMaxQuery = 1 << 16;
constexpr int kMaxVariables = 64;

class Parser {
 public:
  Parser(std::string_view src, GraphqlError* err) : src_(src), err_(err) {}
  bool parse(std::string_view variables_json, std::string_view operation_name,
             GraphqlSubscription* out);

 private:
  // Lexer.
  void skip_ignored();
  void advance_col(size_t n);
  bool next();
  bool lex_string(Token* t);
  bool lex_number(Token* t);
  // Errors at the current token (or at a given place).
  bool fail(std::string message) { return fail_at(tok_.line, tok_.column, std::move(message)); }
  bool fail_at(int line, int column, std::string message) {
    if (err_->message.empty()) *err_ = GraphqlError{std::move(message), line, column};
    return false;
  }
  bool is_punct(char c) const { return tok_.kind == Tok::kPunct && tok_.text[0] == c; }
  bool is_name(std::string_view n) const { return tok_.kind == Tok::kName && tok_.text == n; }
  bool expect(char c, const char* what);
  std::string describe() const;
  bool refuse_extras(const char* where);

  // Grammar.
  bool variable_definitions();
  bool type_ref(bool* non_null);
  bool value(Value* v, bool constant);
  bool aliased_field(const std::string& expected, Token* field, std::string_view* key);
  bool root_selection(GraphqlSubscription* out);
  bool stream_arguments(GraphqlSubscription* out);
  bool stream_selection(GraphqlSubscription* out);
  bool string_value(const Token& t, std::string* out);

  std::string_view src_;
  GraphqlError* err_;
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  Token tok_;
  // Declared variables: name -> the value (from "variables", else the default).
  std::map<std::string, Value, std::less<>> vars_;
  simdjson::dom::object given_;
  bool have_given_ = false;
};

void Parser::advance_col(size_t n) {
  // Columns count characters: UTF-8 continuation bytes add nothing.
  for (size_t i = 0; i < n && pos_ < src_.size(); ++i, ++pos_) {
    if ((static_cast<unsigned char>(src_[pos_]) & 0xC0) != 0x80) ++col_;
  }
}

void Parser::skip_ignored() {
  while (pos_ < src_.size()) {
    const char c = src_[pos_];
    if (c == '\n' || c == '\r') {
      if (c == '\r' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') ++pos_;
      ++pos_;
      ++line_;
      col_ = 1;
    } else if (c == ' ' || c == '\t' || c == ',') {
      advance_col(1);
    } else if (c == '#') {
      while (pos_ < src_.size() && src_[pos_] != '\n' && src_[pos_] != '\r') advance_col(1);
    } else if (src_.substr(pos_, 3) == "\xEF\xBB\xBF") {
      pos_ += 3;  // a byte order mark
    } else {
      return;
    }
  }
}

bool Parser::next() {
  skip_ignored();
  tok_ = Token{};
  tok_.line = line_;
  tok_.column = col_;
  const size_t start = pos_;
  if (pos_ >= src_.size()) {
    tok_.kind = Tok::kEnd;
    return true;
  }
  const char c = src_[pos_];
  auto is_name_start = [](char ch) {
    return ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
  };
  if (is_name_start(c)) {
    while (pos_ < src_.size() &&
           (is_name_start(src_[pos_]) || (src_[pos_] >= '0' && src_[pos_] <= '9'))) {
      advance_col(1);
    }
    tok_.kind = Tok::kName;
  } else if (c == '-' || (c >= '0' && c <= '9')) {
    if (!lex_number(&tok_)) return false;
  } else if (c == '"') {
    if (!lex_string(&tok_)) return false;
  } else if (src_.substr(pos_, 3) == "...") {
    advance_col(3);
    tok_.kind = Tok::kSpread;
  } else if (std::string_view("!$&():=@[]{}|").find(c) != std::string_view::npos) {
    advance_col(1);
    tok_.kind = Tok::kPunct;
  } else {
    std::string shown =
        static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f
            ? "'" + std::string(1, c) + "'"
            : "byte " + std::to_string(static_cast<unsigned char>(c));
    return fail("unexpected character " + shown);
  }
  tok_.text = src_.substr(start, pos_ - start);
  return true;
}

bool Parser::lex_number(Token* t) {
  const size_t start = pos_;
  if (src_[pos_] == '-') advance_col(1);
  auto digits = [&] {
    size_t n = 0;
    while (pos_ < src_.size() && src_[pos_] >= '0' && src_[pos_] <= '9') advance_col(1), ++n;
    return n;
  };
  const size_t int_start = pos_;
  if (digits() == 0) return fail("a number needs digits after '-'");
  if (pos_ - int_start > 1 && src_[int_start] == '0') return fail("a number cannot start with 0");
  t->kind = Tok::kInt;
  if (pos_ < src_.size() && src_[pos_] == '.') {
    advance_col(1);
    if (digits() == 0) return fail("a number needs digits after '.'");
    t->kind = Tok::kFloat;
  }
  if (pos_ < src_.size() && (src_[pos_] == 'e' || src_[pos_] == 'E')) {
    advance_col(1);
    if (pos_ < src_.size() && (src_[pos_] == '+' || src_[pos_] == '-')) advance_col(1);
    if (digits() == 0) return fail("a number needs digits in its exponent");
    t->kind = Tok::kFloat;
  }
  if (pos_ < src_.size() && (src_[pos_] == '_' || src_[pos_] == '.' ||
                             std::isalnum(static_cast<unsigned char>(src_[pos_])))) {
    return fail_at(line_, col_,
                   "unexpected character after the number '" +
                       std::string(src_.substr(start, pos_ - start)) + "'");
  }
  return true;
}

bool Parser::lex_string(Token* t) {
  if (src_.substr(pos_, 3) == "\"\"\"") {
    // Recognised so that the error is clear; not part of the subset.
    t->kind = Tok::kBlockString;
    return fail("block strings (\"\"\") are not supported: use a \"string\"");
  }
  advance_col(1);
  while (pos_ < src_.size()) {
    const char c = src_[pos_];
    if (c == '"') {
      advance_col(1);
      t->kind = Tok::kString;
      return true;
    }
    if (c == '\n' || c == '\r') break;
    if (c == '\\') advance_col(1);
    advance_col(1);
  }
  return fail("unterminated string");
}

// The string a kString token holds, with its escapes resolved.
bool Parser::string_value(const Token& t, std::string* out) {
  out->clear();
  std::string_view s = t.text.substr(1, t.text.size() - 2);
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return fail_at(t.line, t.column, "a string holds a control character");
    }
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i >= s.size()) return fail_at(t.line, t.column, "a string ends in '\\'");
    // The escapes GraphQL shares with JSON; \u below.
    static constexpr std::string_view kEscaped = "\"\\/bfnrt", kMeant = "\"\\/\b\f\n\r\t";
    if (const size_t k = kEscaped.find(s[i]); k != std::string_view::npos) {
      out->push_back(kMeant[k]);
      continue;
    }
    if (s[i] != 'u') {
      return fail_at(t.line, t.column,
                     "unknown escape '\\" + std::string(1, s[i]) + "' in a string");
    }
    auto hex4 = [&](size_t at, uint32_t* v) {
      if (at + 4 > s.size()) return false;
      auto [p, ec] = std::from_chars(s.data() + at, s.data() + at + 4, *v, 16);
      return ec == std::errc() && p == s.data() + at + 4;
    };
    uint32_t cp = 0;
    if (!hex4(i + 1, &cp)) return fail_at(t.line, t.column, "a bad \\u escape in a string");
    i += 4;
    if (cp >= 0xD800 && cp < 0xDC00) {
      uint32_t lo = 0;
      if (i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' && hex4(i + 3, &lo) &&
          lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      } else {
        return fail_at(t.line, t.column, "a lone surrogate in a \\u escape");
      }
    } else if (cp >= 0xDC00 && cp < 0xE000) {
      return fail_at(t.line, t.column, "a lone surrogate in a \\u escape");
    }
    append_utf8(cp, *out);
  }
  if (!is_valid_utf8(*out)) return fail_at(t.line, t.column, "a string is not UTF-8");
  return true;
}

std::string Parser::describe() const {
  switch (tok_.kind) {
    case Tok::kEnd:
      return "the end of the query";
    case Tok::kString:
      return "a string";
    case Tok::kInt:
    case Tok::kFloat:
      return "the number " + std::string(tok_.text);
    case Tok::kSpread:
      return "'...'";
    default:
      return "'" + std::string(tok_.text) + "'";
  }
}

bool Parser::expect(char c, const char* what) {
  if (!is_punct(c))
    return fail("expected '" + std::string(1, c) + "' " + what + ", found " + describe());
  return next();
}

// Directives and fragment spreads where a selection or name may be: named
// so that the client learns they are outside the subset.
bool Parser::refuse_extras(const char* where) {
  if (is_punct('@')) return fail(std::string("directives are not supported (on ") + where + ")");
  if (tok_.kind == Tok::kSpread) {
    return fail(std::string("fragment spreads and inline fragments are not supported (in ") +
                where + ")");
  }
  return true;
}

bool Parser::parse(std::string_view variables_json, std::string_view operation_name,
                   GraphqlSubscription* out) {
  if (src_.size() > kMaxQuery) {
    return fail_at(0, 0, "the query is longer than " + std::to_string(kMaxQuery) + " bytes");
  }
  thread_local simdjson::dom::parser json;
  if (!variables_json.empty()) {
    simdjson::dom::element root;
    if (json.parse(variables_json.data(), variables_json.size()).get(root) != simdjson::SUCCESS) {
      return fail_at(0, 0, "\"variables\" is not JSON");
    }
    if (!root.is_null()) {
      if (root.get_object().get(given_) != simdjson::SUCCESS) {
        return fail_at(0, 0, "\"variables\" is not a JSON object");
      }
      have_given_ = true;
    }
  }
  if (!next()) return false;
  if (tok_.kind == Tok::kEnd) return fail("the query is empty");
  if (is_punct('{')) return fail("query operations are not supported: only 'subscription'");
  if (is_name("fragment")) return fail("fragments are not supported");
  if (is_name("query") || is_name("mutation")) {
    return fail(std::string(tok_.text) + " operations are not supported: only 'subscription'");
  }
  if (!is_name("subscription")) {
    return fail("expected 'subscription', found " + describe());
  }
  if (!next()) return false;
  std::string_view name;
  const Token name_tok = tok_;
  if (tok_.kind == Tok::kName) {
    name = tok_.text;
    if (!next()) return false;
  }
  if (!operation_name.empty() && name != operation_name) {
    return fail_at(name_tok.line, name_tok.column,
                   "no operation named '" + std::string(operation_name) + "' in the query");
  }
  if (is_punct('(') && !variable_definitions()) return false;
  if (!refuse_extras("the operation")) return false;
  if (!expect('{', "to open the subscription's selection")) return false;
  if (!root_selection(out)) return false;
  if (tok_.kind != Tok::kEnd) {
    if (is_name("fragment")) return fail("fragments are not supported");
    if (tok_.kind == Tok::kName || is_punct('{')) {
      return fail("several operations are not supported: one subscription per query");
    }
    return fail("expected the end of the query, found " + describe());
  }
  return true;
}

bool Parser::variable_definitions() {
  if (!next()) return false;  // past '('
  while (!is_punct(')')) {
    if (!is_punct('$')) return fail("expected a variable ($name), found " + describe());
    const Token dollar = tok_;
    if (!next()) return false;
    if (tok_.kind != Tok::kName) return fail("expected a variable name after '$'");
    std::string var(tok_.text);
    if (vars_.count(var)) return fail("variable '$" + var + "' is declared twice");
    if (vars_.size() >= kMaxVariables) return fail("too many variables");
    if (!next() || !expect(':', "after a variable")) return false;
    const Token type_tok = tok_;
    bool non_null = false;
    if (!type_ref(&non_null)) return false;
    Value v;
    v.line = dollar.line;
    v.column = dollar.column;
    if (is_punct('=')) {
      if (!next() || !value(&v, true)) return false;
    }
    simdjson::dom::element given;
    if (have_given_ && given_[var].get(given) == simdjson::SUCCESS) {
      v.json = given.is_null() ? std::string() : simdjson::to_string(given);
    }
    if (v.json.empty() && non_null) {
      return fail_at(type_tok.line, type_tok.column,
                     "variable '$" + var + "' is non-null but has no value in \"variables\"");
    }
    if (!refuse_extras("a variable")) return false;
    vars_.emplace(std::move(var), std::move(v));
  }
  return next();  // past ')'
}

bool Parser::type_ref(bool* non_null) {
  if (is_punct('[')) {
    bool inner = false;
    if (!next() || !type_ref(&inner) || !expect(']', "to close a list type")) return false;
  } else if (tok_.kind == Tok::kName) {
    if (!next()) return false;
  } else {
    return fail("expected a type, found " + describe());
  }
  *non_null = is_punct('!');
  return *non_null ? next() : true;
}

// A value: the subset's string and integer literals, null, or a variable
// (not in a default: `constant`). Lists, objects, enums, floats and
// booleans are named and refused.
bool Parser::value(Value* v, bool constant) {
  v->line = tok_.line;
  v->column = tok_.column;
  v->json.clear();
  switch (tok_.kind) {
    case Tok::kString: {
      std::string s;
      if (!string_value(tok_, &s)) return false;
      append_json_string(s, v->json);
      return next();
    }
    case Tok::kInt: {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(tok_.text.data(), tok_.text.data() + tok_.text.size(), n);
      if (ec != std::errc() || p != tok_.text.data() + tok_.text.size()) {
        return fail("the integer " + std::string(tok_.text) + " is out of range");
      }
      append_int(n, v->json);
      return next();
    }
    case Tok::kFloat:
      return fail("floats are not supported as arguments: " + std::string(tok_.text));
    case Tok::kName:
      if (tok_.text == "null") return next();
      if (tok_.text == "true" || tok_.text == "false") {
        return fail("booleans are not supported as arguments");
      }
      return fail("enum values are not supported as arguments: '" + std::string(tok_.text) + "'");
    case Tok::kPunct:
      if (is_punct('$')) {
        if (constant) return fail("a variable cannot be used in a default value");
        if (!next()) return false;
        if (tok_.kind != Tok::kName) return fail("expected a variable name after '$'");
        auto it = vars_.find(tok_.text);
        if (it == vars_.end())
          return fail("variable '$" + std::string(tok_.text) + "' is not declared");
        v->json = it->second.json;
        return next();
      }
      if (is_punct('[')) return fail("lists are not supported as arguments");
      if (is_punct('{')) {
        return fail("input objects are not supported as arguments (pass one in a variable)");
      }
      break;
    default:
      break;
  }
  return fail("expected a value, found " + describe());
}

// `[alias:] name` at the current token: *field is the name's token, *key
// the response key (the alias, else the name).
bool Parser::aliased_field(const std::string& expected, Token* field, std::string_view* key) {
  if (tok_.kind != Tok::kName) return fail("expected " + expected + ", found " + describe());
  *field = tok_;
  *key = tok_.text;
  if (!next()) return false;
  if (!is_punct(':')) return true;
  if (!next()) return false;
  if (tok_.kind != Tok::kName) return fail("expected a field after the alias, found " + describe());
  *field = tok_;
  return next();
}

bool Parser::root_selection(GraphqlSubscription* out) {
  bool have = false;
  while (!is_punct('}')) {
    if (!refuse_extras("the subscription's selection")) return false;
    Token first;
    std::string_view key;
    if (!aliased_field("a field", &first, &key)) return false;
    const std::string_view field = first.text;
    if (field != "stream") {
      return fail_at(first.line, first.column,
                     "unknown root field '" + std::string(field) + "': the only one is 'stream'");
    }
    if (have) {
      return fail_at(first.line, first.column,
                     "several root fields are not supported: one 'stream' per subscription");
    }
    have = true;
    out->root_key = std::string(key);
    if (!is_punct('(')) return fail_at(first.line, first.column, "'stream' needs a topic argument");
    if (!stream_arguments(out)) return false;
    if (out->topic.empty())
      return fail_at(first.line, first.column, "'stream' needs a topic argument");
    if (!refuse_extras("'stream'")) return false;
    if (!is_punct('{')) {
      return fail("'stream' needs a selection of its fields (topic shard seq ts key value)");
    }
    if (!stream_selection(out)) return false;
  }
  if (!have) return fail("the subscription selects nothing: expected 'stream'");
  return next();  // past '}'
}

bool Parser::stream_arguments(GraphqlSubscription* out) {
  if (!next()) return false;  // past '('
  bool seen_topic = false, seen_from = false, seen_where = false;
  while (!is_punct(')')) {
    if (tok_.kind != Tok::kName) return fail("expected an argument name, found " + describe());
    const Token arg = tok_;
    if (!next() || !expect(':', "after an argument name")) return false;
    Value v;
    if (!value(&v, false)) return false;
    auto string_arg = [&](std::string* s) {
      if (v.json.empty()) return true;
      thread_local simdjson::dom::parser p;
      std::string_view sv;
      if (p.parse(v.json.data(), v.json.size()).get_string().get(sv) != simdjson::SUCCESS) {
        return fail_at(v.line, v.column,
                       "argument '" + std::string(arg.text) + "' must be a string");
      }
      *s = std::string(sv);
      return true;
    };
    bool* seen = nullptr;
    if (arg.text == "topic") {
      seen = &seen_topic;
      if (!string_arg(&out->topic)) return false;
      if (out->topic.empty()) return fail_at(v.line, v.column, "argument 'topic' names no topic");
    } else if (arg.text == "from") {
      seen = &seen_from;
      out->from_json = v.json;
      out->from_line = v.line;
      out->from_column = v.column;
    } else if (arg.text == "where") {
      seen = &seen_where;
      std::string w;
      if (!string_arg(&w)) return false;
      if (!v.json.empty()) out->where = std::move(w);
      out->where_line = v.line;
      out->where_column = v.column;
    } else {
      return fail_at(arg.line, arg.column,
                     "unknown argument '" + std::string(arg.text) +
                         "' on 'stream': expected topic, from or where");
    }
    if (*seen) {
      return fail_at(arg.line, arg.column, "argument '" + std::string(arg.text) + "' given twice");
    }
    *seen = true;
  }
  return next();  // past ')'
}

bool Parser::stream_selection(GraphqlSubscription* out) {
  static const std::pair<std::string_view, GraphqlField> kFields[] = {
      {"topic", kFieldTopic}, {"shard", kFieldShard}, {"seq", kFieldSeq},
      {"ts", kFieldTs},       {"key", kFieldKey},     {"value", kFieldValue},
  };
  if (!next()) return false;  // past '{'
  while (!is_punct('}')) {
    if (!refuse_extras("'stream'")) return false;
    Token first;
    std::string_view key;
    if (!aliased_field("a field of 'stream'", &first, &key)) return false;
    GraphqlField field{};
    for (auto& [n, f] : kFields) {
      if (first.text == n) field = f;
    }
    if (!field) {
      return fail_at(first.line, first.column,
                     "unknown field '" + std::string(first.text) +
                         "' on 'stream': expected topic, shard, seq, ts, key or value");
    }
    if (is_punct('(')) return fail("field '" + std::string(first.text) + "' takes no arguments");
    if (!refuse_extras("a field")) return false;
    if (is_punct('{')) {
      return fail("field '" + std::string(first.text) + "' is a scalar: it has no selection");
    }
    bool dup = false;
    for (auto& [k, f] : out->fields) {
      if (k != key) continue;
      if (f != field) {
        return fail_at(first.line, first.column,
                       "'" + std::string(key) + "' names two different fields: give one an alias");
      }
      dup = true;  // the same field twice is merged, as GraphQL does
    }
    if (!dup) out->fields.emplace_back(key, field);
    out->mask |= field;
  }
  if (out->fields.empty()) return fail("'stream' selects no field");
  return next();  // past '}'
}

}  // namespace

bool parse_graphql_subscription(std::string_view query, std::string_view variables_json,
                                std::string_view operation_name, GraphqlSubscription* out,
                                GraphqlError* err) {
  *out = GraphqlSubscription{};
  *err = GraphqlError{};
  Parser p(query, err);
  const bool ok = p.parse(variables_json, operation_name, out);
  if (!ok && err->message.empty()) err->message = "the query is not valid";
  return ok;
}

}  // namespace sluice::relay
