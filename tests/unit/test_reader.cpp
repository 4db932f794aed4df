#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sluice/reader.h"

using namespace sluice;
using Next = RecordReader::Next;

namespace {

// A seekable fd holding `data`, positioned at its start.
int memfd_with(std::string_view data) {
  const int fd = memfd_create("reader_test", 0);
  REQUIRE(fd >= 0);
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(fd, data.data() + off, data.size() - off);
    REQUIRE(n > 0);
    off += static_cast<size_t>(n);
  }
  REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

struct Item {
  Next kind;
  std::string record;  // for kRecord
  uint64_t number;
  bool operator==(const Item&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Item& i) {
  return os << "{" << static_cast<int>(i.kind) << ", '" << i.record << "', " << i.number << "}";
}

// Reads everything up to kEof (blocking fd).
std::vector<Item> read_all(RecordReader& r) {
  std::vector<Item> items;
  while (true) {
    std::string_view rec;
    const Next n = r.next(&rec);
    if (n == Next::kEof) break;
    REQUIRE(n != Next::kError);
    REQUIRE(n != Next::kWouldBlock);
    items.push_back({n, n == Next::kRecord ? std::string(rec) : "", r.record_number()});
  }
  return items;
}

std::vector<Item> read_string(std::string_view data, Framing f, size_t max) {
  const int fd = memfd_with(data);
  RecordReader r(fd, std::move(f), max);
  std::vector<Item> items = read_all(r);
  CHECK(r.bytes_read() == data.size());
  close(fd);
  return items;
}

Item rec(std::string s, uint64_t n) {
  return {Next::kRecord, std::move(s), n};
}
Item big(uint64_t n) {
  return {Next::kOversized, "", n};
}

}  // namespace

TEST_CASE("lines, empty lines and a last line without newline") {
  CHECK(read_string("a\n\nbc\nlast", Framing::Line(), 100) ==
        std::vector<Item>{rec("a", 1), rec("", 2), rec("bc", 3), rec("last", 4)});
  CHECK(read_string("", Framing::Line(), 100).empty());
  CHECK(read_string("\n", Framing::Line(), 100) == std::vector<Item>{rec("", 1)});
  CHECK(read_string(std::string("nul\0in\nline", 11), Framing::Line(), 100) ==
        std::vector<Item>{rec(std::string("nul\0in", 6), 1), rec("line", 2)});
}

TEST_CASE("CRLF is stripped for line framing only") {
  CHECK(read_string("a\r\nb\r\r\nc\r", Framing::Line(), 100) ==
        std::vector<Item>{rec("a", 1), rec("b\r", 2), rec("c", 3)});
  CHECK(read_string("a\r\nb\r\n", *Framing::Delimited("\\n"), 100) ==
        std::vector<Item>{rec("a\r", 1), rec("b\r", 2)});
  CHECK(read_string("a\r\nb\r\n", *Framing::Delimited("\\r\\n"), 100) ==
        std::vector<Item>{rec("a", 1), rec("b", 2)});
}

TEST_CASE("NUL and multi-byte delimiters") {
  CHECK(read_string(std::string("a\0b\n\0\0c", 7), Framing::Null(), 100) ==
        std::vector<Item>{rec("a", 1), rec("b\n", 2), rec("", 3), rec("c", 4)});
  CHECK(read_string("x||y|z||||", *Framing::Delimited("||"), 100) ==
        std::vector<Item>{rec("x", 1), rec("y|z", 2), rec("", 3)});
}

TEST_CASE("oversized records are skipped and later ones still returned") {
  const std::string huge(5000, 'x');
  CHECK(read_string("ok1\n" + huge + "\nok2\n" + huge + "\r\nok3", Framing::Line(), 10) ==
        std::vector<Item>{rec("ok1", 1), big(2), rec("ok2", 3), big(4), rec("ok3", 5)});
  // Exactly at the limit is fine, also with a CR that gets stripped.
  CHECK(read_string("0123456789\n0123456789\r\n01234567890\n", Framing::Line(), 10) ==
        std::vector<Item>{rec("0123456789", 1), rec("0123456789", 2), big(3)});
  // An oversized last record without a delimiter.
  CHECK(read_string("a\n" + huge, Framing::Line(), 10) == std::vector<Item>{rec("a", 1), big(2)});
  CHECK(read_string("a\n01234567890", Framing::Line(), 10) ==
        std::vector<Item>{rec("a", 1), big(2)});
  // With a multi-byte delimiter split across the skipped region.
  CHECK(read_string("a||" + huge + "||b", *Framing::Delimited("||"), 10) ==
        std::vector<Item>{rec("a", 1), big(2), rec("b", 3)});
}

TEST_CASE("oversized records much larger than the buffer") {
  const std::string huge(5 << 20, 'y');
  CHECK(read_string("first\n" + huge + "\nsecond\n", Framing::Line(), 1000) ==
        std::vector<Item>{rec("first", 1), big(2), rec("second", 3)});
}

TEST_CASE("records larger than the initial buffer but under the limit") {
  std::string huge(3 << 20, 'z');
  huge[12345] = 'q';
  const std::vector<Item> items = read_string("a\n" + huge + "\nb", Framing::Line(), 4 << 20);
  REQUIRE(items.size() == 3);
  CHECK(items[1].record == huge);
  CHECK(items[2] == rec("b", 3));
}

TEST_CASE("many lines across buffer refills keep their numbers") {
  std::string data;
  std::mt19937 rng(5);
  std::vector<std::string> lines;
  for (int i = 0; i < 60000; ++i) {
    lines.push_back(std::to_string(i) + std::string(rng() % 80, 'a' + i % 26));
    data += lines.back() + (i % 3 == 0 ? "\r\n" : "\n");
  }
  const std::vector<Item> items = read_string(data, Framing::Line(), 1000);
  REQUIRE(items.size() == lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    REQUIRE(items[i] == rec(lines[i], i + 1));
  }
}

TEST_CASE("pipes written a byte at a time") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  const std::string data = "alpha||beta||" + std::string(40, 'g') + "||tail";
  std::thread writer([&] {
    for (char c : data) REQUIRE(write(p[1], &c, 1) == 1);
    close(p[1]);
  });
  RecordReader r(p[0], *Framing::Delimited("||"), 20);
  const std::vector<Item> items = read_all(r);
  writer.join();
  close(p[0]);
  CHECK(items == std::vector<Item>{rec("alpha", 1), rec("beta", 2), big(3), rec("tail", 4)});
}

