// The binlog transport: one replica connection that asks the server for
// its binlog from a file:pos (COM_BINLOG_DUMP through Connector/C's
// mariadb_rpl_open/mariadb_rpl_fetch), after setting the session
// variables a primary expects of a replica: @master_binlog_checksum (the
// server's own algorithm, so events carry CRC32 checksums that Connector/C
// verifies), @mariadb_slave_capability=4 (MariaDB GTID events) and
// @master_heartbeat_period (heartbeats when idle, so the loop wakes up).
// Events come back raw: cdc-mysql decodes TABLE_MAP and rows itself.
// Not thread-safe.
#pragma once

#include <mysql.h>
// mariadb_rpl.h needs mysql.h first.
#include <mariadb_rpl.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/mysql_conn.h"
#include "sluice/status.h"

namespace sluice::mysql {

// One event as the server sent it.
struct RawEvent {
  uint8_t type = 0;
  uint32_t timestamp = 0;  // seconds since the epoch
  uint32_t server_id = 0;
  uint32_t size = 0;      // the whole event, header and checksum included
  uint32_t next_pos = 0;  // the position after it in its binlog file (0: artificial)
  uint16_t flags = 0;
  std::string_view body;  // after the 19-byte header, without the checksum
};

class BinlogStream {
 public:
  BinlogStream() = default;
  ~BinlogStream() { close(); }
  BinlogStream(const BinlogStream&) = delete;
  BinlogStream& operator=(const BinlogStream&) = delete;

  // Connects and starts the dump from `file`:`pos` as replica `server_id`;
  // with an empty `file`, from the MariaDB GTID position `gtid` (after the
  // transactions it names).
  Status open(MysqlClient& client, const std::string& file, uint64_t pos, const std::string& gtid,
              uint32_t server_id, Millis heartbeat);
  // The next event (blocks until one, or a heartbeat, comes). kUnavailable
  // when the connection is lost; other codes for what the server refused
  // (a purged file, a duplicate server id, a missing privilege).
  Status next(RawEvent* ev);
  void close();
  // From the last FORMAT_DESCRIPTION event.
  unsigned post_header_len(uint8_t type) const;

 private:
  MysqlClient* client_ = nullptr;
  MysqlPtr conn_;
  MARIADB_RPL* rpl_ = nullptr;
  MARIADB_RPL_EVENT* ev_ = nullptr;
  bool checksum_ = false;
  std::string post_header_lens_;
  std::string start_;  // file:pos, for messages
};

}  // namespace sluice::mysql
