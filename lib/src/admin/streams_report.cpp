// The streams tool's output shapes (see sluice/streams_report.h).

#include "sluice/streams_report.h"

#include <algorithm>
#include <cstdio>

#include "sluice/envelope.h"
#include "sluice/units.h"

namespace sluice {

namespace {

void append_int_or_null(int64_t v, bool present, std::string& out) {
  out += present ? std::to_string(v) : "null";
}

void append_ts_or_null(int64_t ts_us, bool present, std::string& out) {
  if (!present) {
    out += "null";
    return;
  }
  out += '"';
  append_rfc3339(ts_us, out);
  out += '"';
}

// A time of 0 is one the backend did not tell (kafka, until the record is
// read): a span's time is known only when every shard with records has it.
struct Span {
  int64_t first_seq = -1, last_seq = -1, first_ts = 0, last_ts = 0;
  bool any = false;
  bool first_known = true, last_known = true;
};

Span span_of(const StreamInfo& s) {
  Span out;
  for (const ShardInfo& sh : s.shards) {
    if (sh.first_seq < 0) continue;
    if (!out.any || sh.first_seq < out.first_seq) out.first_seq = sh.first_seq;
    if (!out.any || sh.last_seq > out.last_seq) out.last_seq = sh.last_seq;
    if (!out.any || sh.first_ts_us < out.first_ts) out.first_ts = sh.first_ts_us;
    if (!out.any || sh.last_ts_us > out.last_ts) out.last_ts = sh.last_ts_us;
    out.first_known = out.first_known && sh.first_ts_us > 0;
    out.last_known = out.last_known && sh.last_ts_us > 0;
    out.any = true;
  }
  return out;
}

constexpr const char* kBold = "\033[1m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kReset = "\033[0m";

// The colour of a lag cell: yellow when behind, green when not.
const char* lag_color(const std::string& lag) {
  return lag == "0" ? kGreen : kYellow;
}

// Pads every column of `rows` to its widest cell; the last is not padded.
// With `color`, the first row is bold and the cells of column `lag_col`
// (-1: none) below it are coloured by lag_color(); the escapes do not
// count towards the widths.
std::string align(const std::vector<std::vector<std::string>>& rows, bool color = false,
                  int lag_col = -1) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (size_t k = 0; k < rows.size(); ++k) {
    const auto& r = rows[k];
    std::string line;
    if (color && k == 0) line += kBold;
    for (size_t i = 0; i < r.size(); ++i) {
      const bool lag = color && k > 0 && static_cast<int>(i) == lag_col;
      if (lag) line += lag_color(r[i]);
      line += r[i];
      if (lag) line += kReset;
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (color && k == 0) line += kReset;
    out += line + "\n";
  }
  return out;
}

std::string seq_text(int64_t v) {
  return v < 0 ? "-" : std::to_string(v);
}

// 44957 -> "43.9K", 512 -> "512", 3 GiB -> "3.0G".
std::string human_size(int64_t bytes) {
  static const char kUnits[] = "KMGTP";
  if (bytes < 1024) return std::to_string(bytes);
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, v < 10 ? "%.1f%c" : "%.0f%c", v, kUnits[u]);
  return buf;
}

std::string retention_text(const StreamInfo& s) {
  if (!s.retention_known) return "?";
  if (s.retention_ms < 0 && s.retention_bytes < 0) return "-";
  return format_retention(s.retention_ms, s.retention_bytes);
}

}  // namespace

std::string stream_config_line(const StreamInfo& s) {
  return s.name + ": retention " +
         (s.retention_known ? format_retention(s.retention_ms, s.retention_bytes) : "unknown") +
         "\n";
}

std::string format_age_us(int64_t age_us) {
  if (age_us < 0) return "-";
  int64_t s = age_us / 1000000;
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m";
  if (s < 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

std::string stream_json_line(const StreamInfo& s) {
  const Span sp = span_of(s);
  std::string out = "{\"name\":";
  append_json_string(s.name, out);
  out += ",\"shards\":" + std::to_string(s.shards.size());
  out += ",\"records\":" + std::to_string(s.messages);
  out += ",\"bytes\":";
  append_int_or_null(s.bytes, s.bytes >= 0, out);
  out += ",\"first_seq\":" + std::to_string(sp.first_seq);
  out += ",\"last_seq\":" + std::to_string(sp.last_seq);
  out += ",\"first_ts\":";
  append_ts_or_null(sp.first_ts, sp.any && sp.first_known, out);
  out += ",\"last_ts\":";
  append_ts_or_null(sp.last_ts, sp.any && sp.last_known, out);
  out += ",\"retention\":{\"age_s\":";
  append_int_or_null(s.retention_ms / 1000, s.retention_ms >= 0, out);
  out += ",\"bytes\":";
  append_int_or_null(s.retention_bytes, s.retention_bytes >= 0, out);
  out += "}}\n";
  return out;
}

std::string streams_table(const std::vector<StreamInfo>& streams, int64_t now_us, bool color) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "SHARDS", "RECORDS", "SIZE", "LAST-SEQ", "AGE", "RETENTION", "GROUPS"}};
  for (const StreamInfo& s : streams) {
    const Span sp = span_of(s);
    rows.push_back(
        {s.name, std::to_string(s.shards.size()), std::to_string(s.messages),
         s.bytes >= 0 ? human_size(s.bytes) : "-", seq_text(sp.last_seq),
         sp.any && sp.last_known ? format_age_us(now_us - sp.last_ts) : (sp.any ? "?" : "-"),
         retention_text(s), std::to_string(s.groups.size())});
  }
  return align(rows, color);
}