TEST_CASE("non-blocking fds report kWouldBlock and keep partial records") {
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  RecordReader r(p[0], Framing::Line(), 100);
  std::string_view rec_view;
  CHECK(r.next(&rec_view) == Next::kWouldBlock);
  REQUIRE(write(p[1], "par", 3) == 3);
  CHECK(r.next(&rec_view) == Next::kWouldBlock);
  REQUIRE(write(p[1], "tial\r\nnext\n", 11) == 11);
  REQUIRE(r.next(&rec_view) == Next::kRecord);
  CHECK(rec_view == "partial");
  CHECK(r.record_number() == 1);
  REQUIRE(r.next(&rec_view) == Next::kRecord);
  CHECK(rec_view == "next");
  CHECK(r.next(&rec_view) == Next::kWouldBlock);
  REQUIRE(write(p[1], "end", 3) == 3);
  close(p[1]);
  REQUIRE(r.next(&rec_view) == Next::kRecord);
  CHECK(rec_view == "end");
  CHECK(r.record_number() == 3);
  CHECK(r.next(&rec_view) == Next::kEof);
  CHECK(r.next(&rec_view) == Next::kEof);
  close(p[0]);
}

TEST_CASE("reset starts over on a new fd with numbering from 1") {
  const int a = memfd_with("1\n2\n");
  const int b = memfd_with("x\n");
  RecordReader r(a, Framing::Line(), 100);
  CHECK(read_all(r).size() == 2);
  r.reset(b);
  CHECK(read_all(r) == std::vector<Item>{rec("x", 1)});
  close(a);
  close(b);
}

TEST_CASE("read errors surface as kError with the errno") {
  RecordReader r(-1, Framing::Line(), 100);
  std::string_view rec_view;
  CHECK(r.next(&rec_view) == Next::kError);
  CHECK(!r.status().ok());
  CHECK(r.status().message().find("cannot read input") == 0);
  CHECK(r.status().message().find("bad file descriptor") != std::string::npos);
  CHECK(r.next(&rec_view) == Next::kError);
}

