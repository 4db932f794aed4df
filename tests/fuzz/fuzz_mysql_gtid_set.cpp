// Fuzz target: the MySQL GTID set text of the cdc-mysql offsets file
// (gtid_set=) and of SHOW MASTER STATUS. A set parsed without error must
// format to text that parses back to the same text (sorted, merged).
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cdc/mysql_gtid_set.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(bytes), size);
  auto set = mysql::GtidSet::parse(text);
  if (!set.ok()) return 0;
  const std::string once = set->format();
  auto again = mysql::GtidSet::parse(once);
  if (!again.ok() || again->format() != once) {
    std::fprintf(stderr, "fuzz_mysql_gtid_set: '%s' does not round-trip\n", once.c_str());
    std::abort();
  }
  return 0;
}
