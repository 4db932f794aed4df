// The end that cdc-pg's and cdc-mysql's main() share: stop handlers, the
// sink for DEST, the run, and --progress / --stats.
// Header-only; all behaviour lives in libsluice.
#pragma once

#include <cstdio>
#include <string>

#include "common/cli.h"
#include "common/flags.h"
#include "sluice/cdc.h"
#include "sluice/signals.h"
#include "sluice/stats.h"

namespace sluice::cli {

// Runs `run(o, sink, stats)` (run_pg_cdc or run_mysql_cdc) into the sink of
// `dest` until it ends or a stop signal; returns the exit code.
template <typename Options, typename Run>
int run_cdc(const Args& a, const std::string& dest, Options& o, Run run) {
  install_stop_handlers();
  o.stop = stop_flag();
  o.stop_fd = stop_fd();
  ProducerOptions po;
  po.timeout = o.timeout;
  auto sink = open_cdc_sink(dest, a.has("with-key"), po);
  if (!sink.ok()) return fail(sink.status());

  RunStats stats(a.has("progress"));
  Status st = run(o, **sink, stats);
  stats.end_progress();
  if (a.has("stats")) fprintf(stderr, "%s: %s\n", program_name().c_str(), stats.summary().c_str());
  return st.ok() ? 0 : fail(st);
}

}  // namespace sluice::cli
