// The Avro codec against the byte examples of the Avro 1.11 specification
// ("Binary Encoding": https://avro.apache.org/docs/1.11.1/specification/),
// and its errors.
#include <doctest/doctest.h>

#include <string>

#include "sluice/avro.h"

using namespace sluice;

namespace {

AvroSchema schema(const char* text) {
  auto s = AvroSchema::Parse(text);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return *s;
}

std::string encode(const AvroSchema& s, std::string_view json) {
  std::string out;
  Status st = s.from_json(json, out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return out;
}

std::string decode(const AvroSchema& s, std::string_view datum) {
  std::string out;
  Status st = s.to_json(datum, out);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return out;
}

}  // namespace

TEST_CASE("avro: the specification's binary examples") {
  // Zig-zag varints: 0 -> 00, -1 -> 01, 1 -> 02, -2 -> 03, 2 -> 04,
  // -64 -> 7f, 64 -> 80 01.
  AvroSchema l = schema(R"("long")");
  CHECK(encode(l, "0") == std::string("\x00", 1));
  CHECK(encode(l, "-1") == "\x01");
  CHECK(encode(l, "2") == "\x04");
  CHECK(encode(l, "-64") == "\x7f");
  CHECK(encode(l, "64") == "\x80\x01");
  CHECK(decode(l, "\x80\x01") == "64");
  CHECK(decode(l, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01") == "-9223372036854775808");
  // The string "foo": 06 66 6f 6f.
  CHECK(encode(schema(R"("string")"), R"("foo")") ==
        "\x06"
        "foo");
  // The record {"a": 27, "b": "foo"}: 36 06 66 6f 6f.
  AvroSchema rec = schema(R"({"type":"record","name":"test","fields":[
      {"name":"a","type":"long"},{"name":"b","type":"string"}]})");
  CHECK(encode(rec, R"({"a":27,"b":"foo"})") ==
        "\x36\x06"
        "foo");
  CHECK(decode(rec,
               "\x36\x06"
               "foo") == R"({"a":27,"b":"foo"})");
  // The array [3, 27] of longs: 04 06 36 00.
  AvroSchema arr = schema(R"({"type":"array","items":"long"})");
  CHECK(encode(arr, "[3,27]") == std::string("\x04\x06\x36\x00", 4));
  // A block with a negative count carries its size in bytes: same items.
  CHECK(decode(arr, std::string("\x03\x04\x06\x36\x00", 5)) == "[3,27]");
  // The union ["null","string"]: null is 00, "a" is 02 02 61.
  AvroSchema u = schema(R"(["null","string"])");
  CHECK(encode(u, "null") == std::string("\x00", 1));
  CHECK(encode(u, R"({"string":"a"})") ==
        "\x02\x02"
        "a");
  CHECK(encode(u, R"("a")") ==
        "\x02\x02"
        "a");  // a bare value: the branch it fits
  CHECK(decode(u,
               "\x02\x02"
               "a") == R"({"string":"a"})");
  // float and double are little-endian IEEE 754.
  CHECK(encode(schema(R"("float")"), "1") == std::string("\x00\x00\x80\x3f", 4));
  CHECK(decode(schema(R"("double")"), std::string("\x00\x00\x00\x00\x00\x00\xf8\x3f", 8)) == "1.5");
}

TEST_CASE("avro: named types, enums, fixed, maps, bytes as code points") {
  AvroSchema s = schema(R"({"type":"record","name":"R","namespace":"ns","fields":[
      {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
      {"name":"f","type":{"type":"fixed","name":"F","size":2}},
      {"name":"m","type":{"type":"map","values":"int"}},
      {"name":"b","type":"bytes"},
      {"name":"next","type":["null","R"]}]})");
  const char* json =
      R"({"e":"B","f":"\u00ff\u0000","m":{"k":-1},"b":"\u0001\"\\","next":{"ns.R":{"e":"A","f":"xy","m":{},"b":"","next":null}}})";
  std::string datum = encode(s, json);
  CHECK(decode(s, datum) == json);
  // The short name of a named type selects the branch too.
  std::string by_short = encode(
      s,
      R"({"e":"A","f":"xy","m":{},"b":"","next":{"R":{"e":"A","f":"xy","m":{},"b":"","next":null}}})");
  CHECK(decode(s, by_short).find(R"("next":{"ns.R":)") != std::string::npos);
  // A missing field whose type is a union with null is null.
  CHECK(decode(s, encode(s, R"({"e":"A","f":"xy","m":{},"b":""})")) ==
        R"({"e":"A","f":"xy","m":{},"b":"","next":null})");
}

