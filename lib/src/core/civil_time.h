// Civil (calendar) dates and days since the Unix epoch, in the proleptic
// Gregorian calendar, for the codecs that print and parse dates: RFC 3339
// timestamps in envelopes, Debezium dates and timestamps from PostgreSQL.
//
// The conversions are Howard Hinnant's days_from_civil and civil_from_days
// (http://howardhinnant.github.io/date_algorithms.html): exact for every
// date whose day count fits in an int64 with room for the arithmetic (years
// of up to about +-10^15), with year 0 = 1 BC, -1 = 2 BC and so on. No time
// zones, no leap seconds: a day is 86400 seconds, as in POSIX time.
// Pure functions; safe from any thread.
#pragma once

#include <cstdint>

namespace sluice {

struct CivilDate {
  int64_t year;    // astronomical: 0 is 1 BC
  unsigned month;  // 1..12
  unsigned day;    // 1..days_in_month(year, month)

  friend constexpr bool operator==(const CivilDate&, const CivilDate&) = default;
};

// Days since 1970-01-01 (negative before it) of year-month-day. Requires a
// month in 1..12 and a day in 1..31; a day past the month's end counts on
// into the next month (2023-02-29 is 2023-03-01).
constexpr int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  const int64_t y = year - (month <= 2);
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);                           // [0, 399]
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The date `days` days after 1970-01-01 (before it when negative).
constexpr CivilDate civil_from_days(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);                // [0, 146096]
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const unsigned mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int64_t>(yoe) + era * 400 + (month <= 2), month, day};
}

constexpr bool is_leap_year(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

// 28..31. Requires a month in 1..12.
constexpr unsigned days_in_month(int64_t year, unsigned month) {
  constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[month - 1];
}

}  // namespace sluice
