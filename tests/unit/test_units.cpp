#include <doctest/doctest.h>

#include <string>

#include "sluice/units.h"

using namespace sluice;

TEST_CASE("sizes") {
  CHECK(*parse_size("1048576") == 1048576);
  CHECK(*parse_size("0") == 0);
  CHECK(*parse_size("512k") == 512 * 1024);
  CHECK(*parse_size("512K") == 512 * 1024);
  CHECK(*parse_size("64M") == 64ll << 20);
  CHECK(*parse_size("1GiB") == 1ll << 30);
  CHECK(*parse_size("10GB") == 10ll << 30);
  CHECK(*parse_size("2T") == 2ll << 40);
  CHECK(*parse_size("100B") == 100);
  CHECK(*parse_size("1.5G") == 3ll << 29);
  CHECK(*parse_size("0.5k") == 512);
  CHECK(*parse_size("8388607T") == 8388607ll << 40);
}

TEST_CASE("size errors name the text") {
  CHECK(parse_size("").status().message().find("invalid size ''") == 0);
  CHECK(
      parse_size("12X").status().message() ==
      "invalid size '12X' (expected bytes or a number with K, M, G or T such as 512k, 64M, 1GiB)");
  CHECK(parse_size("M").status().message().find("invalid size 'M'") == 0);
  CHECK(parse_size("-1").status().message().find("invalid size '-1'") == 0);
  CHECK(parse_size("1GiBs").status().message().find("invalid size '1GiBs'") == 0);
  CHECK(parse_size("1 G").status().message().find("invalid size '1 G'") == 0);
  CHECK(parse_size("1.").status().message().find("invalid size '1.'") == 0);
  CHECK(parse_size("8388608T").status().message() == "size '8388608T' is too large");
  CHECK(parse_size("99999999999999999999").status().message() ==
        "size '99999999999999999999' is too large");
  CHECK(parse_size("1.5").status().message() == "size '1.5' is not a whole number of bytes");
}

TEST_CASE("durations") {
  CHECK(*parse_duration_ms("500ms") == 500);
  CHECK(*parse_duration_ms("30s") == 30000);
  CHECK(*parse_duration_ms("5m") == 300000);
  CHECK(*parse_duration_ms("2h") == 7200000);
  CHECK(*parse_duration_ms("7d") == 7 * 86400000ll);
  CHECK(*parse_duration_ms("1w") == 7 * 86400000ll);
  CHECK(*parse_duration_ms("1h30m") == 5400000);
  CHECK(*parse_duration_ms("1.5s") == 1500);
  CHECK(*parse_duration_ms("0s") == 0);
}

TEST_CASE("duration errors name the text") {
  CHECK(parse_duration_ms("30").status().message().find("duration '30' has no unit") == 0);
  CHECK(parse_duration_ms("5x").status().message().find(
            "invalid duration '5x' (expected a number with ms, s") == 0);
  CHECK(parse_duration_ms("").status().message().find("invalid duration ''") == 0);
  CHECK(parse_duration_ms("5M").status().message().find("invalid duration '5M'") == 0);
  CHECK(parse_duration_ms("s").status().message().find("invalid duration 's'") == 0);
  CHECK(parse_duration_ms("-5s").status().message().find("invalid duration '-5s'") == 0);
  CHECK(parse_duration_ms("9999999999999999999w").status().message().find("too large") !=
        std::string::npos);
}

TEST_CASE("retention") {
  using P = std::pair<int64_t, int64_t>;
  CHECK(*parse_retention("7d") == P{7 * 86400000ll, -1});
  CHECK(*parse_retention("10G") == P{-1, 10ll << 30});
  CHECK(*parse_retention("7d,10G") == P{7 * 86400000ll, 10ll << 30});
  CHECK(*parse_retention("10G,7d") == P{7 * 86400000ll, 10ll << 30});
  CHECK(*parse_retention("5m") == P{300000, -1});  // minutes, not MiB
  CHECK(*parse_retention("5M") == P{-1, 5ll << 20});
  CHECK(*parse_retention("1048576") == P{-1, 1048576});
}

TEST_CASE("retention errors") {
  CHECK(parse_retention("7d,8d").status().message() == "retention '7d,8d' gives the age twice");
  CHECK(parse_retention("1G,2G").status().message() == "retention '1G,2G' gives the size twice");
  CHECK(parse_retention("7d,lots").status().message() ==
        "invalid retention '7d,lots': 'lots' is neither an age (7d, 12h) nor a size (10G, 512M)");
  CHECK(parse_retention("7d,").status().message().find("'' is neither") != std::string::npos);
  CHECK(parse_retention("").status().message().find("invalid retention ''") == 0);
}
