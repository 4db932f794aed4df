// Ingest: records -> messages, keys, headers, and the bad-record policies.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sluice/backend.h"
#include "sluice/ingest.h"

using namespace sluice;

namespace {

// A Producer that keeps what it was given, acknowledging at once.
class RecordingProducer final : public Producer {
 public:
  Status produce(const Message& m, uint64_t* ticket) override {
    got.emplace_back(m);
    if (ticket) *ticket = got.size();
    return Status::Ok();
  }
  Status poll(Millis) override { return Status::Ok(); }
  Status flush(Millis) override { return Status::Ok(); }
  uint64_t acknowledged() const override { return got.size(); }
  uint64_t failed() const override { return 0; }
  std::vector<OwnedMessage> got;
};

// Runs Ingest over `input` fed through a pipe.
Status ingest(const std::string& input, IngestOptions opts, RecordingProducer& out,
              uint64_t* rejected = nullptr) {
  int p[2];
  REQUIRE(pipe(p) == 0);
  REQUIRE(write(p[1], input.data(), input.size()) == static_cast<ssize_t>(input.size()));
  close(p[1]);
  RunStats stats(false);
  Ingest in(out, std::move(opts), stats);
  Status st = in.run(p[0], "stdin");
  close(p[0]);
  if (rejected) *rejected = in.rejected();
  return st;
}

}  // namespace

TEST_CASE("plain lines become payloads, fixed headers are added") {
  RecordingProducer out;
  IngestOptions o;
  o.headers = {{"src", "test"}};
  REQUIRE(ingest("a\nb\n\nlast", o, out).ok());
  REQUIRE(out.got.size() == 4);
  CHECK(*out.got[0].payload == "a");
  CHECK(*out.got[2].payload == "");
  CHECK(*out.got[3].payload == "last");
  CHECK(!out.got[0].key.has_value());
  REQUIRE(out.got[1].headers.size() == 1);
  CHECK(out.got[1].headers[0].first == "src");
}

TEST_CASE("--key-field takes strings unquoted and other values as JSON") {
  RecordingProducer out;
  IngestOptions o;
  o.key_field = "user.id";
  REQUIRE(ingest("{\"user\":{\"id\":\"u\\n1\"}}\n{\"user\":{\"id\":42}}\n"
                 "{\"other\":1}\n",
                 o, out)
              .ok());
  REQUIRE(out.got.size() == 3);
  CHECK(*out.got[0].key == "u\n1");
  CHECK(*out.got[1].key == "42");
  CHECK(!out.got[2].key.has_value());  // missing field: no key
}

TEST_CASE("--key-field: an object or array value is the key as minified JSON") {
  RecordingProducer out;
  IngestOptions o;
  o.key_field = "k";
  REQUIRE(ingest("{\"k\": {\"x\": 1, \"y\": [1, 2]}, \"v\": 0}\n{\"k\": [ true , null ]}\n"
                 "{\"k\": null}\n{\"k\": -1.5e3 }\n",
                 o, out)
              .ok());
  REQUIRE(out.got.size() == 4);
  CHECK(*out.got[0].key == "{\"x\":1,\"y\":[1,2]}");
  CHECK(*out.got[1].key == "[true,null]");
  CHECK(!out.got[2].key.has_value());  // null: no key
  CHECK(*out.got[3].key == "-1.5e3");
}

TEST_CASE("--key-field: a record that is not JSON is kept, without a key") {
  RecordingProducer out;
  IngestOptions o;
  o.key_field = "id";
  uint64_t rejected = 0;
  REQUIRE(ingest("{\"id\":1}\nnot json\n[1,2]\n\"s\"\n{\"id\":3}\n", o, out, &rejected).ok());
  CHECK(rejected == 0);
  REQUIRE(out.got.size() == 5);
  CHECK(*out.got[0].key == "1");
  CHECK(*out.got[1].payload == "not json");
  CHECK(!out.got[1].key.has_value());
  CHECK(!out.got[2].key.has_value());  // an array has no field "id"
  CHECK(!out.got[3].key.has_value());
  CHECK(*out.got[4].key == "3");
}

TEST_CASE("--envelope: a blank line is no record and no error") {
  RecordingProducer out;
  IngestOptions o;
  o.envelope = true;
  uint64_t rejected = 0;
  REQUIRE(ingest("{\"payload\":\"a\"}\n\n  \r\n{\"payload\":\"b\"}\n", o, out, &rejected).ok());
  CHECK(rejected == 0);
  REQUIRE(out.got.size() == 2);
  CHECK(*out.got[1].payload == "b");
}

TEST_CASE("--key-delimiter splits key from payload") {
  RecordingProducer out;
  IngestOptions o;
  o.key_delimiter = "::";
  REQUIRE(ingest("k1::v1\nnokey\n::empty\n", o, out).ok());
  REQUIRE(out.got.size() == 3);
  CHECK(*out.got[0].key == "k1");
  CHECK(*out.got[0].payload == "v1");
  CHECK(!out.got[1].key.has_value());
  CHECK(*out.got[2].key == "");
}

TEST_CASE("envelopes: key, headers and payload honoured; bad lines per policy") {
  const std::string input =
      "{\"key\":\"k\",\"headers\":{\"h\":\"v\"},\"payload\":{\"a\":1}}\n"
      "{broken\n"
      "{\"payload\":\"text\"}\n";
  SUBCASE("skip") {
    RecordingProducer out;
    IngestOptions o;
    o.envelope = true;
    uint64_t rejected = 0;
    REQUIRE(ingest(input, o, out, &rejected).ok());
    CHECK(rejected == 1);
    REQUIRE(out.got.size() == 2);
    CHECK(*out.got[0].key == "k");
    CHECK(*out.got[0].payload == "{\"a\":1}");
    CHECK(out.got[0].headers[0].second == "v");
    CHECK(*out.got[1].payload == "text");
  }
  SUBCASE("fail stops at the bad line and names it") {
    RecordingProducer out;
    IngestOptions o;
    o.envelope = true;
    o.on_error = IngestOptions::OnError::kFail;
    Status st = ingest(input, o, out);
    CHECK(st.is(StatusCode::kBadData));
    CHECK(st.message().find("stdin line 2") != std::string::npos);
    CHECK(out.got.size() == 1);
  }
  SUBCASE("dead letter gets the raw line with the reason") {
    RecordingProducer out, dlq;
    IngestOptions o;
    o.envelope = true;
    o.on_error = IngestOptions::OnError::kDeadLetter;
    o.dead_letter = &dlq;
    REQUIRE(ingest(input, o, out).ok());
    CHECK(out.got.size() == 2);
    REQUIRE(dlq.got.size() == 1);
    CHECK(*dlq.got[0].payload == "{broken");
    CHECK(dlq.got[0].headers[1].first == "sluice.line");
    CHECK(dlq.got[0].headers[1].second == "2");
  }
}

TEST_CASE("oversized record is rejected with its line number, the rest arrive") {
  RecordingProducer out;
  IngestOptions o;
  o.max_record_bytes = 8;
  uint64_t rejected = 0;
  REQUIRE(ingest("ok\n" + std::string(100, 'x') + "\nfine\n", o, out, &rejected).ok());
  CHECK(rejected == 1);
  REQUIRE(out.got.size() == 2);
  CHECK(*out.got[1].payload == "fine");
}
