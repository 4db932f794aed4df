// MySQL 8 compressed transactions: the TRANSACTION_PAYLOAD_EVENT (type 40)
// body decoder. MySQL 8 cannot run here (Debian 12 has no MySQL server),
// so the events are built in the test from the layout in MySQL's
// libbinlogevents (binary_log::codecs::binary::Transaction_payload: fields
// OTW_PAYLOAD_HEADER_END_MARK 0, OTW_PAYLOAD_SIZE_FIELD 1,
// OTW_PAYLOAD_COMPRESSION_TYPE_FIELD 2, OTW_PAYLOAD_UNCOMPRESSED_SIZE_FIELD 3,
// each as (type, length, value) length-encoded integers; compression 0 =
// ZSTD, 255 = NONE) and the refman's "Binary Log Transaction Compression"
// (the inner events are ordinary binlog events, without checksums).
#include <doctest/doctest.h>
#include <zstd.h>

#include <string>

#include "cdc/mysql_payload.h"

using sluice::StatusCode;
using sluice::mysql::decode_transaction_payload;
using sluice::mysql::next_payload_event;
using sluice::mysql::RawEvent;

namespace {

// A binlog event: 19-byte header (timestamp, type, server id, size,
// log_pos, flags) and body, no checksum.
std::string event(uint8_t type, const std::string& body) {
  std::string e;
  auto le = [&](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) e.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  le(1700000000, 4);
  e.push_back(static_cast<char>(type));
  le(7, 4);
  le(19 + body.size(), 4);
  le(0, 4);
  le(0, 2);
  return e + body;
}

std::string lenenc(uint64_t v) {
  std::string s;
  if (v < 251) return std::string(1, static_cast<char>(v));
  s.push_back(static_cast<char>(0xfc));
  s.push_back(static_cast<char>(v & 0xff));
  s.push_back(static_cast<char>((v >> 8) & 0xff));
  return s;  // (values below 65536 here)
}

std::string field(uint64_t type, uint64_t value) {
  std::string v = lenenc(value);
  return lenenc(type) + lenenc(v.size()) + v;
}

std::string payload_event(const std::string& inner, int compression = 0) {
  std::string data = inner;
  if (compression == 0) {
    data.resize(ZSTD_compressBound(inner.size()));
    size_t n = ZSTD_compress(data.data(), data.size(), inner.data(), inner.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(n));
    data.resize(n);
  }
  return field(1, data.size()) + field(2, compression) + field(3, inner.size()) +
         std::string(1, '\0') + data;
}

const std::string kInner = event(2, std::string(13, 'q') + "BEGIN") +
                           event(30, std::string(300, 'r')) +
                           event(16, std::string("\x2a\0\0\0\0\0\0\0", 8));

}  // namespace

TEST_CASE("mysql TRANSACTION_PAYLOAD: zstd and uncompressed payloads give the inner events") {
  for (int compression : {0, 255}) {
    std::string out;
    REQUIRE(decode_transaction_payload(payload_event(kInner, compression), &out).ok());
    CHECK(out == kInner);
    std::string_view events = out;
    RawEvent ev;
    REQUIRE(next_payload_event(&events, 999, &ev).ok());
    CHECK(ev.type == 2);
    CHECK(ev.body == std::string(13, 'q') + "BEGIN");
    CHECK(ev.next_pos == 999);
    CHECK(ev.server_id == 7);
    REQUIRE(next_payload_event(&events, 999, &ev).ok());
    CHECK(ev.type == 30);
    CHECK(ev.body.size() == 300);
    REQUIRE(next_payload_event(&events, 999, &ev).ok());
    CHECK(ev.type == 16);
    CHECK(ev.body.size() == 8);
    CHECK(events.empty());
  }
}

TEST_CASE("mysql TRANSACTION_PAYLOAD: bad events are bad data saying what") {
  auto err = [](const std::string& body) {
    std::string out;
    auto st = decode_transaction_payload(body, &out);
    REQUIRE_FALSE(st.ok());
    CHECK(st.is(StatusCode::kBadData));
    return st.message();
  };
  const std::string good = payload_event(kInner);
  CHECK(err(good.substr(0, 3)).find("cut short") != std::string::npos);
  CHECK(err(good.substr(0, good.size() - 5)).find("payload size") != std::string::npos);
  CHECK(err(field(2, 7) + std::string(1, '\0')).find("compression type 7") != std::string::npos);
  CHECK(err(field(2, 0) + std::string(1, '\0') + "xx").find("no uncompressed size") !=
        std::string::npos);
  CHECK(err(field(2, 0) + field(3, 10) + std::string(1, '\0') + "not zstd").find("zstd") !=
        std::string::npos);
  // A header that claims more bytes than the frame holds.
  std::string lie = field(2, 0) + field(3, kInner.size() + 1) + std::string(1, '\0') +
                    good.substr(good.find(std::string("\x28\xb5\x2f\xfd", 4)));
  CHECK(err(lie).find("the header says") != std::string::npos);
  CHECK(err(field(2, 0) + lenenc(3) + lenenc(5) + std::string(5, '\xfe') + std::string(1, '\0'))
            .find("not one length-encoded integer") != std::string::npos);
  // Inner events cut short.
  std::string_view cut = std::string_view(kInner).substr(0, 40);
  RawEvent ev;
  REQUIRE(next_payload_event(&cut, 1, &ev).ok());
  CHECK(next_payload_event(&cut, 1, &ev).is(StatusCode::kBadData));
  std::string_view tiny = "short";
  CHECK(next_payload_event(&tiny, 1, &ev).is(StatusCode::kBadData));
}
