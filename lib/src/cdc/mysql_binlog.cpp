// The binlog transport (see mysql_binlog.h).
#include "cdc/mysql_binlog.h"

#include <errmsg.h>

#include <cstring>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_rows.h"

namespace sluice::mysql {

void BinlogStream::close() {
  if (ev_) {
    mariadb_free_rpl_event(ev_);
    ev_ = nullptr;
  }
  if (rpl_) {
    mariadb_rpl_close(rpl_);
    rpl_ = nullptr;
  }
  conn_.reset();
}

Status BinlogStream::open(MysqlClient& client, const std::string& file, uint64_t pos,
                          const std::string& gtid, uint32_t server_id, Millis heartbeat) {
  close();
  client_ = &client;
  start_ = file.empty() ? "GTID " + gtid : file + ":" + std::to_string(pos);
  SLUICE_RETURN_IF_ERROR(client.connect(&conn_));
  MYSQL* m = conn_.get();
  auto checksum = client.scalar(m, "SELECT @@global.binlog_checksum", "reading binlog_checksum");
  if (!checksum.ok()) return checksum.status();
  checksum_ = checksum->has_value() && **checksum != "NONE";
  const uint64_t period_ns = static_cast<uint64_t>(heartbeat.count()) * 1000000;
  SLUICE_RETURN_IF_ERROR(client.exec(m,
                                     "SET @master_binlog_checksum = @@global.binlog_checksum, "
                                     "@mariadb_slave_capability = 4, @master_heartbeat_period = " +
                                         std::to_string(period_ns),
                                     "setting the replica session variables"));
  if (file.empty()) {
    if (!client.mariadb())
      return Status::Config("mysql '" + client.server() +
                            "': resuming by GTID alone needs MariaDB: put file= and pos= lines "
                            "in the offsets file");
    SLUICE_RETURN_IF_ERROR(client.exec(m, "SET @slave_connect_state = " + quote_literal(gtid),
                                       "setting the GTID position " + gtid));
  }
  rpl_ = mariadb_rpl_init(m);
  if (!rpl_) return Status::Internal("mariadb_rpl_init failed");
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FILENAME, file.c_str(), file.size());
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_START, static_cast<unsigned long>(file.empty() ? 4 : pos));
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_SERVER_ID, server_id);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_FLAGS, 0);
  mariadb_rpl_optionsv(rpl_, MARIADB_RPL_VERIFY_CHECKSUM, 1);
  if (mariadb_rpl_open(rpl_) != 0) {
    return client.classify(
        m, "starting the binlog dump from " + start_ + " as replica " + std::to_string(server_id));
  }
  return Status::Ok();
}

unsigned BinlogStream::post_header_len(uint8_t type) const {
  if (type >= 1 && type - 1u < post_header_lens_.size())
    return static_cast<uint8_t>(post_header_lens_[type - 1u]);
  // Defaults of every binlog v4 server since MySQL 5.1 / MariaDB 5.x.
  if (type == kTableMapEvent) return 8;
  if ((type >= kWriteRowsV2 && type <= kDeleteRowsV2) || type == kPartialUpdateRows) return 10;
  return 8;
}

Status BinlogStream::next(RawEvent* out) {
  if (!rpl_) return Status::Unavailable("binlog stream is not open");
  MARIADB_RPL_EVENT* ev = mariadb_rpl_fetch(rpl_, ev_);
  if (!ev) {
    // On a failure Connector/C frees the event it was given (RPL_SAFEGUARD).
    ev_ = nullptr;
    MYSQL* m = conn_.get();
    const unsigned err = mysql_errno(m);
    std::string msg = mysql_error(m);
    if (msg.find("same server") != std::string::npos)  // MariaDB 1927, MySQL 1236
      return Status::Config("mysql '" + client_->server() + "': " + msg +
                            " (another replica uses this --server-id: choose another)");
    if (err == 1236) {  // ER_MASTER_FATAL_ERROR_READING_BINLOG
      return Status::Config("mysql '" + client_->server() + "': cannot read the binlog from " +
                            start_ + ": " + msg +
                            " (the position is gone, purged or never existed: run with "
                            "--snapshot when-needed to take a new snapshot and stream from it)");
    }
    if (err == 0 || err == CR_SERVER_LOST || err == CR_SERVER_GONE_ERROR ||
        err == CR_CONNECTION_ERROR || err == 1053 || err == 2013)
      return Status::Unavailable("mysql '" + client_->server() + "': lost the binlog connection" +
                                 (msg.empty() ? "" : ": " + msg));
    if (err == CR_BINLOG_ERROR || err == CR_BINLOG_INVALID_FILE || err == 5021)
      return Status::BadData("mysql '" + client_->server() + "': bad binlog event: " + msg);
    return client_->classify(m, "reading the binlog");
  }
  ev_ = ev;
  // raw_data holds the packet: the OK byte (and semi-sync bytes), then
  // the event with its 19-byte common header.
  std::string_view raw(reinterpret_cast<const char*>(ev->raw_data), ev->raw_data_size);
  if (ev->event_length <= raw.size()) raw = raw.substr(raw.size() - ev->event_length);
  if (raw.size() < 19) return Status::BadData("binlog event shorter than its header");
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  out->timestamp = static_cast<uint32_t>(le_uint(p, 4));
  out->type = p[4];
  out->server_id = static_cast<uint32_t>(le_uint(p + 5, 4));
  out->size = static_cast<uint32_t>(le_uint(p + 9, 4));
  out->next_pos = static_cast<uint32_t>(le_uint(p + 13, 4));
  out->flags = static_cast<uint16_t>(le_uint(p + 17, 2));
  size_t end = raw.size();
  if (out->size < end) end = out->size;
  // Every event carries the checksum once the server sends them (the
  // artificial first ROTATE and FORMAT_DESCRIPTION included).
  const bool has_crc = checksum_;
  if (has_crc && end >= 23) end -= 4;
  out->body = raw.substr(19, end - 19);
  if (out->type == kFormatDescriptionEvent && out->body.size() > 57) {
    // binlog version (2), server version (50), create time (4), header
    // length (1), then one post-header length per event type.
    post_header_lens_.assign(out->body.substr(57));
  }
  return Status::Ok();
}

}  // namespace sluice::mysql
