// relay-ws's Server-Sent Events framing (GET /sse; sluice-relay-ws(1)):
// pure functions, no I/O, so that the parts that read outside bytes (the
// Last-Event-ID header, the query) are fuzzed (tests/fuzz/fuzz_sse.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice::relay {

// Appends `data` as SSE data lines ("data: ...\n"): a line break inside it
// (\n, \r\n or \r) starts another `data:` line, which the client joins
// back with "\n".
void append_sse_data(std::string_view data, std::string& out);

// A position in an event id: the last seq delivered on one topic-shard, or
// the seq just before the first one due there (so -1 is possible).
struct SsePosition {
  std::string topic;
  int32_t shard = 0;
  int64_t seq = 0;
};

// Appends one position of an event id, TOPIC/SHARD/SEQ, with '%', ';', CR,
// LF and NUL in TOPIC percent-encoded (%25 %3B %0D %0A %00); '/' stays as
// it is (the last two fields are split off from the right).
void append_sse_position(std::string_view topic, int32_t shard, int64_t seq, std::string& out);

// Parses a Last-Event-ID: one or more positions separated by ';'
// (TOPIC/SHARD/SEQ each, as append_sse_position writes them; SHARD is
// decimal and not negative, SEQ decimal and at least -1). An id of the
// older form, one TOPIC/SHARD/SEQ with the topic as it is, parses the
// same unless the topic holds '%' or ';'. kInvalidArgument naming the
// entry and what is wrong with it.
Result<std::vector<SsePosition>> parse_last_event_id(std::string_view id);

// The query topics=A,B&from=FROM as a relay-ws subscribe message, for
// parse_client_message (sluice/relay_protocol.h) to check: FROM all digits
// or starting with '{' goes in as JSON, anything else as a string.
std::string sse_subscribe_message(std::string_view topics, std::string_view from);

}  // namespace sluice::relay
