// The flag-table parser (tools/common/flags.h): values, the house-style
// usage errors that replace CLI11's words, and --help made from the table.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/flags.h"

using namespace sluice::cli;

namespace {

constexpr Positional kPos[] = {
    {"STREAM", "the stream URI", Hint::kStream},
    {"PIPE|-", "the output", Hint::kFile, true},
};

constexpr Flag kTestFlags[] = {
    {.name = "from",
     .short_name = 'o',
     .value_name = "POS",
     .arity = Arity::kOne,
     .help = "where to start"},
    {.name = "count",
     .short_name = 'c',
     .value_name = "N",
     .arity = Arity::kOne,
     .help = "stop after N"},
    {.name = "exit", .short_name = 'e', .help = "stop at the end"},
    {.name = "null", .short_name = '0', .help = "NUL delimiters"},
    {.name = "header",
     .short_name = 'H',
     .value_name = "NAME=VALUE",
     .arity = Arity::kMany,
     .help = "add a header"},
    {.name = "on-error",
     .value_name = "POLICY",
     .arity = Arity::kOne,
     .default_value = "fail",
     .help = "fail or skip",
     .hint = Hint::kChoices,
     .choices = "fail skip"},
    {.name = "help", .short_name = 'h', .help = "print this help"},
};

constexpr ToolSpec kTest{
    .name = "t",
    .summary = "a test tool",
    .about = "Reads STREAM.",
    .positionals = kPos,
    .flags = kTestFlags,
};

// Runs Args::parse on `words` (argv[0] added) with stdout and stderr
// captured.
struct Run {
  Args args;
  int rc = 0;
  std::string out, err;

  explicit Run(std::vector<std::string> words) {
    words.insert(words.begin(), "t");
    std::vector<char*> argv;
    for (std::string& w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    std::fflush(stderr);
    FILE* o = std::tmpfile();
    FILE* e = std::tmpfile();
    int saved_out = dup(1), saved_err = dup(2);
    dup2(fileno(o), 1);
    dup2(fileno(e), 2);
    rc = args.parse(kTest, static_cast<int>(words.size()), argv.data());
    std::fflush(stdout);
    std::fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    out = slurp(o);
    err = slurp(e);
  }
  static std::string slurp(FILE* f) {
    std::string s;
    std::rewind(f);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) s.append(buf, n);
    std::fclose(f);
    return s;
  }
};

}  // namespace

TEST_CASE("flags: values, switches, repeats and positionals") {
  Run r({"-o", "5", "-e", "file:log/s", "-H", "a=1", "--header=b=2", "--from", "-2"});
  REQUIRE(r.rc == -1);
  CHECK(r.args.value("from") == "-2");  // the last one wins, as getopt
  CHECK(r.args.has("exit"));
  CHECK_FALSE(r.args.has("null"));
  CHECK(r.args.values("header") == std::vector<std::string>{"a=1", "b=2"});
  CHECK(r.args.positionals() == std::vector<std::string>{"file:log/s"});
  CHECK(r.args.value("count").empty());       // not given, no default
  CHECK(r.args.value("on-error") == "fail");  // the table's default
  CHECK(r.err.empty());

  Run bundled({"-e0", "s", "-"});
  REQUIRE(bundled.rc == -1);
  CHECK(bundled.args.has("exit"));
  CHECK(bundled.args.has("null"));
  CHECK(bundled.args.positionals() == std::vector<std::string>{"s", "-"});

  Run dashdash({"s", "--", "-odd-name"});
  REQUIRE(dashdash.rc == -1);
  CHECK(dashdash.args.positionals() == std::vector<std::string>{"s", "-odd-name"});
}

TEST_CASE("flags: usage errors are ours, one line, exit 64") {
  Run unknown({"--bogus", "s"});
  CHECK(unknown.rc == 64);
  CHECK(unknown.err == "t: unknown option '--bogus' (see 't --help')\n");

  Run unknown_short({"-z", "s"});
  CHECK(unknown_short.rc == 64);
  CHECK(unknown_short.err.find("unknown option '-z'") != std::string::npos);

  Run missing({});
  CHECK(missing.rc == 64);
  CHECK(missing.err ==
        "t: missing arguments; usage: t [OPTIONS] STREAM [PIPE|-] (see 't --help')\n");

  Run extra({"a", "b", "c"});
  CHECK(extra.rc == 64);
  CHECK(extra.err ==
        "t: too many arguments; usage: t [OPTIONS] STREAM [PIPE|-] (see 't --help')\n");

  Run no_value({"s", "--count"});
  CHECK(no_value.rc == 64);
  CHECK(no_value.err == "t: --count needs a value (N) (see 't --help')\n");

  for (const std::string& e : {unknown.err, missing.err, extra.err, no_value.err}) {
    CHECK(e.find("The following") == std::string::npos);
    CHECK(e.find("REQUIRED") == std::string::npos);
    CHECK(std::count(e.begin(), e.end(), '\n') == 1);
  }
}

TEST_CASE("flags: typed values say what is wrong with them") {
  Run r({"s", "--count", "abc", "--on-error", "maybe"});
  REQUIRE(r.rc == -1);
  int rc = 0;
  int64_t n = 0;
  {
    Run again({"s", "--count", "12"});
    REQUIRE(again.args.integer("count", -1, &n, &rc));
    CHECK(n == 12);
    REQUIRE(again.args.integer("from", -1, &n, &rc));
    CHECK(n == -1);  // not given: the fallback
  }
  std::fflush(stderr);
  FILE* e = std::tmpfile();
  int saved = dup(2);
  dup2(fileno(e), 2);
  bool ok_count = r.args.integer("count", -1, &n, &rc);
  std::string policy;
  int rc2 = 0;
  bool ok_choice = r.args.choice("on-error", &policy, &rc2);
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::string err = Run::slurp(e);
  CHECK_FALSE(ok_count);
  CHECK(rc == 64);
  CHECK_FALSE(ok_choice);
  CHECK(rc2 == 64);
  CHECK(err.find("t: --count: 'abc' is not a whole number (see 't --help')") != std::string::npos);
  CHECK(err.find("t: --on-error 'maybe': expected fail or skip (see 't --help')") !=
        std::string::npos);
}

TEST_CASE("flags: --help comes from the table, on stdout, exit 0") {
  Run r({"--help"});
  CHECK(r.rc == 0);
  CHECK(r.err.empty());
  CHECK(r.out.rfind("Usage: t [OPTIONS] STREAM [PIPE|-]\n", 0) == 0);
  CHECK(r.out.find("Reads STREAM.") != std::string::npos);
  CHECK(r.out.find("  -o, --from POS") != std::string::npos);
  CHECK(r.out.find("  --on-error POLICY") != std::string::npos);
  CHECK(r.out.find("fail or skip (default fail)") != std::string::npos);
  CHECK(r.out.find("  -H, --header NAME=VALUE") != std::string::npos);
  CHECK(r.out.find("STREAM_PIPE") == std::string::npos);
  CHECK(render_help(kTest) == r.out);
}
