// Typing of MySQL/MariaDB values (see mysql_values.h). Binary formats:
// MySQL source documentation (my_time.cc: TIME2/DATETIME2/TIMESTAMP2 as
// "packed" values; decimal.c: decimal2bin) and the row format of
// libbinlogevents' value.cpp.
#include "cdc/mysql_values.h"

#include <charconv>
#include <cstring>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_json.h"
#include "cdc/mysql_value_parts.h"
#include "core/civil_time.h"
#include "sluice/envelope.h"

namespace sluice::mysql {

namespace {

bool is_latin1(uint16_t collation) {
  switch (collation) {
    case 5:
    case 8:
    case 15:
    case 31:
    case 47:
    case 48:
    case 49:
    case 94:
      return true;
    default:
      return false;
  }
}

void append_latin1(std::string_view bytes, std::string& out) {
  std::string utf8;
  utf8.reserve(bytes.size() * 2);
  for (char ch : bytes) {
    auto b = static_cast<uint8_t>(ch);
    if (b < 0x80) {
      utf8.push_back(ch);
    } else {
      utf8.push_back(static_cast<char>(0xc0 | (b >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (b & 0x3f)));
    }
  }
  append_json_string(utf8, out);
}

Status short_value(const Column& c, size_t at) {
  return Status::BadData("row value of column '" + c.name + "' (type " + std::to_string(c.type) +
                         ") is cut short at byte " + std::to_string(at));
}

}  // namespace

void append_double(double d, std::string& out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::general);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  if (s.find_first_of("ni") != std::string_view::npos) {  // nan, inf: not JSON
    append_json_string(s, out);
    return;
  }
  out.append(s);
}

void append_float(float f, std::string& out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::general);
  std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
  if (s.find_first_of("ni") != std::string_view::npos) {
    append_json_string(s, out);
    return;
  }
  out.append(s);
}

void append_bits(const Column& c, std::string_view bytes, std::string& out) {
  if (c.meta == 1) {  // BIT(1): Debezium's boolean
    bool any = false;
    for (char ch : bytes) any = any || ch != 0;
    out.append(any ? "true" : "false");
    return;
  }
  std::string le(bytes.rbegin(), bytes.rend());
  out.push_back('"');
  append_base64(le, out);
  out.push_back('"');
}

void append_geometry(std::string_view bytes, std::string& out) {
  // MySQL's internal geometry: a 4-byte little-endian SRID, then WKB.
  if (bytes.size() < 4) {
    out.append("null");
    return;
  }
  out.append("{\"wkb\":\"");
  append_base64(bytes.substr(4), out);
  out.append("\",\"srid\":");
  append_int(static_cast<int64_t>(le_uint(reinterpret_cast<const uint8_t*>(bytes.data()), 4)), out);
  out.push_back('}');
}

void append_string_or_json(std::string_view text, bool embed, std::string& out) {
  if (embed) {
    out.append(text);
  } else {
    append_json_string(text, out);
  }
}

void append_text_string(uint16_t collation, std::string_view bytes, std::string& out) {
  if (is_latin1(collation) || !is_valid_utf8(bytes)) {
    append_latin1(bytes, out);
  } else {
    append_json_string(bytes, out);
  }
}

size_t decimal_size(unsigned precision, unsigned scale) {
  static constexpr unsigned kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  const unsigned intg = precision > scale ? precision - scale : 0;
  return intg / 9 * 4 + kDigitBytes[intg % 9] + scale / 9 * 4 + kDigitBytes[scale % 9];
}

