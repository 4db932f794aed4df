// The monitoring model behind `top` (and the group lag of `streams`): a
// series of samples of a cluster (Admin::describe at known times) turned
// into rates, consumer-group lag in messages and in time, an ETA to zero
// lag, a Burrow-style status per group and a retention runway.
//
// Everything here is computed from what the samples hold, never guessed: a
// value the samples cannot give (a rate from one sample, the age of a
// message whose timestamp is unknown) is absent (std::nullopt, JSON null).
//
// Rates come from deltas between samples: a stream's msgs/s is the growth
// of its appended count (StreamInfo::appended, else the sum of its shards'
// last_seq) over the latest interval; a group's consume rate is what was
// appended minus the growth of its lag, over the window (the last `window`
// samples). The ETA is lag / (consume rate - produce rate) when the group
// gains on the stream, else unknown.
//
// The status of a group follows linkedin/Burrow's evaluator, per shard over
// the window, and the group takes its worst shard's:
//   OK      the lag was zero at some sample of the window;
//   REWIND  the committed position went back between two samples;
//   STOP    the group was not active for the whole window (known only where
//           the backend reports activity: redis consumers' idle time);
//   STALL   the committed position did not move while lag > 0 (and the
//           lag did not fall: redis acknowledges behind its position);
//   WARN    the lag never fell in the window;
//   OK      otherwise.
// A window of fewer than two samples gives OK (nothing to judge yet).
//
// The retention runway of a group is the time until retention deletes its
// oldest unconsumed message: the distance from the oldest retained seq to
// the group's position, over the rate at which retention has been removing
// messages (the growth of first_seq over the window). Unknown while
// retention removes nothing.
//
// Thread safety: a Monitor is used from one thread at a time; Collector too.
// BackgroundCollector owns a thread and is safe to read from another.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sluice/backend.h"
#include "sluice/status.h"
#include "sluice/uri.h"

namespace sluice::monitor {

// Ordered by severity for --fail-on; REWIND ranks with WARN.
enum class GroupStatus { kOk, kWarn, kRewind, kStall, kStop };
inline constexpr int kStatusCount = 5;
std::string_view status_name(GroupStatus s);  // "OK", "WARN", ...
int severity(GroupStatus s);                  // OK 0, WARN/REWIND 1, STALL 2, STOP 3
// "warn" | "stall" | "stop" (any case) -> the least severe status that
// trips --fail-on; kInvalidArgument otherwise.
Result<GroupStatus> parse_fail_on(std::string_view text);

// One Admin::describe of the cluster at `at_us`.
struct Sample {
  int64_t at_us = 0;
  std::vector<StreamInfo> streams;
};

struct GroupView {
  std::string name;
  int64_t lag = 0;
  std::optional<double> lag_s;          // age of the oldest unconsumed message
  std::optional<double> consume_per_s;  // over the window
  std::optional<double> eta_s;          // to zero lag
  GroupStatus status = GroupStatus::kOk;
  std::optional<double> runway_s;
  bool runway_short = false;       // runway under an hour, or shorter than the ETA
  std::vector<int64_t> committed;  // per shard, -1 = none
  std::vector<int64_t> shard_lag;  // per shard
  std::vector<MemberInfo> members;
};

struct StreamView {
  std::string name;
  std::vector<ShardInfo> shards;
  int64_t last_seq = -1;  // the highest of its shards', -1 = empty
  int64_t messages = 0;
  int64_t bytes = -1;
  std::optional<double> msgs_per_s;
  std::optional<double> bytes_per_s;
  std::optional<double> age_s;  // of its latest message
  std::vector<double> spark;    // msgs/s per interval, oldest first
  std::vector<GroupView> groups;
};

struct ClusterView {
  int64_t ts_us = 0;
  std::string cluster;  // redacted URI
  std::vector<StreamView> streams;
  double msgs_per_s = 0;
  double bytes_per_s = 0;
  int64_t groups = 0;
  int64_t total_lag = 0;
  int64_t status_count[kStatusCount] = {};
  int samples = 0;  // in the window
  // The worst status of any group (OK when none).
  GroupStatus worst() const;
};

struct MonitorOptions {
  int window = 10;        // samples a status is judged over (>= 2)
  int spark_points = 60;  // intervals a sparkline keeps
  double runway_warn_s = 3600;
};

class Monitor {
 public:
  explicit Monitor(MonitorOptions opts = {});
  // Adds a sample; samples must come in time order.
  void add(Sample s);
  // The view as of the latest sample. `cluster` is only copied into it.
  ClusterView view(const std::string& cluster) const;
  size_t samples() const { return history_.size(); }

