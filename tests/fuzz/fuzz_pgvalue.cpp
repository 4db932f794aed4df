// Fuzz target: PostgreSQL text values typed as Debezium's JSON converter
// does (cdc-pg). The bytes come from the server, so anything goes.
//
// The first byte picks a type (scalars and their arrays), its top bit
// --embed-json; the rest is the text. Whatever the text, the output must
// be exactly one valid JSON value, appended after what was in the buffer.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cdc/pg_values.h"

using namespace sluice;

namespace {

constexpr uint32_t kTypes[] = {
    16,   17,   18,   19,   20,   21,   23,   25,   26,   114,  700,  701,  790,  1042, 1043,
    1082, 1083, 1114, 1184, 1186, 1266, 1700, 2950, 3802, 1000, 1001, 1005, 1007, 1009, 1015,
    1016, 1021, 1022, 1115, 1182, 1183, 1185, 1187, 1231, 1270, 2951, 199,  3807, 600,  0,
};

void fail(const char* what, uint32_t oid, std::string_view text, const std::string& out) {
  std::fprintf(stderr, "fuzz_pgvalue: %s (oid %u): %.*s -> %s\n", what, oid,
               static_cast<int>(text.size()), text.data(), out.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size == 0) return 0;
  const uint32_t oid = kTypes[(bytes[0] & 0x7f) % (sizeof kTypes / sizeof kTypes[0])];
  debezium::ValueOptions opts;
  opts.embed_json = (bytes[0] & 0x80) != 0;
  std::string_view text(reinterpret_cast<const char*>(bytes) + 1, size - 1);

  std::string out = "[";
  pg::append_text_value(oid, text, opts, out);
  if (out.size() == 1) fail("appended nothing", oid, text, out);
  out += ",0]";
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(out).get(doc) != simdjson::SUCCESS) fail("not valid JSON", oid, text, out);
  simdjson::dom::array arr;
  if (doc.get_array().get(arr) != simdjson::SUCCESS || arr.size() != 2)
    fail("not one value", oid, text, out);
  return 0;
}
