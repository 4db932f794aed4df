// Fuzz target: RecordReader against a reference splitter.
//
// Input: byte 0 picks the framing and transport, byte 1 the record limit,
// byte 2 the write chunk size, the rest is the stream. The data goes
// through a non-blocking pipe in chunks (reading until kWouldBlock after
// each) or a memfd; the records, oversize reports and record numbers must
// equal those of a plain split of the whole input.
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
  bool oversized;
  std::string record;
  uint64_t number;
  bool operator==(const Event&) const = default;
};

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_reader: %s\n", what);
  std::abort();
}

std::vector<Event> reference(std::string_view data, const Framing& f, size_t max) {
  std::vector<Event> out;
  const std::string& d = f.delimiter;
  uint64_t n = 0;
  while (!data.empty()) {
    const size_t at = data.find(d);
    std::string_view rec = data.substr(0, at);
    data = at == std::string_view::npos ? std::string_view() : data.substr(at + d.size());
    if (f.kind == Framing::Kind::kLine && !rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    ++n;
    out.push_back(rec.size() > max ? Event{true, "", n} : Event{false, std::string(rec), n});
  }
  return out;
}

// Drains the reader until it would block (or ends); returns false at EOF.
bool drain(RecordReader& r, std::vector<Event>* got) {
  while (true) {
    std::string_view rec;
    switch (r.next(&rec)) {
      case Next::kRecord:
        got->push_back({false, std::string(rec), r.record_number()});
        break;
      case Next::kOversized:
        got->push_back({true, "", r.record_number()});
        break;
      case Next::kWouldBlock:
        return true;
      case Next::kEof:
        return false;
      case Next::kCutShort:  // length-prefixed framing only
        fail("kCutShort from a delimited framing");
        break;
      case Next::kError:
        fail(r.status().message().c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 3) return 0;
  const unsigned mode = bytes[0];
  const size_t max = bytes[1] % 80;
  const size_t chunk = 1 + bytes[2] % 64;
  const std::string_view data(reinterpret_cast<const char*>(bytes + 3), size - 3);
  if (data.size() > 60000) return 0;  // stays under the pipe's buffer

  Framing framing;
  switch (mode % 5) {
    case 0:
      framing = Framing::Line();
      break;
    case 1:
      framing = Framing::Null();
      break;
    case 2:
      framing = *Framing::Delimited("\\r\\n");
      break;
    case 3:
      framing = *Framing::Delimited("ab");
      break;
    default:
      framing = *Framing::Delimited("aab");
      break;  // self-overlapping
  }
  const std::vector<Event> want = reference(data, framing, max);
  std::vector<Event> got;

  if (mode & 0x80) {  // memfd, blocking reads
    const int fd = memfd_create("fuzz_reader", 0);
    if (fd < 0) fail("memfd_create");
    if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) fail("write");
    lseek(fd, 0, SEEK_SET);
    RecordReader r(fd, framing, max);
    if (drain(r, &got)) fail("kWouldBlock on a blocking fd");
    if (r.bytes_read() != data.size()) fail("bytes_read");
    close(fd);
  } else {  // non-blocking pipe fed in chunks
    int p[2];
    if (pipe2(p, O_NONBLOCK) != 0) fail("pipe2");
    fcntl(p[1], F_SETPIPE_SZ, 1 << 16);
    RecordReader r(p[0], framing, max);
    for (size_t off = 0; off < data.size(); off += chunk) {
      const size_t n = std::min(chunk, data.size() - off);
      if (write(p[1], data.data() + off, n) != static_cast<ssize_t>(n)) fail("write");
      if (!drain(r, &got)) fail("early EOF");
    }
    close(p[1]);
    if (drain(r, &got)) fail("kWouldBlock after the writer closed");
    close(p[0]);
  }
  if (got != want) fail("records differ from the reference split");
  return 0;
}
