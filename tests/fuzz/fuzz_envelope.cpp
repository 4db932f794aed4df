// Fuzz target: the envelope decoder and encoder.
//
// 1. Decoding arbitrary bytes never crashes; a decoded message re-encodes
//    and decodes to the same key, headers and payload.
// 2. A message built from arbitrary bytes survives encode -> decode
//    exactly, and its envelope is one line of valid UTF-8.
// 3. base64 and RFC 3339 helpers round-trip what they accept.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "fuzz_fail.h"
#include "sluice/envelope.h"

using namespace sluice;

namespace {

bool same(const Message& a, const Message& b) {
  if (a.key != b.key || a.payload != b.payload || a.headers.size() != b.headers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.headers.size(); ++i) {
    if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) {
      return false;
    }
  }
  return a.stream == b.stream && a.shard == b.shard && a.seq == b.seq && a.ts_us == b.ts_us;
}

// encode -> decode must give back `m` (whose stream is UTF-8).
void check_round_trip(const Message& m) {
  std::string line;
  encode_envelope(m, line);
  if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) {
    fail("envelope spans lines", line);
  }
  if (!is_valid_utf8(line)) fail("envelope is not UTF-8", line);
  EnvelopeDecoder d;
  Message back;
  Status st = d.decode(line, back);
  if (!st.ok()) fail(st.message().c_str(), line);
  if (!same(m, back)) fail("round trip changed the message", line);
}

// Splits `data` into length-prefixed pieces (one length byte each).
std::vector<std::string_view> pieces(std::string_view data) {
  std::vector<std::string_view> out;
  while (!data.empty() && out.size() < 8) {
    const size_t n = std::min<size_t>(static_cast<unsigned char>(data[0]), data.size() - 1);
    out.push_back(data.substr(1, n));
    data.remove_prefix(1 + n);
  }
  out.push_back(data);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  // 1. Decode anything; what decodes must be stable.
  {
    EnvelopeDecoder d;
    Message m;
    if (d.decode(data, m).ok()) {
      OwnedMessage copy(m);
      if (!is_valid_utf8(copy.stream)) copy.stream.clear();  // lossy by design
      copy.refresh();
      check_round_trip(copy.view());
    }
  }

  // 2. Build a message from the bytes.
  if (size >= 1) {
    const unsigned flags = bytes[0];
    const std::vector<std::string_view> p = pieces(data.substr(1));
    std::vector<Header> headers;
    for (size_t i = 2; i + 1 < p.size() && headers.size() < (flags >> 4 & 3); i += 2) {
      headers.push_back({p[i], p[i + 1]});
    }
    Message m;
    m.stream = "fuzz";
    m.shard = static_cast<int32_t>(flags) - 1;
    m.seq = static_cast<int64_t>(size) * 1000003;
    m.ts_us =
        (flags & 8) ? -static_cast<int64_t>(size) * 999999937 : static_cast<int64_t>(size) << 40;
    if (flags & 1) m.key = p[0];
    if (flags & 2) m.payload = p.size() > 1 ? p[1] : p[0];
    if (flags & 4) m.payload = p.back();  // a long tail: the whole rest
    m.headers = headers;
    check_round_trip(m);
  }

  // 3. Helpers.
  std::string decoded;
  if (decode_base64(data, decoded)) {
    std::string again, text;
    append_base64(decoded, text);
    if (!decode_base64(text, again) || again != decoded) fail("base64 round trip", data);
  }
  // Offsets can push a parsed time just outside years 0000-9999, which
  // RFC 3339 cannot write; only in-range times must round-trip.
  if (Result<int64_t> ts = parse_rfc3339(data);
      ts.ok() && *ts >= -62167219200000000LL && *ts <= 253402300799999999LL) {
    std::string text;
    append_rfc3339(*ts, text);
    Result<int64_t> back = parse_rfc3339(text);
    if (!back.ok() || *back != *ts) fail("rfc3339 round trip", data);
  }
  return 0;
}
