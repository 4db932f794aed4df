// MySQL 8's partial JSON updates (binlog_row_value_options=PARTIAL_JSON):
// the after image of a PARTIAL_UPDATE_ROWS_EVENT may carry a JSON column
// as a list of diffs against the before image's document instead of the
// whole document. This applies such a list to the before document, so
// cdc-mysql can emit the full document in `after`.
//
// Format, from the MySQL source (sql/json_diff.h, sql/json_diff.cc
// Json_diff::write_binary and Json_diff_vector::read_binary): a column in
// partial form is a 4-byte little-endian length, then diffs until that
// length is used up, each
//   operation  1 byte: 0 REPLACE, 1 INSERT, 2 REMOVE (enum_json_diff_operation)
//   path       packed length (net_field_length) + a JSON path as
//              Json_path::to_string writes it: $, .member, ."quoted member",
//              [N], [last], [last-N]
//   value      (not for REMOVE) packed length + MySQL binary JSON
// applied as sql/json_diff.cc apply_json_diffs does on a DOM: REPLACE needs
// the path to exist; INSERT needs its parent to exist, adds an object
// member that is not there yet, or inserts into an array at the index
// (past the end: appended); REMOVE needs the path to exist. The root path
// `$` alone is only accepted for REPLACE (MySQL itself never logs a diff at
// the root). Anything else is kBadData naming the diff and path: cdc-mysql
// never guesses a document. Pure functions, thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "cdc/mysql_json.h"
#include "sluice/status.h"

namespace sluice::mysql {

// Applies the diffs `diffs` (the bytes after the 4-byte length) to `*doc`.
Status apply_json_diffs(std::string_view diffs, JsonNode* doc);

// Appends to `out` the JSON text of the binary document `before` with the
// diffs `diffs` applied.
Status partial_json_to_text(std::string_view before, std::string_view diffs, std::string& out);

}  // namespace sluice::mysql
