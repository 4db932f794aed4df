#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "sluice/filter.h"

using namespace sluice;
using namespace sluice::filter;

namespace {

const char* kUpdate =
    R"({"before":{"id":7,"price":10.5,"name":"lamp","tags":["a","b"]},)"
    R"("after":{"id":7,"price":12,"name":"lamp","tags":["a","b"],"note":null},)"
    R"("source":{"table":"orders","schema":"public","lsn":123456789012},"op":"u","ts_ms":1700000000000})";

// Evaluates `expr` over `json` with default metadata; fails the test on a
// compile or evaluation error.
bool eval(const std::string& expr, std::string_view json, const EventMeta& meta = {},
          bool strict = false) {
  Result<Filter> f = Filter::Compile(expr);
  REQUIRE_MESSAGE(f.ok(), expr << ": " << f.status().message());
  Evaluator ev(Evaluator::Options{strict});
  Result<bool> r = ev.matches(*f, json, meta);
  REQUIRE_MESSAGE(r.ok(), expr << ": " << r.status().message());
  return *r;
}

std::string compile_error(const std::string& expr) {
  Result<Filter> f = Filter::Compile(expr);
  if (f.ok()) return "compiled";
  CHECK(f.status().code() == StatusCode::kInvalidArgument);
  return f.status().message();
}

std::string eval_error(const std::string& expr, std::string_view json, bool strict) {
  Result<Filter> f = Filter::Compile(expr);
  REQUIRE(f.ok());
  Evaluator ev(Evaluator::Options{strict});
  Result<bool> r = ev.matches(*f, json, {});
  if (r.ok()) return *r ? "true" : "false";
  CHECK(r.status().code() == StatusCode::kBadData);
  return r.status().message();
}

}  // namespace

TEST_CASE("filter: equality on strings, numbers, booleans, null") {
  CHECK(eval(R"(op == "u")", kUpdate));
  CHECK_FALSE(eval(R"(op == "c")", kUpdate));
  CHECK(eval(R"(op != "c")", kUpdate));
  CHECK_FALSE(eval(R"(op != "u")", kUpdate));
  CHECK(eval("after.price == 12", kUpdate));
  CHECK(eval("after.price == 12.0", kUpdate));
  CHECK(eval("before.price == 10.5", kUpdate));
  CHECK(eval("after.note == null", kUpdate));
  CHECK(eval("after.missing == null", kUpdate));
  CHECK_FALSE(eval("after.price == null", kUpdate));
  CHECK(eval("after.price != null", kUpdate));
  CHECK(eval("null == null", kUpdate));
  CHECK(eval("ok == true", R"({"ok":true})"));
  CHECK(eval("ok != false", R"({"ok":true})"));
  CHECK(eval("before.tags == after.tags", kUpdate));
  CHECK(eval("after.id == before.id", kUpdate));
  CHECK_FALSE(eval("after.price == before.price", kUpdate));
  // Integers compare exactly beyond a double's 53 bits.
  CHECK(eval("n == 9007199254740993", R"({"n":9007199254740993})"));
  CHECK_FALSE(eval("n == 9007199254740992", R"({"n":9007199254740993})"));
  CHECK(eval("n == -3", R"({"n":-3})"));
  CHECK(eval("n == 1e3", R"({"n":1000})"));
  CHECK(eval("n > 1e19", R"({"n":18446744073709551615})"));
}

TEST_CASE("filter: ordering") {
  CHECK(eval("after.price > 11", kUpdate));
  CHECK(eval("after.price >= 12", kUpdate));
  CHECK_FALSE(eval("after.price > 12", kUpdate));
  CHECK(eval("after.price < 12.5", kUpdate));
  CHECK(eval("after.price <= 12", kUpdate));
  CHECK_FALSE(eval("after.price < 12", kUpdate));
  CHECK(eval("after.price > before.price", kUpdate));
  CHECK(eval(R"(after.name < "lampa")", kUpdate));
  CHECK(eval(R"(after.name > "Lamp")", kUpdate));  // bytewise: 'l' > 'L'
  CHECK(eval(R"(after.name >= "lamp")", kUpdate));
  CHECK(eval("n < 0", R"({"n":-0.5})"));
  CHECK(eval("source.lsn > 123456789011", kUpdate));
}