bool decimal_to_string(const uint8_t* data, unsigned precision, unsigned scale, std::string& out) {
  static constexpr unsigned kDigitBytes[10] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4};
  static constexpr uint32_t kPow10[10] = {1,      10,      100,      1000,      10000,
                                          100000, 1000000, 10000000, 100000000, 1000000000};
  if (scale > precision || precision > 65) return false;
  const size_t size = decimal_size(precision, scale);
  uint8_t buf[40];
  if (size == 0 || size > sizeof buf) return false;
  std::memcpy(buf, data, size);
  const bool neg = !(buf[0] & 0x80);
  buf[0] ^= 0x80;
  if (neg) {
    for (size_t i = 0; i < size; ++i) buf[i] ^= 0xff;
  }
  const unsigned intg = precision - scale;
  size_t at = 0;
  std::string digits;
  auto group = [&](unsigned ndigits, std::string& into, bool pad) {
    const unsigned nbytes = ndigits == 9 ? 4 : kDigitBytes[ndigits];
    const uint64_t v = be_uint(buf + at, nbytes);
    at += nbytes;
    if (v >= kPow10[ndigits]) return false;
    char tmp[10];
    for (int i = static_cast<int>(ndigits) - 1; i >= 0; --i) {
      tmp[i] = static_cast<char>('0' + (v / kPow10[ndigits - 1 - static_cast<unsigned>(i)]) % 10);
    }
    (void)pad;
    into.append(tmp, ndigits);
    return true;
  };
  if (intg % 9 && !group(intg % 9, digits, true)) return false;
  for (unsigned g = 0; g < intg / 9; ++g) {
    if (!group(9, digits, true)) return false;
  }
  std::string frac;
  for (unsigned g = 0; g < scale / 9; ++g) {
    if (!group(9, frac, true)) return false;
  }
  if (scale % 9 && !group(scale % 9, frac, true)) return false;
  size_t nz = digits.find_first_not_of('0');
  std::string_view int_part =
      nz == std::string::npos ? std::string_view("0") : std::string_view(digits).substr(nz);
  const bool zero = int_part == "0" && frac.find_first_not_of('0') == std::string::npos;
  if (neg && !zero) out.push_back('-');
  out.append(int_part);
  if (scale) {
    out.push_back('.');
    out.append(frac);
  }
  return true;
}

