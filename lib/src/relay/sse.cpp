// Server-Sent Events framing for relay-ws (sluice/relay_sse.h).
#include <algorithm>
#include <charconv>

#include "sluice/envelope.h"
#include "sluice/relay_sse.h"

namespace sluice::relay {

namespace {

template <typename T>
bool parse_number(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
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

void append_sse_id(std::string_view topic, int32_t shard, int64_t seq, std::string& out) {
  out.append("id: ");
  for (char ch : topic) out.push_back(ch == '\r' || ch == '\n' ? '?' : ch);
  out.push_back('/');
  out.append(std::to_string(shard)).push_back('/');
  out.append(std::to_string(seq)).push_back('\n');
}

bool parse_last_event_id(std::string_view id, std::string* topic, int32_t* shard, int64_t* seq) {
  const size_t b = id.rfind('/');
  if (b == std::string_view::npos || b == 0) return false;
  const size_t a = id.rfind('/', b - 1);
  if (a == std::string_view::npos || a == 0) return false;
  *topic = std::string(id.substr(0, a));
  return parse_number(id.substr(a + 1, b - a - 1), shard) && parse_number(id.substr(b + 1), seq);
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
