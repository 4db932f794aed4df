// Fuzz target: the CSV/TSV reader, its JSON form and the CSV writer.
//
// Input: byte 0 picks the dialect, byte 1 the row limit, byte 2 the write
// chunk size, the rest is the input. The rows (and bad-row reports, with
// their line numbers) read from a memfd must equal those read from a
// non-blocking pipe fed in chunks; every row written back with
// append_csv_row must parse to the same fields; every JSON form must be
// valid JSON.
#include <fcntl.h>
#include <simdjson.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sluice/csv.h"

using namespace sluice;
using Next = CsvReader::Next;

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_csv: %s\n", what);
  std::abort();
}

struct Event {
  bool bad;
  std::vector<std::string> fields;  // or the error
  uint64_t line;
  bool operator==(const Event&) const = default;
};

simdjson::dom::parser& json_parser() {
  static simdjson::dom::parser p;
  return p;
}

void check_row(const CsvRow& row, const CsvDialect& d) {
  std::vector<std::string_view> fields;
  for (size_t i = 0; i < row.size(); ++i) fields.push_back(row.field(i));
  std::string text;
  if (append_csv_row(fields, d, &text)) {
    CsvRow again;
    size_t used = 0;
    std::string err;
    if (CsvParse::Row(text, true, d, &again, &used, &err) != CsvParse::Result::kRow) {
      fail("a written row does not parse");
    }
    if (used != text.size()) fail("a written row parses shorter");
    if (again.size() != row.size()) fail("a written row has another field count");
    for (size_t i = 0; i < row.size(); ++i) {
      if (again.field(i) != row.field(i)) fail("a written field reads back differently");
    }
  }
  for (bool infer : {false, true}) {
    CsvToJson json(infer);
    std::string out;
    if (!json.convert(row, &out).ok()) continue;
    simdjson::dom::element e;
    if (json_parser().parse(out).get(e)) fail("the JSON form is not JSON");
  }
}

bool drain(CsvReader& r, const CsvDialect& d, std::vector<Event>* got) {
  CsvRow row;
  for (;;) {
    switch (r.next(&row)) {
      case Next::kRow: {
        Event e{false, {}, r.line()};
        for (size_t i = 0; i < row.size(); ++i) e.fields.emplace_back(row.field(i));
        got->push_back(std::move(e));
        check_row(row, d);
        break;
      }
      case Next::kBad:
        got->push_back({true, {r.error()}, r.line()});
        break;
      case Next::kWouldBlock:
        return true;
      case Next::kEof:
        return false;
      case Next::kError:
        fail(r.status().message().c_str());
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 3) return 0;
  const CsvDialect dialects[] = {CsvDialect::Csv(), CsvDialect::Tsv(), CsvDialect{';', true}};
  const CsvDialect d = dialects[bytes[0] % 3];
  const size_t max = 8 + bytes[1];
  const size_t chunk = 1 + bytes[2] % 64;
  const std::string_view data(reinterpret_cast<const char*>(bytes + 3), size - 3);
  if (data.size() > 60000) return 0;  // stays under the pipe's buffer

  std::vector<Event> want, got;
  const int fd = memfd_create("fuzz_csv", 0);
  if (fd < 0) fail("memfd_create");
  if (write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) fail("write");
  lseek(fd, 0, SEEK_SET);
  {
    CsvReader r(fd, d, max);
    if (drain(r, d, &want)) fail("kWouldBlock on a blocking fd");
  }
  close(fd);

  int p[2];
  if (pipe2(p, O_NONBLOCK) != 0) fail("pipe2");
  fcntl(p[1], F_SETPIPE_SZ, 1 << 16);
  CsvReader r(p[0], d, max);
  for (size_t off = 0; off < data.size(); off += chunk) {
    const size_t n = std::min(chunk, data.size() - off);
    if (write(p[1], data.data() + off, n) != static_cast<ssize_t>(n)) fail("write");
    if (!drain(r, d, &got)) fail("early EOF");
  }
  close(p[1]);
  if (drain(r, d, &got)) fail("kWouldBlock after the writer closed");
  close(p[0]);
  if (got != want) fail("chunked reading differs from reading at once");
  return 0;
}
