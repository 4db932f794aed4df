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
  CHECK(m.find("beginning, end, a sequence number, -N") != std::string::npos);
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

TEST_CASE("a bad --from @TIME says once what was expected") {
  for (const char* text : {"@2026-13-01T00:00:00Z", "@yesterday", "middle"}) {
    const std::string m = parse_error(text);
    const size_t first = m.find("(expected ");
    CAPTURE(m);
    REQUIRE(first != std::string::npos);
    CHECK(m.find("(expected ", first + 1) == std::string::npos);
  }
}
