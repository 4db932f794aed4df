#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sluice/uri.h"

using namespace sluice;

namespace {

StreamUri parse_ok(std::string_view text, UriKind kind = UriKind::kStream) {
  Result<StreamUri> r = parse_stream_uri(text, kind);
  INFO("uri: ", text);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return *r;
}

std::string parse_error(std::string_view text, UriKind kind = UriKind::kStream) {
  Result<StreamUri> r = parse_stream_uri(text, kind);
  if (r.ok()) return "ok";
  CHECK(r.status().code() == StatusCode::kInvalidArgument);
  return r.status().message();
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("bare words and file: uris") {
  StreamUri u = parse_ok("news");
  CHECK(u.scheme == Scheme::kFile);
  CHECK(u.dir == "");
  CHECK(u.streams == Strings{"news"});
  CHECK(u.stream_path("news") == "news");

  u = parse_ok("data/news");
  CHECK(u.dir == "data");
  CHECK(u.streams == Strings{"news"});
  CHECK(u.stream_path("news") == "data/news");

  u = parse_ok("file:///var/lib/sluice/news,sports");
  CHECK(u.dir == "/var/lib/sluice");
  CHECK(u.streams == Strings{"news", "sports"});

  u = parse_ok("file:/abs");
  CHECK(u.dir == "/");
  CHECK(u.streams == Strings{"abs"});
  CHECK(u.stream_path("abs") == "/abs");

  u = parse_ok("file:rel/path/s");
  CHECK(u.dir == "rel/path");
  CHECK(u.streams == Strings{"s"});

  u = parse_ok("file://localhost/srv/s");
  CHECK(u.dir == "/srv");

  u = parse_ok("./a:b");  // a colon after a slash is not a scheme
  CHECK(u.scheme == Scheme::kFile);
  CHECK(u.dir == ".");
  CHECK(u.streams == Strings{"a:b"});

  u = parse_ok("FILE:x?segment_bytes=1M");
  CHECK(u.streams == Strings{"x"});
  REQUIRE(u.param("segment_bytes") != nullptr);
  CHECK(*u.param("segment_bytes") == "1M");

  u = parse_ok("cdc.{schema}.{table}");
  CHECK(u.streams == Strings{"cdc.{schema}.{table}"});
}

TEST_CASE("file cluster uris: the whole path is the directory") {
  CHECK(parse_ok("file:data/logs", UriKind::kCluster).dir == "data/logs");
  CHECK(parse_ok("data/logs/", UriKind::kCluster).dir == "data/logs");
  CHECK(parse_ok("file:", UriKind::kCluster).dir == "");
  CHECK(parse_ok("file:///", UriKind::kCluster).dir == "/");
  CHECK(parse_ok("file:data", UriKind::kCluster).streams.empty());
  // kAny: a trailing slash says "no stream".
  StreamUri u = parse_ok("file:data/", UriKind::kAny);
  CHECK(u.dir == "data");
  CHECK(u.streams.empty());
  u = parse_ok("file:data/s", UriKind::kAny);
  CHECK(u.dir == "data");
  CHECK(u.streams == Strings{"s"});
}

TEST_CASE("file uris print back in a form that parses the same") {
  CHECK(parse_ok("data/news").redacted() == "file:data/news");
  CHECK(parse_ok("a//b").redacted() == "file:a/b");
  CHECK(parse_ok("/srv/x,y?k=v").redacted() == "file:/srv/x,y?k=v");
  CHECK(parse_ok("file:data", UriKind::kCluster).redacted() == "file:data/");
  CHECK(parse_ok("file:", UriKind::kCluster).redacted() == "file:");
  // A bare word starting with "//" is a path, not file://HOST.
  StreamUri u = parse_ok("//srv/x");
  CHECK(u.dir == "//srv");
  CHECK(u.redacted() == "file:////srv/x");
  CHECK(parse_ok(u.redacted()).dir == "//srv");
}

TEST_CASE("stdio") {
  CHECK(parse_ok("-").scheme == Scheme::kStdio);
  CHECK(parse_ok("stdio:").scheme == Scheme::kStdio);
  CHECK(parse_ok("-").streams.empty());
  CHECK(parse_ok("-").redacted() == "-");
  CHECK(parse_error("stdio:x") ==
        "invalid stream uri 'stdio:x': stdio: takes no stream name or options");
}

TEST_CASE("kafka uris") {
  StreamUri u = parse_ok("kafka://k1:9092,k2:9093/orders,payments?compression.type=zstd&acks=all");
  CHECK(u.scheme == Scheme::kKafka);
  CHECK(u.hosts == Strings{"k1:9092", "k2:9093"});
  CHECK(u.streams == Strings{"orders", "payments"});
  REQUIRE(u.params.size() == 2);
  CHECK(u.params[0].first == "compression.type");
  CHECK(u.params[0].second == "zstd");
  CHECK(*u.param("acks") == "all");
  CHECK(u.param("nope") == nullptr);

  u = parse_ok("kafka://[::1]:9092/cdc.{schema}.{table}");
  CHECK(u.hosts == Strings{"[::1]:9092"});
  CHECK(u.streams == Strings{"cdc.{schema}.{table}"});

  u = parse_ok("kafka://h:9092", UriKind::kCluster);
  CHECK(u.streams.empty());
  u = parse_ok("kafka://h:9092/", UriKind::kAny);
  CHECK(u.streams.empty());
  u = parse_ok("KAFKA://h:1/t?sasl.password=p%40ss&x=a%2Cb");
  CHECK(*u.param("sasl.password") == "p@ss");
  CHECK(*u.param("x") == "a,b");
  CHECK(u.redacted() == "kafka://h:1/t?sasl.password=***&x=a%2Cb");
}

TEST_CASE("redis uris") {
  StreamUri u = parse_ok("redis://h/s1,s2?db=2");
  CHECK(u.scheme == Scheme::kRedis);
  CHECK(u.hosts == Strings{"h:6379"});
  CHECK(u.streams == Strings{"s1", "s2"});
  CHECK(*u.param("db") == "2");
  CHECK(u.user.empty());

  u = parse_ok("rediss://alice:s%3Acr%40t@cache.example:6380/events");
  CHECK(u.scheme == Scheme::kRediss);
  CHECK(u.user == "alice");
  CHECK(u.password == "s:cr@t");
  CHECK(u.hosts == Strings{"cache.example:6380"});
  CHECK(u.redacted() == "rediss://alice:***@cache.example:6380/events");
  CHECK(u.redacted().find("cr") == std::string::npos);

  u = parse_ok("redis://:onlypass@h/s");
  CHECK(u.user.empty());
  CHECK(u.password == "onlypass");
  CHECK(u.redacted() == "redis://:***@h:6379/s");

  u = parse_ok("redis://h1,h2:7000", UriKind::kCluster);
  CHECK(u.hosts == Strings{"h1:6379", "h2:7000"});

  // redacted() output parses back to the same URI.
  u = parse_ok("redis://u%40x@h/a,b?db=1");
  StreamUri again = parse_ok(u.redacted());
  CHECK(again.user == "u@x");
  CHECK(again.streams == u.streams);
  CHECK(again.params == u.params);
}

TEST_CASE("uri errors name the wrong part") {
  CHECK(parse_error("foo://x") ==
        "invalid stream uri 'foo://x': unknown scheme 'foo' (expected file:, "
        "kafka://, redis://, rediss:// or -)");
  CHECK(parse_error("kafka://h/t") == "invalid stream uri 'kafka://h/t': broker 'h' has no port");
  CHECK(parse_error("kafka://h:1/a,,b") ==
        "invalid stream uri 'kafka://h:1/a,,b': empty stream name at position 2");
  CHECK(parse_error("kafka://h:1/a,") ==
        "invalid stream uri 'kafka://h:1/a,': empty stream name at position 2");
  CHECK(parse_error("a,,b") == "invalid stream uri 'a,,b': empty stream name at position 2");
  CHECK(parse_error(",a") == "invalid stream uri ',a': empty stream name at position 1");
  CHECK(parse_error("kafka://h:1,/t") ==
        "invalid stream uri 'kafka://h:1,/t': empty broker at position 2");
  CHECK(parse_error("kafka://h:99999/t").find("broker 'h:99999' has an invalid port '99999'") !=
        std::string::npos);
  CHECK(parse_error("kafka://h:x/t").find("invalid port 'x'") != std::string::npos);
  CHECK(parse_error("kafka://h:1") ==
        "invalid stream uri 'kafka://h:1': no topic name (expected kafka://HOST:PORT/TOPIC)");
  CHECK(parse_error("kafka:///t").find("no broker") != std::string::npos);
  CHECK(parse_error("kafka://h:1/my topic").find("topic 'my topic' has an invalid character ' '") !=
        std::string::npos);
  CHECK(parse_error("kafka://u:secret@h:1/t") ==
        "invalid stream uri 'kafka://u:***@h:1/t': kafka uris take no user:password "
        "(use ?sasl.username=...&sasl.password=... or SLUICE_KAFKA_* variables)");
  CHECK(parse_error("kafka:h:1/t") ==
        "invalid stream uri 'kafka:h:1/t': expected 'kafka://' before the host");
  CHECK(parse_error("kafka://h:1/t", UriKind::kCluster) ==
        "invalid cluster uri 'kafka://h:1/t': a cluster uri takes no stream name ('t')");
  CHECK(parse_error("redis://h::1/s").find("put an IPv6 address in brackets") != std::string::npos);
  CHECK(parse_error("redis://[::1/s").find("has no closing ']'") != std::string::npos);
  CHECK(parse_error("redis://h:/s").find("host 'h:' has an empty port") != std::string::npos);
  CHECK(parse_error("redis://:p@/s") ==
        "invalid stream uri 'redis://:***@/s': no host (expected redis://HOST[:PORT]/STREAM)");
  CHECK(parse_error("redis://h/s?db=x") ==
        "invalid stream uri 'redis://h/s?db=x': query parameter 'db' must be a non-negative "
        "integer, not 'x'");
  CHECK(parse_error("redis://h/s?flag").find("query parameter 'flag' has no value") !=
        std::string::npos);
  CHECK(parse_error("redis://h/s?=1").find("query parameter with an empty name") !=
        std::string::npos);
  CHECK(parse_error("redis://u:p%zz@h/s") ==
        "invalid stream uri 'redis://u:***@h/s': bad percent-encoding in the password");
  CHECK(parse_error("redis://h/s?a=%4")
            .find("bad percent-encoding in the value of query parameter 'a'") != std::string::npos);
  CHECK(parse_error("file://host/x").find("file: uris take no host ('host')") != std::string::npos);
  CHECK(parse_error("data/").find("no stream name after the directory") != std::string::npos);
  CHECK(parse_error("file:").find("no stream name") != std::string::npos);
  CHECK(parse_error("data/..").find("stream name '..' is not allowed") != std::string::npos);
  CHECK(parse_error("").find("empty") != std::string::npos);
}

TEST_CASE("passwords never appear in error messages") {
  for (const char* text :
       {"redis://u:hunter2@h:0/s", "rediss://u:hunter2@/s", "redis://u:hunter2@h/",
        "kafka://h/t?sasl.password=hunter2", "kafka://h:1/t?sasl.password=hunter2&bad",
        "redis://u:hunter2@h/s?db=-1"}) {
    const std::string m = parse_error(text);
    CHECK(m != "ok");
    CHECK_MESSAGE(m.find("hunter2") == std::string::npos, m);
  }
}

TEST_CASE("scheme names") {
  CHECK(scheme_name(Scheme::kFile) == "file");
  CHECK(scheme_name(Scheme::kKafka) == "kafka");
  CHECK(scheme_name(Scheme::kRedis) == "redis");
  CHECK(scheme_name(Scheme::kRediss) == "rediss");
  CHECK(scheme_name(Scheme::kStdio) == "stdio");
}
