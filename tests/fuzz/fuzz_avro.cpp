// Fuzz target: the Avro binary decoder, the JSON encoder, and the schema
// registry framing.
//
// Input: byte 0 picks one of the schemas below, the rest is a datum (in the
// registry framing when byte 0 is odd). A datum that decodes must decode to
// JSON that parses, encodes back under the same schema, and decodes again to
// the same JSON. The same bytes are also offered to the encoder as JSON: it
// must fail cleanly or give a datum that decodes.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/avro.h"

using namespace sluice;

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_avro: %s\n", what);
  std::abort();
}

const char* const kSchemas[] = {
    R"({"type":"record","name":"R","namespace":"n","fields":[
      {"name":"a","type":"long"},{"name":"b","type":["null","string","R"]},
      {"name":"c","type":{"type":"array","items":"int"}},
      {"name":"d","type":{"type":"map","values":["null","double"]}},
      {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y","Z"]}},
      {"name":"f","type":{"type":"fixed","name":"F","size":3}},
      {"name":"g","type":"bytes"},{"name":"h","type":"float"},{"name":"i","type":"boolean"}]})",
    R"({"type":"array","items":{"type":"map","values":"bytes"}})",
    R"(["null","int","long","float","double","string","bytes","boolean"])",
    R"({"type":"record","name":"L","fields":[{"name":"v","type":"int"},
      {"name":"next","type":["null","L"]}]})",
    R"({"type":"array","items":"null"})",
};
constexpr size_t kSchemaCount = sizeof kSchemas / sizeof kSchemas[0];

const std::vector<AvroSchema>& schemas() {
  static const std::vector<AvroSchema> all = [] {
    std::vector<AvroSchema> v;
    for (const char* text : kSchemas) {
      auto s = AvroSchema::Parse(text);
      if (!s.ok()) fail(s.status().message().c_str());
      v.push_back(*s);
    }
    return v;
  }();
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 1) return 0;
  const AvroSchema& schema = schemas()[(bytes[0] >> 1) % kSchemaCount];
  std::string_view datum(reinterpret_cast<const char*>(bytes + 1), size - 1);
  if (bytes[0] & 1) {
    auto id = parse_confluent_header(datum);
    if (!id.ok()) {
      if (!id.status().is(StatusCode::kBadData)) fail("framing: not kBadData");
      return 0;
    }
    std::string head;
    append_confluent_header(*id, head);
    if (datum.substr(0, kConfluentHeaderBytes) != head) fail("framing does not round-trip");
    datum.remove_prefix(kConfluentHeaderBytes);
  }

  std::string json;
  Status st = schema.to_json(datum, json);
  if (!st.ok()) {
    if (!st.is(StatusCode::kBadData)) fail("decode error is not kBadData");
    if (!json.empty()) fail("a failed decode left output");
  } else {
    static simdjson::dom::parser parser;
    simdjson::dom::element e;
    if (parser.parse(json).get(e)) fail("decoded JSON is not JSON");
    std::string again, json2;
    if (!schema.from_json(json, again).ok()) fail("decoded JSON does not encode back");
    if (!schema.to_json(again, json2).ok()) fail("re-encoded datum does not decode");
    if (json2 != json) fail("decode -> encode -> decode changed the value");
  }

  // The same bytes as JSON: the encoder must fail cleanly or encode.
  std::string out;
  st = schema.from_json(datum, out);
  if (st.ok()) {
    std::string back;
    if (!schema.to_json(out, back).ok()) fail("an encoded datum does not decode");
  } else if (!st.is(StatusCode::kBadData)) {
    fail("encode error is not kBadData");
  }
  return 0;
}
