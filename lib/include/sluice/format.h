// Output formats of tap (and anything else that prints messages):
// "payload" (the raw payload bytes), "envelope" (see envelope.h) or a
// kcat-style template parsed once into tokens:
//
//   %s payload   %k key   %t stream   %p shard   %o seq   %T timestamp (ms)
//   %i native id: the redis entry id (1795747979255-0), the seq elsewhere
//   %D timestamp as RFC 3339 (readable)   %h headers as k=v,k2=v2
//   %S payload length   %K key length   %%  a literal %
//   escapes: \n \t \r \0 and a doubled backslash
//
// "csv" and "tsv" (OutputFormat::Csv) render JSON payloads as rows, one
// column per path (see JsonToCsv in csv.h). "msgpack" writes a record with
// the header content-type: application/msgpack as it is, a JSON payload as
// its MessagePack form, any other payload as a str (UTF-8) or bin, and a
// tombstone as nil: one value per message, so the output is a MessagePack
// stream.
//
// A tombstone payload or absent key renders as nothing (like kcat's -Z off)
// and length tokens give -1 for them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/message.h"
#include "sluice/status.h"

namespace sluice {

class JsonToCsv;

class OutputFormat {
 public:
  // Parses "payload", "envelope" or a template; kInvalidArgument names the
  // offending token and its position ("unknown token '%x' at column 7").
  static Result<OutputFormat> Parse(std::string_view spec);
  // CSV (or TSV) rows of the comma-separated dotted paths `fields`, with a
  // header row first when `header`. Copies share one renderer.
  static Result<OutputFormat> Csv(std::string_view fields, bool tsv, bool header);

  // Appends the rendering of `m` to `out` (no record delimiter). Never
  // fails, never allocates once `out` has grown to size.
  void render(const Message& m, std::string& out) const;

  bool is_envelope() const { return kind_ == Kind::kEnvelope; }
  bool is_msgpack() const { return kind_ == Kind::kMsgpack; }

 private:
  enum class Kind { kPayload, kEnvelope, kTemplate, kCsv, kMsgpack };
  enum class Token {
    kLiteral,
    kPayload,
    kKey,
    kStream,
    kShard,
    kSeq,
    kId,
    kTimeMs,
    kTimeRfc3339,
    kHeaders,
    kPayloadLen,
    kKeyLen
  };
  struct Piece {
    Token token;
    std::string literal;  // for kLiteral
  };
  static void render_msgpack(const Message& m, std::string& out);
  Kind kind_ = Kind::kPayload;
  std::vector<Piece> pieces_;
  std::shared_ptr<JsonToCsv> csv_;
};

// Record framing shared by flux (input) and tap (output): records end with
// a delimiter, or (--framing) each starts with its length: 4 bytes big
// endian (u32be) or an unsigned LEB128 varint of at most 10 bytes
// (protobuf's), so that a record may hold any byte.
struct Framing {
  enum class Kind { kLine, kDelimiter, kNull, kU32Be, kVarint };
  Kind kind = Kind::kLine;
  std::string delimiter = "\n";  // the bytes that end a record (empty: length-prefixed)

  // "--delimiter STR" accepts escapes \n \t \r \0 \\ and \xHH.
  static Result<Framing> Delimited(std::string_view spec);
  // "--framing u32be|varint".
  static Result<Framing> LengthPrefixed(std::string_view spec);
  static Framing Null() { return {Kind::kNull, std::string(1, '\0')}; }
  static Framing Line() { return {}; }
  bool length_prefixed() const { return kind == Kind::kU32Be || kind == Kind::kVarint; }
};

// Appends the length prefix of a record of `len` bytes.
void append_length_prefix(Framing::Kind kind, uint64_t len, std::string& out);
// Parses a length prefix at the front of `in`: 1 and *len, *prefix_bytes
// when complete, 0 when more bytes are needed, -1 for a varint longer than
// 10 bytes or above 2^64.
int parse_length_prefix(Framing::Kind kind, std::string_view in, uint64_t* len,
                        size_t* prefix_bytes);

}  // namespace sluice
