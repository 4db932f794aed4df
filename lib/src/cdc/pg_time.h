// PostgreSQL's text forms of dates, times and intervals, as its output
// functions write them with DateStyle=ISO and IntervalStyle=postgres (the
// session settings cdc-pg asks for), parsed for Debezium's temporal types;
// and the ISO 8601 strings Debezium writes. Bytes from the server: every
// parser checks what it reads and returns false on anything unexpected.
// Pure functions, thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::pg {

// "YYYY-MM-DD" (4+ digit year) at the start of s, to days since
// 1970-01-01; sets *end past it (a " BC" after it is honoured).
bool parse_date(std::string_view s, int64_t* days, size_t* end);

// "HH:MM:SS[.ffffff]" at s[pos..], to microseconds since midnight.
bool parse_time(std::string_view s, size_t pos, int64_t* us, size_t* end);

// An interval ("1 year 2 mons -3 days 04:05:06.5") to Debezium's
// MicroDuration microseconds.
bool parse_interval_micros(std::string_view s, int64_t* out);

// "+HH[:MM[:SS]]" / "-HH..." at s[pos..], to seconds east of UTC.
bool parse_offset(std::string_view s, size_t pos, int64_t* secs, size_t* end);

// Appends "HH:MM:SS[.ffffff]Z" (quoted) for `us` microseconds into a day.
void append_time_of_day(int64_t us, std::string& out);

// Appends Debezium's ZonedTimestamp (quoted ISO 8601 in UTC, fraction
// without trailing zeros) for microseconds since the epoch.
void append_zoned(int64_t unix_us, std::string& out);

}  // namespace sluice::pg