TEST_CASE("filter: && || ! and parentheses") {
  CHECK(eval(R"(op == "u" && after.price > 11)", kUpdate));
  CHECK_FALSE(eval(R"(op == "u" && after.price > 13)", kUpdate));
  CHECK(eval(R"(op == "c" || after.price > 11)", kUpdate));
  CHECK_FALSE(eval(R"(op == "c" || op == "d")", kUpdate));
  CHECK(eval(R"(!(op == "c"))", kUpdate));
  CHECK(eval(R"(!!(op == "u"))", kUpdate));
  // && binds tighter than ||.
  CHECK(eval(R"(op == "u" || op == "x" && op == "y")", kUpdate));
  CHECK_FALSE(eval(R"((op == "u" || op == "x") && op == "y")", kUpdate));
  // Only true is true in a boolean position.
  CHECK(eval("ok", R"({"ok":true})"));
  CHECK_FALSE(eval("ok", R"({"ok":1})"));
  CHECK_FALSE(eval("ok", R"({"ok":"true"})"));
  CHECK_FALSE(eval("ok", R"({})"));
  CHECK(eval("!ok", R"({})"));
  CHECK(eval("true", "{}"));
  CHECK_FALSE(eval("false", "{}"));
  // A boolean sub-expression is a value.
  CHECK(eval("(after.price > 11) == true", kUpdate));
}

TEST_CASE("filter: in, contains, startswith, matches") {
  CHECK(eval(R"(op in ["c", "u"])", kUpdate));
  CHECK_FALSE(eval(R"(op in ["c", "d"])", kUpdate));
  CHECK_FALSE(eval("op in []", kUpdate));
  CHECK(eval("after.price in [1, 12, 3]", kUpdate));
  CHECK(eval("after.note in [null]", kUpdate));
  CHECK_FALSE(eval(R"(after.price in ["12"])", kUpdate));  // no coercion
  CHECK(eval(R"("a" in after.tags)", kUpdate));
  CHECK_FALSE(eval(R"("z" in after.tags)", kUpdate));
  CHECK(eval(R"(after.tags contains "b")", kUpdate));
  CHECK_FALSE(eval(R"(after.tags contains "c")", kUpdate));
  CHECK(eval(R"(xs contains 2)", R"({"xs":[1,2.0,{"a":1}]})"));
  CHECK(eval(R"(xs contains null)", R"({"xs":[1,null]})"));
  CHECK_FALSE(eval(R"(xs contains null)", R"({"xs":[1]})"));
  CHECK(eval(R"(after.name contains "am")", kUpdate));
  CHECK_FALSE(eval(R"(after.name contains "x")", kUpdate));
  CHECK(eval(R"(source.table startswith "ord")", kUpdate));
  CHECK_FALSE(eval(R"(source.table startswith "orders_")", kUpdate));
  CHECK(eval(R"(source.table startswith "")", kUpdate));
  CHECK(eval(R"(source.table matches "^or.*s$")", kUpdate));
  CHECK_FALSE(eval(R"(source.table matches "^rders")", kUpdate));
  CHECK(eval(R"(source.table matches "der")", kUpdate));  // a search
  CHECK(eval(R"(email matches "@example\.(com|org)$")", R"({"email":"a@example.org"})"));
  CHECK_FALSE(eval(R"(email matches "@example\.(com|org)$")", R"({"email":"a@exampleXorg"})"));
  CHECK_FALSE(eval(R"(missing matches ".*")", kUpdate));
}

TEST_CASE("filter: exists and changed") {
  CHECK(eval("exists(after.note)", kUpdate));  // present, even though null
  CHECK_FALSE(eval("exists(after.nope)", kUpdate));
  CHECK(eval("exists(after.tags[1])", kUpdate));
  CHECK_FALSE(eval("exists(after.tags[2])", kUpdate));
  CHECK(eval("exists($)", kUpdate));
  CHECK(eval("changed(after.price)", kUpdate));
  CHECK(eval("changed(before.price)", kUpdate));
  CHECK(eval("changed(price)", kUpdate));
  CHECK_FALSE(eval("changed(after.name)", kUpdate));
  CHECK_FALSE(eval("changed(after.tags)", kUpdate));
  CHECK_FALSE(eval("changed(after.id)", kUpdate));
  CHECK_FALSE(eval("changed(after.note)", kUpdate));              // absent before is null too
  CHECK(eval("changed(x)", R"({"before":{"x":1},"after":{}})"));  // a dropped column
  CHECK(eval("changed(x)", R"({"before":{},"after":{"x":1}})"));
  CHECK_FALSE(eval("changed(x)", R"({"before":[1],"after":{"x":1}})"));
  CHECK(eval("changed($)", kUpdate));
  CHECK_FALSE(eval("changed($)", R"({"before":{"a":1},"after":{"a":1}})"));
  CHECK_FALSE(eval("changed($)", R"({"before":null,"after":{"a":1}})"));
  CHECK(eval("changed(s)", R"({"before":{"s":"\u00e9"},"after":{"s":"e"}})"));
  // Escapes differ, values do not.
  CHECK_FALSE(eval("changed(s)", R"({"before":{"s":"\u00e9"},"after":{"s":"é"}})"));
  CHECK_FALSE(eval("changed(n)", R"({"before":{"n":1},"after":{"n":1.0}})"));
  // No before image (insert, or an update without REPLICA IDENTITY FULL).
  CHECK_FALSE(eval("changed(after.price)", R"({"before":null,"after":{"price":1},"op":"c"})"));
  CHECK_FALSE(eval("changed(after.price)", R"({"after":{"price":1},"op":"u"})"));
  CHECK_FALSE(eval("changed(after.price)", R"({"before":{"price":1},"after":null,"op":"d"})"));
  CHECK(eval(R"(op == "u" && changed(after.price))", kUpdate));
}

