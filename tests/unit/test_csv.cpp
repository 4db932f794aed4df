#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sluice/csv.h"

using namespace sluice;
using Next = CsvReader::Next;

namespace {

int memfd_with(std::string_view data) {
  const int fd = memfd_create("csv_test", 0);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

// Every row of `data` as "line:field|field" or "line:!error".
std::vector<std::string> read_all(std::string_view data, CsvDialect d = CsvDialect::Csv(),
                                  size_t max = 1 << 20) {
  const int fd = memfd_with(data);
  CsvReader r(fd, d, max);
  CsvRow row;
  std::vector<std::string> out;
  for (;;) {
    const Next n = r.next(&row);
    if (n == Next::kEof) break;
    REQUIRE((n == Next::kRow || n == Next::kBad));
    std::string s = std::to_string(r.line()) + ":";
    if (n == Next::kBad) {
      s += "!" + r.error();
    } else {
      for (size_t i = 0; i < row.size(); ++i) s += (i ? "|" : "") + std::string(row.field(i));
    }
    out.push_back(s);
  }
  close(fd);
  return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("csv: RFC 4180 quoting, embedded newlines, CRLF, BOM, blank lines") {
  CHECK(read_all("a,b\n1,2\n") == V{"1:a|b", "2:1|2"});
  CHECK(read_all("\xEF\xBB\xBFx,y\r\n\"q,1\",\"he said \"\"hi\"\"\"\r\n") ==
        V{"1:x|y", "2:q,1|he said \"hi\""});
  CHECK(read_all("\"multi\nline\",z\nnext,1") == V{"1:multi\nline|z", "3:next|1"});
  CHECK(read_all("a,,\n\n\r\n,\n") == V{"1:a||", "4:|"});
  CHECK(read_all("\"\"\n") == V{"1:"});
  CHECK(read_all("last,\"q\"") == V{"1:last|q"});
  CHECK(read_all("ünï,ö\n") == V{"1:ünï|ö"});
}

TEST_CASE("csv: a malformed row is reported by its line and the next rows still come") {
  auto got = read_all("ok,1\nbad\"x,2\n\"ab\"c,3\nok,4\n\"never closed,5\nmore\n");
  REQUIRE(got.size() == 5);
  CHECK(got[0] == "1:ok|1");
  CHECK(got[1].rfind("2:!field 1: a quote inside an unquoted field", 0) == 0);
  CHECK(got[2].rfind("3:!field 1: text after its closing quote", 0) == 0);
  CHECK(got[3] == "4:ok|4");
  CHECK(got[4].rfind("5:!field 1: the quote that opens it is never closed", 0) == 0);
}

TEST_CASE("csv: an oversized row is skipped to the end of its line") {
  const std::string big(100, 'x'), huge(70000, 'x');  // huge: more than one read
  auto got =
      read_all("a\n" + big + "\nb\n\"" + huge + "\"\nc\n\"" + big + "\nz\n", CsvDialect::Csv(), 50);
  REQUIRE(got.size() == 7);
  CHECK(got[0] == "1:a");
  CHECK(got[1].rfind("2:!row longer than the limit of 50 bytes", 0) == 0);
  CHECK(got[2] == "3:b");
  CHECK(got[3].rfind("4:!row longer than the limit of 50 bytes", 0) == 0);
  CHECK(got[4] == "5:c");
  // Never closed, and past the limit: dropped through the first newline
  // past the limit, as if it had arrived in pieces.
  CHECK(got[5].rfind("6:!row longer than the limit of 50 bytes", 0) == 0);
  CHECK(got[6] == "7:z");
}

TEST_CASE("tsv: no quoting, backslash escapes; --csv-delimiter picks the byte") {
  CHECK(read_all("a\t\"b\"\tc\n", CsvDialect::Tsv()) == V{"1:a|\"b\"|c"});
  CHECK(read_all("x\\ty\\n\\\\\\q\\\n", CsvDialect::Tsv()) == V{"1:x\ty\n\\\\q\\"});
  CHECK(read_all("a;b,c\n", CsvDialect{';', true}) == V{"1:a|b,c"});
}

TEST_CASE("csv: rows come out the same through a non-blocking pipe fed byte by byte") {
  const std::string data = "h1,h2\r\n\"a\r\nb\",\"\"\"\"\nx,\"y\"\n";
  int p[2];
  REQUIRE(pipe2(p, O_NONBLOCK) == 0);
  CsvReader r(p[0], CsvDialect::Csv(), 1 << 20);
  CsvRow row;
  V got;
  auto drain = [&] {
    for (;;) {
      const Next n = r.next(&row);
      if (n == Next::kWouldBlock || n == Next::kEof) return n;
      REQUIRE(n == Next::kRow);
      std::string s = std::to_string(r.line()) + ":";
      for (size_t i = 0; i < row.size(); ++i) s += (i ? "|" : "") + std::string(row.field(i));
      got.push_back(s);
    }
  };
  for (char c : data) {
    REQUIRE(write(p[1], &c, 1) == 1);
    CHECK(drain() == Next::kWouldBlock);
  }
  close(p[1]);
  CHECK(drain() == Next::kEof);
  close(p[0]);
  CHECK(got == V{"1:h1|h2", "2:a\r\nb|\"", "4:x|y"});
}

TEST_CASE("csv to JSON: arrays, objects by header, --infer, errors") {
  CsvRow row;
  size_t used = 0;
  std::string err, out;
  auto parse = [&](std::string_view s) {
    REQUIRE(CsvParse::Row(s, true, CsvDialect::Csv(), &row, &used, &err) == CsvParse::Result::kRow);
  };
  CsvToJson plain(false);
  parse("1,\"x\"\"y\",\"a\nb\"");
  REQUIRE(plain.convert(row, &out).ok());
  CHECK(out == R"(["1","x\"y","a\nb"])");

  CsvToJson inferring(true);
  parse("id,n,ok,s");
  REQUIRE(inferring.set_header(row).ok());
  parse("42,-1.5e3,true,007");
  REQUIRE(inferring.convert(row, &out).ok());
  CHECK(out == R"({"id":42,"n":-1.5e3,"ok":true,"s":"007"})");
  parse("1,2,,");
  REQUIRE(inferring.convert(row, &out).ok());
  CHECK(out == R"({"id":1,"n":2,"ok":"","s":""})");
  parse("1,2");
  Status st = inferring.convert(row, &out);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message() == "the row has 2 fields, the header 4");
  parse("a,\xff");
  CHECK(plain.convert(row, &out).message() == "field 2 is not valid UTF-8");
  parse("\xef\xbb,\xbf");  // valid only when the fields are joined
  CHECK(plain.convert(row, &out).message() == "field 1 is not valid UTF-8");

  CsvToJson dup(false);
  parse("a,b,a");
  CHECK(dup.set_header(row).message() == "the header names column 'a' twice");
}

TEST_CASE("csv writer: quotes only what needs it, and reads back the same") {
  std::string out;
  CHECK(append_csv_row({"plain", "with,comma", "q\"uote", "new\nline", "ünï", ""},
                       CsvDialect::Csv(), &out));
  CHECK(out == "plain,\"with,comma\",\"q\"\"uote\",\"new\nline\",ünï,\n");
  CHECK(read_all(out) == V{"1:plain|with,comma|q\"uote|new\nline|ünï|"});
  out.clear();
  CHECK(append_csv_row({""}, CsvDialect::Csv(), &out));
  CHECK(read_all(out) == V{"1:"});
  out.clear();
  CHECK(append_csv_row({"a\tb", "c\\d\ne"}, CsvDialect::Tsv(), &out));
  CHECK(out == "a\\tb\tc\\\\d\\ne\n");
  CHECK(read_all(out, CsvDialect::Tsv()) == V{"1:a\tb|c\\d\ne"});
  out.clear();
  CHECK_FALSE(append_csv_row({""}, CsvDialect::Tsv(), &out));
  CHECK_FALSE(append_csv_row({"a;b"}, CsvDialect{';', false}, &out));
}

TEST_CASE("JSON to csv: paths, header once, non-strings as JSON text") {
  auto c = JsonToCsv::Parse("id,user.name,tags", CsvDialect::Csv(), true);
  REQUIRE(c.ok());
  std::string out;
  (*c)->append_row(R"({"id":7,"user":{"name":"a, b"},"tags":[1,"x"]})", &out);
  out += '\n';
  (*c)->append_row("not json", &out);
  out += '\n';
  (*c)->append_row(R"({"id":"q\"","user":null})", &out);
  CHECK(out == "id,user.name,tags\n7,\"a, b\",\"[1,\"\"x\"\"]\"\n,,\n\"q\"\"\",,");
  CHECK(JsonToCsv::Parse("a,", CsvDialect::Csv(), false).status().message() ==
        "empty path at column 3 of 'a,'");
  CHECK_FALSE(JsonToCsv::Parse("", CsvDialect::Csv(), false).ok());
}
