// Parsers for the sizes, durations and retention specs that tool flags take
// (--segment-bytes 64M, --timeout 30s, --retention 7d,10G). Pure functions;
// errors are kInvalidArgument naming the text and the accepted forms.
#pragma once

#include <cstdint>
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

}  // namespace sluice
