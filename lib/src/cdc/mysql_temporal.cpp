// MySQL/MariaDB temporal values (see mysql_values.h): the binlog's packed
// TIME2 and fractions (MySQL source, my_time.cc), and Debezium's temporal
// numbers and ZonedTimestamp text, shared by the binlog and text typings.
#include <charconv>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_value_parts.h"
#include "cdc/mysql_values.h"
#include "core/civil_time.h"
#include "sluice/debezium.h"
#include "sluice/envelope.h"

namespace sluice::mysql {

namespace {

constexpr int64_t kUsPerDay = 86400LL * 1000000;

void append_two(unsigned v, std::string& out) {
  out.push_back(static_cast<char>('0' + v / 10 % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_fraction(uint32_t micros, unsigned fsp, std::string& out) {
  if (fsp == 0) return;
  char digits[7];
  uint32_t v = micros;
  for (int i = 5; i >= 0; --i) {
    digits[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.push_back('.');
  out.append(digits, fsp > 6 ? 6 : fsp);
}

}  // namespace

// Debezium's temporal numbers for a date-time read as UTC. False (and
// nothing appended) for a value no server writes (year past 9999, 25:00).
bool append_datetime(int64_t year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                     unsigned second, uint32_t micros, unsigned fsp, std::string& out) {
  if (year < 0 || year > 9999 || hour > 23 || minute > 59 || second > 59 || micros > 999999)
    return false;
  if (year == 0 && month == 0 && day == 0) {
    out.append("null");  // the zero date
    return true;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    out.append("null");  // a date with a zero part ('2020-00-00'), allowed by some SQL modes
    return true;
  }
  const int64_t days = days_from_civil(year, month, day);
  const int64_t us =
      days * kUsPerDay + (int64_t{hour} * 3600 + int64_t{minute} * 60 + second) * 1000000 + micros;
  append_int(fsp <= 3 ? debezium::floor_div(us, 1000) : us, out);
  return true;
}

void append_date(int64_t year, unsigned month, unsigned day, std::string& out) {
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    out.append("null");
    return;
  }
  append_int(days_from_civil(year, month, day), out);
}

// TIME2 (MySQL 5.6+): a packed value of (hours, minutes, seconds) << 24 | micros.
bool time2_micros(const uint8_t* p, unsigned fsp, int64_t* us) {
  int64_t packed = 0;
  switch (fsp) {
    case 0:
      packed = (static_cast<int64_t>(be_uint(p, 3)) - 0x800000) * (int64_t{1} << 24);
      break;
    case 1:
    case 2: {
      int64_t intpart = static_cast<int64_t>(be_uint(p, 3)) - 0x800000;
      int64_t frac = p[3];
      if (intpart < 0 && frac) {
        ++intpart;
        frac -= 0x100;
      }
      packed = intpart * (int64_t{1} << 24) + frac * 10000;
      break;
    }
    case 3:
    case 4: {
      int64_t intpart = static_cast<int64_t>(be_uint(p, 3)) - 0x800000;
      int64_t frac = static_cast<int64_t>(be_uint(p + 3, 2));
      if (intpart < 0 && frac) {
        ++intpart;
        frac -= 0x10000;
      }
      packed = intpart * (int64_t{1} << 24) + frac * 100;
      break;
    }
    default:
      packed = static_cast<int64_t>(be_uint(p, 6)) - 0x800000000000LL;
      break;
  }
  const bool neg = packed < 0;
  const uint64_t v = neg ? static_cast<uint64_t>(-packed) : static_cast<uint64_t>(packed);
  const uint64_t hms = v >> 24;
  const uint64_t micros = v % (1 << 24);
  const uint64_t hour = (hms >> 12) % (1 << 10), minute = (hms >> 6) % (1 << 6),
                 second = hms % (1 << 6);
  if (minute > 59 || second > 59 || micros > 999999) return false;
  const int64_t total =
      static_cast<int64_t>(((hour * 60 + minute) * 60 + second) * 1000000 + micros);
  *us = neg ? -total : total;
  return true;
}

uint32_t frac_micros(const uint8_t* p, unsigned fsp) {
  switch (fsp) {
    case 1:
    case 2:
      return static_cast<uint32_t>(p[0]) * 10000;
    case 3:
    case 4:
      return static_cast<uint32_t>(be_uint(p, 2)) * 100;
    case 5:
    case 6:
      return static_cast<uint32_t>(be_uint(p, 3));
    default:
      return 0;
  }
}

unsigned fsp_of(const Column& c) {
  return c.meta > 6 ? 6 : c.meta;
}

void append_zoned(int64_t secs, uint32_t micros, unsigned fsp, std::string& out) {
  const int64_t days = debezium::floor_div(secs, 86400);
  const int64_t rem = secs - days * 86400;
  const CivilDate d = civil_from_days(days);
  out.push_back('"');
  char year[24];
  auto r = std::to_chars(year, year + sizeof year, d.year);
  for (ptrdiff_t i = r.ptr - year; i < 4; ++i) out.push_back('0');
  out.append(year, static_cast<size_t>(r.ptr - year));
  out.push_back('-');
  append_two(d.month, out);
  out.push_back('-');
  append_two(d.day, out);
  out.push_back('T');
  append_two(static_cast<unsigned>(rem / 3600), out);
  out.push_back(':');
  append_two(static_cast<unsigned>(rem / 60 % 60), out);
  out.push_back(':');
  append_two(static_cast<unsigned>(rem % 60), out);
  append_fraction(micros, fsp, out);
  out.append("Z\"");
}

}  // namespace sluice::mysql
