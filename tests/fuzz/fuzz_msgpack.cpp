// Fuzz target: the MessagePack reader and the MessagePack <-> JSON
// conversions.
//
// Input: byte 0 the write chunk size, byte 1 the value limit, the rest the
// stream. Reading from a memfd and from a non-blocking pipe fed in chunks
// must give the same values and the same final error, the values joined
// must be a prefix of the input (byte for byte), and for each value with a
// JSON form, that JSON must be JSON and convert to MessagePack and back to
// the same JSON.
#include <fcntl.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/msgpack.h"

using namespace sluice;
using Next = MsgpackReader::Next;

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_msgpack: %s\n", what);
  std::abort();
}

// Drains until it would block; false at the end (EOF or an error, whose
// message is pushed last).
bool drain(MsgpackReader& r, std::vector<std::string>* got) {
  for (;;) {
    std::string_view v;
    switch (r.next(&v)) {
      case Next::kValue:
        got->emplace_back(v);
        break;
      case Next::kCutShort:
        got->push_back("cut short: " + std::string(v));
        break;
      case Next::kWouldBlock:
        return true;
      case Next::kEof:
        return false;
      case Next::kError:
        if (!r.status().is(StatusCode::kBadData)) fail(r.status().message().c_str());
        got->push_back("error: " + r.status().message());
        return false;
    }
  }
}

void check_json(std::string_view value) {
  std::string json;
  if (!msgpack_to_json(value, &json).ok()) return;
  static simdjson::dom::parser parser;
  simdjson::dom::element e;
  if (parser.parse(json).get(e)) fail("the JSON form is not JSON");
  std::string packed, again;
  if (!json_to_msgpack(json, &packed).ok()) fail("the JSON form does not convert back");
  if (!msgpack_to_json(packed, &again).ok()) fail("converted MessagePack does not decode");
  if (again != json) fail("JSON -> MessagePack -> JSON changed the value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 2) return 0;
  const size_t chunk = 1 + bytes[0] % 64;
  const size_t max = 4 + bytes[1] * 4;
  const std::string_view data(reinterpret_cast<const char*>(bytes + 2), size - 2);
  if (data.size() > 60000) return 0;

  std::vector<std::string> want, got;
  const int fd = memfd_create("fuzz_msgpack", 0);
  if (fd < 0) fail("memfd_create");
  if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) fail("write");
  lseek(fd, 0, SEEK_SET);
  {
    MsgpackReader r(fd, max);
    if (drain(r, &want)) fail("kWouldBlock on a blocking fd");
  }
  close(fd);

  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) fail("pipe2");
  fcntl(p[1], F_SETPIPE_SZ, 1 << 16);
  {
    MsgpackReader r(p[0], max);
    bool open = true;
    for (size_t off = 0; off < data.size() && open; off += chunk) {
      const size_t n = std::min(chunk, data.size() - off);
      if (write(p[1], data.data() + off, n) != static_cast<ssize_t>(n)) fail("write");
      open = drain(r, &got);
    }
    close(p[1]);
    if (open && drain(r, &got)) fail("kWouldBlock after the writer closed");
  }
  close(p[0]);
  if (got != want) fail("chunked reading differs from reading at once");

  std::string joined;
  for (const std::string& v : want) {
    if (v.rfind("error: ", 0) == 0 && &v == &want.back()) break;
    if (v.rfind("cut short: ", 0) == 0) {
      joined += v.substr(11);
      continue;
    }
    joined += v;
    check_json(v);
  }
  if (data.substr(0, joined.size()) != joined) fail("values are not the input's bytes");
  return 0;
}