TEST_CASE("length-prefixed framing: u32be and varint, oversized skipped exactly, cut short") {
  std::string u32, var;
  for (std::string_view r : {std::string_view("a\nb"), std::string_view(""),
                             std::string_view("\0\xff", 2), std::string_view("0123456789")}) {
    append_length_prefix(Framing::Kind::kU32Be, r.size(), u32);
    u32 += r;
    append_length_prefix(Framing::Kind::kVarint, r.size(), var);
    var += r;
  }
  CHECK(u32.substr(0, 7) == std::string("\0\0\0\3a\nb", 7));
  for (const auto& [spec, data] : {std::pair{"u32be", u32}, std::pair{"varint", var}}) {
    CAPTURE(spec);
    const int fd = memfd_with(data);
    RecordReader r(fd, *Framing::LengthPrefixed(spec), 5);
    CHECK(read_all(r) ==
          std::vector<Item>{rec("a\nb", 1), rec("", 2), rec(std::string("\0\xff", 2), 3), big(4)});
    close(fd);
  }
  // Cut short by EOF: the records before it, then the bytes there were, as
  // kCutShort naming it, then the end.
  const int fd = memfd_with(u32.substr(0, 9));
  RecordReader r(fd, *Framing::LengthPrefixed("u32be"), 100);
  std::string_view got;
  REQUIRE(r.next(&got) == Next::kRecord);
  REQUIRE(r.next(&got) == Next::kCutShort);
  CHECK(got == u32.substr(7, 2));
  CHECK(r.record_number() == 2);
  CHECK(r.cut_short_reason() ==
        "cut short: 2 bytes (with its length prefix) before the end of the input");
  CHECK(r.next(&got) == Next::kEof);
  close(fd);

  uint64_t len = 0;
  size_t used = 0;
  CHECK(parse_length_prefix(Framing::Kind::kVarint, "\xac\x02", &len, &used) == 1);
  CHECK((len == 300 && used == 2));
  CHECK(parse_length_prefix(Framing::Kind::kVarint, "\x80", &len, &used) == 0);
  CHECK(parse_length_prefix(Framing::Kind::kVarint, std::string(10, '\x80'), &len, &used) == -1);
  CHECK(parse_length_prefix(Framing::Kind::kVarint, std::string(9, '\xff') + "\x01", &len, &used) ==
        1);
  CHECK(len == UINT64_MAX);
  CHECK(parse_length_prefix(Framing::Kind::kVarint, std::string(9, '\xff') + "\x02", &len, &used) ==
        -1);
  CHECK_FALSE(Framing::LengthPrefixed("u16").ok());
}

TEST_CASE("next_buffered takes only the records already in the buffer, and never reads") {
  int p[2];
  REQUIRE(pipe(p) == 0);
  REQUIRE(write(p[1], "one\ntwo\r\nthr", 12) == 12);
  RecordReader r(p[0], Framing::Line(), 100);
  std::string_view a;
  std::string_view b;
  std::string_view c;
  REQUIRE(r.next(&a) == Next::kRecord);
  REQUIRE(r.next_buffered(&b) == Next::kRecord);
  // "thr" has no newline yet: a blocking fd would wait, next_buffered does not.
  CHECK(r.next_buffered(&c) == Next::kWouldBlock);
  CHECK(r.record_number() == 2);
  // Both views are valid together; the bytes after them are the buffer's.
  CHECK(a == "one");
  CHECK(b == "two");
  CHECK(a.data()[a.size()] == '\n');
  CHECK(b.data()[b.size()] == '\r');
  CHECK(r.bytes_after(a) == r.bytes_after(b) + 4);  // "\ntwo"
  CHECK(r.bytes_after(b) >= 64);
  REQUIRE(write(p[1], "ee\n", 3) == 3);
  close(p[1]);
  REQUIRE(r.next(&c) == Next::kRecord);
  CHECK(c == "three");
  CHECK(r.record_number() == 3);
  CHECK(r.next_buffered(&c) == Next::kWouldBlock);
  CHECK(r.next(&c) == Next::kEof);
  CHECK(r.next_buffered(&c) == Next::kEof);
  close(p[0]);
}
