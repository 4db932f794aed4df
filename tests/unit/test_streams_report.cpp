// The streams tool's output shapes: JSON lines with nulls where a backend
// does not know, aligned tables, compact ages.

#include <doctest/doctest.h>

#include "sluice/streams_report.h"

using namespace sluice;

namespace {

StreamInfo two_shards() {
  StreamInfo s;
  s.name = "orders";
  ShardInfo a;
  a.shard = 0;
  a.first_seq = 0;
  a.last_seq = 9;
  a.first_ts_us = 1'000'000;
  a.last_ts_us = 2'000'000;
  ShardInfo b;
  b.shard = 1;  // empty
  s.shards = {a, b};
  s.messages = 10;
  s.bytes = 2048;
  s.retention_ms = 7 * 86'400'000ll;
  GroupInfo g;
  g.name = "billing";
  g.committed = {4, -1};
  g.lag = 5;
  g.members = {MemberInfo{"m-1"}};
  s.groups = {g};
  return s;
}

}  // namespace

TEST_CASE("streams report: ls --json line, with null for what is unknown") {
  CHECK(stream_json_line(two_shards()) ==
        "{\"name\":\"orders\",\"shards\":2,\"records\":10,\"bytes\":2048,\"first_seq\":0,"
        "\"last_seq\":9,\"first_ts\":\"1970-01-01T00:00:01.000000Z\",\"last_ts\":"
        "\"1970-01-01T00:00:02.000000Z\",\"retention\":{\"age_s\":604800,\"bytes\":null}}\n");
  StreamInfo empty;
  empty.name = "a\"b";
  empty.shards.resize(1);
  CHECK(stream_json_line(empty) ==
        "{\"name\":\"a\\\"b\",\"shards\":1,\"records\":0,\"bytes\":null,\"first_seq\":-1,"
        "\"last_seq\":-1,\"first_ts\":null,\"last_ts\":null,\"retention\":{\"age_s\":null,"
        "\"bytes\":null}}\n");
}

TEST_CASE("streams report: groups, tables and ages") {
  CHECK(groups_json({two_shards()}) ==
        "{\"stream\":\"orders\",\"group\":\"billing\",\"lag\":5,\"committed\":[4,-1],"
        "\"members\":[\"m-1\"]}\n");
  CHECK(groups_table({two_shards()}) ==
        "STREAM  GROUP    LAG  COMMITTED  MEMBERS\n"
        "orders  billing  5    4,-        1\n");
  std::string t = streams_table({two_shards()}, 62'000'000);
  CHECK(t ==
        "NAME    SHARDS  RECORDS  SIZE  LAST-SEQ  AGE  RETENTION  GROUPS\n"
        "orders  2       10       2.0K  9         1m   7d         1\n");
  std::string d = stream_details(two_shards(), 62'000'000);
  CHECK(d.find("billing  1      -          0\n") != std::string::npos);
  CHECK(d.find("billing  0      4          6\n") != std::string::npos);
  CHECK(d.find("group billing: lag 5, 1 live member(s): m-1\n") != std::string::npos);
  CHECK(format_age_us(59'000'000) == "59s");
  CHECK(format_age_us(3 * 3'600'000'000ll) == "3h");
  CHECK(format_age_us(-1) == "-");
}

TEST_CASE("streams report: config line, none and unknown retention") {
  StreamInfo s = two_shards();
  CHECK(stream_config_line(s) == "orders: retention 7d\n");
  s.retention_bytes = 10ll << 30;
  CHECK(stream_config_line(s) == "orders: retention 7d,10G\n");
  s.retention_ms = -1;
  s.retention_bytes = -1;
  CHECK(stream_config_line(s) == "orders: retention none\n");
  s.retention_known = false;  // kafka: not told
  CHECK(stream_config_line(s) == "orders: retention unknown\n");
  CHECK(streams_table({s}, 62'000'000).find("  ?  ") != std::string::npos);
}

TEST_CASE("streams report: shard sizes, times a backend did not tell, colour") {
  StreamInfo s = two_shards();
  s.shards[0].bytes = 2048;
  std::string d = stream_details(s, 62'000'000);
  CHECK(d.find("0      0          9         1970-01-01T00:00:01.000000Z  "
               "1970-01-01T00:00:02.000000Z  1m   2.0K\n") != std::string::npos);
  CHECK(d.find("1      -          -         -                            "
               "-                            -    -\n") != std::string::npos);
  // kafka before its records are read: seqs known, times not (0).
  s.shards[0].first_ts_us = s.shards[0].last_ts_us = 0;
  s.shards[0].bytes = -1;
  d = stream_details(s, 62'000'000);
  CHECK(d.find("0      0          9         ?           ?          ?    -\n") != std::string::npos);
  CHECK(stream_json_line(s).find("\"first_ts\":null,\"last_ts\":null") != std::string::npos);
  CHECK(streams_table({s}, 62'000'000).find("  9         ?    7d") != std::string::npos);
  s.groups[0].members = {MemberInfo{"c1", 4, 90'000}, MemberInfo{"c2", 0, 0}};
  CHECK(stream_details(s, 62'000'000)
            .find("group billing: lag 5, 2 live member(s): c1 (pending 4, idle 1m) c2 (pending "
                  "0, idle 0s)\n") != std::string::npos);
  const std::string c = groups_table({two_shards()}, true);
  CHECK(c ==
        "\033[1mSTREAM  GROUP    LAG  COMMITTED  MEMBERS\033[0m\n"
        "orders  billing  \033[33m5\033[0m    4,-        1\n");
}