TEST_CASE("filter: type mismatches are false, and strict mode reports them") {
  CHECK_FALSE(eval(R"(after.price == "12")", kUpdate));
  CHECK_FALSE(eval(R"(after.price != "12")", kUpdate));
  CHECK_FALSE(eval(R"(after.price > "1")", kUpdate));
  CHECK_FALSE(eval("after.tags > 1", kUpdate));
  CHECK_FALSE(eval("after > before", kUpdate));
  CHECK_FALSE(eval("true < false", kUpdate));
  CHECK_FALSE(eval(R"(after.price contains "1")", kUpdate));
  CHECK_FALSE(eval(R"(after.price startswith "1")", kUpdate));
  CHECK_FALSE(eval(R"(after.price matches "1")", kUpdate));
  CHECK_FALSE(eval(R"(1 in after.name)", kUpdate));
  // A mismatch is false, so its negation is true.
  CHECK(eval(R"(!(after.price > "1"))", kUpdate));

  CHECK(eval_error(R"(after.price > "1")", kUpdate, true) ==
        "1:13: type mismatch: '>' compares a number with a string");
  CHECK(eval_error("op == 1", kUpdate, true) ==
        "1:4: type mismatch: '==' compares a string with a number");
  CHECK(eval_error("after.price startswith \"1\"", kUpdate, true) ==
        "1:13: type mismatch: 'startswith' compares a number with a string");
  CHECK(eval_error("x matches \"a\"", R"({"x":[1]})", true) ==
        "1:3: type mismatch: 'matches' compares a array with a string");
  // Null (a missing field) is never a mismatch, even in strict mode.
  CHECK(eval_error("after.nope > 3", kUpdate, true) == "false");
  CHECK(eval_error("after.nope == \"x\"", kUpdate, true) == "false");
  CHECK(eval_error("after.price > 3", kUpdate, true) == "true");
}

TEST_CASE("filter: missing fields and odd events are null") {
  CHECK(eval("a.b.c == null", R"({"a":{"b":{}}})"));
  CHECK(eval("a.b.c == null", R"({"a":1})"));  // through a scalar
  CHECK(eval("a[5] == null", R"({"a":[1]})"));
  CHECK(eval("a.x == null", R"({"a":[1]})"));
  CHECK(eval("x == null", "[1,2]"));
  CHECK(eval("x == null", "42"));
  CHECK(eval("$ == 42", "42"));
  CHECK(eval(R"($ == "hi")", R"("hi")"));
  CHECK(eval("$ == true", "true"));
  CHECK(eval("$ == null", "null"));
  CHECK(eval("$[1] == 2", "[1,2]"));
  CHECK(eval(R"($ contains "b")", R"("abc")"));
  // No payload (a tombstone): every path is null.
  Result<Filter> f = Filter::Compile("x == null && !exists(x)");
  REQUIRE(f.ok());
  Evaluator ev;
  Result<bool> r = ev.matches(*f, std::nullopt, {});
  REQUIRE(r.ok());
  CHECK(*r);
}

