// Bytes from lowercase hex, for the binlog bytes written out in the
// cdc-mysql unit tests and fuzz targets. Header-only, test code only.
#pragma once

#include <string>
#include <string_view>

namespace sluice::testing {

inline std::string unhex(std::string_view h) {
  std::string out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<char>(nib(h[i]) * 16 + nib(h[i + 1])));
  return out;
}

}  // namespace sluice::testing
