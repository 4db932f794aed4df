// The message model shared by every backend and tool.
//
// A message is identified by (stream, shard, seq): stream name, shard
// (Kafka partition; 0 for a redis stream), and sequence number (offset
// or entry id). It has a timestamp in microseconds since the Unix epoch, an
// optional key, ordered header pairs (duplicates allowed) and an optional
// payload (absent = a tombstone, Kafka's null value). Keys, header values and
// payloads are arbitrary bytes. A backend whose entries have a native id
// other than a number (Redis: "1795747979255-0") also gives that id; seq is
// then a mapping of it.
//
// Message is a *view*: every string_view and the header span point into
// storage owned by whoever produced the view (a consumer's batch buffer, an
// input reader's buffer). The owner documents how long they stay valid;
// copy into OwnedMessage to keep one longer. Views make the hot paths free of
// per-message allocation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

struct Header {
  std::string_view name;
  std::string_view value;
};

struct Message {
  std::string_view stream;  // empty on produce = the URI's (first) stream
  int32_t shard = -1;       // -1 on produce = let the backend choose
  int64_t seq = -1;         // assigned by the backend; ignored on produce
  std::string_view id;      // native entry id (redis "MS-N"); empty when
                            // seq is the backend's own position
  int64_t ts_us = 0;        // 0 on produce = now
  std::optional<std::string_view> key;
  std::span<const Header> headers;
  std::optional<std::string_view> payload;  // nullopt = tombstone
};

// An owning copy of a Message, for the rare places that must keep one
// (tests, dead-letter queues, retries). Not for hot paths.
class OwnedMessage {
 public:
  OwnedMessage() = default;
  explicit OwnedMessage(const Message& m);
  OwnedMessage(const OwnedMessage& other);
  OwnedMessage& operator=(const OwnedMessage& other);
  OwnedMessage(OwnedMessage&&) noexcept;
  OwnedMessage& operator=(OwnedMessage&&) noexcept;

  // A view into this object; valid until it is modified or destroyed.
  const Message& view() const { return view_; }

  std::string stream;
  int32_t shard = -1;
  int64_t seq = -1;
  std::string id;
  int64_t ts_us = 0;
  std::optional<std::string> key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> payload;

  // Re-points view() at the fields above; call after editing them directly.
  void refresh();

 private:
  std::vector<Header> header_views_;
  Message view_;
};

// Microseconds since the Unix epoch, from the real-time clock.
int64_t now_us();

}  // namespace sluice
