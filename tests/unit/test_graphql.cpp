// relay-ws's GraphQL subset parser and graphql-transport-ws messages.
#include <doctest/doctest.h>

#include <string>

#include "sluice/graphql.h"

using namespace sluice;
using relay::GraphqlError;
using relay::GraphqlMessage;
using relay::GraphqlSubscription;

namespace {

const int64_t kNow = 1'800'000'000'000'000;  // microseconds

GraphqlSubscription parse(std::string_view query, std::string_view vars = "",
                          std::string_view op = "") {
  GraphqlSubscription sub;
  GraphqlError err;
  const bool ok = relay::parse_graphql_subscription(query, vars, op, &sub, &err);
  REQUIRE_MESSAGE(ok, err.message);
  return sub;
}

// "LINE:COLUMN: message" of a refused query.
std::string refusal(std::string_view query, std::string_view vars = "") {
  GraphqlSubscription sub;
  GraphqlError err;
  REQUIRE(!relay::parse_graphql_subscription(query, vars, "", &sub, &err));
  return std::to_string(err.line) + ":" + std::to_string(err.column) + ": " + err.message;
}

std::string keys(const GraphqlSubscription& s) {
  std::string out;
  for (auto& [k, f] : s.fields) out += (out.empty() ? "" : " ") + k;
  return out;
}

}  // namespace

TEST_CASE("graphql: the documented subscription") {
  auto s = parse(R"(subscription { stream(topic: "prices", from: "beginning",
                     where: "after.category == \"AI\"") { topic shard seq ts key value } })");
  CHECK(s.root_key == "stream");
  CHECK(s.topic == "prices");
  CHECK(s.from_json == R"("beginning")");
  REQUIRE(s.where);
  CHECK(*s.where == R"(after.category == "AI")");
  CHECK(keys(s) == "topic shard seq ts key value");
  CHECK(s.mask == 63);
  CHECK(s.where_line == 2);
}

TEST_CASE("graphql: a subset of the fields, in the selection's order, with aliases") {
  auto s = parse("subscription Prices { s: stream(topic: \"p\") { v: value seq seq } }");
  CHECK(s.root_key == "s");
  CHECK(keys(s) == "v seq");
  CHECK(s.mask == (relay::kFieldValue | relay::kFieldSeq));
  CHECK(s.from_json.empty());
  CHECK(!s.where);
}

TEST_CASE("graphql: variables, defaults, integer and null arguments") {
  auto s = parse(
      "subscription($t: String!, $f: String = \"end\", $w: String) "
      "{ stream(topic: $t, from: $f, where: $w) { seq } }",
      R"({"t":"news","w":"key == \"a\""})");
  CHECK(s.topic == "news");
  CHECK(s.from_json == R"("end")");
  CHECK(*s.where == R"(key == "a")");
  s = parse("subscription($f: JSON) { stream(topic: \"t\", from: $f) { seq } }",
            R"({"f":{"0":5,"1":7}})");
  CHECK(s.from_json == R"({"0":5,"1":7})");
  s = parse("subscription { stream(topic: \"t\", from: 42, where: null) { seq } }");
  CHECK(s.from_json == "42");
  CHECK(!s.where);
  s = parse(R"(subscription { stream(topic: "caf\u00e9 \ud83d\ude00") { seq } })");
  CHECK(s.topic == "caf\xc3\xa9 \xf0\x9f\x98\x80");
  s = parse("# a comment\n\xEF\xBB\xBFsubscription A { stream(topic: \"t\") { seq } }", "", "A");
  CHECK(s.topic == "t");
}

TEST_CASE("graphql: what is outside the subset is named, with its line and column") {
  CHECK(refusal("query { stream(topic: \"t\") { seq } }") ==
        "1:1: query operations are not supported: only 'subscription'");
  CHECK(refusal("{ stream(topic: \"t\") { seq } }") ==
        "1:1: query operations are not supported: only 'subscription'");
  CHECK(refusal("mutation { x }") ==
        "1:1: mutation operations are not supported: only 'subscription'");
  CHECK(refusal("fragment F on Stream { seq }") == "1:1: fragments are not supported");
  CHECK(refusal("subscription { stream(topic: \"t\") { ...F } }\nfragment F on S { seq }") ==
        "1:37: fragment spreads and inline fragments are not supported (in 'stream')");
  CHECK(refusal("subscription {\n  prices(topic: \"t\") { seq }\n}") ==
        "2:3: unknown root field 'prices': the only one is 'stream'");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq } stream(topic: \"u\") { seq } }") ==
        "1:43: several root fields are not supported: one 'stream' per subscription");
  CHECK(refusal("subscription { stream(topic: \"t\", limit: 5) { seq } }") ==
        "1:35: unknown argument 'limit' on 'stream': expected topic, from or where");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq offset } }") ==
        "1:41: unknown field 'offset' on 'stream': expected topic, shard, seq, ts, key or value");
  CHECK(refusal("subscription { stream(topic: \"t\") @live { seq } }") ==
        "1:35: directives are not supported (on 'stream')");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq @skip(if: true) } }") ==
        "1:41: directives are not supported (on a field)");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq } }\nsubscription { x }") ==
        "2:1: several operations are not supported: one subscription per query");
  CHECK(refusal("subscription { stream(topic: \"t\") { value { a } } }") ==
        "1:43: field 'value' is a scalar: it has no selection");
}

