// The full-screen view of `top` (ncurses): one row per stream, drill-in to
// a stream's shards, groups and latest messages, htop's keys. Sampling runs
// on a BackgroundCollector thread, so a slow or unreachable cluster never
// freezes the screen: the last view stays up with the error in the header
// while sampling retries every interval.
//
// Colour is used when the terminal has it and NO_COLOR is not set.
// Thread safety: run_screen() owns the terminal until it returns.
#pragma once

#include "sluice/monitor.h"

namespace sluice::monitor {

struct ScreenOptions {
  Millis interval{1000};
  int window = 10;
  bool graph = false;  // start in the graph view
};

// Runs until q or a stop signal (sluice/signals.h). Errors only when the
// terminal cannot be set up.
Status run_screen(const StreamUri& cluster, const CollectorOptions& copts,
                  const ScreenOptions& opts);

}  // namespace sluice::monitor
