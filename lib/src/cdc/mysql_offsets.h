// Where cdc-mysql resumes: a binlog position (file:pos) and the GTID set
// as of the end of the last transaction the sink acknowledged, kept in the
// --offsets file, written atomically through Env (temp file, fsync,
// rename, fsync of the directory) so a crash leaves the old or the new
// position, never a torn one.
//
// The ChangeEmitter confirms 64-bit positions: PositionTable maps each
// committed transaction's id (increasing) to its BinlogPosition until the
// emitter confirms it.
//
// File format, one "key=value" per line (unknown keys are ignored):
//   file=binlog.000003
//   pos=1234
//   gtid=0-1-42            (MariaDB domain-server-seq per domain, or the
//                           last MySQL uuid:gno)
//   gtid_set=uuid:1-5:7    (MySQL: every GTID seen, see mysql_gtid_set.h)
// A run resumes from file:pos (the MySQL GTID set is kept, not used to
// resume: COM_BINLOG_DUMP_GTID is not implemented); a file with only a gtid= line resumes by
// MariaDB GTID (after a failover to a server with other binlog names).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "sluice/env.h"
#include "sluice/status.h"

namespace sluice::mysql {

struct BinlogPosition {
  std::string file;
  uint64_t pos = 0;
  std::string gtid;
  std::string gtid_set;  // MySQL GtidSet text, validated when read

  bool operator==(const BinlogPosition&) const = default;
};

std::string format_offsets(const BinlogPosition& p);
// kBadData naming the line for a file that is not ours.
Result<BinlogPosition> parse_offsets(std::string_view text, std::string_view path);
// nullopt when the file does not exist.
Result<std::optional<BinlogPosition>> load_offsets(Env* env, const std::string& path);
Status save_offsets(Env* env, const std::string& path, const BinlogPosition& p);

class PositionTable {
 public:
  // A new id for `p` (each greater than the last).
  uint64_t add(BinlogPosition p) {
    positions_.emplace_back(++last_id_, std::move(p));
    return last_id_;
  }
  // Drops every position up to id `confirmed` and returns the last of
  // them, or null when there was none.
  const BinlogPosition* confirm(uint64_t confirmed) {
    bool any = false;
    while (!positions_.empty() && positions_.front().first <= confirmed) {
      confirmed_ = std::move(positions_.front().second);
      positions_.pop_front();
      any = true;
    }
    return any ? &confirmed_ : nullptr;
  }
  size_t pending() const { return positions_.size(); }

 private:
  uint64_t last_id_ = 0;
  std::deque<std::pair<uint64_t, BinlogPosition>> positions_;
  BinlogPosition confirmed_;
};

}  // namespace sluice::mysql
