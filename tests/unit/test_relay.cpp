// relay-ws pieces that need no server: the client protocol, SSE event
// ids and JWT.
#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "sluice/jwt.h"
#include "sluice/relay_protocol.h"
#include "sluice/relay_sse.h"

using namespace sluice;
using relay::ClientRequest;
using relay::From;

namespace {

const int64_t kNow = 1'800'000'000'000'000;  // microseconds

ClientRequest parse(std::string_view text) {
  auto r = relay::parse_client_message(text, kNow);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

std::string error_of(std::string_view text) {
  auto r = relay::parse_client_message(text, kNow);
  REQUIRE(!r.ok());
  return r.status().message();
}

std::string hs256(std::string_view header, std::string_view claims, std::string_view secret) {
  std::string t;
  append_base64url(header, t);
  t.push_back('.');
  append_base64url(claims, t);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(t.data()), t.size(), mac, &len);
  t.push_back('.');
  append_base64url(std::string_view(reinterpret_cast<char*>(mac), len), t);
  return t;
}

}  // namespace

TEST_CASE("relay: subscribe with every form of from") {
  ClientRequest r = parse(R"({"action":"subscribe","topics":["a","b"]})");
  CHECK(r.action == ClientRequest::Action::kSubscribe);
  CHECK(r.topics == std::vector<std::string>{"a", "b"});
  CHECK(r.from.kind == From::Kind::kEnd);
  CHECK(!r.where);
  CHECK(parse(R"({"action":"subscribe","topics":["a"],"from":"beginning"})").from.kind ==
        From::Kind::kBeginning);
  r = parse(R"({"action":"subscribe","topics":["a"],"from":42,"where":"x > 1"})");
  CHECK(r.from.kind == From::Kind::kSeq);
  CHECK(r.from.value == 42);
  CHECK(*r.where == "x > 1");
  CHECK(parse(R"({"action":"subscribe","topics":["a"],"from":"42"})").from.value == 42);
  r = parse(R"({"action":"subscribe","topics":["a"],"from":{"0":5,"3":9}})");
  CHECK(r.from.kind == From::Kind::kShards);
  CHECK(r.from.shards == std::vector<std::pair<int32_t, int64_t>>{{0, 5}, {3, 9}});
  r = parse(R"({"action":"subscribe","topics":["a"],"from":"@5m"})");
  CHECK(r.from.kind == From::Kind::kTime);
  CHECK(r.from.value == kNow - 300'000'000);
}

TEST_CASE("relay: bad client messages name the field") {
  CHECK(error_of("[1]") == "expected a JSON object");
  CHECK(error_of(R"({"topics":["a"]})").find("field 'action'") == 0);
  CHECK(error_of(R"({"action":"subscribe"})").find("field 'topics'") == 0);
  CHECK(error_of(R"({"action":"subscribe","topics":[]})") == "field 'topics': names no topic");
  CHECK(error_of(R"({"action":"subscribe","topics":["a"],"from":-1})").find("field 'from'") == 0);
  CHECK(error_of(R"({"action":"subscribe","topics":["a"],"from":{"x":1}})") ==
        "field 'from': shard 'x' is not a shard number");
  CHECK(error_of(R"({"action":"subscribe","topics":["a"],"where":3})").find("field 'where'") == 0);
  CHECK(error_of(R"({"action":"auth"})").find("field 'token'") == 0);
}

TEST_CASE("relay: a data frame is exactly its six fields") {
  Message m;
  m.shard = 2;
  m.seq = 7;
  m.ts_us = 0;
  m.key = "k";
  m.payload = R"({"a":1})";
  std::string f;
  size_t off = 0, len = 0;
  relay::append_data_frame("t", m, f, &off, &len);
  CHECK(
      f ==
      R"({"topic":"t","shard":2,"seq":7,"ts":"1970-01-01T00:00:00.000000Z","key":"k","value":{"a":1}})");
  CHECK(f.substr(off, len) == R"({"a":1})");
  std::string v;
  relay::append_frame_value(std::string_view("text"), v);
  relay::append_frame_value(std::string_view("\xff", 1), v);
  relay::append_frame_value(std::nullopt, v);
  CHECK(v == R"("text"{"b64":"/w=="}null)");
}

TEST_CASE("relay: split_position") {
  int line = 0, column = 0;
  std::string_view rest;
  REQUIRE(relay::split_position("1:14: expected a value", &line, &column, &rest));
  CHECK(line == 1);
  CHECK(column == 14);
  CHECK(rest == "expected a value");
  CHECK(!relay::split_position("no position", &line, &column, &rest));
}

