// The monitor model of `top` (sluice/monitor.h): rates, lag, ETA, the
// Burrow-style status rules, the runway and the JSON line, from samples
// made by hand.
#include <doctest/doctest.h>

#include "sluice/monitor.h"

using namespace sluice;
using namespace sluice::monitor;

namespace {

constexpr int64_t kSecond = 1000000;

struct Point {
  int64_t last_seq;
  int64_t committed;
  int64_t lag = -1;  // -1: last_seq + 1 - committed
  int64_t first_seq = 0;
  int64_t idle_ms = -1;  // >= 0: one member with this idle time
};

// One sample a second: stream "s" of one shard and group "g".
std::vector<Sample> series(const std::vector<Point>& pts) {
  std::vector<Sample> out;
  for (size_t i = 0; i < pts.size(); ++i) {
    const Point& p = pts[i];
    Sample s;
    s.at_us = 1000 * kSecond + static_cast<int64_t>(i) * kSecond;
    StreamInfo st;
    st.name = "s";
    ShardInfo sh;
    sh.first_seq = p.first_seq;
    sh.last_seq = p.last_seq;
    sh.last_ts_us = s.at_us - kSecond / 2;
    st.shards.push_back(sh);
    st.messages = p.last_seq + 1 - p.first_seq;
    st.bytes = st.messages * 100;
    GroupInfo g;
    g.name = "g";
    g.committed = {p.committed};
    g.lag = p.lag >= 0 ? p.lag : p.last_seq + 1 - p.committed;
    if (p.idle_ms >= 0) g.members.push_back({"m", 1, p.idle_ms});
    st.groups.push_back(g);
    s.streams.push_back(st);
    out.push_back(s);
  }
  return out;
}

ClusterView run(const std::vector<Point>& pts, int window = 10) {
  Monitor m(MonitorOptions{.window = window});
  for (Sample& s : series(pts)) m.add(std::move(s));
  return m.view("file:x");
}

GroupStatus status(const std::vector<Point>& pts, int window = 10) {
  return run(pts, window).streams.at(0).groups.at(0).status;
}

}  // namespace

TEST_CASE("monitor: lag zero anywhere in the window is OK") {
  CHECK(status({{99, 50}, {99, 100}, {149, 100}}) == GroupStatus::kOk);
}

TEST_CASE("monitor: position still with lag is STALL, even as the stream grows") {
  CHECK(status({{99, 50}, {99, 50}, {99, 50}}) == GroupStatus::kStall);
  CHECK(status({{99, 50}, {109, 50}, {119, 50}}) == GroupStatus::kStall);
}

TEST_CASE("monitor: position back between two samples is REWIND") {
  CHECK(status({{99, 50}, {99, 60}, {99, 20}, {99, 30}}) == GroupStatus::kRewind);
}

TEST_CASE("monitor: moving but never gaining is WARN; gaining once is OK") {
  CHECK(status({{99, 50}, {129, 60}, {159, 70}}) == GroupStatus::kWarn);
  CHECK(status({{99, 50}, {129, 60}, {139, 95}}) == GroupStatus::kOk);
}

TEST_CASE("monitor: lag falling with the position still (redis acks) is not STALL") {
  CHECK(status({{99, 100, 40}, {99, 100, 30}, {99, 100, 20}}) == GroupStatus::kOk);
}

TEST_CASE("monitor: STOP only where members report idleness for the whole window") {
  // Three samples span 2 s: idle 5 s is STOP, idle 0.1 s is STALL.
  CHECK(status({{99, 50, -1, 0, 3000}, {99, 50, -1, 0, 4000}, {99, 50, -1, 0, 5000}}) ==
        GroupStatus::kStop);
  CHECK(status({{99, 50, -1, 0, 100}, {99, 50, -1, 0, 100}, {99, 50, -1, 0, 100}}) ==
        GroupStatus::kStall);
}

TEST_CASE("monitor: the window keeps only the last N samples") {
  // A rewind three samples ago falls out of a window of 3.
  const std::vector<Point> pts = {{99, 50}, {99, 20}, {99, 20}, {99, 20}, {99, 20}};
  CHECK(status(pts, 10) == GroupStatus::kRewind);
  CHECK(status(pts, 3) == GroupStatus::kStall);
}

TEST_CASE("monitor: one sample judges nothing and gives no rates") {
  ClusterView v = run({{99, 50}});
  REQUIRE(v.streams.size() == 1);
  CHECK(v.streams[0].groups[0].status == GroupStatus::kOk);
  CHECK_FALSE(v.streams[0].msgs_per_s.has_value());
  CHECK_FALSE(v.streams[0].groups[0].eta_s.has_value());
}

TEST_CASE("monitor: rates, consume rate and ETA from the deltas") {
  // 100 msgs/s in, the group consumes 150/s: it gains 50/s on a lag of 100.
  ClusterView v = run({{999, 800}, {1099, 950}, {1199, 1100}});
  const StreamView& s = v.streams.at(0);
  CHECK(*s.msgs_per_s == doctest::Approx(100));
  CHECK(*s.bytes_per_s == doctest::Approx(100 * 100));
  CHECK(*s.age_s == doctest::Approx(0.5));
  CHECK(s.last_seq == 1199);
  CHECK(s.spark == std::vector<double>{100, 100});
  const GroupView& g = s.groups.at(0);
  CHECK(g.lag == 100);
  CHECK(*g.consume_per_s == doctest::Approx(150));
  CHECK(*g.eta_s == doctest::Approx(2.0));
  CHECK(g.status == GroupStatus::kOk);
  CHECK(v.msgs_per_s == doctest::Approx(100));
  CHECK(v.total_lag == 100);
  CHECK(v.status_count[static_cast<int>(GroupStatus::kOk)] == 1);
}

