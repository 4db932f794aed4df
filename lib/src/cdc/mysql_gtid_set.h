// A MySQL GTID set: for each source uuid, the sorted, merged, closed
// intervals of transaction numbers (gno) executed. cdc-mysql keeps it in
// the offsets file (gtid_set=) beside file:pos, updated from every MySQL
// GTID event it decodes. Text form as MySQL prints it (gtid_executed):
//   3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7-9,uuid2:1-3
// (uuids lower-cased, sorted; a single gno is written "7", not "7-7").
// Not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/status.h"

namespace sluice::mysql {

class GtidSet {
 public:
  using Interval = std::pair<uint64_t, uint64_t>;               // [first, last]
  static constexpr uint64_t kMaxGno = (uint64_t{1} << 63) - 1;  // MySQL's limit

  // kBadData naming the byte offset of the first bad character.
  static Result<GtidSet> parse(std::string_view text);
  std::string format() const;

  // Adds one gno of `uuid` (36-char lower-case text form); a gno outside
  // 1..kMaxGno is ignored (the caller rejects it).
  void add(const std::string& uuid, uint64_t gno);
  bool contains(const std::string& uuid, uint64_t gno) const;
  bool empty() const { return sets_.empty(); }
  const std::map<std::string, std::vector<Interval>>& sets() const { return sets_; }

 private:
  void add_interval(const std::string& uuid, Interval iv);
  std::map<std::string, std::vector<Interval>> sets_;
};

}  // namespace sluice::mysql