TEST_CASE("avro: JSON that does not fit names the field") {
  AvroSchema s = schema(R"({"type":"record","name":"R","fields":[
      {"name":"id","type":"int"},{"name":"tags","type":{"type":"array","items":"string"}}]})");
  std::string out;
  Status st = s.from_json(R"({"id":1,"tags":["a",2]})", out);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message() ==
        "does not fit the Avro schema: field 'tags[1]': expected a string, got a number");
  CHECK(out.empty());
  st = s.from_json(R"({"id":2147483648,"tags":[]})", out);
  CHECK(st.message() == "does not fit the Avro schema: field 'id': a number that is no int");
  st = s.from_json(R"({"tags":[]})", out);
  CHECK(st.message() ==
        "does not fit the Avro schema: field 'id': missing (the schema has no null for it)");
  st = s.from_json(R"({"id":1,"tags":[],"extra":1})", out);
  CHECK(st.message() == "does not fit the Avro schema: field 'extra' is not in the schema of R");
  st = s.from_json("{", out);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message().rfind("not JSON: ", 0) == 0);
}

TEST_CASE("avro: bytes that do not decode name the offset and field") {
  AvroSchema s = schema(R"({"type":"record","name":"R","fields":[
      {"name":"id","type":"long"},{"name":"name","type":"string"},
      {"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}}]})");
  std::string out = "keep";
  Status st = s.to_json(
      "\x02\x0a"
      "ab",
      out);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message() == "at byte 2, field 'name': a string of 5 bytes, but only 2 remain");
  CHECK(out == "keep");  // nothing appended
  st = s.to_json(std::string("\x02\x00\x02", 3), out);
  CHECK(st.message() == "at byte 3, field 'e': enum index 1 out of 1 symbols");
  st = s.to_json(std::string("\x02\x00\x00\x00", 4), out);
  CHECK(st.message() == "at byte 3: 1 bytes left after the value");
  st = s.to_json("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", out);
  CHECK(st.message() == "at byte 10, field 'id': a number longer than 10 bytes");
  st = s.to_json(std::string("\x02\x04\xff\xfe\x00", 5), out);
  CHECK(st.message() == "at byte 2, field 'name': a string that is not UTF-8");
  AvroSchema nulls = schema(R"({"type":"array","items":"null"})");
  st = nulls.to_json("\x80\x80\x80\x80\x10\x00", out);
  CHECK(st.is(StatusCode::kBadData));
}

TEST_CASE("avro: the schema registry framing") {
  std::string head;
  append_confluent_header(258, head);
  CHECK(head == std::string("\x00\x00\x00\x01\x02", 5));
  auto id = parse_confluent_header(head + "x");
  REQUIRE(id.ok());
  CHECK(*id == 258);
  CHECK(parse_confluent_header(std::string("\x01\x00\x00\x00\x01", 5)).status().message() ==
        "not in the schema registry framing: the first byte is 1, not 0");
  CHECK(parse_confluent_header(std::string("\x00\x00", 2)).status().is(StatusCode::kBadData));
  CHECK(AvroSchema::Parse(R"({"type":"nope"})").status().is(StatusCode::kInvalidArgument));
}
