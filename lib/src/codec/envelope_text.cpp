// Text helpers declared in envelope.h: JSON string literals, UTF-8
// validation, base64 and RFC 3339 timestamps. All of them sit on the
// per-message encode path, so they work on whole 8-byte words where that is
// simple and never allocate beyond growing `out`.
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cstring>

#include "core/civil_time.h"
#include "sluice/envelope.h"

namespace sluice {
namespace {

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

uint64_t load64(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// True when some byte of `w` is < 0x20, '"' or '\\' (the bytes a JSON
// string literal must escape). Bytes >= 0x80 are UTF-8 and pass through;
// the classic "has byte less than" trick needs them masked out first.
bool word_needs_escape(uint64_t w) {
  const uint64_t ascii = ~w & kHighs;  // high bit set where byte < 0x80
  const uint64_t lt20 = (w - kOnes * 0x20) & ascii;
  const uint64_t q = w ^ (kOnes * '"');
  const uint64_t bs = w ^ (kOnes * '\\');
  const uint64_t is_q = (q - kOnes) & ~q & kHighs;
  const uint64_t is_bs = (bs - kOnes) & ~bs & kHighs;
  return (lt20 | is_q | is_bs) != 0;
}

void append_escape(unsigned char c, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      out.append("\\\"");
      return;
    case '\\':
      out.append("\\\\");
      return;
    case '\n':
      out.append("\\n");
      return;
    case '\r':
      out.append("\\r");
      return;
    case '\t':
      out.append("\\t");
      return;
    case '\b':
      out.append("\\b");
      return;
    case '\f':
      out.append("\\f");
      return;
    default: {
      const char u[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out.append(u, 6);
    }
  }
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void put_digits(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

// Reads exactly `n` digits at text[*pos].
bool read_digits(std::string_view text, size_t* pos, int n, unsigned* v) {
  if (*pos + n > text.size()) return false;
  unsigned r = 0;
  for (int i = 0; i < n; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    r = r * 10 + static_cast<unsigned>(c - '0');
  }
  *pos += n;
  *v = r;
  return true;
}

bool expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool is_valid_utf8(std::string_view s) {
  // Short ASCII strings (keys, header names) are the common case; the
  // SIMD validator's dispatch costs more than checking them here.
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    if (load64(s.data() + i) & kHighs) {
      return simdjson::validate_utf8(s.data() + i, s.size() - i);
    }
  }
  for (; i < s.size(); ++i) {
    if (static_cast<unsigned char>(s[i]) >= 0x80) {
      return simdjson::validate_utf8(s.data() + i, s.size() - i);
    }
  }
  return true;
}

std::string json_pointer_from_path(std::string_view path) {
  if (path.substr(0, 2) == "$.") path.remove_prefix(2);
  if (!path.empty() && path.front() == '.') path.remove_prefix(1);
  std::string out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    if (dot == std::string_view::npos) dot = path.size();
    out += '/';
    for (char c : path.substr(start, dot - start)) {
      if (c == '~')
        out += "~0";
      else if (c == '/')
        out += "~1";
      else
        out += c;
    }
    start = dot + 1;
  }
  return out;
}

void append_json_string(std::string_view s, std::string& out) {
  out.push_back('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  const char* run = p;  // start of bytes not yet copied
  while (p < end) {
    if (end - p >= 8 && !word_needs_escape(load64(p))) {
      p += 8;
      continue;
    }
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c < 0x20 || c == '"' || c == '\\') {
      out.append(run, p);
      append_escape(c, out);
      run = p + 1;
    }
    ++p;
  }
  out.append(run, end);
  out.push_back('"');
}

void append_base64(std::string_view bytes, std::string& out) {
  const size_t start = out.size();
  out.resize(start + (bytes.size() + 2) / 3 * 4);
  char* o = out.data() + start;
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = kB64[(v >> 6) & 63];
    *o++ = kB64[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = uint32_t{in[i]} << 16;
    if (rest == 2) v |= uint32_t{in[i + 1]} << 8;
    *o++ = kB64[v >> 18];
    *o++ = kB64[(v >> 12) & 63];
    *o++ = rest == 2 ? kB64[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

bool decode_base64(std::string_view text, std::string& out) {
  static const auto kValue = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(kB64[i])] = static_cast<int8_t>(i);
    return t;
  }();
  // Padding is optional, but when present it must complete the last quad.
  size_t n = text.size();
  if (n % 4 == 0 && n >= 4) {
    if (text[n - 1] == '=') --n;
    if (text[n - 1] == '=') --n;
    if (text[n - 1] == '=') return false;
  }
  if (n % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    const int8_t v = kValue[static_cast<unsigned char>(text[i])];
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

void append_rfc3339(int64_t ts_us, std::string& out) {
  int64_t secs = ts_us / 1000000;
  int64_t micros = ts_us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  const auto [year, month, day] = civil_from_days(days);
  if (year >= 0 && year <= 9999) {
    char buf[4];
    put_digits(buf, static_cast<unsigned>(year), 4);
    out.append(buf, 4);
  } else {  // outside RFC 3339; still readable and never fails
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, year);
    (void)ec;
    out.append(buf, end);
  }
  char t[27] = "-MM-DDTHH:MM:SS.uuuuuuZ";
  put_digits(t + 1, month, 2);
  put_digits(t + 4, day, 2);
  put_digits(t + 7, static_cast<unsigned>(sod / 3600), 2);
  put_digits(t + 10, static_cast<unsigned>(sod / 60 % 60), 2);
  put_digits(t + 13, static_cast<unsigned>(sod % 60), 2);
  put_digits(t + 16, static_cast<unsigned>(micros), 6);
  out.append(t, 23);
}

Result<int64_t> parse_rfc3339(std::string_view text) {
  auto bad = [&](std::string_view why) -> Status {
    std::string m = "invalid timestamp '";
    m.append(text).append("': ").append(why);
    m.append(
        " (expected RFC 3339 such as 2026-11-21T22:33:54Z or "
        "2026-11-21T23:33:54.5+01:00)");
    return Status::InvalidArgument(std::move(m));
  };
  size_t pos = 0;
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, &pos, 4, &year) || !expect(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &month) || !expect(text, &pos, '-') ||
      !read_digits(text, &pos, 2, &day)) {
    return bad("bad date");
  }
  if (month < 1 || month > 12) return bad("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return bad("day out of range");
  int64_t micros = 0;
  int64_t offset_s = 0;
  if (pos < text.size()) {  // a date alone means midnight UTC
    const char sep = text[pos++];
    if (sep != 'T' && sep != 't' && sep != ' ') return bad("expected 'T' after the date");
    if (!read_digits(text, &pos, 2, &hour) || !expect(text, &pos, ':') ||
        !read_digits(text, &pos, 2, &minute) || !expect(text, &pos, ':') ||
        !read_digits(text, &pos, 2, &second)) {
      return bad("bad time of day");
    }
    // 60 is a leap second; it folds into the next minute like POSIX time.
    if (hour > 23 || minute > 59 || second > 60) return bad("time out of range");
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      int digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 6) micros = micros * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0) return bad("empty fraction of a second");
      for (int i = digits; i < 6; ++i) micros *= 10;
    }
    if (pos >= text.size()) return bad("missing time zone (Z or +HH:MM)");
    const char z = text[pos++];
    if (z == '+' || z == '-') {
      unsigned oh, om;
      if (!read_digits(text, &pos, 2, &oh) || !expect(text, &pos, ':') ||
          !read_digits(text, &pos, 2, &om) || oh > 23 || om > 59) {
        return bad("bad time zone offset");
      }
      offset_s = static_cast<int64_t>(oh * 3600 + om * 60) * (z == '+' ? 1 : -1);
    } else if (z != 'Z' && z != 'z') {
      return bad("bad time zone (expected Z or +HH:MM)");
    }
    if (pos != text.size()) return bad("trailing characters");
  }
  const int64_t days = days_from_civil(year, month, day);
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  return secs * 1000000 + micros;
}

void append_int(int64_t v, std::string& out) {
  char tmp[24];
  auto [end, ec] = std::to_chars(tmp, tmp + sizeof tmp, v);
  (void)ec;
  out.append(tmp, end);
}

}  // namespace sluice
