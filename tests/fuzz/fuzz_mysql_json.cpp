// Fuzz target: MySQL's binary JSON to text (cdc-mysql). The bytes come from
// the server, so anything goes. A document decoded without error must be
// exactly one valid JSON value.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "cdc/mysql_json.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(bytes), size);
  std::string out = "[";
  if (!mysql::json_binary_to_text(doc, out).ok()) return 0;
  out += ",0]";
  static simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  simdjson::dom::array arr;
  if (parser.parse(out).get(parsed) != simdjson::SUCCESS ||
      parsed.get_array().get(arr) != simdjson::SUCCESS || arr.size() != 2) {
    std::fprintf(stderr, "fuzz_mysql_json: not one JSON value: %s\n", out.c_str());
    std::abort();
  }
  return 0;
}
