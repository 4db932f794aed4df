// Fuzz target: MySQL's binary JSON to text (cdc-mysql), and the same bytes
// as the diffs of a partial JSON update (mysql_json_diff.h) applied to a
// fixed document. The bytes come from the server, so anything goes. A
// document decoded or patched without error must be exactly one valid
// JSON value.
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "../unhex.h"
#include "cdc/mysql_json.h"
#include "cdc/mysql_json_diff.h"

using namespace sluice;
using sluice::testing::unhex;

namespace {

// {"a":1,"b":[10,20,30],"c":{"d":"x","a b":true}}
constexpr std::string_view kBefore =
    "0003004100190001001a0001001b000100050100021c0000290061626303000d00050a00051400051e00020018"
    "0012000100130003000c1600040100646120620178";

// The JSON text with each run of more than 18 digits outside strings cut to
// one digit: a DECIMAL in a document is a JSON number of up to 65 digits,
// which simdjson 3.0's DOM refuses (NUMBER_ERROR) though it is valid JSON.
std::string shorten_numbers(const std::string& in) {
  std::string out;
  bool in_string = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < in.size()) {
        out.push_back(in[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    size_t j = i;
    while (j < in.size() && in[j] >= '0' && in[j] <= '9') ++j;
    if (j > i) {  // a run of digits: kept whole up to 18, else its first
      out.append(in, i, j - i > 18 ? 1 : j - i);
      i = j - 1;
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void check(const std::string& text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  simdjson::dom::array arr;
  const std::string out = shorten_numbers(text);
  if (parser.parse(out).get(parsed) != simdjson::SUCCESS ||
      parsed.get_array().get(arr) != simdjson::SUCCESS || arr.size() != 2) {
    std::fprintf(stderr, "fuzz_mysql_json: not one JSON value: %s\n", text.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(bytes), size);
  static const std::string before = unhex(kBefore);
  std::string patched = "[";
  if (mysql::partial_json_to_text(before, doc, patched).ok()) check(patched + ",0]");
  std::string out = "[";
  if (!mysql::json_binary_to_text(doc, out).ok()) return 0;
  out += ",0]";
  check(out);
  return 0;
}
