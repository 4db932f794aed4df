// --from beginning|end|SEQ|ID|-N|@TIME (see backend.h).
#include <charconv>
#include <string>

#include "sluice/backend.h"
#include "sluice/envelope.h"
#include "sluice/units.h"

namespace sluice {
namespace {

constexpr std::string_view kForms =
    "beginning, end, a sequence number, a redis entry id such as "
    "1795747979255-0, -N for the last N messages, or "
    "@TIME with TIME in RFC 3339 (@2026-11-21T22:00:00Z) or an age (@5m, @2h)";

Status bad_position(std::string_view text, std::string_view why) {
  std::string m = "invalid start position '";
  m.append(text).append("'");
  if (!why.empty()) m.append(": ").append(why);
  // A reason that already says what was expected (a bad RFC 3339 time)
  // needs no second list.
  if (why.find("(expected ") == std::string_view::npos) {
    m.append(" (expected ").append(kForms).append(")");
  }
  return Status::InvalidArgument(std::move(m));
}

bool parse_uint(std::string_view s, int64_t* v) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && end == s.data() + s.size() && *v >= 0 && s[0] != '-' && s[0] != '+';
}

// MS-N, each part a 64-bit unsigned number: a redis entry id.
bool is_entry_id(std::string_view s) {
  const size_t dash = s.find('-');
  if (dash == std::string_view::npos) return false;
  for (std::string_view part : {s.substr(0, dash), s.substr(dash + 1)}) {
    uint64_t v;
    if (part.empty() || part[0] < '0' || part[0] > '9') return false;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size()) return false;
  }
  return true;
}

}  // namespace

Result<StartPosition> parse_start_position(std::string_view text, int64_t now) {
  StartPosition p;
  if (text == "beginning" || text == "earliest" || text == "oldest") {
    p.kind = StartPosition::Kind::kBeginning;
    return p;
  }
  if (text == "end" || text == "latest" || text == "newest") {
    p.kind = StartPosition::Kind::kEnd;
    return p;
  }
  if (text.empty()) return bad_position(text, "");
  if (text[0] == '-') {
    p.kind = StartPosition::Kind::kFromEnd;
    if (!parse_uint(text.substr(1), &p.value)) {
      return bad_position(text, "expected a count after '-'");
    }
    return p;
  }
  if (text[0] == '@') {
    const std::string_view when = text.substr(1);
    p.kind = StartPosition::Kind::kTime;
    // An age ends in a unit letter; an RFC 3339 time has a '-' in its date.
    if (when.size() >= 10 && when[4] == '-') {
      Result<int64_t> ts = parse_rfc3339(when);
      if (!ts.ok()) return bad_position(text, ts.status().message());
      p.value = *ts;
      return p;
    }
    Result<int64_t> age = parse_duration_ms(when);
    if (!age.ok()) {
      if (age.status().message().find("too large") != std::string::npos) {
        return bad_position(text, "the age is too large");
      }
      return bad_position(text,
                          "'" + std::string(when) + "' is neither an RFC 3339 time nor an age");
    }
    int64_t age_us;
    if (__builtin_mul_overflow(*age, int64_t{1000}, &age_us) ||
        __builtin_sub_overflow(now, age_us, &p.value)) {
      return bad_position(text, "the age is too large");
    }
    return p;
  }
  if (text[0] >= '0' && text[0] <= '9') {
    p.kind = StartPosition::Kind::kSeq;
    if (text.find('-') != std::string_view::npos) {
      if (!is_entry_id(text)) return bad_position(text, "not a redis entry id (MS-N)");
      p.id = text;
      return p;
    }
    if (!parse_uint(text, &p.value)) return bad_position(text, "not a sequence number");
    return p;
  }
  return bad_position(text, "");
}

}  // namespace sluice
