// RunStats: the counters behind --stats (a final summary on stderr) and
// --progress (a refreshing line on stderr, only when it is a terminal).
// Not thread-safe; owned by a tool's main loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

class RunStats {
 public:
  // `progress` is honoured only when stderr is a terminal.
  explicit RunStats(bool progress);

  void add(uint64_t records, uint64_t bytes) {
    records_ += records;
    bytes_ += bytes;
  }
  void add_error() { ++errors_; }
  // Records lost to corruption that a reader skipped past.
  void set_skipped(uint64_t n) { skipped_ = n; }
  uint64_t records() const { return records_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t errors() const { return errors_; }

  // Redraws the progress line at most a few times a second.
  void tick();
  // Clears the progress line (call before printing anything else).
  void end_progress();
  // "100000 records, 9.5 MiB in 0.42 s (238095 records/s, 22.6 MiB/s),
  // 0 errors", and ", 2 corrupt records skipped" when there were any
  std::string summary() const;

 private:
  using Clock = std::chrono::steady_clock;
  bool progress_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_{};
  uint64_t records_ = 0, bytes_ = 0, errors_ = 0, skipped_ = 0;
  bool drawn_ = false;
};

}  // namespace sluice
