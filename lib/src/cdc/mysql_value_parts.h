// Pieces of the MySQL/MariaDB value typing (mysql_values.h) shared by its
// three files: mysql_values.cpp (the binlog's binary values),
// mysql_text_values.cpp (the text protocol's, for the snapshot) and
// mysql_temporal.cpp (dates and times); mysql_rows.cpp uses
// append_string_or_json for partial JSON updates. Internal to lib/src/cdc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/mysql_table_map.h"

namespace sluice::mysql {

// JSON numbers of a DOUBLE / FLOAT; NaN and infinities as strings.
void append_double(double d, std::string& out);
void append_float(float f, std::string& out);
// BIT(1) as true / false; BIT(n > 1) as base64, least significant byte first.
void append_bits(const Column& c, std::string_view bytes, std::string& out);
// MySQL's internal geometry (SRID, then WKB) as {"wkb":base64,"srid":N}.
void append_geometry(std::string_view bytes, std::string& out);
// JSON text as a JSON string, or as itself when `embed`.
void append_string_or_json(std::string_view text, bool embed, std::string& out);

// Debezium's temporal numbers for a date-time read as UTC. False (and
// nothing appended) for a value no server writes (year past 9999, 25:00).
bool append_datetime(int64_t year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                     unsigned second, uint32_t micros, unsigned fsp, std::string& out);
// Days since 1970-01-01; null for a date with a zero part.
void append_date(int64_t year, unsigned month, unsigned day, std::string& out);
// TIME2 (MySQL 5.6+) at p, to signed microseconds; false when out of range.
bool time2_micros(const uint8_t* p, unsigned fsp, int64_t* us);
// The fraction bytes of DATETIME2 / TIMESTAMP2 at p, to microseconds.
uint32_t frac_micros(const uint8_t* p, unsigned fsp);
// A temporal column's fraction digits (0-6).
unsigned fsp_of(const Column& c);

}  // namespace sluice::mysql
