// Typing of MySQL/MariaDB text-protocol values (the snapshot, read with
// time_zone '+00:00' and a utf8mb4 connection; see mysql_values.h), the
// same as the binlog's typing of the same row.
#include <charconv>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_value_parts.h"
#include "cdc/mysql_values.h"
#include "core/civil_time.h"
#include "sluice/envelope.h"

namespace sluice::mysql {

namespace {

bool digits(std::string_view s, size_t at, size_t n, unsigned* v) {
  if (at + n > s.size()) return false;
  unsigned x = 0;
  for (size_t i = 0; i < n; ++i) {
    char ch = s[at + i];
    if (ch < '0' || ch > '9') return false;
    x = x * 10 + static_cast<unsigned>(ch - '0');
  }
  *v = x;
  return true;
}

// ".ffffff" at s[at..] (optional), to microseconds.
bool text_fraction(std::string_view s, size_t at, uint32_t* micros) {
  *micros = 0;
  if (at == s.size()) return true;
  if (s[at] != '.') return false;
  uint32_t v = 0;
  size_t n = 0;
  for (size_t i = at + 1; i < s.size(); ++i, ++n) {
    if (s[i] < '0' || s[i] > '9' || n >= 6) return false;
    v = v * 10 + static_cast<uint32_t>(s[i] - '0');
  }
  for (; n < 6; ++n) v *= 10;
  *micros = v;
  return true;
}

bool number_text(std::string_view s) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    char ch = s[i];
    if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' ||
          ch == '-'))
      return false;
  }
  return true;
}

}  // namespace

void append_text_value(const Column& c, std::string_view text, const debezium::ValueOptions& opts,
                       std::string& out) {
  switch (c.type) {
    case kTypeTiny:
    case kTypeShort:
    case kTypeInt24:
    case kTypeLong:
    case kTypeLongLong:
    case kTypeYear:
      if (number_text(text)) {
        out.append(text);
        return;
      }
      break;
    case kTypeFloat:
    case kTypeDouble: {
      double d = 0;
      auto r = std::from_chars(text.data(), text.data() + text.size(), d);
      if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
        if (c.type == kTypeFloat) {
          append_float(static_cast<float>(d), out);
        } else {
          append_double(d, out);
        }
        return;
      }
      break;
    }
    case kTypeNewDecimal:
      break;  // a string, as it is
    case kTypeDate: {
      unsigned y, m, d;
      if (text.size() == 10 && digits(text, 0, 4, &y) && digits(text, 5, 2, &m) &&
          digits(text, 8, 2, &d)) {
        if (y == 0 && m == 0 && d == 0) {
          out.append("null");
        } else {
          append_date(y, m, d, out);
        }
        return;
      }
      break;
    }
    case kTypeTime2: {
      size_t i = 0;
      bool neg = !text.empty() && text[0] == '-';
      if (neg) i = 1;
      size_t colon = text.find(':', i);
      unsigned h = 0, m, s;
      uint32_t micros;
      if (colon != std::string_view::npos && colon > i && colon - i <= 4 &&
          digits(text, i, colon - i, &h) && digits(text, colon + 1, 2, &m) &&
          colon + 3 < text.size() && text[colon + 3] == ':' && digits(text, colon + 4, 2, &s) &&
          text_fraction(text, colon + 6, &micros)) {
        const int64_t us = (int64_t{h} * 3600 + m * 60 + s) * 1000000 + micros;
        append_int(neg ? -us : us, out);
        return;
      }
      break;
    }
    case kTypeDatetime2:
    case kTypeTimestamp2: {
      unsigned y, mo, d, h, mi, s;
      uint32_t micros;
      if (text.size() >= 19 && digits(text, 0, 4, &y) && digits(text, 5, 2, &mo) &&
          digits(text, 8, 2, &d) && digits(text, 11, 2, &h) && digits(text, 14, 2, &mi) &&
          digits(text, 17, 2, &s) && text_fraction(text, 19, &micros)) {
        const unsigned fsp = fsp_of(c);
        if (c.type == kTypeDatetime2) {
          if (!append_datetime(y, mo, d, h, mi, s, micros, fsp, out)) break;
        } else if (y == 0 && mo == 0 && d == 0) {
          append_zoned(0, 0, fsp, out);
        } else {
          const int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
          append_zoned(secs, micros, fsp, out);
        }
        return;
      }
      break;
    }
    case kTypeBit:
      append_bits(c, text, out);
      return;
    case kTypeGeometry:
      append_geometry(text, out);
      return;
    case kTypeJson:
      append_string_or_json(text, opts.embed_json, out);
      return;
    default:
      if (c.collation == kBinaryCollation) {
        out.push_back('"');
        append_base64(text, out);
        out.push_back('"');
        return;
      }
      break;
  }
  append_text_string(c.collation, text, out);
}

}  // namespace sluice::mysql