 private:
  MonitorOptions opts_;
  std::deque<Sample> history_;  // at most max(window, spark_points + 1)
};

// ------------------------------------------------------------- collection

struct CollectorOptions {
  std::vector<std::string> streams;  // empty = every stream of the cluster
  std::vector<std::string> groups;   // extra groups to describe (kafka mock)
  // How long one sample may spend reading the timestamps of unconsumed
  // messages (for lag in time); what is left unread stays unknown this
  // time and is tried at the next sample. Reads are cached.
  Millis probe_budget{300};
};

// Takes samples of one cluster: Admin::describe, then the timestamps of the
// groups' oldest unconsumed messages that describe() did not give, read
// with a Consumer at that seq (cached: a message's timestamp never changes).
class Collector {
 public:
  Collector(StreamUri cluster, CollectorOptions opts);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Opens the admin connection (again, after a failure) and takes a sample,
  // with the timestamps of unconsumed messages unless `with_times` is
  // false (a sample only rates are taken from: the first of --once).
  // kUnavailable and friends when the cluster cannot be reached.
  Result<Sample> collect(bool with_times = true);

 private:
  void fill_times(Sample& s);
  StreamUri cluster_;
  CollectorOptions opts_;
  std::unique_ptr<Admin> admin_;
  // (stream, shard, seq) -> timestamp (us) of the first message at or
  // after seq; -1 = none there.
  std::map<std::tuple<std::string, int32_t, int64_t>, int64_t> times_;
};

// A Collector on a thread of its own, sampling every `interval`, feeding a
// Monitor; the UI reads the latest view without ever waiting on the
// cluster.
class BackgroundCollector {
 public:
  BackgroundCollector(StreamUri cluster, CollectorOptions copts, MonitorOptions mopts,
                      Millis interval);
  ~BackgroundCollector();  // stops and joins the thread
  BackgroundCollector(const BackgroundCollector&) = delete;
  BackgroundCollector& operator=(const BackgroundCollector&) = delete;

  // The latest view (nullptr before the first sample), the last error
  // (ok once a sample succeeds again) and a counter that grows with every
  // attempt, so a UI can tell when to redraw.
  std::shared_ptr<const ClusterView> view() const;
  Status error() const;
  uint64_t generation() const { return generation_.load(); }
  void set_paused(bool paused) { paused_.store(paused); }

 private:
  void run();
  StreamUri cluster_;
  Collector collector_;
  Monitor monitor_;
  Millis interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::shared_ptr<const ClusterView> view_;
  Status error_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> paused_{false};
  std::thread thread_;
};

// ---------------------------------------------------------------- output

// One line of JSON (no newline): {"ts":..., "cluster":..., "streams":[...]}.
std::string to_json(const ClusterView& v);
// The --once text table (lines end with \n).
std::string to_text(const ClusterView& v);
// The --graph tree: streams and the groups that read them.
std::string to_graph(const ClusterView& v);

// Short human forms: 1.2K, 3.4M; 45s, 12m, 3h, 2d; "-" for unknown.
std::string human_count(std::optional<double> v);
std::string human_duration(std::optional<double> seconds);

}  // namespace sluice::monitor
