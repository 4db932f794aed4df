// relay-ws's Server-Sent Events framing (GET /sse; sluice-relay-ws(1)):
// pure functions, no I/O, so that the parts that read outside bytes (the
// Last-Event-ID header, the query) are fuzzed (tests/fuzz/fuzz_sse.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::relay {

// Appends `data` as SSE data lines ("data: ...\n"): a line break inside it
// (\n, \r\n or \r) starts another `data:` line, which the client joins
// back with "\n".
void append_sse_data(std::string_view data, std::string& out);

// Appends "id: TOPIC/SHARD/SEQ\n" (a line break in TOPIC becomes '?').
void append_sse_id(std::string_view topic, int32_t shard, int64_t seq, std::string& out);

// Parses a Last-Event-ID, TOPIC/SHARD/SEQ (TOPIC may hold '/': the last
// two fields are split off; SHARD and SEQ are decimal, not negative).
bool parse_last_event_id(std::string_view id, std::string* topic, int32_t* shard, int64_t* seq);

// The query topics=A,B&from=FROM as a relay-ws subscribe message, for
// parse_client_message (sluice/relay_protocol.h) to check: FROM all digits
// or starting with '{' goes in as JSON, anything else as a string.
std::string sse_subscribe_message(std::string_view topics, std::string_view from);

}  // namespace sluice::relay