TEST_CASE("filter: an event that is not JSON where the filter reads it is bad data") {
  CHECK(eval_error("x == 1", "not json", false).find("event is not valid JSON") == 0);
  CHECK(eval_error("x == 1", R"({"x":)", false).find("event is not valid JSON") == 0);
  CHECK(eval_error("x == 1", R"({"x":1)", false) != "true");
  CHECK(eval_error("x == 1", R"({"x":nul})", false).find("event is not valid JSON") == 0);
  CHECK(eval_error("x == 1", "", false).find("event is not valid JSON") == 0);
  // A metadata-only filter never parses the payload.
  Result<Filter> f = Filter::Compile(R"(@key == "k")");
  REQUIRE(f.ok());
  CHECK_FALSE(f->reads_event());
  EventMeta m;
  m.key = std::string_view("k");
  Evaluator ev;
  Result<bool> r = ev.matches(*f, std::string_view("not json"), m);
  REQUIRE(r.ok());
  CHECK(*r);
}

TEST_CASE("filter: unicode") {
  const char* ev = R"({"name":"Zürich \u2603","emoji":"\ud83d\ude00","clé":"v","tags":["日本"]})";
  CHECK(eval(R"(name == "Zürich ☃")", ev));
  CHECK(eval(R"(name == "Z\u00fcrich \u2603")", ev));
  CHECK(eval(R"(emoji == "😀")", ev));
  CHECK(eval(R"(emoji == "\ud83d\ude00")", ev));
  CHECK(eval(R"(name startswith "Zü")", ev));
  CHECK(eval(R"(name matches "^Z.rich")", ev));  // . is one code point
  CHECK(eval(R"(x["clé"] == "v")", R"({"x":{"clé":"v"}})"));
  CHECK(eval(R"($["clé"] == "v")", ev));
  CHECK(eval(R"(tags contains "日本")", ev));
  CHECK(eval(R"(name > "Zurich")", ev));  // ü sorts after u in code points
}

TEST_CASE("filter: deep paths and quoted keys") {
  std::string deep;
  std::string path = "$";
  for (int i = 0; i < 40; ++i) {
    deep += R"({"k":)";
    path += ".k";
  }
  deep += "7";
  for (int i = 0; i < 40; ++i) deep += "}";
  CHECK(eval(path + " == 7", deep));
  CHECK(eval("a[1][0].b == \"x\"", R"({"a":[0,[{"b":"x"}]]})"));
  CHECK(eval(R"(a["b.c"]["d/e"]["f~g"] == 1)", R"({"a":{"b.c":{"d/e":{"f~g":1}}}})"));
  CHECK(eval(R"(source.table == "orders" && source.schema == "public")", kUpdate));
  CHECK(eval("changed(after.tags[0])", R"({"before":{"tags":["x"]},"after":{"tags":["y"]}})"));
}

TEST_CASE("filter: paths in any order, again, and after a key with an escape") {
  // Paths out of document order, twice, missing, nested after a partial
  // read of their parent.
  const char* ev = R"({"b":{"x":1,"y":[1,2]},"a":2,"t~x":3,"c":[5,6],"s":"str"})";
  CHECK(eval("c[1] == 6 && a == 2 && b.x == 1 && b.y[1] == 2 && s == \"str\"", ev));
  CHECK(eval("a == 2 && a == 2 && b.y[0] == 1 && b.x == 1 && !exists(zz) && c[0] == 5", ev));
  CHECK(eval("s == \"str\" && b.x == 1 && !exists(b.zz) && s == \"str\" && a == 2", ev));
  CHECK_FALSE(eval("a == 2 && b.x == 2", ev));
  // A key with ~ (escaped in the JSON pointer), then other paths.
  CHECK(eval(R"(a == 2 && $["t~x"] == 3 && b.x == 1 && c[1] == 6 && a == 2)", ev));
  // changed() reads before, then after; also when after comes first.
  CHECK(eval("op == \"u\" && changed(after.price)", kUpdate));
  CHECK(eval("changed(after.p)", R"({"after":{"p":2},"op":"u","before":{"p":1}})"));
  CHECK_FALSE(eval("changed(after.p)", R"({"after":{"p":1},"op":"u","before":{"p":1}})"));
}