Status append_binlog_value(const Column& c, std::string_view data, size_t* pos,
                           const debezium::ValueOptions& opts, std::string& out) {
  const size_t at = *pos;
  const size_t avail = at <= data.size() ? data.size() - at : 0;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data()) + (at <= data.size() ? at : 0);
  auto need = [&](size_t n) { return avail >= n; };
  auto take = [&](size_t n) { *pos = at + n; };
  switch (c.type) {
    case kTypeTiny:
    case kTypeShort:
    case kTypeInt24:
    case kTypeLong:
    case kTypeLongLong: {
      const size_t n = c.type == kTypeTiny    ? 1
                       : c.type == kTypeShort ? 2
                       : c.type == kTypeInt24 ? 3
                       : c.type == kTypeLong  ? 4
                                              : 8;
      if (!need(n)) return short_value(c, at);
      uint64_t v = le_uint(p, n);
      if (c.is_unsigned) {
        debezium::append_u64(v, out);
      } else {
        if (n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        append_int(static_cast<int64_t>(v), out);
      }
      take(n);
      return Status::Ok();
    }
    case kTypeYear:
      if (!need(1)) return short_value(c, at);
      append_int(p[0] ? 1900 + p[0] : 0, out);
      take(1);
      return Status::Ok();
    case kTypeFloat: {
      if (!need(4)) return short_value(c, at);
      uint32_t bits = static_cast<uint32_t>(le_uint(p, 4));
      float f;
      std::memcpy(&f, &bits, 4);
      append_float(f, out);
      take(4);
      return Status::Ok();
    }
    case kTypeDouble: {
      if (!need(8)) return short_value(c, at);
      uint64_t bits = le_uint(p, 8);
      double d;
      std::memcpy(&d, &bits, 8);
      append_double(d, out);
      take(8);
      return Status::Ok();
    }
    case kTypeNewDecimal: {
      const unsigned precision = c.meta >> 8, scale = c.meta & 0xff;
      const size_t n = decimal_size(precision, scale);
      if (!need(n)) return short_value(c, at);
      out.push_back('"');
      if (!decimal_to_string(p, precision, scale, out))
        return Status::BadData("column '" + c.name + "': bad DECIMAL(" + std::to_string(precision) +
                               "," + std::to_string(scale) + ") at byte " + std::to_string(at));
      out.push_back('"');
      take(n);
      return Status::Ok();
    }
    case kTypeDate:
    case kTypeNewDate: {
      if (!need(3)) return short_value(c, at);
      const uint32_t v = static_cast<uint32_t>(le_uint(p, 3));
      append_date(v >> 9, (v >> 5) & 15, v & 31, out);
      take(3);
      return Status::Ok();
    }
    case kTypeTime: {
      if (!need(3)) return short_value(c, at);
      int64_t v = static_cast<int64_t>(le_uint(p, 3));
      if (v & 0x800000) v -= 0x1000000;
      const bool neg = v < 0;
      const int64_t a = neg ? -v : v;
      const int64_t us = ((a / 10000) * 3600 + (a / 100 % 100) * 60 + a % 100) * 1000000;
      append_int(neg ? -us : us, out);
      take(3);
      return Status::Ok();
    }
    case kTypeTime2: {
      const unsigned fsp = fsp_of(c);
      const size_t n = 3 + (fsp + 1) / 2;
      if (!need(n)) return short_value(c, at);
      int64_t us = 0;
      if (!time2_micros(p, fsp, &us))
        return Status::BadData("column '" + c.name + "': bad TIME at byte " + std::to_string(at));
      append_int(us, out);
      take(n);
      return Status::Ok();
    }
    case kTypeDatetime: {
      if (!need(8)) return short_value(c, at);
      uint64_t v = le_uint(p, 8);
      const uint64_t d = v / 1000000, t = v % 1000000;
      if (!append_datetime(static_cast<int64_t>(d / 10000), d / 100 % 100, d % 100, t / 10000,
                           t / 100 % 100, t % 100, 0, 0, out))
        return Status::BadData("column '" + c.name + "': bad DATETIME at byte " +
                               std::to_string(at));
      take(8);
      return Status::Ok();
    }
    case kTypeDatetime2: {
      const unsigned fsp = fsp_of(c);
      const size_t n = 5 + (fsp + 1) / 2;
      if (!need(n)) return short_value(c, at);
      const uint64_t packed = be_uint(p, 5) - 0x8000000000ULL;
      const uint64_t ymd = packed >> 17, hms = packed % (1 << 17);
      const uint64_t ym = ymd >> 5;
      if (!append_datetime(static_cast<int64_t>(ym / 13), ym % 13, ymd % 32, hms >> 12,
                           (hms >> 6) % 64, hms % 64, frac_micros(p + 5, fsp), fsp, out))
        return Status::BadData("column '" + c.name + "': bad DATETIME at byte " +
                               std::to_string(at));
      take(n);
      return Status::Ok();
    }
    case kTypeTimestamp: {
      if (!need(4)) return short_value(c, at);
      append_zoned(static_cast<int64_t>(le_uint(p, 4)), 0, 0, out);
      take(4);
      return Status::Ok();
    }
    case kTypeTimestamp2: {
      const unsigned fsp = fsp_of(c);
      const size_t n = 4 + (fsp + 1) / 2;
      if (!need(n)) return short_value(c, at);
      append_zoned(static_cast<int64_t>(be_uint(p, 4)), frac_micros(p + 4, fsp), fsp, out);
      take(n);
      return Status::Ok();
    }
    case kTypeVarchar:
    case kTypeVarString:
    case kTypeString: {
      const size_t lb = c.length < 256 ? 1 : 2;
      if (!need(lb)) return short_value(c, at);
      const size_t len = le_uint(p, lb);
      if (!need(lb + len)) return short_value(c, at);
      std::string_view bytes(reinterpret_cast<const char*>(p + lb), len);
      if (c.collation == kBinaryCollation) {
        out.push_back('"');
        append_base64(bytes, out);
        out.push_back('"');
      } else {
        append_text_string(c.collation, bytes, out);
      }
      take(lb + len);
      return Status::Ok();
    }
    case kTypeEnum: {
      const size_t n = c.length == 2 ? 2 : 1;
      if (!need(n)) return short_value(c, at);
      const uint64_t idx = le_uint(p, n);
      if (idx == 0) {
        out.append("\"\"");  // the error value '' of an invalid ENUM
      } else if (idx <= c.values.size()) {
        append_text_string(0, c.values[idx - 1], out);
      } else {
        return Status::BadData("column '" + c.name + "': ENUM index " + std::to_string(idx) +
                               " past its " + std::to_string(c.values.size()) +
                               " known members (binlog_row_metadata=FULL names them)");
      }
      take(n);
      return Status::Ok();
    }
    case kTypeSet: {
      const size_t n = c.length;
      if (n < 1 || n > 8 || !need(n)) return short_value(c, at);
      const uint64_t bits = le_uint(p, n);
      std::string joined;
      for (size_t i = 0; i < 64; ++i) {
        if (!((bits >> i) & 1)) continue;
        if (i >= c.values.size())
          return Status::BadData("column '" + c.name + "': SET member " + std::to_string(i + 1) +
                                 " past its " + std::to_string(c.values.size()) + " known members");
        if (!joined.empty()) joined.push_back(',');
        joined.append(c.values[i]);
      }
      append_text_string(0, joined, out);
      take(n);
      return Status::Ok();
    }
    case kTypeBit: {
      const size_t n = c.length;
      if (!need(n)) return short_value(c, at);
      append_bits(c, std::string_view(reinterpret_cast<const char*>(p), n), out);
      take(n);
      return Status::Ok();
    }
    case kTypeTinyBlob:
    case kTypeMediumBlob:
    case kTypeLongBlob:
    case kTypeBlob:
    case kTypeGeometry:
    case kTypeJson: {
      const size_t lb = c.length;
      if (lb < 1 || lb > 4 || !need(lb)) return short_value(c, at);
      const size_t len = le_uint(p, lb);
      if (!need(lb + len)) return short_value(c, at);
      std::string_view bytes(reinterpret_cast<const char*>(p + lb), len);
      if (c.type == kTypeGeometry) {
        append_geometry(bytes, out);
      } else if (c.type == kTypeJson) {
        std::string text;
        if (Status st = json_binary_to_text(bytes, text); !st.ok())
          return st.With("column '" + c.name + "' at byte " + std::to_string(at));
        append_string_or_json(text, opts.embed_json, out);
      } else if (c.collation == kBinaryCollation) {
        out.push_back('"');
        append_base64(bytes, out);
        out.push_back('"');
      } else {
        append_text_string(c.collation, bytes, out);
      }
      take(lb + len);
      return Status::Ok();
    }
    default:
      return Status::BadData("column '" + c.name + "': column type " + std::to_string(c.type) +
                             " is not supported");
  }
}

void MysqlSourceWriter::append_fields(std::string_view, std::string_view table, std::string& out,
                                      size_t, debezium::DeferredFields*) {
  out.append(",\"sequence\":null,\"table\":");
  append_json_string(table, out);
  out.append(",\"server_id\":");
  debezium::append_u64(server_id, out);
  out.append(",\"gtid\":");
  if (gtid.empty()) {
    out.append("null");
  } else {
    append_json_string(gtid, out);
  }
  out.append(",\"file\":");
  append_json_string(file, out);
  out.append(",\"pos\":");
  debezium::append_u64(pos, out);
  out.append(",\"row\":");
  debezium::append_u64(row, out);
  out.append(",\"thread\":");
  if (thread < 0) {
    out.append("null");
  } else {
    append_int(thread, out);
  }
  out.append(",\"query\":null");
}

}  // namespace sluice::mysql
