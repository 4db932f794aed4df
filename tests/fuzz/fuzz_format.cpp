// Fuzz target: output templates and --delimiter specs.
//
// The first byte splits the input into a spec and a message payload.
// Parsing never crashes and errors are kInvalidArgument naming a column;
// a template without '%' or '\' renders as itself; "%s" renders the
// payload; rendering appends (what was in the buffer stays).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sluice/format.h"

using namespace sluice;

namespace {

void fail(const char* what, std::string_view spec) {
  std::fprintf(stderr, "fuzz_format: %s: %.*s\n", what, static_cast<int>(spec.size()), spec.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  size_t split = data.size();
  if (!data.empty()) {
    split = std::min<size_t>(static_cast<unsigned char>(data[0]), data.size() - 1);
    data.remove_prefix(1);
  }
  const std::string_view spec = data.substr(0, split);
  const std::string_view rest = data.substr(split);

  const Header hs[] = {{"h", rest}, {rest, "v"}};
  Message m;
  m.stream = "stream";
  m.shard = static_cast<int32_t>(size) - 2;
  m.seq = static_cast<int64_t>(size) * 7919;
  m.ts_us = -static_cast<int64_t>(size) * 123456789;
  m.key = rest.substr(0, rest.size() / 2);
  m.payload = rest;
  m.headers = hs;
  Message tombstone = m;
  tombstone.payload.reset();
  tombstone.key.reset();
  tombstone.headers = {};

  Result<OutputFormat> f = OutputFormat::Parse(spec);
  if (!f.ok()) {
    if (f.status().code() != StatusCode::kInvalidArgument) fail("wrong code", spec);
    if (!spec.empty() && f.status().message().find(" at column ") == std::string::npos) {
      fail("error without a column", spec);
    }
  } else {
    std::string out = "prefix";
    f->render(m, out);
    if (out.compare(0, 6, "prefix") != 0) fail("render dropped the buffer", spec);
    const size_t before = out.size();
    f->render(tombstone, out);
    if (out.size() < before) fail("render shrank the buffer", spec);
    if (spec.find('%') == std::string_view::npos && spec.find('\\') == std::string_view::npos &&
        spec != "payload" && spec != "envelope" &&
        out != "prefix" + std::string(spec) + std::string(spec)) {
      fail("literal template changed", spec);
    }
  }
  std::string payload_only;
  if (Result<OutputFormat> p = OutputFormat::Parse("%s"); p.ok()) p->render(m, payload_only);
  if (payload_only != rest) fail("%s is not the payload", rest);

  Result<Framing> d = Framing::Delimited(spec);
  if (d.ok() && d->delimiter.empty()) fail("empty delimiter accepted", spec);
  if (!d.ok() && d.status().code() != StatusCode::kInvalidArgument) fail("wrong code", spec);
  return 0;
}
