#include "sluice/stats.h"

#include <unistd.h>

#include <cstdio>

#include "sluice/status.h"

namespace sluice {

RunStats::RunStats(bool progress) : progress_(progress && isatty(2)) {}

namespace {
std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}
}  // namespace

std::string RunStats::summary() const {
  double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  double rate = secs > 0 ? records_ / secs : 0;
  char buf[256];
  snprintf(buf, sizeof buf, "%llu records, %s in %.2f s (%.0f records/s, %s/s), %llu errors",
           static_cast<unsigned long long>(records_), human_bytes(bytes_).c_str(), secs, rate,
           human_bytes(secs > 0 ? bytes_ / secs : 0).c_str(),
           static_cast<unsigned long long>(errors_));
  std::string out = buf;
  if (skipped_ > 0) {
    out += ", " + std::to_string(skipped_) + " corrupt record" + (skipped_ == 1 ? "" : "s") +
           " skipped";
  }
  return out;
}

void RunStats::tick() {
  if (!progress_) return;
  auto now = Clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
  last_draw_ = now;
  drawn_ = true;
  std::string line = "\r\033[K" + program_name() + ": " + summary();
  fwrite(line.data(), 1, line.size(), stderr);
  fflush(stderr);
}

void RunStats::end_progress() {
  if (!drawn_) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  drawn_ = false;
}

}  // namespace sluice
