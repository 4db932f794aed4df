// Parsers for the sizes, durations and retention specs that tool flags take
// (--segment-bytes 64M, --timeout 30s, --retention 7d,10G). Pure functions;
// errors are kInvalidArgument naming the text and the accepted forms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sluice/status.h"

namespace sluice {

// Bytes from "1048576", "512k", "64M", "1GiB", "10GB", "1.5G": K/M/G/T
// (any case) are binary multiples (1024^n), optionally followed by "iB" or
// "B"; a plain "B" suffix means bytes. Non-negative; overflow is an error.
Result<int64_t> parse_size(std::string_view text);

// Milliseconds from "500ms", "30s", "5m", "2h", "7d", "1w" or a sum of them
// ("1h30m"). A unit is required. Non-negative; overflow is an error.
Result<int64_t> parse_duration_ms(std::string_view text);

// `--retention` values: an age ("7d"), a size ("10G") or both separated by a
// comma ("7d,10G" or "10G,7d"). Returns (retention_ms, retention_bytes) with
// -1 for the one not given. Lowercase duration units win ("5m" is five
// minutes); sizes use K/M/G/T ("5M" is five MiB).
Result<std::pair<int64_t, int64_t>> parse_retention(std::string_view text);

// The inverse, for messages: the largest unit that divides the value
// exactly ("64M", "1536K", "100"; "7d", "90m", "1500ms").
std::string format_size(int64_t bytes);
std::string format_duration_ms(int64_t ms);
// A retention as --retention takes it ("7d", "10G", "7d,10G"), or "none"
// when both are -1 (keep everything).
std::string format_retention(int64_t ms, int64_t bytes);

}  // namespace sluice
