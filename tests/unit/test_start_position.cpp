#include <doctest/doctest.h>

#include <string>

#include "sluice/backend.h"

using namespace sluice;
using Kind = StartPosition::Kind;

namespace {

constexpr int64_t kNow = 1795300434000000;  // 2026-11-21T22:33:54Z

StartPosition parse_ok(std::string_view text) {
  Result<StartPosition> r = parse_start_position(text, kNow);
  INFO("text: ", text);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

std::string parse_error(std::string_view text) {
  Result<StartPosition> r = parse_start_position(text, kNow);
  if (r.ok()) return "ok";
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

}  // namespace

TEST_CASE("named positions") {
  CHECK(parse_ok("beginning").kind == Kind::kBeginning);
  CHECK(parse_ok("end").kind == Kind::kEnd);
}

TEST_CASE("sequence numbers and counts from the end") {
  StartPosition p = parse_ok("42");
  CHECK(p.kind == Kind::kSeq);
  CHECK(p.value == 42);
  CHECK(parse_ok("0").value == 0);
  CHECK(parse_ok("9223372036854775807").value == INT64_MAX);
  p = parse_ok("-10");
  CHECK(p.kind == Kind::kFromEnd);
  CHECK(p.value == 10);
}

TEST_CASE("times: RFC 3339 and relative ages") {
  StartPosition p = parse_ok("@2026-11-21T22:00:00Z");
  CHECK(p.kind == Kind::kTime);
  CHECK(p.value == kNow - 2034 * 1000000LL);
  CHECK(parse_ok("@2026-11-21T23:00:00+01:00").value == kNow - 2034 * 1000000LL);
  CHECK(parse_ok("@30s").value == kNow - 30 * 1000000LL);
  CHECK(parse_ok("@5m").value == kNow - 300 * 1000000LL);
  CHECK(parse_ok("@2h").value == kNow - 7200 * 1000000LL);
  CHECK(parse_ok("@1d").value == kNow - 86400 * 1000000LL);
  CHECK(parse_ok("@1500ms").value == kNow - 1500000);
  CHECK(parse_ok("@1h30m").value == kNow - 5400 * 1000000LL);
}

TEST_CASE("start position errors name the text and the accepted forms") {
  const std::string m = parse_error("middle");
  CHECK(m.find("invalid start position 'middle'") == 0);
  CHECK(m.find("beginning, end, a sequence number, a redis entry id such as "
               "1795747979255-0, -N") != std::string::npos);
  CHECK(m.find("@TIME") != std::string::npos);
  CHECK(parse_error("-x").find("invalid start position '-x': expected a count after '-'") == 0);
  CHECK(parse_error("--5").find("expected a count") != std::string::npos);
  CHECK(parse_error("12abc").find("invalid start position '12abc': not a sequence number") == 0);
  CHECK(parse_error("99999999999999999999").find("not a sequence number") != std::string::npos);
  CHECK(parse_error("@5").find("'5' is neither an RFC 3339 time nor an age") != std::string::npos);
  CHECK(parse_error("@yesterday").find("is neither") != std::string::npos);
  CHECK(parse_error("@2026-13-01T00:00:00Z").find("month out of range") != std::string::npos);
  CHECK(parse_error("@999999999999999w").find("too large") != std::string::npos);
  CHECK(parse_error("").find("invalid start position ''") == 0);
  CHECK(parse_error("+5") != "ok");
}

// Issue 9, point 5: `--from 1795747979255-1` failed with "not a sequence
// number" although tap printed such ids nowhere and the URI took them.
TEST_CASE("redis entry ids are start positions (issue 9.5)") {
  StartPosition p = parse_ok("1795747979255-1");
  CHECK(p.kind == Kind::kSeq);
  CHECK(p.id == "1795747979255-1");
  CHECK(parse_ok("0-0").id == "0-0");
  CHECK(parse_ok("18446744073709551615-18446744073709551615").id.size() == 41);
  CHECK(parse_ok("42").id.empty());  // a plain number stays a seq
  CHECK(parse_error("1795747979255-x")
            .find("invalid start position '1795747979255-x': not a redis entry id (MS-N)") == 0);
  CHECK(parse_error("12-").find("not a redis entry id") != std::string::npos);
  CHECK(parse_error("1-2-3").find("not a redis entry id") != std::string::npos);
  CHECK(parse_error("1--2").find("not a redis entry id") != std::string::npos);
  CHECK(parse_error("18446744073709551616-0").find("not a redis entry id") != std::string::npos);
}

TEST_CASE("an entry id is refused where streams have no entry ids (issue 9.5)") {
  ConsumerOptions o;
  o.from = parse_ok("1795747979255-1");
  for (const char* text : {"file:/nonexistent/sluice-test/s", "kafka://127.0.0.1:1/t", "-"}) {
    Result<StreamUri> uri = parse_stream_uri(text);
    REQUIRE(uri.ok());
    Result<std::unique_ptr<Consumer>> c = open_consumer(*uri, o);
    INFO("uri: ", text);
    REQUIRE_FALSE(c.ok());
    CHECK(c.status().code() == StatusCode::kInvalidArgument);
    CHECK(c.status().message().find("start position '1795747979255-1' is a redis entry id "
                                    "(MS-N), but '") == 0);
    CHECK(c.status().message().find("is not a redis stream: give a sequence number") !=
          std::string::npos);
  }
}

TEST_CASE("a bad --from @TIME says once what was expected") {
  for (const char* text : {"@2026-13-01T00:00:00Z", "@yesterday", "middle"}) {
    const std::string m = parse_error(text);
    const size_t first = m.find("(expected ");
    CAPTURE(m);
    REQUIRE(first != std::string::npos);
    CHECK(m.find("(expected ", first + 1) == std::string::npos);
  }
}
