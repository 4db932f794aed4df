// top: htop for streams. Parses flags and wires libsluice's monitor
// (sluice/monitor.h): batch snapshots here, the full-screen view in
// sluice/monitor_screen.h.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "common/cli.h"
#include "sluice/monitor.h"
#include "sluice/monitor_screen.h"
#include "sluice/signals.h"
#include "sluice/units.h"
#include "top/flags.h"

using namespace sluice;
using namespace sluice::monitor;

namespace {

struct Flags {
  StreamUri cluster;
  Millis interval{1000};
  int64_t count = 0;  // 0 = the full-screen view
  bool json = false;
  bool graph = false;
  int64_t window = 10;
  std::optional<GroupStatus> fail_on;
  CollectorOptions collect;
};

// Sleeps `d` unless a stop signal comes first; false then.
bool sleep_for(Millis d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (stop_requested()) return false;
    std::this_thread::sleep_for(std::min<Millis>(Millis(20), d));
  }
  return !stop_requested();
}

// Prints f.count snapshots, each from one more sample --interval later.
int run_batch(const Flags& f) {
  Collector collector(f.cluster, f.collect);
  MonitorOptions mo;
  mo.window = static_cast<int>(f.window);
  Monitor monitor(mo);
  const std::string name = f.cluster.redacted();
  // The first sample only gives rates: no lag in time is shown from it.
  Result<Sample> s = collector.collect(false);
  if (!s.ok()) return cli::fail(s.status());
  monitor.add(std::move(*s));
  ClusterView v;
  for (int64_t i = 0; i < f.count; ++i) {
    if (!sleep_for(f.interval)) return 0;
    s = collector.collect();
    if (!s.ok()) return cli::fail(s.status());
    monitor.add(std::move(*s));
    v = monitor.view(name);
    std::string out = f.graph ? to_graph(v) : f.json ? to_json(v) + '\n' : to_text(v);
    if (!f.json && !f.graph && i + 1 < f.count) out += '\n';
    if (fwrite(out.data(), 1, out.size(), stdout) != out.size() || fflush(stdout) != 0) {
      return 0;  // a closed stdout is a normal end
    }
  }
  if (f.fail_on && severity(v.worst()) >= severity(*f.fail_on)) return 1;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("top");
  cli::Args a;
  if (int rc = a.parse(tools::top::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;
  Flags f;
  // A cluster; kafka:// and redis:// may name the streams to show.
  auto uri = parse_stream_uri(a.positionals().front(), UriKind::kCluster);
  if (!uri.ok()) uri = parse_stream_uri(a.positionals().front(), UriKind::kAny);
  if (!uri.ok()) return cli::fail(uri.status());
  f.cluster = *uri;
  f.collect.streams = f.cluster.streams;
  f.collect.groups = a.values("group");
  auto interval = parse_duration_ms(a.value("interval"));
  if (!interval.ok()) return cli::fail(interval.status().With("--interval"));
  if (*interval <= 0)
    return cli::usage_error("--interval '" + a.value("interval") + "': expected a time above zero");
  f.interval = Millis(*interval);
  if (!a.integer("count", 0, &f.count, &rc)) return rc;
  if (a.has("count") && f.count < 1) {
    return cli::usage_error("--count '" + a.value("count") + "': expected 1 or more snapshots");
  }
  if (!a.integer("window", 10, &f.window, &rc)) return rc;
  if (f.window < 2) {
    return cli::usage_error("--window '" + a.value("window") + "': expected 2 or more samples");
  }
  f.json = a.has("json");
  f.graph = a.has("graph");
  if (a.has("once") || (f.json && f.count == 0)) f.count = 1;
  if (a.has("fail-on")) {
    auto st = parse_fail_on(a.value("fail-on"));
    if (!st.ok()) return cli::fail(st.status().With("--fail-on"));
    if (f.count == 0) return cli::usage_error("--fail-on needs --once or --count");
    f.fail_on = *st;
  }
  install_stop_handlers();
  if (f.count > 0) return run_batch(f);

  if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
    return cli::usage_error(
        "the full-screen view needs a terminal (for scripts: --once or --json)");
  }
  ScreenOptions so;
  so.interval = f.interval;
  so.window = static_cast<int>(f.window);
  so.graph = f.graph;
  Status st = run_screen(f.cluster, f.collect, so);
  if (!st.ok()) return cli::fail(st);
  return 0;
}
