// Fuzz target: relay-ws's GraphQL subscription parser and the
// graphql-transport-ws client messages.
//
// 1. Any bytes as a client message never crash; a subscribe or complete
//    that parses has an id.
// 2. Any bytes as a query (before the first NUL; the rest as variables)
//    never crash. A refusal has a message and a place inside the query;
//    what parses names a topic and some fields, and its `next` frame is
//    one JSON object whose data holds exactly the selected keys.
// 3. The bytes as a string literal, and as a variable, come back as the
//    topic and the where expression unchanged (when they are UTF-8).
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_fail.h"
#include "sluice/envelope.h"
#include "sluice/graphql.h"

using namespace sluice;

namespace {

void check_next(const relay::GraphqlSubscription& sub, std::string_view input) {
  std::string frame;
  relay::append_graphql_next("1", sub, sub.topic, 0, 1, 0, std::string("k"), "{\"a\":1}", frame);
  simdjson::dom::parser p;
  simdjson::dom::element root;
  if (p.parse(frame).get(root) != simdjson::SUCCESS) fail("a next frame is not JSON", input);
  simdjson::dom::object data;
  if (root["payload"]["data"][sub.root_key].get_object().get(data) != simdjson::SUCCESS) {
    fail("a next frame has no data under its root key", input);
  }
  if (data.size() != sub.fields.size()) fail("a next frame's keys are not the selection", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  // 1.
  auto m = relay::parse_graphql_message(data);
  if (m.ok() && (m->type == relay::GraphqlMessage::Type::kSubscribe ||
                 m->type == relay::GraphqlMessage::Type::kComplete)) {
    if (m->id.empty()) fail("a subscribe or complete with no id", data);
  }
  if (!m.ok() && m.status().message().empty()) fail("a refused message with no reason", data);

  // 2.
  const size_t nul = data.find('\0');
  const std::string_view query = data.substr(0, nul);
  const std::string_view vars = nul == std::string_view::npos ? "" : data.substr(nul + 1);
  relay::GraphqlSubscription sub;
  relay::GraphqlError err;
  if (relay::parse_graphql_subscription(query, vars, "", &sub, &err)) {
    if (sub.topic.empty() || sub.fields.empty() || sub.mask == 0) fail("an empty parse", data);
    check_next(sub, data);
    relay::ClientRequest req;
    if (!relay::graphql_request(sub, 0, &req, &err) && err.message.empty()) {
      fail("a refused from with no reason", data);
    }
  } else {
    if (err.message.empty()) fail("a refusal with no message", data);
    if (err.line < 0 || err.column < 0 || (err.line > 0 && err.column < 1)) {
      fail("a refusal at no place", data);
    }
    int lines = 1;
    for (char c : query) lines += c == '\n' || c == '\r';
    if (err.line > lines) fail("a refusal past the last line", data);
  }

  // 3.
  if (!data.empty() && is_valid_utf8(data)) {
    std::string lit;
    append_json_string(data, lit);
    const std::string q =
        "subscription($w: String) { stream(topic: " + lit + ", where: $w) { seq value } }";
    const std::string v = "{\"w\":" + lit + "}";
    if (!relay::parse_graphql_subscription(q, v, "", &sub, &err)) {
      fail(("a string literal refused: " + err.message).c_str(), data);
    }
    if (sub.topic != data) fail("a string literal changed", data);
    if (!sub.where || *sub.where != data) fail("a variable changed", data);
    check_next(sub, data);
  }
  return 0;
}
