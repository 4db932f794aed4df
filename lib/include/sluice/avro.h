// Avro (specification 1.11) for flux --encode avro and tap --decode avro.
//
// avro-c (libavro) parses and resolves the schema: named types,
// namespaces, recursive references. The binary codec is ours and walks a
// compiled form of that schema: avro-c's datum reader allocates whatever
// length the input claims and has no byte offsets in its errors, and the
// bytes come from outside (a Kafka topic written by anyone).
//
// The JSON side is Avro's JSON encoding, as kcat -s avro and avro-tools
// print it: a union's non-null value is {"BRANCH": value} (BRANCH is the
// type name, or the full name of a named type), bytes and fixed are
// strings of code points U+0000..U+00FF, one per byte. NaN and the
// infinities, which JSON lacks, are the strings "NaN", "Infinity" and
// "-Infinity". The encoder also takes a bare value for a union (the first
// branch it fits) and a missing field whose type is a union with null
// (as null), so hand-written JSON need not spell every branch.
//
// Confluent's wire format, as Kafka serializers write it: a magic byte 0,
// the schema id as 4 bytes big endian, then the Avro datum.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "sluice/status.h"

namespace sluice {

class AvroSchema {
 public:
  // kInvalidArgument with avro-c's reason for a schema that does not parse.
  static Result<AvroSchema> Parse(std::string_view json);

  // Appends the JSON form of one binary datum to `out`. kBadData names the
  // byte offset and the field path ("at byte 12, field 'after.price': ...")
  // for bytes that do not fit, including bytes left over after the value.
  Status to_json(std::string_view datum, std::string& out) const;
  // Appends the binary datum of one JSON value to `out`. kBadData names the
  // field path and what it expected ("field 'id': expected a long, got a
  // string").
  Status from_json(std::string_view json, std::string& out) const;

  // The schema's JSON text as it was given.
  const std::string& text() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// The Confluent framing: magic byte 0 and a 4-byte big-endian schema id.
constexpr size_t kConfluentHeaderBytes = 5;
void append_confluent_header(int32_t schema_id, std::string& out);
// The schema id of a framed record; kBadData for a record too short or
// without the magic byte.
Result<int32_t> parse_confluent_header(std::string_view record);

}  // namespace sluice
