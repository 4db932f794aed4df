// How a fuzz target reports a broken property: "NAME: WHAT: INPUT" on
// stderr (NAME is the binary's, e.g. fuzz_sse), then abort(), so that the
// fuzzer (or tests/fuzz/driver.cpp) keeps the input that did it.
#pragma once

#include <errno.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

[[noreturn]] inline void fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "%s: %s: %.*s\n", program_invocation_short_name, what,
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}
