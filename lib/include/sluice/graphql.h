// GraphQL subscriptions for relay-ws: the graphql-transport-ws messages
// (the protocol of the npm `graphql-ws` client) and a hand-written parser
// for the one subscription relay-ws serves (sluice-relay-ws(1)):
//
//   subscription [Name][($var: Type [= default], ...)] {
//     [alias:] stream(topic: T, from: F, where: W) { [alias:] FIELD ... }
//   }
//
// FIELD is any of topic shard seq ts key value, in any order; aliases are
// allowed, and the `next` payload keeps the selection's order and names.
// Argument values are string or integer literals, null (as if left out),
// or $variables taken from the subscribe message's "variables" (any JSON
// value there, so `from` may be a {"SHARD":SEQ} object). Everything else
// GraphQL has (fragments, spreads, directives, other root fields, several
// root fields, query and mutation operations, unknown arguments or
// fields, floats, lists, enums, block strings) is refused with an error
// that names it and its line:column in the query.
//
// Pure functions, no I/O; thread-safe (per-thread JSON parser scratch).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/relay_protocol.h"
#include "sluice/status.h"

namespace sluice::relay {

// One GraphQL error: a message and, when it comes from the query, where.
struct GraphqlError {
  std::string message;
  int line = 0;  // 1-based; 0: not from the query text
  int column = 0;
};

// A message from a graphql-transport-ws client.
struct GraphqlMessage {
  enum class Type { kConnectionInit, kPing, kPong, kSubscribe, kComplete };
  Type type = Type::kConnectionInit;
  std::string id;              // subscribe, complete
  std::string query;           // subscribe
  std::string variables;       // subscribe: a JSON object's text, or empty
  std::string operation_name;  // subscribe: empty when not given
  // connection_init: payload.token, or payload.Authorization (or
  // authorization) "Bearer TOKEN"; empty when there is none.
  std::string token;
};

// Parses one client message. On anything the protocol calls invalid (not
// JSON, no or unknown "type", a server-only type, no "id" where one is
// needed, a payload of the wrong shape) returns kInvalidArgument with the
// reason, which the server sends with close code 4400.
Result<GraphqlMessage> parse_graphql_message(std::string_view text);

// The six fields of a data frame, as a bit mask.
enum GraphqlField : unsigned {
  kFieldTopic = 1,
  kFieldShard = 2,
  kFieldSeq = 4,
  kFieldTs = 8,
  kFieldKey = 16,
  kFieldValue = 32,
};

// The subscription a query asks for.
struct GraphqlSubscription {
  std::string root_key = "stream";  // the root field's alias, or "stream"
  std::string topic;
  std::string from_json;             // the `from` value as JSON; empty: not given
  std::optional<std::string> where;  // the filter expression
  // The selection in order: response key (alias or name) and field.
  std::vector<std::pair<std::string, GraphqlField>> fields;
  unsigned mask = 0;  // the union of `fields`
  // Where the arguments are in the query (for errors found later).
  int from_line = 0, from_column = 0, where_line = 0, where_column = 0;
};

// Parses `query` with `variables_json` (a JSON object's text; empty: none)
// and `operation_name` (empty: the query must hold one operation). False
// with *err set when the query is outside the subset or invalid.
bool parse_graphql_subscription(std::string_view query, std::string_view variables_json,
                                std::string_view operation_name, GraphqlSubscription* out,
                                GraphqlError* err);

// The relay request for `sub` (its topic, from and where), checked as a
// relay-ws subscribe message is; false with *err (at the argument's place
// in the query) when `from` is not a start position the relay knows.
bool graphql_request(const GraphqlSubscription& sub, int64_t now_us, ClientRequest* out,
                     GraphqlError* err);

// Server messages.
// {"type":"connection_ack"} / {"type":"pong"}
std::string graphql_ack();
std::string graphql_pong();
// {"id":ID,"type":"next","payload":{"data":{ROOT:{...selected fields}}}}
// from a data frame's parts (`value_json` is its "value" JSON as is).
void append_graphql_next(std::string_view id, const GraphqlSubscription& sub,
                         std::string_view topic, int32_t shard, int64_t seq, int64_t ts_us,
                         const std::optional<std::string>& key, std::string_view value_json,
                         std::string& out);
// {"id":ID,"type":"next","payload":{"errors":[{"message":M,"extensions":{"code":C}}]}}:
// news about a live subscription that is not data (messages dropped).
std::string graphql_next_error(std::string_view id, std::string_view code,
                               std::string_view message);
// {"id":ID,"type":"error","payload":[{"message":M[,"locations":[{"line":L,"column":C}]],
//  "extensions":{"code":CODE}}]}: the operation failed and is over.
std::string graphql_error(std::string_view id, std::string_view code, const GraphqlError& e);

}  // namespace sluice::relay
