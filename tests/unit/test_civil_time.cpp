// Civil dates <-> days since 1970-01-01 (core/civil_time.h), which RFC 3339
// envelope timestamps and Debezium dates print and parse.
#include <doctest/doctest.h>

#include <ctime>
#include <initializer_list>

#include "core/civil_time.h"

using namespace sluice;

namespace {

// The day after `d`, counted by hand from days_in_month().
CivilDate day_after(CivilDate d) {
  if (d.day < days_in_month(d.year, d.month)) return {d.year, d.month, d.day + 1};
  if (d.month < 12) return {d.year, d.month + 1, 1};
  return {d.year + 1, 1, 1};
}

// Walks every day from `from` for `n` days: each converts to the next day
// count and back, and follows its predecessor on the calendar.
void walk(CivilDate from, int64_t n) {
  int64_t z = days_from_civil(from.year, from.month, from.day);
  CivilDate d = from;
  for (int64_t i = 0; i < n; ++i, ++z) {
    const CivilDate got = civil_from_days(z);
    if (!(got == d) || days_from_civil(d.year, d.month, d.day) != z) {
      INFO("day ", z, ": expected ", d.year, "-", d.month, "-", d.day, ", got ", got.year, "-",
           got.month, "-", got.day);
      REQUIRE(got == d);
      REQUIRE(days_from_civil(d.year, d.month, d.day) == z);
    }
    d = day_after(d);
  }
}

}  // namespace

TEST_CASE("civil dates at the edges the codecs care about") {
  CHECK(days_from_civil(1970, 1, 1) == 0);
  CHECK(days_from_civil(1969, 12, 31) == -1);
  CHECK(days_from_civil(2000, 3, 1) == 11017);
  CHECK(days_from_civil(0, 3, 1) == -719468);  // the algorithm's epoch
  CHECK(days_from_civil(0, 1, 1) == -719528);
  CHECK(days_from_civil(1, 1, 1) == -719162);
  CHECK(days_from_civil(9999, 12, 31) == 2932896);  // last RFC 3339 day
  CHECK(days_from_civil(2038, 1, 19) == 24855);     // 32-bit time_t ends
  CHECK(civil_from_days(0) == CivilDate{1970, 1, 1});
  CHECK(civil_from_days(-1) == CivilDate{1969, 12, 31});
  CHECK(civil_from_days(-719468) == CivilDate{0, 3, 1});
  CHECK(civil_from_days(-719469) == CivilDate{0, 2, 29});  // 1 BC was a leap year
  CHECK(civil_from_days(2932896) == CivilDate{9999, 12, 31});
  CHECK(civil_from_days(2932897) == CivilDate{10000, 1, 1});
  // Julian day 0 (PostgreSQL counts dates from it): 4714-11-24 BC, year -4713.
  CHECK(civil_from_days(-2440588) == CivilDate{-4713, 11, 24});
  static_assert(days_from_civil(1970, 1, 1) == 0);
  static_assert(civil_from_days(11017) == CivilDate{2000, 3, 1});
}

TEST_CASE("leap years and month lengths") {
  CHECK(is_leap_year(2000));
  CHECK(is_leap_year(2024));
  CHECK(is_leap_year(0));
  CHECK(is_leap_year(-4));
  CHECK(is_leap_year(-400));
  CHECK_FALSE(is_leap_year(1900));
  CHECK_FALSE(is_leap_year(2023));
  CHECK_FALSE(is_leap_year(2100));
  CHECK_FALSE(is_leap_year(-1));
  CHECK_FALSE(is_leap_year(-100));
  CHECK(days_in_month(2024, 2) == 29);
  CHECK(days_in_month(2000, 2) == 29);
  CHECK(days_in_month(1900, 2) == 28);
  CHECK(days_in_month(2023, 2) == 28);
  CHECK(days_in_month(2023, 1) == 31);
  CHECK(days_in_month(2023, 4) == 30);
  CHECK(days_in_month(2023, 12) == 31);
  // Month lengths agree with the day counts, for leap and plain years of
  // both signs and both kinds of century.
  for (int64_t y : {-401, -400, -100, -5, -4, -1, 0, 1, 1900, 2000, 2023, 2024, 2100, 9999}) {
    for (unsigned m = 1; m <= 12; ++m) {
      const int64_t next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
      CHECK(next - days_from_civil(y, m, 1) == days_in_month(y, m));
    }
    CHECK(days_from_civil(y + 1, 1, 1) - days_from_civil(y, 1, 1) == (is_leap_year(y) ? 366 : 365));
  }
}

