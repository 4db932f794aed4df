// Fuzz target: length-prefixed framing (u32be, varint) in RecordReader.
//
// Input: byte 0 picks the framing, byte 1 the record limit, byte 2 the
// write chunk size, the rest is the stream. Reading from a memfd and from a
// non-blocking pipe fed in chunks must give the same records, oversize
// reports and final error; the records, framed again with
// append_length_prefix, must read back the same.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/reader.h"

using namespace sluice;
using Next = RecordReader::Next;

namespace {

struct Event {
  int kind;  // 0 record, 1 oversized, 2 error, 3 cut short
  std::string text;
  uint64_t number;
  bool operator==(const Event&) const = default;
};

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_framing: %s\n", what);
  std::abort();
}

// Drains until it would block; false at the end (EOF or an error).
bool drain(RecordReader& r, std::vector<Event>* got) {
  for (;;) {
    std::string_view rec;
    switch (r.next(&rec)) {
      case Next::kRecord:
        got->push_back({0, std::string(rec), r.record_number()});
        break;
      case Next::kOversized:
        got->push_back({1, "", r.record_number()});
        break;
      case Next::kCutShort:
        got->push_back({3, std::string(rec), r.record_number()});
        break;
      case Next::kWouldBlock:
        return true;
      case Next::kEof:
        return false;
      case Next::kError:
        if (!r.status().is(StatusCode::kBadData)) fail(r.status().message().c_str());
        got->push_back({2, r.status().message(), r.record_number()});
        return false;
    }
  }
}

std::vector<Event> read_memfd(std::string_view data, const Framing& f, size_t max) {
  const int fd = memfd_create("fuzz_framing", 0);
  if (fd < 0) fail("memfd_create");
  if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) fail("write");
  lseek(fd, 0, SEEK_SET);
  RecordReader r(fd, f, max);
  std::vector<Event> got;
  if (drain(r, &got)) fail("kWouldBlock on a blocking fd");
  close(fd);
  return got;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 3) return 0;
  const Framing f = *Framing::LengthPrefixed(bytes[0] & 1 ? "varint" : "u32be");
  const size_t max = bytes[1];
  const size_t chunk = 1 + bytes[2] % 64;
  const std::string_view data(reinterpret_cast<const char*>(bytes + 3), size - 3);
  if (data.size() > 60000) return 0;

  const std::vector<Event> want = read_memfd(data, f, max);
  std::vector<Event> got;
  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) fail("pipe2");
  fcntl(p[1], F_SETPIPE_SZ, 1 << 16);
  {
    RecordReader r(p[0], f, max);
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

  std::string again;
  std::vector<Event> records;
  for (const Event& e : want) {
    if (e.kind != 0) continue;
    append_length_prefix(f.kind, e.text.size(), again);
    again += e.text;
    records.push_back({0, e.text, records.size() + 1});
  }
  if (read_memfd(again, f, 1 << 20) != records) fail("records framed again read back otherwise");
  return 0;
}
