// streams: administration of streams (ls, show, groups, create, config,
// trim, rm, reset, check) over Admin (sluice/backend.h). Parses flags, picks the command,
// prints what lib returns; the work happens in libsluice.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/cli.h"
#include "sluice/backend.h"
#include "sluice/message.h"
#include "sluice/streams_report.h"
#include "sluice/units.h"
#include "sluice/uri.h"
#include "streams/flags.h"

using namespace sluice;

namespace {

struct Target {
  StreamUri uri;
  std::unique_ptr<Admin> admin;
};

// Opens the admin of the cluster `text` names; with `need_stream` the URI
// must name at least one stream.
int open_target(const std::string& text, UriKind kind, Target* t) {
  auto uri = parse_stream_uri(text, kind);
  if (!uri.ok()) return cli::fail(uri.status());
  t->uri = *uri;
  StreamUri cluster = *uri;
  cluster.streams.clear();
  auto admin = open_admin(cluster);
  if (!admin.ok()) return cli::fail(admin.status());
  t->admin = std::move(*admin);
  return -1;
}

int print(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : static_cast<int>(ExitCode::kIoErr);
}

// What describe() leaves out (kafka: retention, record times), read within
// a few seconds; what cannot be read is shown as unknown, with a warning.
void read_details(Admin& admin, std::vector<StreamInfo>& streams) {
  constexpr Millis kDetailsBudget{5000};
  Status st = admin.read_details(streams, kDetailsBudget);
  if (!st.ok()) {
    std::fprintf(stderr, "streams: warning: %s (shown as unknown)\n", st.message().c_str());
  }
}

std::string seq_text(int64_t v) {
  return v < 0 ? std::string("none") : std::to_string(v);
}

// --retention SPEC for create and config: AGE, SIZE, AGE,SIZE or none.
int parse_retention_flag(const cli::Args& a, RetentionChange* c) {
  const std::string& text = a.value("retention");
  if (text == "none") {
    *c = {true, -1, true, -1};
    return -1;
  }
  auto r = parse_retention(text);
  if (!r.ok()) return cli::fail(r.status().With("--retention"));
  c->set_ms = r->first >= 0;
  c->retention_ms = r->first;
  c->set_bytes = r->second >= 0;
  c->retention_bytes = r->second;
  return -1;
}

// trim: --before SEQ|@TIME or --keep N, as the first position kept.
int parse_trim_flags(const cli::Args& a, StartPosition* keep_from) {
  if (a.has("before") == a.has("keep")) {
    return cli::usage_error("trim needs one of --before SEQ|@TIME and --keep N");
  }
  if (a.has("keep")) {
    int64_t n = 0;
    if (int rc = 0; !a.integer("keep", 0, &n, &rc)) return rc;
    if (n < 0) return cli::usage_error("--keep '" + a.value("keep") + "': expected a count >= 0");
    keep_from->kind = StartPosition::Kind::kFromEnd;
    keep_from->value = n;
    return -1;
  }
  const std::string& text = a.value("before");
  auto pos = parse_start_position(text, now_us());
  if (!pos.ok() ||
      (pos->kind != StartPosition::Kind::kSeq && pos->kind != StartPosition::Kind::kTime) ||
      !pos->id.empty()) {
    return cli::usage_error("--before '" + text +
                            "': expected a seq or @TIME (@2026-11-27T10:00:00Z, @1d)");
  }
  *keep_from = *pos;
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("streams");
  cli::Args a;
  if (int rc = a.parse(tools::streams::kSpec, argc, argv); rc >= 0) return rc;
  const std::vector<std::string>& pos = a.positionals();
  const std::string& cmd = pos[0];
  const bool json = a.has("json");
  const std::string& when = a.value("color");
  if (when != "auto" && when != "always" && when != "never") {
    return cli::usage_error("--color '" + when + "': expected auto, always or never");
  }
  const bool color = when == "always" || (when == "auto" && isatty(STDOUT_FILENO) &&
                                          std::getenv("NO_COLOR") == nullptr);
  auto need = [&](size_t n, const char* usage) -> int {
    if (pos.size() == n) return -1;
    return cli::usage_error(
        std::string(pos.size() < n ? "missing arguments" : "too many arguments") +
        "; usage: streams " + usage);
  };
  Target t;
  if (cmd == "ls") {
    if (int rc = need(2, "ls CLUSTER [--json]"); rc >= 0) return rc;
    if (int rc = open_target(pos[1], UriKind::kCluster, &t); rc >= 0) return rc;
    auto streams = t.admin->describe({});
    if (!streams.ok()) return cli::fail(streams.status());
    read_details(*t.admin, *streams);
    if (!json) return print(streams_table(*streams, now_us(), color));
    std::string out;
    for (const StreamInfo& s : *streams) out += stream_json_line(s);
    return print(out);
  }
  if (cmd == "show" || cmd == "groups") {
    const char* usage = cmd == "show" ? "show STREAM [--json] [--group NAME]"
                                      : "groups CLUSTER|STREAM [--json] [--group NAME]";
    if (int rc = need(2, usage); rc >= 0) return rc;
    UriKind kind = cmd == "show" ? UriKind::kStream : UriKind::kAny;
    if (int rc = open_target(pos[1], kind, &t); rc >= 0) return rc;
    const std::vector<std::string>& only_groups = a.values("group");
    t.admin->watch_groups(only_groups);
    auto streams = t.admin->describe(t.uri.streams);
    if (cmd == "groups" && streams.status().is(StatusCode::kNotFound) &&
        t.uri.scheme == Scheme::kFile) {
      // file:log names a stream "log" or the directory log: no such
      // stream, so take it for the directory.
      if (int rc = open_target(pos[1] + "/", UriKind::kCluster, &t); rc >= 0) return rc;
      t.admin->watch_groups(only_groups);
      streams = t.admin->describe({});
    }
    if (!streams.ok()) return cli::fail(streams.status());
    if (!only_groups.empty()) {
      for (StreamInfo& s : *streams) {
        std::erase_if(s.groups, [&](const GroupInfo& g) {
          return std::find(only_groups.begin(), only_groups.end(), g.name) == only_groups.end();
        });
      }
    }
    if (cmd == "groups") return print(json ? groups_json(*streams) : groups_table(*streams, color));
    read_details(*t.admin, *streams);
    std::string out;
    for (const StreamInfo& s : *streams) {
      if (json) {
        out += stream_json_line(s) + groups_json({s});
      } else {
        out += (out.empty() ? "" : "\n") + stream_details(s, now_us(), color);
      }
    }
    return print(out);
  }
  if (cmd == "create") {
    if (int rc = need(2,
                      "create STREAM [--shards N] [--retention SPEC] [--segment-bytes N] "
                      "[--replication-factor N]");
        rc >= 0) {
      return rc;
    }
    CreateOptions co;
    int64_t shards = 1;
    if (int rc = 0; !a.integer("shards", 1, &shards, &rc)) return rc;
    if (shards < 1 || shards > 1024) {
      return cli::usage_error("--shards '" + std::to_string(shards) +
                              "': expected a number of shards from 1 to 1024");
    }
    co.shards = static_cast<int32_t>(shards);
    if (a.has("retention")) {
      RetentionChange r;
      if (int rc = parse_retention_flag(a, &r); rc >= 0) return rc;
      co.retention_ms = r.retention_ms;
      co.retention_bytes = r.retention_bytes;
    }
    if (a.has("segment-bytes")) {
      auto sb = parse_size(a.value("segment-bytes"));
      if (!sb.ok() || *sb < 4096) {
        return cli::usage_error("--segment-bytes '" + a.value("segment-bytes") +
                                "': expected a size of at least 4K");
      }
      co.segment_bytes = *sb;
    }
    if (a.has("replication-factor")) {
      int64_t rf = 0;
      if (int rc = 0; !a.integer("replication-factor", 1, &rf, &rc)) return rc;
      if (rf < 1 || rf > 32767) {
        return cli::usage_error("--replication-factor '" + a.value("replication-factor") +
                                "': expected a number from 1 to 32767");
      }
      co.replication_factor = static_cast<int32_t>(rf);
    }
    if (int rc = open_target(pos[1], UriKind::kStream, &t); rc >= 0) return rc;
    for (const std::string& s : t.uri.streams) {
      Status st = t.admin->create(s, co);
      if (!st.ok()) return cli::fail(st);
    }
    return 0;
  }
  if (cmd == "rm") {
    if (int rc = need(2, "rm STREAM --yes"); rc >= 0) return rc;
    if (int rc = open_target(pos[1], UriKind::kStream, &t); rc >= 0) return rc;
    auto streams = t.admin->describe(t.uri.streams);
    if (!streams.ok()) return cli::fail(streams.status());
    if (!a.has("yes")) {
      for (const StreamInfo& s : *streams) {
        std::fprintf(stderr, "streams: would delete stream '%s' (%lld records, %zu groups)\n",
                     s.name.c_str(), static_cast<long long>(s.messages), s.groups.size());
      }
      return cli::usage_error("rm deletes only with --yes");
    }
    for (const StreamInfo& s : *streams) {
      Status st = t.admin->remove(s.name);
      if (!st.ok()) return cli::fail(st);
    }
    return 0;
  }
  if (cmd == "reset") {
    if (int rc = need(3, "reset GROUP STREAM --to POS [--dry-run] [--force]"); rc >= 0) return rc;
    if (!a.has("to")) return cli::usage_error("reset needs --to beginning|end|SEQ|-N|@TIME");
    auto to = parse_start_position(a.value("to"), now_us());
    if (!to.ok()) return cli::fail(to.status().With("--to"));
    if (!to->id.empty()) return cli::usage_error("--to takes no entry id; give a seq");
    if (int rc = open_target(pos[2], UriKind::kStream, &t); rc >= 0) return rc;
    if (t.uri.streams.size() != 1) return cli::usage_error("reset takes one stream");
    auto r = t.admin->reset_group(pos[1], t.uri.streams[0], *to, a.has("dry-run"), a.has("force"));
    if (!r.ok()) return cli::fail(r.status());
    std::string out;
    for (const ShardReset& s : *r) {
      out += "shard " + std::to_string(s.shard) + ": " + seq_text(s.before) + " -> " +
             seq_text(s.after) + (a.has("dry-run") ? " (dry run)\n" : "\n");
    }
    return print(out);
  }
  if (cmd == "trim") {
    if (int rc = need(2, "trim STREAM --before SEQ|@TIME | --keep N"); rc >= 0) return rc;
    StartPosition keep_from;
    if (int rc = parse_trim_flags(a, &keep_from); rc >= 0) return rc;
    if (int rc = open_target(pos[1], UriKind::kStream, &t); rc >= 0) return rc;
    for (const std::string& s : t.uri.streams) {
      auto r = t.admin->trim(s, keep_from);
      if (!r.ok()) return cli::fail(r.status());
      std::string out;
      for (const ShardTrim& sh : *r) {
        out += (t.uri.streams.size() > 1 ? s + " " : "") + "shard " + std::to_string(sh.shard) +
               ": first seq " + seq_text(sh.first_before) + " -> " + seq_text(sh.first_after) +
               ", dropped " + (sh.dropped < 0 ? "?" : std::to_string(sh.dropped)) + " records";
        if (sh.bytes_dropped >= 0) out += " (" + std::to_string(sh.bytes_dropped) + " bytes)";
        out += "\n";
      }
      if (int rc = print(out); rc != 0) return rc;
    }
    return 0;
  }
  if (cmd == "config") {
    if (int rc = need(2, "config STREAM [--retention SPEC]"); rc >= 0) return rc;
    RetentionChange change;
    if (a.has("retention")) {
      if (int rc = parse_retention_flag(a, &change); rc >= 0) return rc;
    }
    if (int rc = open_target(pos[1], UriKind::kStream, &t); rc >= 0) return rc;
    if (change.set_ms || change.set_bytes) {
      for (const std::string& s : t.uri.streams) {
        Status st = t.admin->configure(s, change);
        if (!st.ok()) return cli::fail(st);
      }
    }
    auto streams = t.admin->describe(t.uri.streams);
    if (!streams.ok()) return cli::fail(streams.status());
    std::string out;
    for (const StreamInfo& s : *streams) {
      out += json ? stream_json_line(s) : stream_config_line(s);
    }
    return print(out);
  }
  if (cmd == "check") {
    if (int rc = need(2, "check STREAM"); rc >= 0) return rc;
    if (int rc = open_target(pos[1], UriKind::kStream, &t); rc >= 0) return rc;
    int rc = 0;
    for (const std::string& s : t.uri.streams) {
      auto report = t.admin->check(s);
      if (!report.ok()) return cli::fail(report.status());
      std::string out = "stream " + s + ": " + std::to_string(report->records) + " records in " +
                        std::to_string(report->segments) + " segments, " +
                        std::to_string(report->bytes) + " bytes";
      if (report->torn_bytes > 0) {
        out += ", " + std::to_string(report->torn_bytes) + " bytes of torn tail";
      }
      out += report->bad.empty() ? ": ok\n"
                                 : ": " + std::to_string(report->bad.size()) + " corrupt ranges, " +
                                       std::to_string(report->lost) + " records lost\n";
      for (const std::string& b : report->bad) out += "  " + b + "\n";
      if (int prc = print(out); prc != 0) return prc;
      if (!report->bad.empty()) rc = static_cast<int>(ExitCode::kDataErr);
    }
    return rc;
  }
  return cli::usage_error(
      "unknown command '" + cmd +
      "' (expected ls, show, groups, create, config, trim, rm, reset or check)");
}
