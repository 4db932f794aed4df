// Shared plumbing for the tools' main(): Status -> "tool: message" + exit
// code, and usage errors (flags.h parses; this reports).
// Header-only; tools stay thin and all behaviour lives in libsluice.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <string>

#include "sluice/status.h"
#include "sluice/units.h"

namespace sluice::cli {

inline int fail(const Status& st) {
  fprintf(stderr, "%s: %s\n", program_name().c_str(), st.message().c_str());
  return static_cast<int>(st.exit_code());
}

inline int usage_error(const std::string& message) {
  fprintf(stderr, "%s: %s (see '%s --help')\n", program_name().c_str(), message.c_str(),
          program_name().c_str());
  return static_cast<int>(ExitCode::kUsage);
}

// Parses an octal permission string such as 0600.
inline bool parse_mode(const std::string& text, unsigned* mode) {
  if (text.empty() || text.size() > 4) return false;
  unsigned v = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return false;
    v = v * 8 + static_cast<unsigned>(c - '0');
  }
  *mode = v;
  return true;
}

}  // namespace sluice::cli