std::string stream_details(const StreamInfo& s, int64_t now_us, bool color) {
  std::string out = "stream " + s.name + ": " + std::to_string(s.shards.size()) +
                    (s.shards.size() == 1 ? " shard, " : " shards, ") + std::to_string(s.messages) +
                    " records" + (s.bytes >= 0 ? ", " + human_size(s.bytes) : std::string()) +
                    ", retention " + retention_text(s) + "\n\n";
  std::vector<std::vector<std::string>> rows = {
      {"SHARD", "FIRST-SEQ", "LAST-SEQ", "FIRST-TIME", "LAST-TIME", "AGE", "SIZE"}};
  for (const ShardInfo& sh : s.shards) {
    std::string first_t, last_t;
    const bool any = sh.first_seq >= 0;
    if (any) {
      if (sh.first_ts_us > 0) append_rfc3339(sh.first_ts_us, first_t);
      if (sh.last_ts_us > 0) append_rfc3339(sh.last_ts_us, last_t);
    }
    // A time the backend did not tell is "?".
    if (first_t.empty()) first_t = "?";
    if (last_t.empty()) last_t = "?";
    rows.push_back({std::to_string(sh.shard), seq_text(sh.first_seq), seq_text(sh.last_seq),
                    any ? first_t : "-", any ? last_t : "-",
                    any ? (sh.last_ts_us > 0 ? format_age_us(now_us - sh.last_ts_us) : "?") : "-",
                    sh.bytes >= 0 ? human_size(sh.bytes) : "-"});
  }
  out += align(rows, color);
  if (s.groups.empty()) return out + "\nno consumer groups\n";
  std::vector<std::vector<std::string>> g = {{"GROUP", "SHARD", "COMMITTED", "LAG"}};
  for (const GroupInfo& gi : s.groups) {
    for (size_t k = 0; k < s.shards.size(); ++k) {
      const ShardInfo& sh = s.shards[k];
      const int64_t c = k < gi.committed.size() ? gi.committed[k] : -1;
      const int64_t end = sh.last_seq >= 0 ? sh.last_seq + 1 : 0;
      const int64_t from = c >= 0 ? c : std::max<int64_t>(sh.first_seq, 0);
      // One shard: the backend's own lag (redis: seqs are entry ids, not
      // dense, and its lag counts entries delivered but not acknowledged).
      const int64_t lag = s.shards.size() == 1 ? gi.lag : std::max<int64_t>(0, end - from);
      g.push_back({gi.name, std::to_string(sh.shard), seq_text(c), std::to_string(lag)});
    }
  }
  out += "\n" + align(g, color, 3);
  for (const GroupInfo& gi : s.groups) {
    out += "group " + gi.name + ": lag " + std::to_string(gi.lag) + ", ";
    if (gi.members.empty()) {
      out += "no live member\n";
      continue;
    }
    out += std::to_string(gi.members.size()) + " live member(s):";
    for (const MemberInfo& m : gi.members) {
      out += " " + m.name;
      // Redis tells each consumer's pending entries and idle time.
      if (m.idle_ms >= 0) {
        out += " (pending " + std::to_string(m.pending) + ", idle " +
               format_age_us(m.idle_ms * 1000) + ")";
      } else if (m.pending > 0) {
        out += " (pending " + std::to_string(m.pending) + ")";
      }
    }
    out += "\n";
  }
  return out;
}

std::string groups_json(const std::vector<StreamInfo>& streams) {
  std::string out;
  for (const StreamInfo& s : streams) {
    for (const GroupInfo& g : s.groups) {
      out += "{\"stream\":";
      append_json_string(s.name, out);
      out += ",\"group\":";
      append_json_string(g.name, out);
      out += ",\"lag\":" + std::to_string(g.lag) + ",\"committed\":[";
      for (size_t i = 0; i < g.committed.size(); ++i) {
        if (i) out += ',';
        out += std::to_string(g.committed[i]);
      }
      out += "],\"members\":[";
      for (size_t i = 0; i < g.members.size(); ++i) {
        if (i) out += ',';
        append_json_string(g.members[i].name, out);
      }
      out += "]}\n";
    }
  }
  return out;
}

std::string groups_table(const std::vector<StreamInfo>& streams, bool color) {
  std::vector<std::vector<std::string>> rows = {{"STREAM", "GROUP", "LAG", "COMMITTED", "MEMBERS"}};
  for (const StreamInfo& s : streams) {
    for (const GroupInfo& g : s.groups) {
      std::string committed;
      for (size_t i = 0; i < g.committed.size(); ++i) {
        if (i) committed += ',';
        committed += seq_text(g.committed[i]);
      }
      rows.push_back({s.name, g.name, std::to_string(g.lag), committed.empty() ? "-" : committed,
                      std::to_string(g.members.size())});
    }
  }
  return align(rows, color, 2);
}

}  // namespace sluice
