// MessagePack: the reader behind `flux --input msgpack`, and conversions
// between MessagePack and JSON for `--to-json` and `tap --format msgpack`.
// The value boundaries and the decoding come from msgpack-c (Debian's
// libmsgpack-dev); records keep the bytes exactly as they came, so wide or
// non-canonical encodings survive a round trip.
//
// Not thread-safe; one reader per input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/status.h"

namespace sluice {

struct ReadBuffer;

// The header flux puts on MessagePack records, and tap looks for.
inline constexpr std::string_view kContentTypeHeader = "content-type";
inline constexpr std::string_view kMsgpackContentType = "application/msgpack";

// Splits a stream of MessagePack values (self-delimiting, back to back) off
// a file descriptor.
class MsgpackReader {
 public:
  MsgpackReader(int fd, size_t max_value_bytes);

  enum class Next { kValue, kCutShort, kEof, kWouldBlock, kError };

  // kValue: *value holds the bytes of the next value, valid until next().
  // kCutShort: the input ended inside a value; *value holds its bytes,
  // error() says so, and the next call gives kEof. kError: status() says
  // why: an I/O error, or kBadData for bytes that are no MessagePack or a
  // value longer than the limit. None of these can be resynchronised, so
  // reading ends there.
  Next next(std::string_view* value);

  // The 1-based number of the last value returned.
  uint64_t value_number() const { return number_; }
  const std::string& error() const { return error_; }
  const Status& status() const;
  ~MsgpackReader();

 private:
  bool fill();
  int fd_;
  size_t max_;
  std::unique_ptr<ReadBuffer> in_;
  uint64_t number_ = 0;
  std::string error_;
};

// The length of the one MessagePack value at the front of `in`: 1 and
// *length when it is complete, 0 when more bytes are needed, -1 for the
// unused byte 0xc1. Allocates nothing, whatever sizes the headers declare.
int msgpack_value_length(std::string_view in, size_t* length);

// Replaces *out with the JSON form of the one MessagePack value `value`:
// bin as a base64 string, floats as JSON numbers. kBadData for bytes that
// are not exactly one value, nesting deeper than 32, ext types, non-UTF-8 strings, map keys that
// are not strings, and NaN or infinities.
Status msgpack_to_json(std::string_view value, std::string* out);

// Appends the MessagePack form of the JSON text `json` (integers, strings,
// arrays and maps in their most compact encoding, other numbers float64). kBadData when `json` is
// not JSON.
Status json_to_msgpack(std::string_view json, std::string* out);

// Appends `bytes` as a MessagePack str (UTF-8) or bin (anything else).
void append_msgpack_bytes(std::string_view bytes, std::string* out);

}  // namespace sluice