TEST_CASE("monitor: no ETA while the group does not gain") {
  ClusterView v = run({{999, 800}, {1099, 850}, {1199, 900}});
  CHECK_FALSE(v.streams[0].groups[0].eta_s.has_value());
  CHECK(*v.streams[0].groups[0].consume_per_s == doctest::Approx(50));
}

TEST_CASE("monitor: file: no live member and no commit in the window is STOP, a live one STALL") {
  auto view_with = [](bool live_member) {
    std::vector<Sample> samples = series({{999, 500}, {999, 500}, {999, 500}});
    for (Sample& smp : samples) {
      GroupInfo& g = smp.streams[0].groups[0];
      g.last_commit_us = 1000 * kSecond - 10 * kSecond;  // before the window
      if (live_member) g.members.push_back({"m-1"});     // no idle time known
    }
    Monitor m(MonitorOptions{});
    for (Sample& smp : samples) m.add(std::move(smp));
    return m.view("file:x").streams[0].groups[0].status;
  };
  CHECK(view_with(false) == GroupStatus::kStop);
  CHECK(view_with(true) == GroupStatus::kStall);
}

TEST_CASE("monitor: runway from a retention age the stream keeps") {
  // The oldest unconsumed message is 600 s old; the stream keeps 1 h.
  std::vector<Sample> samples = series({{999, 500}, {1009, 500}});
  for (Sample& smp : samples) {
    smp.streams[0].retention_ms = 3600 * 1000;
    smp.streams[0].groups[0].oldest_unconsumed_ts_us = smp.at_us - 600 * kSecond;
  }
  Monitor m(MonitorOptions{});
  for (Sample& smp : samples) m.add(std::move(smp));
  const ClusterView v = m.view("file:x");
  const GroupView& g = v.streams[0].groups[0];
  REQUIRE(g.runway_s.has_value());
  CHECK(*g.runway_s == doctest::Approx(3000.0));
  CHECK(g.runway_short);  // no ETA: the group does not gain
}

TEST_CASE("monitor: runway from the rate retention removes messages") {
  // Retention removes 10/s from the front; the group is 100 past it.
  ClusterView v = run({{999, 500, -1, 380}, {1009, 500, -1, 390}, {1019, 500, -1, 400}});
  const GroupView& g = v.streams[0].groups[0];
  REQUIRE(g.runway_s.has_value());
  CHECK(*g.runway_s == doctest::Approx(10.0));
  CHECK(g.runway_short);
  // Retention idle: no runway, nothing short.
  ClusterView idle = run({{999, 500}, {1009, 500}});
  CHECK_FALSE(idle.streams[0].groups[0].runway_s.has_value());
  CHECK_FALSE(idle.streams[0].groups[0].runway_short);
}

TEST_CASE("monitor: lag in time from the oldest unconsumed message") {
  std::vector<Sample> ss = series({{99, 50}, {99, 50}});
  ss[1].streams[0].groups[0].oldest_unconsumed_ts_us = ss[1].at_us - 42 * kSecond;
  Monitor m;
  for (Sample& s : ss) m.add(std::move(s));
  CHECK(*m.view("x").streams[0].groups[0].lag_s == doctest::Approx(42));
  // Unknown stays unknown; no lag is zero.
  CHECK_FALSE(run({{99, 50}, {99, 50}}).streams[0].groups[0].lag_s.has_value());
  CHECK(*run({{99, 100}, {99, 100}}).streams[0].groups[0].lag_s == 0);
}

TEST_CASE("monitor: --fail-on levels") {
  CHECK(*parse_fail_on("warn") == GroupStatus::kWarn);
  CHECK(*parse_fail_on("STALL") == GroupStatus::kStall);
  CHECK(*parse_fail_on("stop") == GroupStatus::kStop);
  CHECK_FALSE(parse_fail_on("rewind").ok());
  CHECK(severity(GroupStatus::kRewind) == severity(GroupStatus::kWarn));
  CHECK(severity(GroupStatus::kStall) < severity(GroupStatus::kStop));
}

TEST_CASE("monitor: the JSON line has nulls for what is unknown") {
  ClusterView v = run({{99, 50}});
  v.streams[0].bytes = -1;
  const std::string j = to_json(v);
  CHECK(j.find('\n') == std::string::npos);
  CHECK(j.find("\"cluster\":\"file:x\"") != std::string::npos);
  CHECK(j.find("\"msgs_per_s\":null") != std::string::npos);
  CHECK(j.find("\"bytes\":null") != std::string::npos);
  CHECK(j.find("\"status\":\"OK\"") != std::string::npos);
  CHECK(j.find("\"committed\":[50]") != std::string::npos);
}

TEST_CASE("monitor: human forms") {
  CHECK(human_count(std::nullopt) == "-");
  CHECK(human_count(12) == "12");
  CHECK(human_count(1500) == "1.5K");
  CHECK(human_count(2.5e6) == "2.5M");
  CHECK(human_duration(std::nullopt) == "-");
  CHECK(human_duration(3.25) == "3.2s");
  CHECK(human_duration(90) == "90s");
  CHECK(human_duration(600) == "10m");
  CHECK(human_duration(3 * 86400) == "3d");
}
