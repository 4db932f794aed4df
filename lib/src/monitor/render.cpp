// Text forms of a ClusterView: the --json line, the --once table and the
// --graph tree.
#include <cinttypes>
#include <cmath>
#include <cstdio>

#include "sluice/envelope.h"
#include "sluice/monitor.h"

namespace sluice::monitor {

namespace {

// A number with at most three decimals and no trailing zeros; null when
// unknown (JSON has no infinity or NaN).
void append_number(std::optional<double> v, std::string& out) {
  if (!v || !std::isfinite(*v)) {
    out += "null";
    return;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.3f", *v);
  std::string s = buf;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  out += s;
}

void append_name(std::string_view s, std::string& out) {
  if (is_valid_utf8(s)) {
    append_json_string(s, out);
    return;
  }
  std::string fixed;  // a redis key may be any bytes: show them, escaped
  for (unsigned char c : s) {
    if (c < 0x80) {
      fixed += static_cast<char>(c);
    } else {
      char buf[8];
      snprintf(buf, sizeof buf, "\\x%02x", c);
      fixed += buf;
    }
  }
  append_json_string(fixed, out);
}

void key(const char* k, std::string& out) {
  out += '"';
  out += k;
  out += "\":";
}

void append_group(const GroupView& g, std::string& out) {
  out += '{';
  key("name", out);
  append_name(g.name, out);
  out += ',';
  key("lag", out);
  append_int(g.lag, out);
  out += ',';
  key("lag_s", out);
  append_number(g.lag_s, out);
  out += ',';
  key("consume_per_s", out);
  append_number(g.consume_per_s, out);
  out += ',';
  key("eta_s", out);
  append_number(g.eta_s, out);
  out += ',';
  key("status", out);
  append_json_string(status_name(g.status), out);
  out += ',';
  key("runway_s", out);
  append_number(g.runway_s, out);
  out += ',';
  key("runway_short", out);
  out += g.runway_short ? "true" : "false";
  out += ',';
  key("committed", out);
  out += '[';
  for (size_t i = 0; i < g.committed.size(); ++i) {
    if (i) out += ',';
    append_int(g.committed[i], out);
  }
  out += "],";
  key("shard_lag", out);
  out += '[';
  for (size_t i = 0; i < g.shard_lag.size(); ++i) {
    if (i) out += ',';
    append_int(g.shard_lag[i], out);
  }
  out += "],";
  key("members", out);
  out += '[';
  for (size_t i = 0; i < g.members.size(); ++i) {
    const MemberInfo& m = g.members[i];
    if (i) out += ',';
    out += '{';
    key("name", out);
    append_name(m.name, out);
    out += ',';
    key("pending", out);
    append_int(m.pending, out);
    out += ',';
    key("idle_s", out);
    append_number(m.idle_ms >= 0 ? std::optional<double>(m.idle_ms / 1000.0) : std::nullopt, out);
    out += '}';
  }
  out += "]}";
}

std::string pad(std::string s, size_t w) {
  if (s.size() < w) s.append(w - s.size(), ' ');
  return s;
}

std::string lpad(std::string s, size_t w) {
  if (s.size() < w) s.insert(0, w - s.size(), ' ');
  return s;
}

}  // namespace

std::string human_count(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "-";
  const double x = *v;
  char buf[32];
  if (x < 1000) {
    if (x == std::floor(x)) {
      snprintf(buf, sizeof buf, "%.0f", x);
    } else {
      snprintf(buf, sizeof buf, "%.1f", x);
    }
  } else if (x < 1e6) {
    snprintf(buf, sizeof buf, "%.1fK", x / 1e3);
  } else if (x < 1e9) {
    snprintf(buf, sizeof buf, "%.1fM", x / 1e6);
  } else {
    snprintf(buf, sizeof buf, "%.1fG", x / 1e9);
  }
  return buf;
}

std::string human_duration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds)) return "-";
  const double s = *seconds;
  char buf[32];
  if (s < 10) {
    snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 120) {
    snprintf(buf, sizeof buf, "%.0fs", s);
  } else if (s < 7200) {
    snprintf(buf, sizeof buf, "%.0fm", s / 60);
  } else if (s < 172800) {
    snprintf(buf, sizeof buf, "%.0fh", s / 3600);
  } else {
    snprintf(buf, sizeof buf, "%.0fd", s / 86400);
  }
  return buf;
}

