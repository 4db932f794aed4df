// PostgreSQL's text forms of dates, times and intervals, parsed for
// Debezium's temporal types, and the ISO 8601 forms Debezium writes (see
// pg_time.h).
#include "cdc/pg_time.h"

#include <charconv>
#include <cstdio>

#include "core/civil_time.h"
#include "sluice/debezium.h"

namespace sluice::pg {

using debezium::floor_div;

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int64_t* v) {
  if (pos + n > s.size()) return false;
  int64_t x = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    x = x * 10 + (s[i] - '0');
  }
  *v = x;
  return true;
}

}  // namespace

// "YYYY-MM-DD" (4+ digit year) at the start of s; sets *end past it.
bool parse_date(std::string_view s, int64_t* days, size_t* end) {
  size_t dash = s.find('-');
  // PostgreSQL dates end in 5874897 AD: at most 7 digits; 9 keeps the
  // arithmetic far from overflow whatever the bytes say.
  if (dash == std::string_view::npos || dash < 4 || dash > 9) return false;
  int64_t y, m, d;
  if (!digits(s, 0, dash, &y) || !digits(s, dash + 1, 2, &m) || s.size() < dash + 6 ||
      s[dash + 3] != '-' || !digits(s, dash + 4, 2, &d) || m < 1 || m > 12 || d < 1 || d > 31) {
    return false;
  }
  *end = dash + 6;
  if (s.substr(*end).ends_with(" BC")) y = 1 - y;
  *days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

// "HH:MM:SS[.ffffff]" at s[pos..]; microseconds since midnight.
bool parse_time(std::string_view s, size_t pos, int64_t* us, size_t* end) {
  int64_t h, mi, se;
  if (!digits(s, pos, 2, &h) || s.size() < pos + 8 || s[pos + 2] != ':' ||
      !digits(s, pos + 3, 2, &mi) || s[pos + 5] != ':' || !digits(s, pos + 6, 2, &se)) {
    return false;
  }
  size_t i = pos + 8;
  int64_t frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 6) frac = frac * 10 + (s[i] - '0');
      ++n;
      ++i;
    }
    for (; n < 6; ++n) frac *= 10;
  }
  *us = ((h * 60 + mi) * 60 + se) * 1000000 + frac;
  *end = i;
  return true;
}

// An interval in IntervalStyle "postgres" ("1 year 2 mons -3 days
// 04:05:06.5", "-00:00:01") to io.debezium.time.MicroDuration: months count
// 365.25 / 12 days, summed in doubles in Debezium's order and truncated,
// so the number is the one Debezium prints. False on any other form.
bool parse_interval_micros(std::string_view s, int64_t* out) {
  int64_t years = 0, months = 0, days = 0, hours = 0, minutes = 0;
  double seconds = 0;
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < s.size() && s[i] == ' ') ++i;
  };
  auto number = [&](int64_t* v) {
    bool neg = i < s.size() && (s[i] == '-' || s[i] == '+') && s[i++] == '-';
    size_t start = i;
    int64_t x = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 12)
      x = x * 10 + (s[i++] - '0');
    if (i == start) return false;
    *v = neg ? -x : x;
    return true;
  };
  bool any = false;
  for (skip_spaces(); i < s.size(); skip_spaces()) {
    size_t token = i;
    int64_t n;
    if (!number(&n)) return false;
    if (i < s.size() && s[i] == ':') {  // [-]H+:MM:SS[.ffffff], the last part
      const bool neg = s[token] == '-';
      int64_t mi, se;
      if (!digits(s, i + 1, 2, &mi) || i + 6 > s.size() || s[i + 3] != ':' ||
          !digits(s, i + 4, 2, &se)) {
        return false;
      }
      const size_t sec_at = i + 4;
      i += 6;
      if (i < s.size() && s[i] == '.') {
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        }
      }
      // Parsed as one decimal number, as Debezium's driver does.
      if (std::from_chars(s.data() + sec_at, s.data() + i, seconds).ptr != s.data() + i)
        return false;
      hours = n;
      minutes = neg ? -mi : mi;
      if (neg) seconds = -seconds;
      any = true;
      skip_spaces();
      if (i != s.size()) return false;
      break;
    }
    if (i >= s.size() || s[i] != ' ') return false;
    skip_spaces();
    size_t unit = i;
    while (i < s.size() && s[i] >= 'a' && s[i] <= 'z') ++i;
    std::string_view u = s.substr(unit, i - unit);
    if (u == "year" || u == "years")
      years += n;
    else if (u == "mon" || u == "mons")
      months += n;
    else if (u == "day" || u == "days")
      days += n;
    else
      return false;
    any = true;
  }
  if (!any) return false;
  const double per_month = 365.25 / 12.0;
  double total_days =
      static_cast<double>(years * 12 + months) * per_month + static_cast<double>(days);
  double total_secs =
      ((total_days * 24 + static_cast<double>(hours)) * 60 + static_cast<double>(minutes)) * 60 +
      seconds;
  // Java's (long) saturates; a C++ cast out of range is undefined.
  const double us = total_secs * 1e6;
  if (us >= 9223372036854775807.0) {
    *out = INT64_MAX;
  } else if (us <= -9223372036854775808.0) {
    *out = INT64_MIN;
  } else {
    *out = static_cast<int64_t>(us);
  }
  return true;
}

// "+HH[:MM[:SS]]" / "-HH..." at s[pos..] to seconds east of UTC.
bool parse_offset(std::string_view s, size_t pos, int64_t* secs, size_t* end) {
  if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) return false;
  int sign = s[pos] == '-' ? -1 : 1;
  int64_t h, m = 0, sec = 0;
  if (!digits(s, pos + 1, 2, &h)) return false;
  size_t i = pos + 3;
  if (i < s.size() && s[i] == ':') {
    if (!digits(s, i + 1, 2, &m)) return false;
    i += 3;
    if (i < s.size() && s[i] == ':') {
      if (!digits(s, i + 1, 2, &sec)) return false;
      i += 3;
    }
  }
  *secs = sign * (h * 3600 + m * 60 + sec);
  *end = i;
  return true;
}

namespace {

// Debezium ZonedTimestamp: ISO-8601 in UTC, fraction without trailing zeros.
// "HH:MM:SS[.ffffff, trailing zeros trimmed]Z" (ISO_OFFSET_TIME in UTC)
// and the closing quote, for us microseconds into a day.
void append_utc_time(int64_t us, std::string& out) {
  int64_t secs = us / 1000000, frac = us % 1000000;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                   static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  out.append(buf, static_cast<size_t>(n));
  if (frac) {
    n = snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    while (buf[n - 1] == '0') --n;
    out.append(buf, static_cast<size_t>(n));
  }
  out.append("Z\"");
}

}  // namespace

void append_time_of_day(int64_t us, std::string& out) {
  out.push_back('"');
  append_utc_time(us, out);
}

void append_zoned(int64_t unix_us, std::string& out) {
  int64_t days = floor_div(unix_us, 86400000000LL);
  int64_t rem = unix_us - days * 86400000000LL;
  const auto [y, mo, d] = civil_from_days(days);
  char buf[32];
  int n = snprintf(buf, sizeof buf, "\"%04lld-%02u-%02uT", static_cast<long long>(y), mo, d);
  out.append(buf, static_cast<size_t>(n));
  append_utc_time(rem, out);
}

}  // namespace sluice::pg
