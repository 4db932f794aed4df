// Fuzz target: the filter language's parser and evaluator.
//
// The input is split at the first NUL: an expression, then an event. Parsing
// never crashes and fails only with kInvalidArgument and a "LINE:COL: "
// message; a compiled filter evaluates over the event (also as a strict
// evaluator and over no payload) without crashing, failing only with
// kBadData; evaluation is deterministic (a reused evaluator agrees with a
// fresh one).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/filter.h"

using namespace sluice;
using namespace sluice::filter;

namespace {

void fail(const char* what, std::string_view expr, std::string_view detail) {
  std::fprintf(stderr, "fuzz_filter: %s\n  expr: %.*s\n  detail: %.*s\n", what,
               static_cast<int>(expr.size()), expr.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool starts_with_position(const std::string& m) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < m.size() && m[i] >= '0' && m[i] <= '9') ++i;
    return i > start;
  };
  if (!digits() || i >= m.size() || m[i++] != ':') return false;
  if (!digits() || i + 1 >= m.size() || m[i] != ':' || m[i + 1] != ' ') return false;
  return true;
}

Evaluator& reused() {
  static Evaluator ev;
  return ev;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(bytes), size);
  const size_t nul = all.find('\0');
  const std::string_view expr = all.substr(0, nul);
  const std::string_view event =
      nul == std::string_view::npos ? std::string_view(R"({"op":"u"})") : all.substr(nul + 1);
  Result<Filter> f = Filter::Compile(expr);
  if (!f.ok()) {
    if (f.status().code() != StatusCode::kInvalidArgument)
      fail("wrong code", expr, f.status().message());
    if (!starts_with_position(f.status().message()))
      fail("no position", expr, f.status().message());
    return 0;
  }
  std::vector<Header> headers = {{"h", "v"}};
  EventMeta meta;
  meta.key = std::string_view("k");
  meta.headers = headers;
  meta.stream = "s";
  meta.shard = 0;
  meta.seq = 1;
  meta.ts_us = 2;
  Evaluator fresh;
  Result<bool> a = fresh.matches(*f, event, meta);
  Result<bool> b = reused().matches(*f, event, meta);
  if (a.ok() != b.ok() || (a.ok() && *a != *b)) fail("not deterministic", expr, event);
  if (!a.ok() && a.status().code() != StatusCode::kBadData)
    fail("wrong evaluation code", expr, a.status().message());
  Evaluator strict(Evaluator::Options{true});
  Result<bool> c = strict.matches(*f, event, meta);
  if (!c.ok() && c.status().code() != StatusCode::kBadData)
    fail("wrong strict code", expr, c.status().message());
  // Strict mode only adds errors: when it succeeds it agrees.
  if (c.ok() && a.ok() && *c != *a) fail("strict disagrees", expr, event);
  // In place, as trigger reads a line in its buffer: the same answer as a
  // copy, whatever bytes follow the newline.
  std::string line(event);
  line += '\n';
  line.append(all.substr(0, std::min<size_t>(all.size(), 100)));
  line.append(64, '\x01');
  Result<bool> e = reused().matches(*f, std::string_view(line).substr(0, event.size()), meta,
                                    line.size() - event.size());
  if (a.ok() != e.ok() || (a.ok() && *a != *e)) fail("in place differs from a copy", expr, event);
  if (!a.ok() && a.status().message() != e.status().message())
    fail("in place fails differently", expr, e.status().message());
  Result<bool> d = fresh.matches(*f, std::nullopt, meta);
  if (!d.ok()) fail("no payload is never bad data", expr, d.status().message());
  return 0;
}
