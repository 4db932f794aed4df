// Fuzz target: relay-ws's Server-Sent Events framing (sluice/relay_sse.h),
// which reads the Last-Event-ID header and the /sse query.
//
// 1. Any bytes as a Last-Event-ID: no crash; what parses has non-empty
//    topics, shards of 0 or more and seqs of -1 or more; the id as the
//    server writes those positions has no line break or NUL and parses back
//    to the same positions; an error names the entry.
// 2. Any bytes as event data: every line of the output is a "data: " line,
//    and the lines joined with "\n" are the input with \r\n and \r as \n.
// 3. Any bytes as topics and from: the subscribe message goes through
//    parse_client_message without a crash.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_fail.h"
#include "sluice/relay_protocol.h"
#include "sluice/relay_sse.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  // 1.
  auto ids = relay::parse_last_event_id(data);
  if (ids.ok()) {
    if (ids->empty()) fail("parsed to nothing", data);
    std::string id;
    for (const relay::SsePosition& p : *ids) {
      if (p.topic.empty() || p.shard < 0 || p.seq < -1) fail("bad parse", data);
      if (!id.empty()) id.push_back(';');
      relay::append_sse_position(p.topic, p.shard, p.seq, id);
    }
    if (id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      fail("id holds a line break or NUL", id);
    }
    auto again = relay::parse_last_event_id(id);
    if (!again.ok() || again->size() != ids->size()) fail("id does not round-trip", id);
    for (size_t i = 0; i < ids->size(); ++i) {
      const relay::SsePosition &x = (*ids)[i], &y = (*again)[i];
      if (x.topic != y.topic || x.shard != y.shard || x.seq != y.seq) {
        fail("id does not round-trip", id);
      }
    }
  } else if (ids.status().message().rfind("Last-Event-ID: entry ", 0) != 0) {
    fail("error does not name the entry", ids.status().message());
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