TEST_CASE("graphql: bad values and syntax") {
  CHECK(refusal("subscription { stream(topic: 5) { seq } }") ==
        "1:30: argument 'topic' must be a string");
  CHECK(refusal("subscription { stream(topic: \"t\", from: 1.5) { seq } }") ==
        "1:41: floats are not supported as arguments: 1.5");
  CHECK(refusal("subscription { stream(topic: \"t\", from: [1]) { seq } }") ==
        "1:41: lists are not supported as arguments");
  CHECK(refusal("subscription { stream(topic: \"t\", from: BEGINNING) { seq } }") ==
        "1:41: enum values are not supported as arguments: 'BEGINNING'");
  CHECK(refusal("subscription { stream(topic: $t) { seq } }") ==
        "1:31: variable '$t' is not declared");
  CHECK(refusal("subscription($t: String!) { stream(topic: $t) { seq } }") ==
        "1:18: variable '$t' is non-null but has no value in \"variables\"");
  CHECK(refusal("subscription { stream(topic: \"t) { seq } }") == "1:30: unterminated string");
  CHECK(refusal("subscription { stream(topic: \"\"\"t\"\"\") { seq } }") ==
        "1:30: block strings (\"\"\") are not supported: use a \"string\"");
  CHECK(refusal("subscription { stream(topic: \"t\") }") ==
        "1:35: 'stream' needs a selection of its fields (topic shard seq ts key value)");
  CHECK(refusal("subscription { stream { seq } }") == "1:16: 'stream' needs a topic argument");
  CHECK(refusal("subscription { stream(topic: \"t\", topic: \"u\") { seq } }") ==
        "1:35: argument 'topic' given twice");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq }") ==
        "1:42: expected a field, found the end of the query");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq } } ?") ==
        "1:45: unexpected character '?'");
  CHECK(refusal("") == "1:1: the query is empty");
  CHECK(refusal("subscription { stream(topic: \"t\") { seq } }", "[1]") ==
        "0:0: \"variables\" is not a JSON object");
}

TEST_CASE("graphql: from is checked as the relay checks it") {
  relay::ClientRequest req;
  GraphqlError err;
  auto s = parse("subscription { stream(topic: \"t\", from: 7) { seq } }");
  REQUIRE(relay::graphql_request(s, kNow, &req, &err));
  CHECK(req.topics == std::vector<std::string>{"t"});
  CHECK(req.from.kind == relay::From::Kind::kSeq);
  CHECK(req.from.value == 7);
  s = parse("subscription {\n stream(topic: \"t\", from: \"soon\") { seq } }");
  REQUIRE(!relay::graphql_request(s, kNow, &req, &err));
  CHECK(err.line == 2);
  CHECK(err.column == 27);
  CHECK(err.message.rfind("argument 'from': expected \"end\"", 0) == 0);
}

TEST_CASE("graphql-transport-ws: client messages") {
  auto m = relay::parse_graphql_message(R"({"type":"connection_init","payload":{"token":"abc"}})");
  REQUIRE(m.ok());
  CHECK(m->type == GraphqlMessage::Type::kConnectionInit);
  CHECK(m->token == "abc");
  m = relay::parse_graphql_message(
      R"({"type":"connection_init","payload":{"Authorization":"Bearer xyz"}})");
  REQUIRE(m.ok());
  CHECK(m->token == "xyz");
  m = relay::parse_graphql_message(R"({"type":"connection_init"})");
  REQUIRE(m.ok());
  CHECK(m->token.empty());
  m = relay::parse_graphql_message(
      R"({"id":"1","type":"subscribe","payload":{"query":"q","variables":{"a": 1},"operationName":null}})");
  REQUIRE(m.ok());
  CHECK(m->type == GraphqlMessage::Type::kSubscribe);
  CHECK(m->id == "1");
  CHECK(m->query == "q");
  CHECK(m->variables == R"({"a":1})");
  m = relay::parse_graphql_message(R"({"id":"1","type":"complete"})");
  REQUIRE(m.ok());
  CHECK(m->type == GraphqlMessage::Type::kComplete);
  CHECK(relay::parse_graphql_message(R"({"type":"ping"})")->type == GraphqlMessage::Type::kPing);

  auto bad = [](std::string_view text) {
    auto r = relay::parse_graphql_message(text);
    REQUIRE(!r.ok());
    return r.status().message();
  };
  CHECK(bad("nope").rfind("not valid JSON", 0) == 0);
  CHECK(bad(R"({"type":"start"})") == "unknown message type 'start'");
  CHECK(bad(R"({"type":"next","id":"1"})") == "'next' is a message servers send, not clients");
  CHECK(bad(R"({"type":"subscribe","payload":{"query":"q"}})") == "\"id\" is missing");
  CHECK(bad(R"({"type":"subscribe","id":"1"})") == "subscribe: \"payload\" must be an object");
  CHECK(bad(R"({"type":"connection_init","payload":"x"})") == "\"payload\" must be an object");
}

TEST_CASE("graphql-transport-ws: server messages") {
  auto s = parse("subscription { p: stream(topic: \"t\") { v: value seq ts key shard topic } }");
  std::string out;
  relay::append_graphql_next("7", s, "t", 2, 41, 0, std::string("k"), R"({"x":1})", out);
  CHECK(out == R"({"id":"7","type":"next","payload":{"data":{"p":{"v":{"x":1},"seq":41,)"
               R"("ts":"1970-01-01T00:00:00.000000Z","key":"k","shard":2,"topic":"t"}}}})");
  CHECK(
      relay::graphql_error("7", "X", {"bad", 2, 3}) ==
      R"({"id":"7","type":"error","payload":[{"message":"bad","locations":[{"line":2,"column":3}],"extensions":{"code":"X"}}]})");
}
