// The NDJSON envelope: how tools hand messages to each other on stdio.
//
//   {"stream":"news","shard":0,"seq":42,"ts":"2026-11-21T22:33:54.123456Z",
//    "key":"k1","headers":{"trace":"abc"},"payload":{"title":"..."}}
//
// A message with a native id (a redis entry) also has "id":"MS-N" after
// "seq": where it was read. The decoder ignores it (a producer assigns
// new ids).
//
// Binary safety: a payload is embedded as JSON only when its bytes are
// exactly one JSON object, array, number, true or false, with no leading or
// trailing whitespace and no CR/LF inside (so the line stays one line and
// decoding returns the very same bytes). Otherwise it is a JSON string when
// the bytes are valid UTF-8, else "payload_b64" (standard base64). A
// tombstone (no payload) is "payload":null. The key follows the same rule
// as text: "key" (string or null) or "key_b64". A header value that is not
// UTF-8 is written as {"b64":"..."}. Decoding accepts everything encoding
// produces, so encode -> decode is the identity on (key, headers, payload).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/message.h"
#include "sluice/status.h"

namespace sluice {

// Appends the envelope of `m` to `out` (no trailing newline). Never fails.
void encode_envelope(const Message& m, std::string& out);

// Decodes envelope lines. Reuses its buffers: the Message filled by decode()
// points into this decoder and stays valid until the next decode() call.
// Not thread-safe; use one per thread.
class EnvelopeDecoder {
 public:
  EnvelopeDecoder();
  ~EnvelopeDecoder();
  EnvelopeDecoder(const EnvelopeDecoder&) = delete;
  EnvelopeDecoder& operator=(const EnvelopeDecoder&) = delete;

  // Parses one envelope (surrounding whitespace allowed). Fields: stream,
  // shard, seq, ts (RFC 3339 string or integer microseconds), key/key_b64,
  // headers, payload/payload_b64; "id" and unknown fields are ignored. On a malformed
  // line returns kBadData naming the field ("field 'payload_b64': invalid
  // base64").
  Status decode(std::string_view line, Message& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// RFC 3339 UTC with microseconds: 2026-11-21T22:33:54.123456Z
void append_rfc3339(int64_t ts_us, std::string& out);
// Parses RFC 3339 (with Z or an offset, optional fraction) to microseconds.
Result<int64_t> parse_rfc3339(std::string_view text);

// JSON helpers shared by the encoders of this library.
// Appends `s` as a JSON string literal (with quotes); `s` must be UTF-8.
void append_json_string(std::string_view s, std::string& out);
// Appends the decimal digits of `v` (std::to_chars: no locale, no
// allocation once `out` has grown; it runs per message and per column).
void append_int(int64_t v, std::string& out);
bool is_valid_utf8(std::string_view s);
// Appends code point `cp` (at most 0x10FFFF, not a surrogate) as UTF-8.
void append_utf8(uint32_t cp, std::string& out);
// True when `payload` is exactly one JSON object, array, number, true or
// false with no surrounding whitespace and no CR/LF: the payloads an
// envelope (and a relay-ws data frame) embeds as they are.
bool is_embeddable_json(std::string_view payload);
// A dotted path ("id", "user.id", ".user.id", "$.user.id") as a JSON
// Pointer (RFC 6901: "/user/id"), for simdjson's at_pointer.
std::string json_pointer_from_path(std::string_view path);
void append_base64(std::string_view bytes, std::string& out);
// Decodes standard base64 (padding optional); false on invalid input.
bool decode_base64(std::string_view text, std::string& out);

}  // namespace sluice
