// Fuzz target for the file log's decoders: the input is treated both as a
// whole segment file (header + records, as readers and the writer's repair
// scan see it) and as a bare record stream. Must never crash or read out of
// bounds; decode results are cross-checked against re-encoding.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "filelog/filelog.h"

using namespace sluice;
using namespace sluice::filelog;

namespace {

void walk_records(const char* data, size_t n) {
  std::vector<Header> headers;
  size_t pos = 0;
  while (pos < n) {
    Message m;
    size_t size = 0;
    headers.clear();
    DecodeStatus st = decode_record(data + pos, n - pos, &m, &headers, &size);
    if (st != DecodeStatus::kOk) break;
    if (size < kRecordHeaderBytes || size > n - pos) abort();
    // A decoded record re-encodes to the very same bytes.
    std::string again;
    encode_record(m, m.seq, m.ts_us, again);
    if (again.size() != size || again.compare(0, size, data + pos, size) != 0) abort();
    pos += size;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exact-size heap buffer so ASan catches any overread.
  std::vector<char> buf(data, data + size);
  const char* p = buf.data();
  int64_t base = 0;
  if (decode_segment_header(p, size, &base)) {
    walk_records(p + kSegmentHeaderBytes, size - kSegmentHeaderBytes);
  }
  walk_records(p, size);
  return 0;
}