TEST_CASE("filter: metadata behind @") {
  std::vector<Header> headers = {{"trace-id", "abc"}, {"tenant", "eu-1"}, {"tenant", "us"}};
  EventMeta m;
  m.key = std::string_view("order-7");
  m.headers = headers;
  m.stream = "orders";
  m.shard = 3;
  m.seq = 42;
  m.ts_us = 1700000000000000;
  CHECK(eval(R"(@key == "order-7")", "{}", m));
  CHECK(eval(R"(@key startswith "order-")", "{}", m));
  CHECK(eval(R"(@stream == "orders")", "{}", m));
  CHECK(eval("@shard == 3", "{}", m));
  CHECK(eval("@seq >= 42 && @seq < 43", "{}", m));
  CHECK(eval("@ts > 1600000000000000", "{}", m));
  CHECK(eval(R"(@headers.trace-id == "abc")", "{}", m));
  CHECK(eval(R"(@headers["trace-id"] == "abc")", "{}", m));
  CHECK(eval(R"(@headers.tenant in ["eu-1", "eu-2"])", "{}", m));  // the first one
  CHECK(eval("@headers.nope == null", "{}", m));
  EventMeta none;
  CHECK(eval("@key == null && @shard == null && @seq == null && @ts == null", "{}", none));
  CHECK(eval(R"(@stream == null)", "{}", none));
  EventMeta tomb;
  tomb.key = std::string_view("");
  CHECK(eval(R"(@key == "")", "{}", tomb));
}

