// The monitoring model: rates, lag, ETA, Burrow-style status and runway
// from a window of samples (see sluice/monitor.h).
#include <algorithm>
#include <cctype>
#include <unordered_map>

#include "sluice/monitor.h"

namespace sluice::monitor {

std::string_view status_name(GroupStatus s) {
  switch (s) {
    case GroupStatus::kOk:
      return "OK";
    case GroupStatus::kWarn:
      return "WARN";
    case GroupStatus::kRewind:
      return "REWIND";
    case GroupStatus::kStall:
      return "STALL";
    case GroupStatus::kStop:
      return "STOP";
  }
  return "OK";
}

int severity(GroupStatus s) {
  switch (s) {
    case GroupStatus::kOk:
      return 0;
    case GroupStatus::kWarn:
    case GroupStatus::kRewind:
      return 1;
    case GroupStatus::kStall:
      return 2;
    case GroupStatus::kStop:
      return 3;
  }
  return 0;
}

Result<GroupStatus> parse_fail_on(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "warn") return GroupStatus::kWarn;
  if (t == "stall") return GroupStatus::kStall;
  if (t == "stop") return GroupStatus::kStop;
  return Status::InvalidArgument("'" + std::string(text) + "': expected warn, stall or stop");
}

GroupStatus ClusterView::worst() const {
  GroupStatus w = GroupStatus::kOk;
  for (const StreamView& s : streams) {
    for (const GroupView& g : s.groups) {
      if (severity(g.status) > severity(w)) w = g.status;
    }
  }
  return w;
}

