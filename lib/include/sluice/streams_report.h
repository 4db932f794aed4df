// How the streams tool shows what Admin::describe() found: one JSON object
// per line (--json) or aligned text for people. Kept in lib so that the
// output is unit-tested and other tools (top) can print the same shapes.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sluice/backend.h"

namespace sluice {

// {"name":..,"shards":N,"records":..,"bytes":..|null,"first_seq":..,
//  "last_seq":..,"first_ts":"RFC 3339"|null,"last_ts":..|null,
//  "retention":{"age_s":..|null,"bytes":..|null}} and a newline. first_seq
// and last_seq span every shard (-1 when empty).
std::string stream_json_line(const StreamInfo& s);

// The tables below are plain text, or with `color` coloured with ANSI
// escapes: bold headings, a lag in yellow and none in green (the columns
// stay aligned).
//
// NAME SHARDS RECORDS SIZE LAST-SEQ AGE (of the newest record at `now_us`)
// RETENTION GROUPS, one row per stream, columns aligned.
std::string streams_table(const std::vector<StreamInfo>& streams, int64_t now_us,
                          bool color = false);

// Every shard (first/last seq and time) and every group with its committed
// position and lag per shard and its live members.
std::string stream_details(const StreamInfo& s, int64_t now_us, bool color = false);

// {"stream":..,"group":..,"lag":..,"committed":[..],"members":[..]}\n per
// group of each stream.
std::string groups_json(const std::vector<StreamInfo>& streams);
// STREAM GROUP LAG COMMITTED MEMBERS, aligned.
std::string groups_table(const std::vector<StreamInfo>& streams, bool color = false);

// "NAME: retention AGE,SIZE" ("none" for unlimited, "unknown" where the
// backend does not say) and a newline.
std::string stream_config_line(const StreamInfo& s);

// "5m", "3h", "2d": a compact age for tables ("-" when negative).
std::string format_age_us(int64_t age_us);

}  // namespace sluice
