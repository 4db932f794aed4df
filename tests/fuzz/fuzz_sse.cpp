// Fuzz target: relay-ws's Server-Sent Events framing (sluice/relay_sse.h),
// which reads the Last-Event-ID header and the /sse query.
//
// 1. Any bytes as a Last-Event-ID: no crash; what parses has a non-empty
//    topic and non-negative shard and seq, and its id as the server writes
//    it parses back to the same three values.
// 2. Any bytes as event data: every line of the output is a "data: " line,
//    and the lines joined with "\n" are the input with \r\n and \r as \n.
// 3. Any bytes as topics and from: the subscribe message goes through
//    parse_client_message without a crash.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sluice/relay_protocol.h"
#include "sluice/relay_sse.h"

using namespace sluice;

namespace {

void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz_sse: %s: %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  // 1.
  std::string topic;
  int32_t shard = -1;
  int64_t seq = -1;
  if (relay::parse_last_event_id(data, &topic, &shard, &seq)) {
    if (topic.empty() || shard < 0 || seq < 0) fail("bad parse", data);
    if (topic.find_first_of("\r\n") == std::string::npos) {
      std::string id;
      relay::append_sse_id(topic, shard, seq, id);
      std::string topic2;
      int32_t shard2 = -1;
      int64_t seq2 = -1;
      const std::string_view body = std::string_view(id).substr(4, id.size() - 5);
      if (!relay::parse_last_event_id(body, &topic2, &shard2, &seq2) || topic2 != topic ||
          shard2 != shard || seq2 != seq) {
        fail("id does not round-trip", id);
      }
    }
  }

  // 2.
  std::string out;
  relay::append_sse_data(data, out);
  if (out.empty() || out.back() != '\n') fail("no final newline", out);
  std::string joined, expect;
  size_t start = 0;
  while (start < out.size()) {
    const size_t nl = out.find('\n', start);
    const std::string_view line = std::string_view(out).substr(start, nl - start);
    if (line.substr(0, 6) != "data: ") fail("not a data line", line);
    if (start) joined.push_back('\n');
    joined.append(line.substr(6));
    start = nl + 1;
  }
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r') {
      expect.push_back('\n');
      if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
    } else {
      expect.push_back(data[i]);
    }
  }
  if (joined != expect) fail("data lines lose bytes", data);

  // 3.
  const size_t cut = data.find('&');
  const std::string msg = relay::sse_subscribe_message(
      data.substr(0, cut), cut == std::string_view::npos ? "" : data.substr(cut + 1));
  (void)relay::parse_client_message(msg, 0);
  return 0;
}