namespace {

// Messages appended to `s` so far, as far as the samples can count them.
int64_t appended(const StreamInfo& s) {
  if (s.appended >= 0) return s.appended;
  int64_t n = 0;
  for (const ShardInfo& sh : s.shards) n += sh.last_seq + 1;
  return n;
}

const StreamInfo* find_stream(const Sample& s, const std::string& name) {
  // Streams come sorted from every backend but a caller's `only` list;
  // a linear fallback keeps this correct either way.
  auto it = std::lower_bound(s.streams.begin(), s.streams.end(), name,
                             [](const StreamInfo& a, const std::string& n) { return a.name < n; });
  if (it != s.streams.end() && it->name == name) return &*it;
  for (const StreamInfo& x : s.streams) {
    if (x.name == name) return &x;
  }
  return nullptr;
}

const GroupInfo* find_group(const StreamInfo& s, const std::string& name) {
  for (const GroupInfo& g : s.groups) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

int64_t committed_at(const GroupInfo& g, size_t shard) {
  return shard < g.committed.size() ? g.committed[shard] : -1;
}

// A group's lag on one shard. With one shard, the backend's own count (redis
// seqs are not dense); with several, the distance in seqs.
int64_t shard_lag(const StreamInfo& s, const GroupInfo& g, size_t i) {
  if (s.shards.size() == 1) return g.lag;
  const ShardInfo& sh = s.shards[i];
  if (sh.last_seq < 0) return 0;
  const int64_t c = committed_at(g, static_cast<size_t>(sh.shard));
  const int64_t start = std::max(c, sh.first_seq);
  return std::max<int64_t>(0, sh.last_seq + 1 - start);
}

double seconds(int64_t us) {
  return static_cast<double>(us) / 1e6;
}

// One point of a group's history: its sample, stream and group.
struct Point {
  const Sample* sample;
  const StreamInfo* stream;
  const GroupInfo* group;
};

GroupStatus shard_status(const std::vector<Point>& pts, size_t i, int64_t now_us) {
  // OK: the lag was zero somewhere in the window.
  for (const Point& p : pts) {
    if (i >= p.stream->shards.size() || shard_lag(*p.stream, *p.group, i) == 0) {
      return GroupStatus::kOk;
    }
  }
  const auto pos = [&](const Point& p) {
    return committed_at(*p.group, static_cast<size_t>(p.stream->shards[i].shard));
  };
  for (size_t k = 1; k < pts.size(); ++k) {
    if (pos(pts[k]) < pos(pts[k - 1])) return GroupStatus::kRewind;
  }
  // STOP: no activity for the whole window, where the backend reports it:
  // the members' idle time (redis), or no live member and no commit since
  // before the window (file: the offset files' times).
  const Point& last = pts.back();
  const int64_t span_us = now_us - pts.front().sample->at_us;
  if (!last.group->members.empty()) {
    int64_t idle = -1;
    for (const MemberInfo& m : last.group->members) {
      if (m.idle_ms >= 0 && (idle < 0 || m.idle_ms < idle)) idle = m.idle_ms;
    }
    if (idle >= 0 && idle * 1000 > span_us) return GroupStatus::kStop;
  } else if (last.group->last_commit_us >= 0 && now_us - last.group->last_commit_us > span_us) {
    return GroupStatus::kStop;
  }
  // The lag may fall with the position still (redis: acknowledging
  // entries delivered earlier): that is progress, not a stall.
  bool moved = false;
  bool fell = false;
  for (size_t k = 1; k < pts.size(); ++k) {
    moved = moved || pos(pts[k]) != pos(pts[0]);
    fell = fell || shard_lag(*pts[k].stream, *pts[k].group, i) <
                       shard_lag(*pts[k - 1].stream, *pts[k - 1].group, i);
  }
  if (!moved && !fell) return GroupStatus::kStall;
  return fell ? GroupStatus::kOk : GroupStatus::kWarn;
}

}  // namespace

Monitor::Monitor(MonitorOptions opts) : opts_(opts) {
  opts_.window = std::max(2, opts_.window);
  opts_.spark_points = std::max(1, opts_.spark_points);
}

void Monitor::add(Sample s) {
  history_.push_back(std::move(s));
  const size_t keep = static_cast<size_t>(std::max(opts_.window, opts_.spark_points + 1));
  while (history_.size() > keep) history_.pop_front();
}

ClusterView Monitor::view(const std::string& cluster) const {
  ClusterView v;
  v.cluster = cluster;
  if (history_.empty()) return v;
  const Sample& now = history_.back();
  v.ts_us = now.at_us;
  const size_t n = history_.size();
  const size_t wn = std::min(n, static_cast<size_t>(opts_.window));
  const Sample* prev = n >= 2 ? &history_[n - 2] : nullptr;
  const Sample& first = history_[n - wn];
  v.samples = static_cast<int>(wn);
  for (const StreamInfo& s : now.streams) {
    StreamView sv;
    sv.name = s.name;
    sv.shards = s.shards;
    sv.messages = s.messages;
    sv.bytes = s.bytes;
    int64_t last_ts = 0;
    for (const ShardInfo& sh : s.shards) {
      sv.last_seq = std::max(sv.last_seq, sh.last_seq);
      last_ts = std::max(last_ts, sh.last_seq >= 0 ? sh.last_ts_us : 0);
    }
    if (last_ts > 0) sv.age_s = std::max(0.0, seconds(now.at_us - last_ts));
    // Per-interval rates for the sparkline; the latest is msgs/s.
    const size_t from = n > static_cast<size_t>(opts_.spark_points) + 1
                            ? n - static_cast<size_t>(opts_.spark_points) - 1
                            : 0;
    for (size_t k = from + 1; k < n; ++k) {
      const StreamInfo* a = find_stream(history_[k - 1], s.name);
      const StreamInfo* b = find_stream(history_[k], s.name);
      const int64_t dt = history_[k].at_us - history_[k - 1].at_us;
      if (a == nullptr || b == nullptr || dt <= 0) {
        sv.spark.push_back(0);
        continue;
      }
      sv.spark.push_back(static_cast<double>(std::max<int64_t>(0, appended(*b) - appended(*a))) /
                         seconds(dt));
    }
    if (prev != nullptr) {
      const StreamInfo* p = find_stream(*prev, s.name);
      const int64_t dt = now.at_us - prev->at_us;
      if (p != nullptr && dt > 0) {
        const int64_t d = appended(s) - appended(*p);
        if (d >= 0) sv.msgs_per_s = static_cast<double>(d) / seconds(dt);
        if (s.bytes >= 0 && p->bytes >= 0 && s.bytes >= p->bytes) {
          sv.bytes_per_s = static_cast<double>(s.bytes - p->bytes) / seconds(dt);
        }
      }
    }
    if (sv.msgs_per_s) v.msgs_per_s += *sv.msgs_per_s;
    if (sv.bytes_per_s) v.bytes_per_s += *sv.bytes_per_s;

    const StreamInfo* ws = find_stream(first, s.name);
    const int64_t wdt = now.at_us - first.at_us;
    for (const GroupInfo& g : s.groups) {
      GroupView gv{};
      gv.name = g.name;
      gv.lag = g.lag;
      gv.committed = g.committed;
      gv.members = g.members;
      for (size_t i = 0; i < s.shards.size(); ++i) gv.shard_lag.push_back(shard_lag(s, g, i));
      // The window of this group: the samples in which it and its stream
      // appear with the same shard count, up to now.
      std::vector<Point> pts;
      for (size_t k = n - wn; k < n; ++k) {
        const StreamInfo* hs = find_stream(history_[k], s.name);
        const GroupInfo* hg = hs ? find_group(*hs, g.name) : nullptr;
        if (hg == nullptr || hs->shards.size() != s.shards.size()) {
          pts.clear();
          continue;
        }
        pts.push_back({&history_[k], hs, hg});
      }
      if (pts.size() >= 2) {
        GroupStatus worst = GroupStatus::kOk;
        for (size_t i = 0; i < s.shards.size(); ++i) {
          GroupStatus st = shard_status(pts, i, now.at_us);
          if (severity(st) > severity(worst)) worst = st;
        }
        gv.status = worst;
        const Point& p0 = pts.front();
        const int64_t dt = now.at_us - p0.sample->at_us;
        const int64_t produced = appended(s) - appended(*p0.stream);
        if (dt > 0 && produced >= 0) {
          const double produce = static_cast<double>(produced) / seconds(dt);
          const double consume =
              static_cast<double>(produced - (g.lag - p0.group->lag)) / seconds(dt);
          gv.consume_per_s = std::max(0.0, consume);
          if (g.lag == 0) {
            gv.eta_s = 0;
          } else if (consume - produce > 0) {
            gv.eta_s = static_cast<double>(g.lag) / (consume - produce);
          }
        }
      } else if (g.lag == 0) {
        gv.eta_s = 0;
      }
      // Lag in time: the age of the oldest unconsumed message.
      if (g.lag == 0) {
        gv.lag_s = 0;
      } else if (g.oldest_unconsumed_ts_us > 0) {
        gv.lag_s = std::max(0.0, seconds(now.at_us - g.oldest_unconsumed_ts_us));
      }
      // Runway: the distance from the oldest retained message to the
      // group's position, over the rate retention removes messages at.
      if (ws != nullptr && wdt > 0 && ws->shards.size() == s.shards.size() && g.lag > 0) {
        for (size_t i = 0; i < s.shards.size(); ++i) {
          const ShardInfo& sh = s.shards[i];
          const int64_t removed = sh.first_seq - ws->shards[i].first_seq;
          if (sh.first_seq < 0 || ws->shards[i].first_seq < 0 || removed <= 0 ||
              gv.shard_lag[i] == 0) {
            continue;
          }
          const int64_t c = committed_at(g, static_cast<size_t>(sh.shard));
          const double ahead = static_cast<double>(std::max<int64_t>(0, c - sh.first_seq));
          const double r = ahead / (static_cast<double>(removed) / seconds(wdt));
          if (!gv.runway_s || r < *gv.runway_s) gv.runway_s = r;
        }
      }
      // Retention by age, where the backend keeps it with the stream (file:):
      // the oldest unconsumed message goes once it is retention_ms old, at
      // the earliest (whole segments go, so it may stay a little longer).
      if (s.retention_ms >= 0 && g.lag > 0 && gv.lag_s) {
        const double r = std::max(0.0, static_cast<double>(s.retention_ms) / 1000.0 - *gv.lag_s);
        if (!gv.runway_s || r < *gv.runway_s) gv.runway_s = r;
      }
      if (gv.runway_s) {
        gv.runway_short =
            *gv.runway_s < opts_.runway_warn_s || !gv.eta_s || *gv.runway_s < *gv.eta_s;
      }
      ++v.groups;
      v.total_lag += g.lag;
      ++v.status_count[static_cast<int>(gv.status)];
      sv.groups.push_back(std::move(gv));
    }
    v.streams.push_back(std::move(sv));
  }
  return v;
}

}  // namespace sluice::monitor