TEST_CASE("relay: SSE event ids, one position or a list") {
  std::string id;
  relay::append_sse_position("prices/eu", 0, 41, id);
  CHECK(id == "prices/eu/0/41");
  id.push_back(';');
  relay::append_sse_position(std::string("a;b%c\r\n\0d", 9), 3, -1, id);
  CHECK(id == "prices/eu/0/41;a%3Bb%25c%0D%0A%00d/3/-1");
  auto ids = relay::parse_last_event_id(id);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 2);
  CHECK((*ids)[0].topic == "prices/eu");
  CHECK((*ids)[0].shard == 0);
  CHECK((*ids)[0].seq == 41);
  CHECK((*ids)[1].topic == std::string("a;b%c\r\n\0d", 9));
  CHECK((*ids)[1].shard == 3);
  CHECK((*ids)[1].seq == -1);
  CHECK(relay::parse_last_event_id("news/0/7")->at(0).topic == "news");  // the older form
  auto bad = [](std::string_view text) {
    auto r = relay::parse_last_event_id(text);
    return r.ok() ? std::string() : r.status().message();
  };
  CHECK(bad("news/0/7;") == "Last-Event-ID: entry 2 '': expected TOPIC/SHARD/SEQ");
  CHECK(bad("news/0/7;n/x/1") ==
        "Last-Event-ID: entry 2 'n/x/1': SHARD is not a number of 0 or more");
  CHECK(bad("news/0/-2") ==
        "Last-Event-ID: entry 1 'news/0/-2': SEQ is not a number of -1 or more");
  CHECK(bad("news/0/07") != "");
  CHECK(bad("a%4/0/1") ==
        "Last-Event-ID: entry 1 'a%4/0/1': '%' in TOPIC not followed by two hex digits");
  CHECK(bad("/0/1") != "");
}

TEST_CASE("jwt: HS256 verdicts") {
  JwtVerifier v;
  v.set_hs256_secret("s");
  v.set_topics_claim("topics");
  const std::string h = R"({"alg":"HS256"})";
  JwtVerdict ok = v.verify(hs256(h, R"({"exp":2000,"nbf":1000,"topics":["a"]})", "s"), 1500);
  CHECK(ok.ok());
  REQUIRE(ok.topics);
  CHECK(*ok.topics == std::vector<std::string>{"a"});
  CHECK(v.verify(hs256(h, R"({"exp":1000})", "s"), 1500).error == JwtError::kExpired);
  CHECK(v.verify(hs256(h, R"({"nbf":2000})", "s"), 1500).error == JwtError::kNotYetValid);
  CHECK(v.verify(hs256(h, "{}", "other"), 1500).error == JwtError::kSignature);
  CHECK(v.verify(hs256(R"({"alg":"none"})", "{}", "s"), 1500).error == JwtError::kAlgorithm);
  CHECK(v.verify(hs256(R"({"alg":"RS256"})", "{}", "s"), 1500).error == JwtError::kAlgorithm);
  CHECK(v.verify("a.b", 1500).error == JwtError::kMalformed);
  CHECK(v.verify(hs256(h, R"({"topics":7})", "s"), 1500).error == JwtError::kBadClaim);
  JwtVerdict none = v.verify(hs256(h, "{}", "s"), 1500);
  REQUIRE(none.ok());
  CHECK(none.topics->empty());  // no claim: no topic
}

TEST_CASE("jwt: aud and iss") {
  JwtVerifier v;
  v.set_hs256_secret("s");
  v.set_audience("relay");
  v.set_issuer("https://id.example");
  const std::string h = R"({"alg":"HS256"})";
  const std::string iss = R"("iss":"https://id.example")";
  CHECK(v.verify(hs256(h, "{" + iss + R"(,"aud":"relay"})", "s"), 1).ok());
  CHECK(v.verify(hs256(h, "{" + iss + R"(,"aud":["x","relay"]})", "s"), 1).ok());
  CHECK(v.verify(hs256(h, "{" + iss + R"(,"aud":"other"})", "s"), 1).error == JwtError::kAudience);
  CHECK(v.verify(hs256(h, "{" + iss + R"(,"aud":["x",7]})", "s"), 1).error == JwtError::kAudience);
  CHECK(v.verify(hs256(h, "{" + iss + "}", "s"), 1).error == JwtError::kAudience);
  CHECK(v.verify(hs256(h, R"({"aud":"relay","iss":"https://evil.example"})", "s"), 1).error ==
        JwtError::kIssuer);
  CHECK(v.verify(hs256(h, R"({"aud":"relay"})", "s"), 1).error == JwtError::kIssuer);
}