std::string to_json(const ClusterView& v) {
  std::string out;
  out.reserve(256 + v.streams.size() * 200);
  out += '{';
  key("ts", out);
  out += '"';
  append_rfc3339(v.ts_us, out);
  out += "\",";
  key("cluster", out);
  append_name(v.cluster, out);
  out += ',';
  key("samples", out);
  append_int(v.samples, out);
  out += ',';
  key("totals", out);
  out += '{';
  key("streams", out);
  append_int(static_cast<int64_t>(v.streams.size()), out);
  out += ',';
  key("msgs_per_s", out);
  append_number(v.msgs_per_s, out);
  out += ',';
  key("bytes_per_s", out);
  append_number(v.bytes_per_s, out);
  out += ',';
  key("groups", out);
  append_int(v.groups, out);
  out += ',';
  key("lag", out);
  append_int(v.total_lag, out);
  for (int i = 0; i < kStatusCount; ++i) {
    out += ",\"";
    out += status_name(static_cast<GroupStatus>(i));
    out += "\":";
    append_int(v.status_count[i], out);
  }
  out += "},";
  key("streams", out);
  out += '[';
  for (size_t i = 0; i < v.streams.size(); ++i) {
    const StreamView& s = v.streams[i];
    if (i) out += ',';
    out += '{';
    key("name", out);
    append_name(s.name, out);
    out += ',';
    key("shards", out);
    append_int(static_cast<int64_t>(s.shards.size()), out);
    out += ',';
    key("last_seq", out);
    append_int(s.last_seq, out);
    out += ',';
    key("messages", out);
    append_int(s.messages, out);
    out += ',';
    key("bytes", out);
    if (s.bytes >= 0) {
      append_int(s.bytes, out);
    } else {
      out += "null";
    }
    out += ',';
    key("msgs_per_s", out);
    append_number(s.msgs_per_s, out);
    out += ',';
    key("bytes_per_s", out);
    append_number(s.bytes_per_s, out);
    out += ',';
    key("age_s", out);
    append_number(s.age_s, out);
    out += ',';
    key("groups", out);
    out += '[';
    for (size_t j = 0; j < s.groups.size(); ++j) {
      if (j) out += ',';
      append_group(s.groups[j], out);
    }
    out += "]}";
  }
  out += "]}";
  return out;
}

std::string to_text(const ClusterView& v) {
  std::string out;
  out += v.cluster + "  streams " + std::to_string(v.streams.size()) + "  msgs/s " +
         human_count(v.msgs_per_s) + "  bytes/s " + human_count(v.bytes_per_s) + "  groups " +
         std::to_string(v.groups) + "  lag " + human_count(static_cast<double>(v.total_lag));
  for (int i = 0; i < kStatusCount; ++i) {
    out += "  " + std::string(status_name(static_cast<GroupStatus>(i))) + " " +
           std::to_string(v.status_count[i]);
  }
  out += '\n';
  out += "STREAM               SHARDS   MSGS/S  BYTES/S         LAST_SEQ      AGE\n";
  for (const StreamView& s : v.streams) {
    out += pad(s.name, 20) + " " + lpad(std::to_string(s.shards.size()), 6) + " " +
           lpad(human_count(s.msgs_per_s), 8) + " " + lpad(human_count(s.bytes_per_s), 8) + " " +
           lpad(std::to_string(s.last_seq), 16) + " " + lpad(human_duration(s.age_s), 8) + '\n';
    for (const GroupView& g : s.groups) {
      out += "  group " + pad(g.name, 14) + " lag " + lpad(std::to_string(g.lag), 8) + " " +
             lpad(human_duration(g.lag_s), 6) + "  rate " + lpad(human_count(g.consume_per_s), 7) +
             "  eta " + lpad(human_duration(g.eta_s), 6) + "  " +
             pad(std::string(status_name(g.status)), 6) + "  runway " + human_duration(g.runway_s) +
             (g.runway_short ? " (short)" : "") + '\n';
      for (const MemberInfo& m : g.members) {
        out += "    member " + m.name + "  pending " + std::to_string(m.pending) + "  idle " +
               human_duration(m.idle_ms >= 0 ? std::optional<double>(m.idle_ms / 1000.0)
                                             : std::nullopt) +
               '\n';
      }
    }
  }
  return out;
}

std::string to_graph(const ClusterView& v) {
  std::string out = v.cluster + '\n';
  for (size_t i = 0; i < v.streams.size(); ++i) {
    const StreamView& s = v.streams[i];
    const bool last = i + 1 == v.streams.size();
    out += (last ? "`-- " : "|-- ") + s.name + "  (" + human_count(s.msgs_per_s) + " msgs/s)\n";
    for (size_t j = 0; j < s.groups.size(); ++j) {
      const GroupView& g = s.groups[j];
      out += std::string(last ? "    " : "|   ") + (j + 1 == s.groups.size() ? "`-> " : "|-> ") +
             g.name + "  lag " + std::to_string(g.lag) + "  " + std::string(status_name(g.status)) +
             '\n';
    }
  }
  return out;
}

}  // namespace sluice::monitor
