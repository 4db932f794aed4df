// Sampling a cluster for `top`: Admin::describe plus the timestamps of the
// groups' oldest unconsumed messages, on the caller's thread (Collector) or
// on a thread of its own (BackgroundCollector).
#include <chrono>

#include "sluice/message.h"
#include "sluice/monitor.h"

namespace sluice::monitor {

namespace {

using Clock = std::chrono::steady_clock;

// The timestamp of the first message at or after `seq` on `stream`'s
// `shard`, read with a consumer that starts there; -1 when there is none.
Result<int64_t> read_time_at(const StreamUri& cluster, const std::string& stream, int32_t shard,
                             int64_t seq, Millis budget) {
  StreamUri uri = cluster;
  uri.streams = {stream};
  ConsumerOptions o;
  o.from.kind = StartPosition::Kind::kSeq;
  o.from.value = seq;
  o.exit_at_end = true;
  o.max_batch = 64;
  o.timeout = budget;
  Result<std::unique_ptr<Consumer>> c = open_consumer(uri, o);
  if (!c.ok()) return c.status();
  const Clock::time_point deadline = Clock::now() + budget;
  MessageBatch batch;
  while (Clock::now() < deadline) {
    Status st = (*c)->poll(batch, Millis(50));
    for (const Message& m : batch.messages) {
      if (m.shard == shard && m.seq >= seq) return m.ts_us;
    }
    if (st.is(StatusCode::kEndOfStream)) return int64_t{-1};
    if (!st.ok()) return st;
  }
  return Status::TimedOut("reading stream '" + stream + "'");
}

}  // namespace

Collector::Collector(StreamUri cluster, CollectorOptions opts)
    : cluster_(std::move(cluster)), opts_(std::move(opts)) {}

Collector::~Collector() = default;

Result<Sample> Collector::collect(bool with_times) {
  if (admin_ == nullptr) {
    Result<std::unique_ptr<Admin>> a = open_admin(cluster_);
    if (!a.ok()) return a.status();
    admin_ = std::move(*a);
    admin_->watch_groups(opts_.groups);
  }
  Sample s;
  s.at_us = now_us();
  Result<std::vector<StreamInfo>> d = admin_->describe(opts_.streams);
  if (!d.ok()) {
    if (d.status().is(StatusCode::kUnavailable)) admin_.reset();  // reconnect next time
    return d.status();
  }
  s.streams = std::move(*d);
  if (with_times) fill_times(s);
  return s;
}

void Collector::fill_times(Sample& s) {
  const Clock::time_point deadline = Clock::now() + opts_.probe_budget;
  // The backend's own batched reads first (kafka: the groups' oldest
  // unconsumed and the latest messages), then one consumer per shard for
  // what is left, within the same budget.
  admin_->read_oldest_unconsumed(s.streams, opts_.probe_budget);
  const auto rest = std::chrono::duration_cast<Millis>(deadline - Clock::now());
  if (rest.count() > 0) admin_->read_latest_times(s.streams, rest);
  for (StreamInfo& st : s.streams) {
    for (GroupInfo& g : st.groups) {
      if (g.lag == 0 || g.oldest_unconsumed_ts_us > 0) continue;
      int64_t oldest = -1;
      bool known = true;
      for (const ShardInfo& sh : st.shards) {
        if (sh.last_seq < 0) continue;
        const size_t idx = static_cast<size_t>(sh.shard);
        const int64_t c = idx < g.committed.size() ? g.committed[idx] : -1;
        const int64_t at = std::max(c, sh.first_seq);
        if (at > sh.last_seq) continue;  // nothing unconsumed on this shard
        auto key = std::make_tuple(st.name, sh.shard, at);
        auto it = times_.find(key);
        if (it == times_.end()) {
          const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
          if (left.count() <= 0) {
            known = false;
            break;
          }
          Result<int64_t> t = read_time_at(cluster_, st.name, sh.shard, at, left);
          if (!t.ok()) {
            known = false;
            if (t.status().is(StatusCode::kTimedOut)) break;
            continue;
          }
          it = times_.emplace(std::move(key), *t).first;
        }
        if (it->second > 0 && (oldest < 0 || it->second < oldest)) oldest = it->second;
      }
      if (known && oldest > 0) g.oldest_unconsumed_ts_us = oldest;
    }
  }
  // Keep the cache from growing without bound over a long run.
  if (times_.size() > 100000) times_.clear();
}

// ------------------------------------------------------- background thread

BackgroundCollector::BackgroundCollector(StreamUri cluster, CollectorOptions copts,
                                         MonitorOptions mopts, Millis interval)
    : cluster_(cluster),
      collector_(std::move(cluster), std::move(copts)),
      monitor_(mopts),
      interval_(interval),
      thread_([this] { run(); }) {}

BackgroundCollector::~BackgroundCollector() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::shared_ptr<const ClusterView> BackgroundCollector::view() const {
  std::lock_guard<std::mutex> lock(mu_);
  return view_;
}

Status BackgroundCollector::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

void BackgroundCollector::run() {
  const std::string name = cluster_.redacted();
  for (;;) {
    const Clock::time_point next = Clock::now() + interval_;
    if (!paused_.load()) {
      Result<Sample> s = collector_.collect();
      std::shared_ptr<const ClusterView> v;
      if (s.ok()) {
        monitor_.add(std::move(*s));
        v = std::make_shared<const ClusterView>(monitor_.view(name));
      }
      std::lock_guard<std::mutex> lock(mu_);
      if (v) view_ = std::move(v);
      error_ = s.ok() ? Status::Ok() : s.status();
    }
    generation_.fetch_add(1);
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
  }
}

}  // namespace sluice::monitor
