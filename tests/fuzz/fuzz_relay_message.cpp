// Fuzz target: relay-ws client messages and the frames built from
// outside bytes.
//
// 1. Parsing any bytes as a client message never crashes; what parses has
//    an action, and a subscribe or unsubscribe names at least one topic.
// 2. A data frame built from arbitrary key/payload/topic bytes is one
//    valid JSON object with exactly the keys topic, shard, seq, ts, key,
//    value, and the value span it reports is that "value".
// 3. An error frame with arbitrary text is valid JSON with a "type".
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_fail.h"
#include "sluice/relay_protocol.h"

using namespace sluice;

namespace {

simdjson::dom::element parse_or_die(simdjson::dom::parser& p, const std::string& text) {
  simdjson::dom::element e;
  if (p.parse(text).get(e) != simdjson::SUCCESS || !e.is_object()) fail("not JSON", text);
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  // 1.
  auto req = relay::parse_client_message(data, 1'800'000'000'000'000);
  if (req.ok()) {
    if (req->action != relay::ClientRequest::Action::kAuth && req->topics.empty()) {
      fail("a subscription with no topic", data);
    }
    if (req->action == relay::ClientRequest::Action::kAuth && req->token.empty()) {
      fail("auth with no token", data);
    }
  } else if (req.status().message().empty()) {
    fail("an error with no message", data);
  }

  // 2.
  const size_t cut1 = size / 3, cut2 = 2 * size / 3;
  Message m;
  m.shard = size > 0 ? bytes[0] % 4 : 0;
  m.seq = static_cast<int64_t>(size) * 7919;
  m.ts_us = static_cast<int64_t>(size) << 32;
  if (size > 1 && (bytes[1] & 1)) m.key = data.substr(cut1, cut2 - cut1);
  if (size == 0 || !(bytes[0] & 0x80)) m.payload = data.substr(cut2);
  std::string frame;
  size_t off = 0, len = 0;
  relay::append_data_frame(data.substr(0, cut1), m, frame, &off, &len);
  simdjson::dom::parser p;
  auto root = parse_or_die(p, frame);
  static const char* const kKeys[] = {"topic", "shard", "seq", "ts", "key", "value"};
  size_t i = 0;
  simdjson::dom::object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) fail("not an object", frame);
  for (auto [k, v] : obj) {
    if (i >= 6 || k != kKeys[i]) fail("unexpected key", frame);
    ++i;
  }
  if (i != 6) fail("missing keys", frame);
  int64_t seq = 0;
  if (root["seq"].get_int64().get(seq) != simdjson::SUCCESS || seq != m.seq) {
    fail("seq is not the number", frame);
  }
  simdjson::dom::parser vp;
  simdjson::dom::element v;
  if (vp.parse(frame.substr(off, len)).get(v) != simdjson::SUCCESS) {
    fail("value span is not the JSON value", frame);
  }

  // 3.
  std::string err;
  relay::append_error_frame("bad_request", data, err, 1, static_cast<int>(size));
  auto e = parse_or_die(p, err);
  std::string_view type;
  if (e["type"].get_string().get(type) != simdjson::SUCCESS || type != "error") {
    fail("error frame without type", err);
  }
  return 0;
}
