#include <doctest/doctest.h>

#include <string>

#include "sluice/format.h"

using namespace sluice;

namespace {

std::string render(std::string_view spec, const Message& m) {
  Result<OutputFormat> f = OutputFormat::Parse(spec);
  REQUIRE_MESSAGE(f.ok(), f.status().message());
  std::string out;
  f->render(m, out);
  return out;
}

std::string parse_error(std::string_view spec) {
  Result<OutputFormat> f = OutputFormat::Parse(spec);
  if (f.ok()) return "ok";
  CHECK(f.status().code() == StatusCode::kInvalidArgument);
  return f.status().message();
}

Message sample(const Header (&hs)[2]) {
  Message m;
  m.stream = "news";
  m.shard = 3;
  m.seq = 42;
  m.ts_us = 1795300434123456;
  m.key = "k1";
  m.headers = hs;
  m.payload = "hello";
  return m;
}

}  // namespace

TEST_CASE("payload and envelope formats") {
  const Header hs[2] = {{"a", "1"}, {"b", "2"}};
  Message m = sample(hs);
  CHECK(render("payload", m) == "hello");
  CHECK(render("envelope", m).rfind("{\"stream\":\"news\",\"shard\":3,\"seq\":42,", 0) == 0);
  CHECK(OutputFormat::Parse("envelope")->is_envelope());
  CHECK(!OutputFormat::Parse("payload")->is_envelope());
  m.payload.reset();
  CHECK(render("payload", m) == "");
}

TEST_CASE("template tokens") {
  const Header hs[2] = {{"a", "1"}, {"b", "2"}};
  Message m = sample(hs);
  CHECK(render("%t/%p/%o %k=%s", m) == "news/3/42 k1=hello");
  CHECK(render("%T", m) == "1795300434123");
  CHECK(render("%D", m) == "2026-11-21T22:33:54.123456Z");
  CHECK(render("[%h]", m) == "[a=1,b=2]");
  CHECK(render("%S %K", m) == "5 2");
  CHECK(render("100%% %s", m) == "100% hello");
  CHECK(render("%s\\n\\t\\r\\\\", m) == "hello\n\t\r\\");
  CHECK(render("%s\\0", m) == std::string("hello\0", 6));
  CHECK(render("ünï %s", m) == "ünï hello");
}

// Issue 9, point 5: %o printed a packed number for a redis entry; %i is the
// id itself, what --from takes back.
TEST_CASE("%i is the native entry id, or the seq where there is none (issue 9.5)") {
  const Header hs[2] = {{"a", "1"}, {"b", "2"}};
  Message m = sample(hs);
  CHECK(render("%i", m) == "42");
  m.id = "1795747979255-0";
  m.seq = 1882976757604253696;
  CHECK(render("%t %i %o", m) == "news 1795747979255-0 1882976757604253696");
  CHECK(parse_error("%I").find("unknown token '%I'") == 0);
}

TEST_CASE("tombstones, absent keys, no headers, negative times") {
  const Header hs[2] = {{"a", "1"}, {"b", "2"}};
  Message m = sample(hs);
  m.payload.reset();
  m.key.reset();
  m.headers = {};
  m.ts_us = -1500;
  CHECK(render("<%k|%s|%h>", m) == "<||>");
  CHECK(render("%S %K", m) == "-1 -1");
  CHECK(render("%T", m) == "-2");
  m.payload = "";
  CHECK(render("%S", m) == "0");
}

TEST_CASE("render appends and reuses the buffer") {
  const Header hs[2] = {{"a", "1"}, {"b", "2"}};
  Message m = sample(hs);
  Result<OutputFormat> f = OutputFormat::Parse("%k:%s");
  REQUIRE(f.ok());
  std::string out = "x";
  f->render(m, out);
  f->render(m, out);
  CHECK(out == "xk1:hellok1:hello");
}

TEST_CASE("template errors name the token and column") {
  CHECK(parse_error("key=%k %x") == "unknown token '%x' at column 8");
  CHECK(parse_error("%s %") == "incomplete token '%' at column 4");
  CHECK(parse_error("%é") == "unknown token '%é' at column 1");
  CHECK(parse_error("ab\\q") == "unknown escape '\\q' at column 3");
  CHECK(parse_error("ab\\") == "unknown escape '\\' at column 3");
  CHECK(parse_error("\\x41") == "unknown escape '\\x' at column 1");  // templates take no \x
  CHECK(parse_error("").find("empty format") == 0);
}

TEST_CASE("delimiters") {
  Result<Framing> f = Framing::Delimited("\\n");
  REQUIRE(f.ok());
  CHECK(f->kind == Framing::Kind::kDelimiter);
  CHECK(f->delimiter == "\n");
  CHECK(Framing::Delimited("|")->delimiter == "|");
  CHECK(Framing::Delimited("\\r\\n")->delimiter == "\r\n");
  CHECK(Framing::Delimited("\\0")->delimiter == std::string(1, '\0'));
  CHECK(Framing::Delimited("\\x1e\\xFF")->delimiter == "\x1e\xff");
  CHECK(Framing::Delimited("a\\\\b")->delimiter == "a\\b");
  CHECK(Framing::Delimited("--\\t--")->delimiter == "--\t--");
  CHECK(Framing::Null().delimiter == std::string(1, '\0'));
  CHECK(Framing::Null().kind == Framing::Kind::kNull);
  CHECK(Framing::Line().delimiter == "\n");
  CHECK(Framing::Line().kind == Framing::Kind::kLine);

  CHECK(Framing::Delimited("ab\\q").status().message() ==
        "unknown escape in delimiter '\\q' at column 3");
  CHECK(Framing::Delimited("\\xZZ").status().message() ==
        "unknown escape in delimiter '\\xZZ' at column 1");
  CHECK(Framing::Delimited("\\x4").status().message() ==
        "unknown escape in delimiter '\\x4' at column 1");
  CHECK(Framing::Delimited("").status().message().find("empty delimiter") == 0);
}
