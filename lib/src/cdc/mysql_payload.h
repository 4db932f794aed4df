// MySQL 8 compressed transactions (binlog_transaction_compression=ON): a
// TRANSACTION_PAYLOAD_EVENT (type 40) holds a whole transaction's events
// (QUERY BEGIN, TABLE_MAP, row events, XID), each with its 19-byte header
// and without a checksum, compressed with zstd (or not compressed).
//
// Body layout (MySQL libbinlogevents, binary_log::codecs::binary::
// Transaction_payload; the refman's "Binary Log Transaction Compression"):
// fields of (type, length, value), each a length-encoded integer, value
// being `length` bytes holding a length-encoded integer; types 1 = payload
// size, 2 = compression type (0 zstd, 255 none), 3 = uncompressed size;
// type 0 (alone, no length) ends the header, and the payload bytes follow.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cdc/mysql_binlog.h"
#include "sluice/status.h"

namespace sluice::mysql {

// Inflating more than this is refused as bad data (a zstd bomb, or a
// transaction too large to hold: cdc-mysql holds a payload whole).
inline constexpr uint64_t kMaxPayloadBytes = uint64_t{1} << 30;

// The inner events of the payload event body `body`, into `*out`.
// kBadData naming what is wrong.
Status decode_transaction_payload(std::string_view body, std::string* out);

// Takes the next inner event off the front of `*events` into `*ev` (its
// body points into `*events`); `next_pos` is the position after the outer
// event, the position every inner event reports. kBadData when cut short.
Status next_payload_event(std::string_view* events, uint32_t next_pos, RawEvent* ev);

}  // namespace sluice::mysql
