// Server-Sent Events framing for relay-ws (sluice/relay_sse.h).
#include <algorithm>
#include <charconv>

#include "sluice/envelope.h"
#include "sluice/relay_sse.h"

namespace sluice::relay {

namespace {

template <typename T>
bool parse_number(std::string_view s, T* out, T min) {
  if (s.empty() || (s[0] == '-' && (s.size() == 1 || s[1] == '0'))) return false;
  if (s.size() > 1 && s[0] == '0') return false;  // one spelling per number
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= min;
}

int hex_digit(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  return -1;
}

template <typename T>
void append_number(T v, std::string& out) {
  char digits[24];
  auto [p, ec] = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, p);
}

}  // namespace

void append_sse_data(std::string_view data, std::string& out) {
  out.append("data: ");
  for (size_t i = 0; i < data.size(); ++i) {
    const char ch = data[i];
    if (ch == '\r' || ch == '\n') {
      if (ch == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
      out.append("\ndata: ");
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('\n');
}

void append_sse_position(std::string_view topic, int32_t shard, int64_t seq, std::string& out) {
  static const char kHex[] = "0123456789ABCDEF";
  for (char ch : topic) {
    if (ch == '%' || ch == ';' || ch == '\r' || ch == '\n' || ch == '\0') {
      const auto b = static_cast<unsigned char>(ch);
      out.push_back('%');
      out.push_back(kHex[b >> 4]);
      out.push_back(kHex[b & 15]);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('/');
  append_number(shard, out);
  out.push_back('/');
  append_number(seq, out);
}

Result<std::vector<SsePosition>> parse_last_event_id(std::string_view id) {
  std::vector<SsePosition> out;
  size_t start = 0;
  for (int n = 1;; ++n) {
    size_t end = id.find(';', start);
    if (end == std::string_view::npos) end = id.size();
    const std::string_view entry = id.substr(start, end - start);
    auto bad = [&](std::string_view what) {
      std::string m = "Last-Event-ID: entry " + std::to_string(n) + " '";
      m.append(entry.substr(0, 64)).append("': ").append(what);
      return Status::InvalidArgument(m);
    };
    const size_t b = entry.rfind('/');
    const size_t a = b == std::string_view::npos || b == 0 ? b : entry.rfind('/', b - 1);
    if (a == std::string_view::npos || a == 0) return bad("expected TOPIC/SHARD/SEQ");
    SsePosition p;
    if (!parse_number<int32_t>(entry.substr(a + 1, b - a - 1), &p.shard, 0)) {
      return bad("SHARD is not a number of 0 or more");
    }
    if (!parse_number<int64_t>(entry.substr(b + 1), &p.seq, -1)) {
      return bad("SEQ is not a number of -1 or more");
    }
    for (size_t i = 0; i < a; ++i) {
      if (entry[i] != '%') {
        p.topic.push_back(entry[i]);
        continue;
      }
      const int hi = i + 2 < a ? hex_digit(entry[i + 1]) : -1;
      const int lo = hi < 0 ? -1 : hex_digit(entry[i + 2]);
      if (lo < 0) return bad("'%' in TOPIC not followed by two hex digits");
      p.topic.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    out.push_back(std::move(p));
    if (end == id.size()) return out;
    start = end + 1;
  }
}

std::string sse_subscribe_message(std::string_view topics, std::string_view from) {
  std::string m = "{\"action\":\"subscribe\",\"topics\":[";
  for (size_t start = 0; !topics.empty() && start <= topics.size();) {
    size_t comma = topics.find(',', start);
    if (comma == std::string_view::npos) comma = topics.size();
    if (start) m.push_back(',');
    append_json_string(topics.substr(start, comma - start), m);
    start = comma + 1;
  }
  m.push_back(']');
  if (!from.empty()) {
    m.append(",\"from\":");
    const bool number =
        std::all_of(from.begin(), from.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (number || from[0] == '{') {
      m.append(from);  // a seq, or the per-shard object
    } else {
      append_json_string(from, m);
    }
  }
  m.push_back('}');
  return m;
}

}  // namespace sluice::relay