TEST_CASE("a day past the month's end counts on into the next month") {
  // pg_debezium's date parser checks the day against 1..31 only.
  CHECK(days_from_civil(2023, 2, 29) == days_from_civil(2023, 3, 1));
  CHECK(days_from_civil(2023, 2, 31) == days_from_civil(2023, 3, 3));
  CHECK(days_from_civil(2024, 2, 31) == days_from_civil(2024, 3, 2));
  CHECK(days_from_civil(2023, 4, 31) == days_from_civil(2023, 5, 1));
  CHECK(days_from_civil(2023, 12, 32) == days_from_civil(2024, 1, 1));
  CHECK(days_from_civil(-1, 2, 30) == days_from_civil(-1, 3, 2));
}

TEST_CASE("civil dates round-trip every day from 5000 BC to 12000 AD") {
  walk({-5000, 1, 1}, days_from_civil(12000, 1, 1) - days_from_civil(-5000, 1, 1));
}

TEST_CASE("civil dates round-trip far from the epoch") {
  // PostgreSQL's last date and beyond; Hinnant's algorithms hold as long as
  // the day count has room, so walk a few 400-year cycles out there.
  walk({5874000, 1, 1}, 3 * 146097);
  walk({-5874000, 1, 1}, 3 * 146097);
  walk({1000000000000, 1, 1}, 146097);
  walk({-1000000000000, 1, 1}, 146097);
  // Whole 400-year cycles are 146097 days apart anywhere.
  for (int64_t y :
       {-1000000000000LL, -5874897LL, -4713LL, 0LL, 1970LL, 5874897LL, 1000000000000LL}) {
    CHECK(days_from_civil(y + 400, 3, 1) - days_from_civil(y, 3, 1) == 146097);
  }
}

TEST_CASE("civil dates agree with timegm and gmtime_r") {
  // glibc's timegm/gmtime_r use the same proleptic calendar with a 64-bit
  // time_t; check the first, last and a leap day of every month from 1 BC
  // (tm_year -1901) to 9999 AD.
  static_assert(sizeof(time_t) == 8, "64-bit time_t needed for years outside 1901..2038");
  for (int64_t y = 0; y <= 9999; ++y) {
    for (unsigned m = 1; m <= 12; ++m) {
      for (unsigned d : {1u, 15u, days_in_month(y, m)}) {
        struct tm tm = {};
        tm.tm_year = static_cast<int>(y - 1900);
        tm.tm_mon = static_cast<int>(m - 1);
        tm.tm_mday = static_cast<int>(d);
        const time_t t = timegm(&tm);
        REQUIRE(t % 86400 == 0);
        const int64_t z = days_from_civil(y, m, d);
        if (z != t / 86400) {
          INFO("date ", y, "-", m, "-", d);
          REQUIRE(z == t / 86400);
        }
        struct tm back = {};
        REQUIRE(gmtime_r(&t, &back) != nullptr);
        const CivilDate c = civil_from_days(z);
        if (c.year != back.tm_year + 1900 || c.month != static_cast<unsigned>(back.tm_mon + 1) ||
            c.day != static_cast<unsigned>(back.tm_mday)) {
          INFO("day ", z);
          REQUIRE(c == CivilDate{back.tm_year + 1900, static_cast<unsigned>(back.tm_mon + 1),
                                 static_cast<unsigned>(back.tm_mday)});
        }
      }
    }
  }
}
