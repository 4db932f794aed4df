// The relay-ws client protocol (DESIGN.md section 4): what a WebSocket
// client sends (JSON text frames) and the frames the server sends back.
//
// Client messages:
//   {"action":"subscribe","topics":["prices"],"from":FROM,"where":"EXPR"}
//   {"action":"unsubscribe","topics":["prices"]}
//   {"action":"auth","token":"JWT"}          (first message, when no token
//                                             came with the upgrade)
// FROM is "end" (the default), "beginning", a number SEQ (delivery starts
// at that seq, inclusive, on every shard), "@TIME" (RFC 3339 or a relative
// age such as 5m), or an object {"SHARD":SEQ,...} (per shard; a shard it
// does not name starts at the smallest of its seqs).
//
// Server frames: data frames are exactly
//   {"topic":T,"shard":S,"seq":N,"ts":"RFC 3339","key":K,"value":V}
// where V is the payload itself when it is one JSON value (as the envelope
// embeds it), a JSON string when it is UTF-8 text, {"b64":"..."} otherwise,
// and null for a tombstone; K follows the same rule for text and binary.
// Every other frame has a "type" field and no "topic".
//
// Pure functions, no I/O; thread-safe (the parser keeps per-thread scratch).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/backend.h"
#include "sluice/message.h"
#include "sluice/status.h"

namespace sluice::relay {

struct From {
  enum class Kind { kEnd, kBeginning, kSeq, kShards, kTime };
  Kind kind = Kind::kEnd;
  int64_t value = 0;                                // kSeq: the seq; kTime: microseconds
  std::vector<std::pair<int32_t, int64_t>> shards;  // kShards: shard -> first seq
};

struct ClientRequest {
  enum class Action { kSubscribe, kUnsubscribe, kAuth };
  Action action = Action::kSubscribe;
  std::vector<std::string> topics;
  From from;
  std::optional<std::string> where;  // subscribe: the filter expression
  std::string token;                 // auth
};

// Parses one client message. On bad input returns kInvalidArgument whose
// message names the field ("field 'from': expected ..."); `now_us` anchors
// relative times in "@5m".
Result<ClientRequest> parse_client_message(std::string_view text, int64_t now_us);

// Appends the data frame of `m` on `topic`. Sets *value_off / *value_len
// (optional) to where the "value" JSON sits inside `out`, so a filter can
// read the value without a copy.
void append_data_frame(std::string_view topic, const Message& m, std::string& out,
                       size_t* value_off = nullptr, size_t* value_len = nullptr);

// Appends `key` as the key of a data frame (see above).
void append_frame_key(std::optional<std::string_view> key, std::string& out);

// Appends `bytes` as the value of a data frame (see above).
void append_frame_value(std::optional<std::string_view> bytes, std::string& out);

// {"type":"error","error":{"code":CODE,"message":MESSAGE[,"line":L,"column":C]}}
// line/column <= 0 are left out.
void append_error_frame(std::string_view code, std::string_view message, std::string& out,
                        int line = 0, int column = 0);

// Splits "LINE:COLUMN: what" (the filter's error text) into its parts;
// false when `text` does not start that way.
bool split_position(std::string_view text, int* line, int* column, std::string_view* rest);

}  // namespace sluice::relay
