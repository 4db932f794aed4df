#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "sluice/envelope.h"

using namespace sluice;

namespace {

std::string encode(const Message& m) {
  std::string out;
  encode_envelope(m, out);
  return out;
}

Message with_payload(std::optional<std::string_view> p) {
  Message m;
  m.stream = "s";
  m.shard = 0;
  m.seq = 1;
  m.ts_us = 0;
  m.payload = p;
  return m;
}

// Decodes and checks that key, headers and payload equal the input's.
void check_round_trip(const Message& in) {
  const std::string line = encode(in);
  INFO("envelope: ", line);
  REQUIRE(line.find('\n') == std::string::npos);
  REQUIRE(line.find('\r') == std::string::npos);
  EnvelopeDecoder d;
  Message out;
  Status st = d.decode(line, out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  CHECK(out.stream == in.stream);
  CHECK(out.shard == in.shard);
  CHECK(out.seq == in.seq);
  CHECK(out.ts_us == in.ts_us);
  REQUIRE(out.key.has_value() == in.key.has_value());
  if (in.key) CHECK(*out.key == *in.key);
  REQUIRE(out.payload.has_value() == in.payload.has_value());
  if (in.payload) CHECK(*out.payload == *in.payload);
  REQUIRE(out.headers.size() == in.headers.size());
  for (size_t i = 0; i < in.headers.size(); ++i) {
    CHECK(out.headers[i].name == in.headers[i].name);
    CHECK(out.headers[i].value == in.headers[i].value);
  }
}

std::string decode_error(std::string_view line) {
  EnvelopeDecoder d;
  Message m;
  Status st = d.decode(line, m);
  if (st.ok()) return "ok";
  CHECK(st.code() == StatusCode::kBadData);
  return st.message();
}

std::string random_bytes(std::mt19937_64& rng, size_t max_len) {
  std::string s(rng() % (max_len + 1), '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Strings built from JSON fragments, so many of them are (or nearly are)
// valid JSON: the cases where embed-or-quote decisions matter.
std::string random_jsonish(std::mt19937_64& rng) {
  static const std::vector<std::string> kParts = {"{",
                                                  "}",
                                                  "[",
                                                  "]",
                                                  "\"",
                                                  ":",
                                                  ",",
                                                  "0",
                                                  "1",
                                                  "-",
                                                  ".",
                                                  "e",
                                                  "E",
                                                  "+",
                                                  "true",
                                                  "false",
                                                  "null",
                                                  " ",
                                                  "\n",
                                                  "\r",
                                                  "\t",
                                                  "\\",
                                                  "\\u0000",
                                                  "\\n",
                                                  "\"a\"",
                                                  "\"k\":",
                                                  "é",
                                                  "\xF0\x9F\x98\x80",
                                                  "\x80",
                                                  "\xFF",
                                                  std::string(1, '\0'),
                                                  "1e999",
                                                  "01",
                                                  "{\"a\":1}",
                                                  "[1,2]",
                                                  "\"x\""};
  std::string s;
  const size_t n = rng() % 12;
  for (size_t i = 0; i < n; ++i) s += kParts[rng() % kParts.size()];
  return s;
}

}  // namespace

TEST_CASE("envelope fields come in the documented order") {
  Header hs[] = {{"trace", "abc"}};
  Message m;
  m.stream = "news";
  m.shard = 0;
  m.seq = 42;
  m.ts_us = 1795300434123456;
  m.key = "k1";
  m.headers = hs;
  m.payload = R"({"title":"x"})";
  CHECK(encode(m) == R"({"stream":"news","shard":0,"seq":42,"ts":"2026-11-21T22:33:54.123456Z",)"
                     R"("key":"k1","headers":{"trace":"abc"},"payload":{"title":"x"}})");
  m.headers = {};
  m.key.reset();
  m.payload.reset();
  CHECK(encode(m) == R"({"stream":"news","shard":0,"seq":42,"ts":"2026-11-21T22:33:54.123456Z",)"
                     R"("key":null,"payload":null})");
}

// Issue 9, point 5: a redis entry's id is in its envelope, after "seq";
// other messages have none, and the decoder (flux --envelope) ignores it.
TEST_CASE("envelope \"id\" only for messages with a native id (issue 9.5)") {
  Message m = with_payload("x");
  CHECK(encode(m).find("\"id\"") == std::string::npos);
  m.id = "1795747979255-0";
  CHECK(encode(m) == R"({"stream":"s","shard":0,"seq":1,"id":"1795747979255-0",)"
                     R"("ts":"1970-01-01T00:00:00.000000Z","key":null,"payload":"x"})");
  EnvelopeDecoder d;
  Message out;
  REQUIRE(d.decode(encode(m), out).ok());
  CHECK(out.id.empty());
  CHECK(*out.payload == "x");
  REQUIRE(d.decode(R"({"id":{"not":"a string"},"payload":"y"})", out).ok());
  CHECK(*out.payload == "y");
}

TEST_CASE("encode appends to the buffer") {
  std::string out = "prefix ";
  encode_envelope(with_payload("1"), out);
  CHECK(out.rfind("prefix {\"stream\"", 0) == 0);
}

TEST_CASE("payload is embedded only when it is exactly one JSON value") {
  auto payload_part = [](std::string_view p) {
    const std::string line = encode(with_payload(p));
    return line.substr(line.find(",\"payload"));
  };
  CHECK(payload_part(R"({"a":[1,2,{"b":null}]})") == R"(,"payload":{"a":[1,2,{"b":null}]}})");
  CHECK(payload_part("[1, 2]") == R"(,"payload":[1, 2]})");
  CHECK(payload_part("{ \"a\" : 1 }") == R"(,"payload":{ "a" : 1 }})");
  CHECK(payload_part("-12.5e3") == R"(,"payload":-12.5e3})");
  CHECK(payload_part("true") == R"(,"payload":true})");
  CHECK(payload_part("false") == R"(,"payload":false})");
  // JSON strings and null would decode to other bytes: quoted instead.
  CHECK(payload_part(R"("x")") == R"(,"payload":"\"x\""})");
  CHECK(payload_part("null") == R"(,"payload":"null"})");
  // Not JSON at all, or not exactly one value.
  CHECK(payload_part("01") == R"(,"payload":"01"})");
  CHECK(payload_part("1e999") == R"(,"payload":"1e999"})");
  CHECK(payload_part("{\"a\":1} ") == R"(,"payload":"{\"a\":1} "})");
  CHECK(payload_part(" {\"a\":1}") == R"(,"payload":" {\"a\":1}"})");
  CHECK(payload_part("{\"a\":\n1}") == R"(,"payload":"{\"a\":\n1}"})");
  CHECK(payload_part("{\"a\":\r\n1}") == R"(,"payload":"{\"a\":\r\n1}"})");
  CHECK(payload_part("{\"a\":1}{}") == R"(,"payload":"{\"a\":1}{}"})");
  CHECK(payload_part("{\"a\":tru}") == R"(,"payload":"{\"a\":tru}"})");
  CHECK(payload_part("truex") == R"(,"payload":"truex"})");
  CHECK(payload_part("") == R"(,"payload":""})");
  CHECK(payload_part("hello\tworld") == R"(,"payload":"hello\tworld"})");
  // Not UTF-8: base64.
  CHECK(payload_part("\xFF\xFE") == R"(,"payload_b64":"//4="})");
  CHECK(payload_part("{\"a\":\"\xFF\"}") == R"(,"payload_b64":"eyJhIjoi/yJ9"})");
}

TEST_CASE("round trip of special payloads") {
  const std::vector<std::string> cases = {"",
                                          "\"x\"",
                                          "null",
                                          "01",
                                          "1e999",
                                          "1e308",
                                          "-0",
                                          "[]",
                                          "{}",
                                          " ",
                                          "\n",
                                          "line1\nline2",
                                          "a\r\n",
                                          std::string("nul\0inside", 10),
                                          std::string(1, '\0'),
                                          "{\"a\":\"b\\u0000c\"}",
                                          "{\"a\" :\t[ 1 , 2 ] }",
                                          "\xC3\x28",
                                          "\xED\xA0\x80",
                                          "\xF0\x9F\x98\x80 emoji",
                                          "123456789012345678901234567890",
                                          "[1,2]\n",
                                          "\"unterminated",
                                          "\\",
                                          "{\"k\":\"\xE2\x80\xA8\"}",
                                          "tru",
                                          "true ",
                                          "false"};
  for (const std::string& p : cases) check_round_trip(with_payload(p));
  check_round_trip(with_payload(std::nullopt));
}

TEST_CASE("keys: absent, empty, text, binary") {
  Message m = with_payload("p");
  check_round_trip(m);
  CHECK(encode(m).find("\"key\":null") != std::string::npos);
  m.key = "";
  check_round_trip(m);
  CHECK(encode(m).find("\"key\":\"\"") != std::string::npos);
  m.key = "{\"id\":1}";
  check_round_trip(m);
  CHECK(encode(m).find(R"("key":"{\"id\":1}")") != std::string::npos);
  m.key = "\x01\xFF";
  check_round_trip(m);
  CHECK(encode(m).find(R"("key_b64":"Af8=")") != std::string::npos);
}

TEST_CASE("headers keep order, duplicates and binary bytes") {
  Header hs[] = {{"a", "1"},
                 {"b", ""},
                 {"a", "2"},
                 {"bin", std::string_view("\xFF\x00\x01", 3)},
                 {"\xFE", "name not utf8"},
                 {"", "empty name"},
                 {"nl\n", "v\r\n"}};
  Message m = with_payload("x");
  m.headers = hs;
  check_round_trip(m);
  const std::string line = encode(m);
  CHECK(line.find(R"("headers":{"a":"1","b":"","a":"2","bin":{"b64":"/wAB"},)"
                  R"("":{"name_b64":"/g==","b64":"bmFtZSBub3QgdXRmOA=="},"":"empty name")") !=
        std::string::npos);
}

TEST_CASE("random binary round trips") {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    std::string payload = random_bytes(rng, 64), key = random_bytes(rng, 8);
    std::string n1 = random_bytes(rng, 4), v1 = random_bytes(rng, 6);
    Header hs[] = {{n1, v1}, {"h", key}};
    Message m = with_payload(payload);
    m.key = key;
    m.headers = hs;
    m.ts_us = static_cast<int64_t>(rng());
    m.seq = static_cast<int64_t>(rng() >> 1);
    check_round_trip(m);
  }
}

TEST_CASE("random JSON-like round trips") {
  std::mt19937_64 rng(777);
  for (int i = 0; i < 5000; ++i) {
    std::string payload = random_jsonish(rng), key = random_jsonish(rng), hv = random_jsonish(rng);
    Header hs[] = {{key, hv}};
    Message m = with_payload(payload);
    m.key = key;
    m.headers = hs;
    check_round_trip(m);
  }
}

TEST_CASE("deeply nested payloads still round trip") {
  for (int depth : {10, 999, 1000, 1001, 1100, 5000}) {
    const std::string p = std::string(depth, '[') + std::string(depth, ']');
    check_round_trip(with_payload(p));
  }
}

TEST_CASE("large payload round trips") {
  std::string big = "[";
  for (int i = 0; i < 100000; ++i) big += "{\"i\":" + std::to_string(i) + "},";
  big.back() = ']';
  check_round_trip(with_payload(big));
  CHECK(encode(with_payload(big)).find("\"payload\":[{\"i\":0}") != std::string::npos);
}

TEST_CASE("stream names that are not UTF-8 still give valid JSON") {
  Message m = with_payload("x");
  m.stream = "bad\xFF";
  EnvelopeDecoder d;
  Message out;
  const std::string line = encode(m);
  REQUIRE(d.decode(line, out).ok());
  CHECK(out.stream == "bad\xEF\xBF\xBD");
}

TEST_CASE("timestamps outside RFC 3339 years are written as integers") {
  Message m = with_payload("x");
  m.ts_us = INT64_MIN;
  check_round_trip(m);
  CHECK(encode(m).find("\"ts\":-9223372036854775808") != std::string::npos);
  m.ts_us = -1;
  check_round_trip(m);
  CHECK(encode(m).find("\"ts\":\"1969-12-31T23:59:59.999999Z\"") != std::string::npos);
}

TEST_CASE("decoder accepts hand-written envelopes") {
  EnvelopeDecoder d;
  Message m;
  REQUIRE(d.decode("  {\"payload\": \"hi\", \"extra\": [1,{}], \"ts\": 17}\n", m).ok());
  CHECK(*m.payload == "hi");
  CHECK(m.ts_us == 17);
  CHECK(m.shard == -1);
  CHECK(m.seq == -1);
  CHECK(m.stream.empty());
  CHECK(!m.key);
  REQUIRE(
      d.decode(R"({"payload":{"a" : 1}  , "key":"k","ts":"2026-11-21T23:33:54.5+01:00"})", m).ok());
  CHECK(*m.payload == R"({"a" : 1})");
  CHECK(*m.key == "k");
  CHECK(m.ts_us == 1795300434500000);
  REQUIRE(d.decode(R"({"payload":12 })", m).ok());
  CHECK(*m.payload == "12");
  REQUIRE(d.decode(R"({"payload":null,"headers":null})", m).ok());
  CHECK(!m.payload);
  CHECK(m.headers.empty());
  REQUIRE(d.decode(R"({"payload":"a\u00e9\n"})", m).ok());
  CHECK(*m.payload == "a\xC3\xA9\n");
  REQUIRE(d.decode(R"({"payload_b64":"AP8","key_b64":""})", m).ok());
  CHECK(*m.payload == std::string("\0\xFF", 2));
  CHECK(*m.key == "");
}

TEST_CASE("decoder errors name the field") {
  CHECK(decode_error("") == "invalid json: empty line");
  CHECK(decode_error("{\"payload\":\"\xFF\"}") == "invalid json: not valid UTF-8");
  CHECK(decode_error("{\"payload\":\"a\tb\"}") ==
        "invalid json: control character inside a string");
  CHECK(decode_error("{\"payload\":1").find("invalid json") == 0);
  CHECK(decode_error("{\"payload\":1} x").find("invalid json") == 0);
  CHECK(decode_error("\xFF").find("invalid json") == 0);
  CHECK(decode_error("[1]") == "not a JSON object");
  CHECK(decode_error("\"x\"") == "not a JSON object");
  CHECK(decode_error(R"({"payload_b64":"!!"})") == "field 'payload_b64': invalid base64");
  CHECK(decode_error(R"({"payload_b64":3})") == "field 'payload_b64': expected a base64 string");
  CHECK(decode_error(R"({"key_b64":"a","payload":1})") == "field 'key_b64': invalid base64");
  CHECK(decode_error(R"({"headers":[],"payload":1})") == "field 'headers': expected an object");
  CHECK(decode_error(R"({"headers":{"a":1},"payload":1})").find("field 'headers'") == 0);
  CHECK(decode_error(R"({"headers":{"a":{"x":"AA"}},"payload":1})") ==
        "field 'headers': binary header without 'b64'");
  CHECK(decode_error(R"({"headers":{"a":{"b64":"*"}},"payload":1})") ==
        "field 'headers': invalid base64 in 'b64'");
  CHECK(decode_error(R"({"key":5,"payload":1})") == "field 'key': expected a string or null");
  CHECK(decode_error(R"({"stream":[],"payload":1})") == "field 'stream': expected a string");
  CHECK(decode_error(R"({"shard":"0","payload":1})").find("field 'shard'") == 0);
  CHECK(decode_error(R"({"shard":4294967296,"payload":1})").find("field 'shard'") == 0);
  CHECK(decode_error(R"({"seq":1.5,"payload":1})") == "field 'seq': expected an integer");
  CHECK(decode_error(R"({"ts":"yesterday","payload":1})")
            .find("field 'ts': invalid timestamp 'yesterday'") == 0);
  CHECK(decode_error(R"({"ts":true,"payload":1})").find("field 'ts'") == 0);
  CHECK(decode_error(R"({"key":"k"})").find("missing field 'payload'") == 0);
  CHECK(decode_error(R"({"payload":1,"payload_b64":"AA"})") ==
        "fields 'payload' and 'payload_b64' are both present");
}

TEST_CASE("decoded views stay valid until the next decode") {
  EnvelopeDecoder d;
  Message m;
  REQUIRE(
      d.decode(R"({"key_b64":"a2V5","headers":{"h":{"b64":"dmFs"},"g":"x"},"payload_b64":"cGF5"})",
               m)
          .ok());
  CHECK(*m.key == "key");
  CHECK(*m.payload == "pay");
  REQUIRE(m.headers.size() == 2);
  CHECK(m.headers[0].value == "val");
  CHECK(m.headers[1].name == "g");
}

TEST_CASE("rfc3339 formatting and parsing") {
  std::string s;
  append_rfc3339(0, s);
  CHECK(s == "1970-01-01T00:00:00.000000Z");
  s.clear();
  append_rfc3339(951782400000001, s);  // leap day 2000
  CHECK(s == "2000-02-29T00:00:00.000001Z");
  s.clear();
  append_rfc3339(-1000000, s);
  CHECK(s == "1969-12-31T23:59:59.000000Z");
  CHECK(*parse_rfc3339("2026-11-21T22:33:54.123456Z") == 1795300434123456);
  CHECK(*parse_rfc3339("2026-11-21t22:33:54z") == 1795300434000000);
  CHECK(*parse_rfc3339("2026-11-21 22:33:54.1234569Z") == 1795300434123456);
  CHECK(*parse_rfc3339("2026-11-21T17:33:54-05:00") == 1795300434000000);
  CHECK(*parse_rfc3339("2026-11-21") == 1795219200000000);
  CHECK(*parse_rfc3339("1969-12-31T23:59:59Z") == -1000000);
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    const int64_t ts = static_cast<int64_t>(rng() % 253402300800000000ULL) - 62135596800000000LL;
    s.clear();
    append_rfc3339(ts, s);
    Result<int64_t> back = parse_rfc3339(s);
    REQUIRE_MESSAGE(back.ok(), s);
    CHECK(*back == ts);
  }
  Result<int64_t> bad = parse_rfc3339("2026-02-30T00:00:00Z");
  REQUIRE(!bad.ok());
  CHECK(bad.status().message().find("invalid timestamp '2026-02-30T00:00:00Z': day out of range") ==
        0);
  CHECK(!parse_rfc3339("2026-11-21T22:33:54").ok());
  CHECK(parse_rfc3339("2026-11-21T22:33:54").status().message().find("missing time zone") !=
        std::string::npos);
  CHECK(!parse_rfc3339("2026-11-21T24:00:00Z").ok());
  CHECK(!parse_rfc3339("2026-11-21T22:33:54.Z").ok());
  CHECK(!parse_rfc3339("2026-11-21T22:33:54Zjunk").ok());
  CHECK(!parse_rfc3339("2026-11-21T22:33:54+0100").ok());
  CHECK(!parse_rfc3339("").ok());
}

TEST_CASE("rfc3339 at the ends of its range and on leap days") {
  std::string s;
  append_rfc3339(-62167219200000000LL, s);
  CHECK(s == "0000-01-01T00:00:00.000000Z");
  s.clear();
  append_rfc3339(253402300799999999LL, s);
  CHECK(s == "9999-12-31T23:59:59.999999Z");
  CHECK(*parse_rfc3339("0000-01-01T00:00:00Z") == -62167219200000000LL);
  CHECK(*parse_rfc3339("9999-12-31T23:59:59.999999Z") == 253402300799999999LL);
  CHECK(*parse_rfc3339("0000-03-01") == -719468LL * 86400000000LL);
  CHECK(*parse_rfc3339("2024-02-29") == 19782LL * 86400000000LL);
  CHECK(parse_rfc3339("0000-02-29").ok());  // 1 BC was a leap year
  CHECK(parse_rfc3339("2000-02-29").ok());
  CHECK(!parse_rfc3339("1900-02-29").ok());
  CHECK(!parse_rfc3339("2023-02-29").ok());
}

TEST_CASE("base64 vectors (RFC 4648)") {
  const std::pair<std::string, std::string> v[] = {{"", ""},
                                                   {"f", "Zg=="},
                                                   {"fo", "Zm8="},
                                                   {"foo", "Zm9v"},
                                                   {"foob", "Zm9vYg=="},
                                                   {"fooba", "Zm9vYmE="},
                                                   {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : v) {
    std::string out;
    append_base64(plain, out);
    CHECK(out == enc);
    std::string back;
    REQUIRE(decode_base64(enc, back));
    CHECK(back == plain);
  }
  std::string out;
  CHECK(decode_base64("Zm8", out));  // padding optional
  CHECK(out == "fo");
  out.clear();
  CHECK(!decode_base64("Zm9vY", out));  // impossible length
  CHECK(!decode_base64("Zm=v", out));
  CHECK(!decode_base64("Zm9v\n", out));
  CHECK(!decode_base64("Z===", out));
  CHECK(!decode_base64("Zm-v", out));  // base64url is not accepted
}

TEST_CASE("json strings escape what JSON requires") {
  std::string out;
  append_json_string(std::string("a\"b\\c\n\t\x01\x1f\x7f\0 \xC3\xA9", 14), out);
  CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\\u001f\x7f\\u0000 \xC3\xA9\"");
  out.clear();
  append_json_string("0123456789abcdef\"0123456789", out);  // escape after a clean word
  CHECK(out == "\"0123456789abcdef\\\"0123456789\"");
}

TEST_CASE("utf-8 validation") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain ascii text, long enough for words"));
  CHECK(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
  CHECK(is_valid_utf8(std::string(3, '\0')));
  CHECK(!is_valid_utf8("\xC0\xAF"));            // overlong
  CHECK(!is_valid_utf8("\xED\xA0\x80"));        // surrogate
  CHECK(!is_valid_utf8("abcdefghij\xE2\x82"));  // truncated
  CHECK(!is_valid_utf8("\xF4\x90\x80\x80"));    // above U+10FFFF
  CHECK(!is_valid_utf8("\x80"));
}
