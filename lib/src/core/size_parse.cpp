// Sizes, durations and retention specs for tool flags (see units.h).
#include <algorithm>
#include <string>

#include "sluice/units.h"

namespace sluice {
namespace {

__extension__ typedef __int128 int128;  // exact fractions without floats

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Status bad(std::string_view what, std::string_view text, std::string_view forms) {
  std::string m = "invalid ";
  m.append(what).append(" '").append(text).append("' (expected ").append(forms).append(")");
  return Status::InvalidArgument(std::move(m));
}

constexpr std::string_view kSizeForms =
    "bytes or a number with K, M, G or T such as 512k, 64M, 1GiB";
constexpr std::string_view kDurationForms =
    "a number with ms, s, m, h, d or w such as 500ms, 30s, 5m, 2h, 7d";

// Reads "INT[.FRAC]" at text[*pos]; the value scaled by 10^9 so a fraction
// can later be multiplied exactly. False when there are no digits.
bool read_number(std::string_view text, size_t* pos, int128* nano) {
  const size_t start = *pos;
  int128 v = 0;
  while (*pos < text.size() && is_digit(text[*pos])) {
    // Saturate just above INT64_MAX: scaling then reports "too large".
    v = std::min<int128>(v * 10 + (text[*pos] - '0'), int128{INT64_MAX} + 1);
    ++*pos;
  }
  const bool int_digits = *pos > start;
  v *= 1000000000;
  if (*pos < text.size() && text[*pos] == '.') {
    ++*pos;
    int128 scale = 100000000;
    const size_t frac_start = *pos;
    while (*pos < text.size() && is_digit(text[*pos])) {
      v += (text[*pos] - '0') * scale;
      scale /= 10;
      ++*pos;
    }
    if (*pos == frac_start) return false;
  }
  *nano = v;
  return int_digits;
}

// Multiplies a 10^9-scaled number by `unit`, truncating; false on overflow.
bool scale_to_int(int128 nano, int64_t unit, int64_t* out) {
  if (nano > (int128{1} << 120) / unit) return false;
  const int128 v = nano * unit / 1000000000;
  if (v > static_cast<int128>(INT64_MAX)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Result<int64_t> parse_size(std::string_view text) {
  size_t pos = 0;
  int128 nano = 0;
  if (!read_number(text, &pos, &nano)) return bad("size", text, kSizeForms);
  std::string_view unit = text.substr(pos);
  int64_t mult = 1;
  if (!unit.empty() && !iequals(unit, "b")) {
    int shift = 0;
    switch (unit[0]) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      default:
        return bad("size", text, kSizeForms);
    }
    unit.remove_prefix(1);
    if (!unit.empty() && !iequals(unit, "b") && !iequals(unit, "ib")) {
      return bad("size", text, kSizeForms);
    }
    mult = int64_t{1} << shift;
  }
  int64_t v;
  if (!scale_to_int(nano, mult, &v)) {
    return Status::InvalidArgument("size '" + std::string(text) + "' is too large");
  }
  if (mult == 1 && nano % 1000000000 != 0) {
    return Status::InvalidArgument("size '" + std::string(text) +
                                   "' is not a whole number of bytes");
  }
  return v;
}

Result<int64_t> parse_duration_ms(std::string_view text) {
  if (text.empty()) return bad("duration", text, kDurationForms);
  size_t pos = 0;
  int64_t total = 0;
  while (pos < text.size()) {
    int128 nano = 0;
    if (!read_number(text, &pos, &nano)) return bad("duration", text, kDurationForms);
    size_t unit_end = pos;
    while (unit_end < text.size() && !is_digit(text[unit_end]) && text[unit_end] != '.') ++unit_end;
    const std::string_view unit = text.substr(pos, unit_end - pos);
    pos = unit_end;
    int64_t ms;
    if (unit == "ms")
      ms = 1;
    else if (unit == "s")
      ms = 1000;
    else if (unit == "m")
      ms = 60 * 1000;
    else if (unit == "h")
      ms = 3600 * 1000;
    else if (unit == "d")
      ms = 86400 * 1000;
    else if (unit == "w")
      ms = 7 * 86400 * 1000LL;
    else if (unit.empty()) {
      return Status::InvalidArgument("duration '" + std::string(text) + "' has no unit (expected " +
                                     std::string(kDurationForms) + ")");
    } else {
      return bad("duration", text, kDurationForms);
    }
    int64_t part;
    if (!scale_to_int(nano, ms, &part) || part > INT64_MAX - total) {
      return Status::InvalidArgument("duration '" + std::string(text) + "' is too large");
    }
    total += part;
  }
  return total;
}

Result<std::pair<int64_t, int64_t>> parse_retention(std::string_view text) {
  int64_t ms = -1, bytes = -1;
  std::string_view rest = text;
  if (text.empty()) {
    return bad("retention", text, "an age such as 7d, a size such as 10G, or both: 7d,10G");
  }
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view part = rest.substr(0, comma);
    if (Result<int64_t> d = parse_duration_ms(part); d.ok()) {
      if (ms >= 0)
        return Status::InvalidArgument("retention '" + std::string(text) + "' gives the age twice");
      ms = *d;
    } else if (Result<int64_t> s = parse_size(part); s.ok()) {
      if (bytes >= 0)
        return Status::InvalidArgument("retention '" + std::string(text) +
                                       "' gives the size twice");
      bytes = *s;
    } else {
      return Status::InvalidArgument("invalid retention '" + std::string(text) + "': '" +
                                     std::string(part) +
                                     "' is neither an age (7d, 12h) nor a size (10G, 512M)");
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return std::make_pair(ms, bytes);
}

std::string format_size(int64_t bytes) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {1LL << 40, "T"}, {1LL << 30, "G"}, {1LL << 20, "M"}, {1LL << 10, "K"}};
  for (const auto& [n, u] : kUnits) {
    if (bytes > 0 && bytes % n == 0) return std::to_string(bytes / n) + u;
  }
  return std::to_string(bytes);
}

std::string format_duration_ms(int64_t ms) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {86400000LL, "d"}, {3600000LL, "h"}, {60000LL, "m"}, {1000LL, "s"}};
  for (const auto& [n, u] : kUnits) {
    if (ms > 0 && ms % n == 0) return std::to_string(ms / n) + u;
  }
  return std::to_string(ms) + "ms";
}

std::string format_retention(int64_t ms, int64_t bytes) {
  if (ms < 0 && bytes < 0) return "none";
  std::string out;
  if (ms >= 0) out = format_duration_ms(ms);
  if (bytes >= 0) out += (out.empty() ? "" : ",") + format_size(bytes);
  return out;
}

}  // namespace sluice