TEST_CASE("filter: parse errors name line and column") {
  CHECK(compile_error(R"(op == "u" && x ==)") == "1:18: expected a value after '=='");
  CHECK(compile_error(R"(op == "u" && ==)") == "1:14: expected a value after '&&', found '=='");
  CHECK(compile_error("") == "1:1: expected a value, found end of expression");
  CHECK(compile_error("op = 1") == "1:4: unexpected character '=' (use '==')");
  CHECK(compile_error("a & b") == "1:3: unexpected character '&' (use '&&')");
  CHECK(compile_error("(a == 1") ==
        "1:8: expected ')' to close the '(' at 1:1, found end of expression");
  CHECK(compile_error(R"(x == "abc)") == "1:6: unterminated string");
  CHECK(compile_error("op ==\n  \"u\" &&\n  @nope") ==
        "3:3: unknown metadata '@nope' (expected @key, @stream, @shard, @seq, @ts or "
        "@headers.NAME)");
  CHECK(compile_error(R"(é == 1)") == "1:1: unexpected character 'é'");
  CHECK(compile_error(R"("é" == x y)") == "1:10: expected an operator, '&&' or '||', found 'y'");
  CHECK(compile_error("a == 1 == 2") ==
        "1:8: comparisons do not chain: put parentheses around one or use '&&'");
  CHECK(compile_error(R"(x matches "(")") == "1:11: invalid regular expression: missing ): (");
  CHECK(compile_error("x matches y") ==
        "1:11: expected a regular expression string after 'matches', found 'y'");
  CHECK(compile_error("x in [1, y]") ==
        "1:10: expected a literal (string, number, true, false or null) in the list after "
        "'in', found 'y'");
  CHECK(compile_error("x in [1 2]") ==
        "1:9: expected ',' or ']' in the list after 'in', found '2'");
  CHECK(compile_error("exists(1)") == "1:8: expected a path inside exists(), found '1'");
  CHECK(compile_error("changed(a b)") ==
        "1:11: expected ')' after the path in changed(), found 'b'");
  CHECK(compile_error("a. b == 1") ==
        "1:4: expected a field name after '.' (use [\"...\"] for others)");
  CHECK(compile_error("a .b == 1") == "1:3: unexpected '.' (no spaces inside a path)");
  CHECK(compile_error("a[-1] == 1") == "1:3: expected an array index (0 or more) inside '[ ]'");
  CHECK(compile_error(R"(x == "\u12")") == "1:7: invalid \\u escape (expected 4 hex digits)");
  CHECK(compile_error(R"(x == "\ud800")") == "1:7: unpaired UTF-16 surrogate in \\u escape");
  CHECK(compile_error("x == 1e999") == "1:6: number out of range: 1e999");
  CHECK(compile_error("@headers") == "1:9: expected '.NAME' or '[\"NAME\"]' after '@headers'");
  CHECK(compile_error("x == !y") ==
        "1:6: expected a value after '==' (put a negation in parentheses)");
  CHECK(compile_error("!") == "1:2: expected a value after '!'");
  // Keywords that are not calls are plain field names.
  CHECK(compile_error("exists == 1 && changed") == "compiled");
  CHECK(eval("exists == 1", R"({"exists":1})"));
}

TEST_CASE("filter: single-quoted strings and escapes") {
  CHECK(eval("op == 'u'", kUpdate));
  CHECK(eval(R"(s == "a\"b")", R"({"s":"a\"b"})"));
  CHECK(eval(R"(s == 'it\'s')", R"({"s":"it's"})"));
  CHECK(eval(R"(s == "tab\there")", R"({"s":"tab\there"})"));
  CHECK(eval(R"(s contains "\\")", R"({"s":"back\\slash"})"));
}

TEST_CASE("filter: one evaluator serves many events and filters") {
  Result<Filter> f1 = Filter::Compile(R"(a == b && c contains "x")");
  Result<Filter> f2 = Filter::Compile("changed(p)");
  REQUIRE(f1.ok());
  REQUIRE(f2.ok());
  Evaluator ev;
  for (int i = 0; i < 100; ++i) {
    const std::string a = std::string(static_cast<size_t>(i), 'q');
    const std::string json = R"({"a":")" + a + R"(","b":")" + a + R"(","c":"yxy"})";
    Result<bool> r = ev.matches(*f1, json, {});
    REQUIRE(r.ok());
    CHECK(*r);
    const std::string cdc =
        R"({"before":{"p":")" + a + R"("},"after":{"p":")" + a + (i % 2 ? "!" : "") + R"("}})";
    r = ev.matches(*f2, cdc, {});
    REQUIRE(r.ok());
    CHECK(*r == (i % 2 == 1));
  }
}

#if !defined(__SANITIZE_ADDRESS__)
// Counts heap allocations, to pin "a warm evaluator does not allocate".
namespace {
thread_local long g_allocations = 0;
}
void* operator new(size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

TEST_CASE("filter: a warm evaluator does not allocate per event") {
  Result<Filter> f = Filter::Compile(
      R"(op == "u" && changed(after.price) && after.tags contains "b" && )"
      R"(source.table matches "^ord" && after.name in ["lamp", "desk"] && @key != null)");
  REQUIRE(f.ok());
  Evaluator ev;
  EventMeta m;
  m.key = std::string_view("k");
  std::vector<std::string> events;
  for (int i = 0; i < 50; ++i) {
    std::string e = kUpdate;
    e.replace(e.find("lamp"), 4, std::string(static_cast<size_t>(i % 7), 'x') + "lamp");
    events.push_back(e);
  }
  for (int warm = 0; warm < 2; ++warm) {
    const long before = g_allocations;
    int matched = 0;
    for (const std::string& e : events) {
      Result<bool> r = ev.matches(*f, e, m);
      REQUIRE(r.ok());
      matched += *r ? 1 : 0;
    }
    CHECK(matched == 50);
    if (warm == 1) CHECK(g_allocations == before);
  }
}
#endif

TEST_CASE("an event with slack after it is read in place, the same as a copy") {
  // Each event sits in a buffer with more bytes after it, as lines in a
  // read buffer do; the byte after the event decides whether the parser
  // may read it in place (whitespace) or gets a padded copy.
  struct Case {
    std::string expr, event, after;
    bool want;
  };
  const std::vector<Case> cases = {
      {"$ == 12", "12", "\n34\n", true},
      {"$ == 12", "12", "34\n", true},  // not whitespace: copied, still 12
      {"$ == 1234", "12", "34\n", false},
      {"$ == true", "true", "\r\nx", true},
      {"$ == \"ab\"", "\"ab\"", " ", true},
      {"op == \"u\" && changed(after.price)", kUpdate, "\n{\"op\":\"c\"}", true},
      {"after.tags contains \"b\"", kUpdate, "\n[\"b\"]", true},
      {"after.tags contains \"z\"", kUpdate, "\n[\"z\"]", false},
  };
  for (const Case& c : cases) {
    std::string buffer = c.event + c.after + std::string(80, 'x');
    const std::string_view event(buffer.data(), c.event.size());
    Result<Filter> f = Filter::Compile(c.expr);
    REQUIRE(f.ok());
    Evaluator ev;
    for (size_t slack : {size_t{0}, buffer.size() - c.event.size()}) {
      Result<bool> r = ev.matches(*f, event, {}, slack);
      REQUIRE_MESSAGE(r.ok(), c.expr << ": " << r.status().message());
      CHECK_MESSAGE(*r == c.want, c.expr << " over " << c.event << " with slack " << slack);
    }
  }
  // Not valid JSON in place either.
  std::string buffer = std::string("{\"a\":") + "\n" + std::string(80, ' ');
  Result<Filter> f = Filter::Compile("a == 1");
  REQUIRE(f.ok());
  Evaluator ev;
  Result<bool> r = ev.matches(*f, std::string_view(buffer.data(), 5), {}, buffer.size() - 5);
  CHECK_FALSE(r.ok());
}
