// MySQL GTID sets (cdc/mysql_gtid_set.h) and their gtid_set= line in the
// cdc-mysql offsets file. The text form is MySQL's gtid_executed one
// ("uuid:1-5:7-9,uuid2:1-3"), as in the MySQL reference manual, "GTID
// Format and Storage" (GTID sets).
#include <doctest/doctest.h>

#include <string>

#include "cdc/mysql_gtid_set.h"
#include "cdc/mysql_offsets.h"

using sluice::StatusCode;
using sluice::mysql::BinlogPosition;
using sluice::mysql::GtidSet;

namespace {
const std::string kA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const std::string kB = "8a94f357-aab4-11df-86ab-c80aa9429563";
}  // namespace

TEST_CASE("mysql GTID set: add merges adjacent and out-of-order numbers") {
  GtidSet s;
  CHECK(s.empty());
  CHECK(s.format() == "");
  s.add(kA, 1);
  s.add(kA, 2);
  s.add(kA, 3);
  CHECK(s.format() == kA + ":1-3");
  s.add(kA, 7);
  s.add(kA, 5);
  CHECK(s.format() == kA + ":1-3:5:7");
  s.add(kA, 6);  // joins 5 and 7
  CHECK(s.format() == kA + ":1-3:5-7");
  s.add(kA, 4);  // joins everything
  CHECK(s.format() == kA + ":1-7");
  s.add(kA, 3);  // already there
  CHECK(s.format() == kA + ":1-7");
  s.add(kB, 10);
  s.add(kA, 9);
  CHECK(s.format() == kA + ":1-7:9," + kB + ":10");
  CHECK(s.contains(kA, 6));
  CHECK_FALSE(s.contains(kA, 8));
  CHECK_FALSE(s.contains(kB, 9));
  s.add(kB, 0);  // not a gno: ignored
  CHECK(s.format() == kA + ":1-7:9," + kB + ":10");
}

TEST_CASE("mysql GTID set: parse and format") {
  auto s = GtidSet::parse(kA + ":1-5:7-9," + kB + ":1-3");
  REQUIRE(s.ok());
  CHECK(s->format() == kA + ":1-5:7-9," + kB + ":1-3");
  // As SHOW MASTER STATUS prints it: newline after the comma, upper case,
  // overlapping and unsorted intervals, "N-N".
  auto m = GtidSet::parse(kB + ":3-3:1-2,\n" + "3E11FA47-71CA-11E1-9E33-C80AA9429562:7-9:2-8");
  REQUIRE(m.ok());
  CHECK(m->format() == kA + ":2-9," + kB + ":1-3");
  auto empty = GtidSet::parse("");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
  auto big = GtidSet::parse(kA + ":9223372036854775807");
  REQUIRE(big.ok());
  CHECK(big->format() == kA + ":9223372036854775807");
}

TEST_CASE("mysql GTID set: bad text names the offset") {
  auto err = [](const std::string& text) {
    auto r = GtidSet::parse(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().is(StatusCode::kBadData));
    return r.status().message();
  };
  CHECK(err("nonsense").find("offset 0") != std::string::npos);
  CHECK(err(kA).find("offset 36") != std::string::npos);          // no ':'
  CHECK(err(kA + ":").find("offset 37") != std::string::npos);    // no number
  CHECK(err(kA + ":1-").find("offset 39") != std::string::npos);  // no last
  CHECK(err(kA + ":1x").find("offset 38") != std::string::npos);  // junk
  CHECK(err(kA + ":5-3").find("empty interval") != std::string::npos);
  CHECK(err(kA + ":0").find("number 0") != std::string::npos);
  CHECK(err(kA + ":9223372036854775808").find("2^63") != std::string::npos);
  CHECK(err(kA + ":1,").find("offset 39") != std::string::npos);  // nothing after ','
  CHECK(err("3e11fa47x71ca-11e1-9e33-c80aa9429562:1").find("not a uuid") != std::string::npos);
}

TEST_CASE("mysql offsets: gtid_set= line round-trips and a bad one names the file") {
  BinlogPosition p{"binlog.000002", 1234, kA + ":7", kA + ":1-7," + kB + ":1"};
  auto text = sluice::mysql::format_offsets(p);
  CHECK(text.find("gtid_set=" + kA + ":1-7," + kB + ":1\n") != std::string::npos);
  auto back = sluice::mysql::parse_offsets(text, "o");
  REQUIRE(back.ok());
  CHECK(*back == p);
  auto bad = sluice::mysql::parse_offsets("file=b.1\npos=4\ngtid_set=" + kA + ":x\n", "/tmp/offs");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().is(StatusCode::kBadData));
  CHECK(bad.status().message().find("/tmp/offs") != std::string::npos);
  CHECK(bad.status().message().find("line 3") != std::string::npos);
  CHECK(bad.status().message().find("offset 37") != std::string::npos);
}
