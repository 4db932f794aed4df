// MySQL's binary JSON (the JSON column type of MySQL 5.7+, as the binlog
// carries it) to JSON text. MariaDB's JSON is LONGTEXT and needs none of it.
//
// Format: MySQL source, sql/json_binary.h ("The binary format of JSON
// documents"): a type byte, then small (16-bit offsets) or large (32-bit)
// objects and arrays of key entries and value entries (small scalars
// inlined), literals, 16/32/64-bit integers, doubles, length-prefixed
// strings and "opaque" values of another column type (DECIMAL, DATE,
// TIME, DATETIME; others as MySQL prints them, "base64:typeN:...").
// Bytes from the server: every offset is checked against the document,
// nesting is bounded; kBadData naming the offset otherwise. Pure function,
// thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "sluice/status.h"

namespace sluice::mysql {

// Appends the JSON text of the binary document `doc` to `out` (an empty
// document, as MySQL writes a JSON null in some row images, is "null").
Status json_binary_to_text(std::string_view doc, std::string& out);

}  // namespace sluice::mysql
