#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sluice/msgpack.h"

using namespace sluice;
using Next = MsgpackReader::Next;

namespace {

int memfd_with(std::string_view data) {
  const int fd = memfd_create("msgpack_test", 0);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

const std::string kWide(      // wide, non-canonical encodings of small values
    "\xcf\0\0\0\0\0\0\0\x01"  // uint64 1
    "\xdb\0\0\0\x01"
    "a"                    // str32 "a"
    "\xde\0\x01\xa1k\x01"  // map16 {"k":1}
    "\x93\x01\x02\x03"     // [1,2,3]
    "\xca\x3f\xc0\0\0"     // float32 1.5
    "\xc4\x02\0\xff",      // bin8
    9 + 6 + 6 + 4 + 5 + 4);

}  // namespace

TEST_CASE("msgpack reader: values byte for byte, wide encodings kept") {
  const int fd = memfd_with(kWide);
  MsgpackReader r(fd, 1 << 20);
  std::string_view v;
  std::string all;
  std::vector<std::string> json;
  while (r.next(&v) == Next::kValue) {
    all.append(v);
    std::string j;
    REQUIRE(msgpack_to_json(v, &j).ok());
    json.push_back(j);
  }
  CHECK(r.status().ok());
  CHECK(r.value_number() == 6);
  CHECK(all == kWide);
  CHECK(json == std::vector<std::string>{"1", "\"a\"", "{\"k\":1}", "[1,2,3]", "1.5", "\"AP8=\""});
  close(fd);
}

TEST_CASE("msgpack reader: a value cut short, and bytes that are no MessagePack") {
  {
    const int fd = memfd_with(kWide.substr(0, 12));
    MsgpackReader r(fd, 1 << 20);
    std::string_view v;
    CHECK(r.next(&v) == Next::kValue);
    CHECK(r.next(&v) == Next::kCutShort);
    CHECK(v == kWide.substr(9, 3));
    CHECK(r.value_number() == 2);
    CHECK(r.error() == "the value is cut short: 3 bytes before the end of the input");
    CHECK(r.next(&v) == Next::kEof);
    CHECK(r.status().ok());
    close(fd);
  }
  {
    const int fd = memfd_with("\x01\xc1");  // 0xc1 is never used
    MsgpackReader r(fd, 1 << 20);
    std::string_view v;
    CHECK(r.next(&v) == Next::kValue);
    CHECK(r.next(&v) == Next::kError);
    CHECK(r.status().message().find("value 2: not MessagePack") == 0);
    close(fd);
  }
  {
    const int fd = memfd_with(std::string("\xc4\x20", 2) + std::string(32, 'x'));
    MsgpackReader r(fd, 16);
    std::string_view v;
    CHECK(r.next(&v) == Next::kError);
    CHECK(r.status().message() ==
          "value 1: longer than the limit of 16 bytes (raise --max-record-bytes)");
    close(fd);
  }
}

TEST_CASE("msgpack <-> JSON") {
  std::string out, j;
  REQUIRE(json_to_msgpack(R"({"a":[1,-2,"x",true,null,1.5,18446744073709551615]})", &out).ok());
  CHECK(out == std::string("\x81\xa1"
                           "a\x97\x01\xfe\xa1x\xc3\xc0\xcb\x3f\xf8\0\0\0\0\0\0\xcf",
                           20) +
                   std::string(8, '\xff'));
  REQUIRE(msgpack_to_json(out, &j).ok());
  CHECK(j == R"({"a":[1,-2,"x",true,null,1.5,18446744073709551615]})");
  CHECK(json_to_msgpack("{nope", &out).is(StatusCode::kBadData));
  CHECK(msgpack_to_json(std::string_view("\xd4\x01\x00", 3), &j).message() ==
        "ext type 1 has no JSON form");
  CHECK(msgpack_to_json("\x81\x01\x02", &j).message() == "a map key that is no str");
  CHECK(msgpack_to_json("\xa1\xff", &j).message() == "a str that is not UTF-8");
  CHECK(msgpack_to_json("\x01\x02", &j).message() == "not one MessagePack value");
  // Declared sizes far beyond the bytes: no allocation, just "need more".
  size_t len = 0;
  CHECK(msgpack_value_length("\xdd\xff\xff\xff\xff\x01", &len) == 0);
  CHECK(msgpack_value_length("\xdb\xff\xff\xff\xff", &len) == 0);
  CHECK(msgpack_value_length(std::string_view("\xc7\x02\x05"
                                              "ab\x01",
                                              6),
                             &len) == 1);
  CHECK(len == 5);
  CHECK(msgpack_value_length("\xc1", &len) == -1);
  CHECK(msgpack_to_json(std::string(40, '\x91') + "\x01", &j).message() ==
        "nested deeper than msgpack-c decodes (32 levels)");
  CHECK(msgpack_to_json(std::string_view("\xcb\x3f\xf0\0\0\0\0\0\0", 9), &j).ok());
  CHECK(j == "1.0");
  out.clear();
  append_msgpack_bytes(std::string_view("\xff", 1), &out);
  CHECK(out == "\xc4\x01\xff");
}
