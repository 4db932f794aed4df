// Kafka backend: the pure pieces (ticket watermark, properties, masking,
// start offsets) and round trips against an in-process librdkafka mock
// cluster over loopback TCP.
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backends/kafka_backend.h"
#include "sluice/backend.h"
#include "sluice/uri.h"

using namespace sluice;
using namespace sluice::kafka;

namespace {

StreamUri uri_of(const std::string& text) {
  auto u = parse_stream_uri(text);
  REQUIRE_MESSAGE(u.ok(), u.status().message());
  return *u;
}

std::string prop(const Properties& p, const std::string& name) {
  for (const auto& [n, v] : p) {
    if (n == name) return v;
  }
  return "<unset>";
}

// A mock cluster living as long as the object; topics made up front.
class MockCluster {
 public:
  MockCluster(int brokers, const std::vector<std::pair<std::string, int>>& topics) {
    char err[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    REQUIRE(rk_ != nullptr);
    mc_ = rd_kafka_mock_cluster_new(rk_, brokers);
    REQUIRE(mc_ != nullptr);
    for (const auto& [name, parts] : topics) {
      REQUIRE(rd_kafka_mock_topic_create(mc_, name.c_str(), parts, 1) ==
              RD_KAFKA_RESP_ERR_NO_ERROR);
    }
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(mc_);
    rd_kafka_destroy(rk_);
  }
  MockCluster(const MockCluster&) = delete;
  MockCluster& operator=(const MockCluster&) = delete;
  std::string uri(const std::string& topics, const std::string& query = "") const {
    return "kafka://" + std::string(rd_kafka_mock_cluster_bootstraps(mc_)) + "/" + topics +
           (query.empty() ? "" : "?" + query);
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_mock_cluster_t* mc_ = nullptr;
};

std::unique_ptr<Producer> producer(const std::string& uri) {
  ProducerOptions o;
  o.timeout = Millis(5000);
  auto p = open_producer(uri_of(uri), o);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return std::move(*p);
}

std::unique_ptr<Consumer> consumer(const std::string& uri, ConsumerOptions o) {
  o.timeout = Millis(5000);
  auto c = open_consumer(uri_of(uri), o);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return std::move(*c);
}

// Drains `c` to its end; returns payloads in arrival order, marking each.
std::vector<OwnedMessage> drain(Consumer& c, size_t limit = SIZE_MAX) {
  std::vector<OwnedMessage> out;
  MessageBatch batch;
  for (int rounds = 0; rounds < 600 && out.size() < limit; ++rounds) {
    Status st = c.poll(batch, Millis(100));
    for (const Message& m : batch.messages) {
      if (out.size() >= limit) break;
      out.emplace_back(m);
      c.mark_taken(m);
    }
    if (st.is(StatusCode::kEndOfStream)) break;
    REQUIRE_MESSAGE(st.ok(), st.message());
  }
  return out;
}

}  // namespace

TEST_CASE("kafka ticket watermark advances only over contiguous reports") {
  TicketWatermark w;
  for (uint64_t i = 1; i <= 5; ++i) CHECK(w.issue() == i);
  CHECK(w.acknowledged() == 0);
  CHECK(w.finish(3));
  CHECK(w.finish(5));
  CHECK(w.acknowledged() == 0);
  CHECK(w.finish(1));
  CHECK(w.acknowledged() == 1);
  CHECK(w.finish(2));
  CHECK(w.acknowledged() == 3);
  CHECK_FALSE(w.finish(3));  // twice
  CHECK_FALSE(w.finish(9));  // never issued
  CHECK(w.finish(4));
  CHECK(w.acknowledged() == 5);
  CHECK(w.outstanding() == 0);
}

TEST_CASE("kafka ticket watermark survives ring growth with random order") {
  TicketWatermark w;
  std::mt19937 rng(42);
  std::vector<uint64_t> open;
  uint64_t finished = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 3000; ++i) open.push_back(w.issue());
    std::shuffle(open.begin(), open.end(), rng);
    // Finish most of them, keep a few outstanding across the next growth.
    size_t keep = open.size() / 10;
    for (size_t i = keep; i < open.size(); ++i) {
      REQUIRE(w.finish(open[i]));
      ++finished;
    }
    open.resize(keep);
    uint64_t lowest_open =
        open.empty() ? w.last_issued() + 1 : *std::min_element(open.begin(), open.end());
    REQUIRE(w.acknowledged() == lowest_open - 1);
  }
  for (uint64_t t : open) REQUIRE(w.finish(t));
  CHECK(w.acknowledged() == w.last_issued());
}

TEST_CASE("kafka properties: defaults, then environment, then uri") {
  StreamUri u = uri_of("kafka://h1:9092,h2:9093/t?linger.ms=50&sasl.username=uri");
  const char* env[] = {"SLUICE_KAFKA_SASL_USERNAME=env",
                       "SLUICE_KAFKA_SASL_PASSWORD=s3cret",
                       "SLUICE_KAFKA_SECURITY_PROTOCOL=sasl_ssl",
                       "SLUICE_KAFKA_=x",
                       "PATH=/bin",
                       nullptr};
  Properties e = env_properties(env);
  REQUIRE(e.size() == 3);
  CHECK(e[0] == std::pair<std::string, std::string>("sasl.username", "env"));
  CHECK(e[2] == std::pair<std::string, std::string>("security.protocol", "sasl_ssl"));

  Properties p = build_properties(u, Role::kProducer, e, {});
  CHECK(prop(p, "bootstrap.servers") == "h1:9092,h2:9093");
  CHECK(prop(p, "acks") == "all");
  CHECK(prop(p, "enable.idempotence") == "true");
  CHECK(prop(p, "partitioner") == "murmur2_random");
  CHECK(prop(p, "linger.ms") == "50");       // the uri overrides a default
  CHECK(prop(p, "sasl.username") == "uri");  // the uri overrides the env
  CHECK(prop(p, "sasl.password") == "s3cret");
  CHECK(std::count_if(p.begin(), p.end(), [](auto& kv) { return kv.first == "linger.ms"; }) == 1);

  Properties c = build_properties(u, Role::kConsumer, {}, {{"group.id", "g"}});
  CHECK(prop(c, "enable.auto.commit") == "false");
  CHECK(prop(c, "enable.auto.offset.store") == "false");
  CHECK(prop(c, "enable.partition.eof") == "true");
  CHECK(prop(c, "group.id") == "g");
  CHECK(prop(c, "acks") == "<unset>");
}

// Issue 9, point 4: tap --consumer NAME names the member: client.id for
// Kafka (static membership stays ?group.instance.id=), winning over the URI.
TEST_CASE("kafka consumer identity: group.id and client.id from --consumer (issue 9.4)") {
  ConsumerOptions o;
  o.group = "billing";
  o.consumer = "worker-1";
  Properties id = consumer_identity(o);
  CHECK(prop(id, "group.id") == "billing");
  CHECK(prop(id, "client.id") == "worker-1");
  CHECK(prop(id, "group.instance.id") == "<unset>");
  StreamUri u = uri_of("kafka://h1:9092/t?client.id=from-uri");
  CHECK(prop(build_properties(u, Role::kConsumer, {}, id), "client.id") == "worker-1");
  o.consumer.clear();
  CHECK(prop(build_properties(u, Role::kConsumer, {}, consumer_identity(o)), "client.id") ==
        "from-uri");
  o.group.clear();
  CHECK(prop(consumer_identity(o), "group.id").rfind("sluice-tap-", 0) == 0);
}

TEST_CASE("kafka secrets are masked") {
  CHECK(is_secret_property("sasl.password"));
  CHECK(is_secret_property("ssl.key.password"));
  CHECK(is_secret_property("sasl.oauthbearer.client.secret"));
  CHECK_FALSE(is_secret_property("sasl.username"));
  Properties p = {
      {"sasl.password", "hunter2"}, {"sasl.username", "bob"}, {"x.secret", "hunter2xyz"}};
  auto s = secret_values(p);
  CHECK(mask_secrets("auth hunter2xyz failed for bob with hunter2", s) ==
        "auth *** failed for bob with ***");
}

TEST_CASE("kafka start offsets per partition") {
  using K = StartPosition::Kind;
  auto at = [](K k, int64_t v = 0) {
    StartPosition p;
    p.kind = k;
    p.value = v;
    return p;
  };
  CHECK(start_offset(at(K::kBeginning), 10, 50) == 10);
  CHECK(start_offset(at(K::kEnd), 10, 50) == 50);
  CHECK(start_offset(at(K::kSeq, 20), 10, 50) == 20);
  CHECK(start_offset(at(K::kSeq, 5), 10, 50) == 10);  // retention took it
  CHECK(start_offset(at(K::kSeq, 99), 10, 50) == 50);
  CHECK(start_offset(at(K::kFromEnd, 5), 10, 50) == 45);
  CHECK(start_offset(at(K::kFromEnd, 100), 10, 50) == 10);
  CHECK(start_offset(at(K::kFromEnd, 5), 0, 0) == 0);  // empty partition
  CHECK(start_offset(at(K::kTime, 1), 10, 50, 30) == 30);
  CHECK(start_offset(at(K::kTime, 1), 10, 50, -1) == 50);  // none that new
  CHECK(std::string(auto_offset_reset(at(K::kBeginning))) == "earliest");
  CHECK(std::string(auto_offset_reset(at(K::kEnd))) == "latest");
}

TEST_CASE("kafka open errors: unknown property, bad value, unreachable broker") {
  ProducerOptions o;
  o.timeout = Millis(3000);
  auto p = open_producer(uri_of("kafka://127.0.0.1:1/t?no.such.prop=1"), o);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().code() == StatusCode::kConfig);
  CHECK(p.status().message().find("'no.such.prop'") != std::string::npos);

  p = open_producer(uri_of("kafka://127.0.0.1:1/t?ssl.key.password=topsecret&acks=zz"), o);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().code() == StatusCode::kConfig);
  CHECK(p.status().message().find("topsecret") == std::string::npos);

  p = open_producer(uri_of("kafka://127.0.0.1:1/t"), o);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().code() == StatusCode::kUnavailable);
  CHECK(p.status().message().find("cannot reach kafka broker '127.0.0.1:1'") != std::string::npos);
  CHECK(p.status().exit_code() == ExitCode::kUnavailable);
}

TEST_CASE("kafka round trip: keys, headers, tombstones, routing, partitions") {
  MockCluster mc(1, {{"rt", 4}, {"other", 2}});
  auto p = producer(mc.uri("rt"));
  std::vector<uint64_t> failed;
  p->set_delivery_listener([&](uint64_t t, const Status&) { failed.push_back(t); });
  Header hs[2] = {{"trace", "abc"}, {"bin", std::string_view("\0\xff", 2)}};
  uint64_t last = 0;
  for (int i = 0; i < 200; ++i) {
    std::string key = "k" + std::to_string(i % 7);
    std::string payload = "v" + std::to_string(i);
    Message m;
    m.key = key;
    m.payload = payload;
    if (i % 50 == 0) m.headers = hs;
    if (i == 199) m.payload.reset();  // tombstone
    REQUIRE(p->produce(m, &last).ok());
  }
  Message routed;
  routed.stream = "other";
  routed.shard = 1;
  routed.payload = "to-other";
  REQUIRE(p->produce(routed).ok());
  REQUIRE(p->flush(Millis(10000)).ok());
  CHECK(p->acknowledged() == 201);
  CHECK(last == 200);
  CHECK(failed.empty());

  ConsumerOptions o;
  o.from.kind = StartPosition::Kind::kBeginning;
  o.exit_at_end = true;
  auto c = consumer(mc.uri("rt,other"), o);
  auto got = drain(*c);
  REQUIRE(got.size() == 201);
  std::map<std::string, std::vector<int>> by_key;  // payload numbers per key
  std::map<std::string, int32_t> key_partition;
  int with_headers = 0, tombstones = 0;
  for (const OwnedMessage& m : got) {
    if (m.stream == "other") {
      CHECK(m.shard == 1);
      CHECK(*m.payload == "to-other");
      continue;
    }
    REQUIRE(m.key);
    if (!m.payload) {
      ++tombstones;
      continue;
    }
    by_key[*m.key].push_back(std::stoi(m.payload->substr(1)));
    auto [it, fresh] = key_partition.emplace(*m.key, m.shard);
    CHECK(it->second == m.shard);  // one key, one partition
    CHECK(m.ts_us > 0);
    if (!m.headers.empty()) {
      ++with_headers;
      REQUIRE(m.headers.size() == 2);
      CHECK(m.headers[0].first == "trace");
      CHECK(m.headers[1].second == std::string("\0\xff", 2));
    }
  }
  CHECK(tombstones == 1);
  CHECK(with_headers == 4);
  for (const auto& [k, seq] : by_key) CHECK(std::is_sorted(seq.begin(), seq.end()));
}

TEST_CASE("kafka start positions: -N per partition and SEQ") {
  MockCluster mc(1, {{"pos", 3}});
  auto p = producer(mc.uri("pos"));
  for (int i = 0; i < 30; ++i) {
    std::string v = std::to_string(i);
    Message m;
    m.shard = i % 3;
    m.payload = v;
    REQUIRE(p->produce(m).ok());
  }
  REQUIRE(p->flush(Millis(10000)).ok());

  ConsumerOptions o;
  o.exit_at_end = true;
  o.from.kind = StartPosition::Kind::kFromEnd;
  o.from.value = 2;
  auto got = drain(*consumer(mc.uri("pos"), o));
  CHECK(got.size() == 6);
  for (const auto& m : got) CHECK(m.seq >= 8);

  o.from.kind = StartPosition::Kind::kSeq;
  o.from.value = 7;
  got = drain(*consumer(mc.uri("pos"), o));
  CHECK(got.size() == 9);

  o.from.kind = StartPosition::Kind::kEnd;
  got = drain(*consumer(mc.uri("pos"), o));
  CHECK(got.empty());
}

TEST_CASE("kafka group resumes after what was committed, not after what was read") {
  MockCluster mc(1, {{"grp", 2}});
  const std::string uri = mc.uri("grp", "session.timeout.ms=6000&heartbeat.interval.ms=500");
  auto p = producer(uri);
  for (int i = 0; i < 100; ++i) {
    std::string v = std::to_string(i);
    Message m;
    m.shard = i % 2;
    m.payload = v;
    REQUIRE(p->produce(m).ok());
  }
  REQUIRE(p->flush(Millis(10000)).ok());

  ConsumerOptions o;
  o.group = "g1";
  o.from.kind = StartPosition::Kind::kBeginning;
  o.exit_at_end = true;
  {
    auto c = consumer(uri, o);
    MessageBatch batch;
    // Take (and mark) 10 messages of partition 0 only, then commit.
    int marked = 0;
    for (int rounds = 0; rounds < 300 && marked < 10; ++rounds) {
      Status st = c->poll(batch, Millis(100));
      REQUIRE((st.ok() || st.is(StatusCode::kEndOfStream)));
      for (const Message& m : batch.messages) {
        if (m.shard == 0 && marked < 10) {
          c->mark_taken(m);
          ++marked;
        }
      }
    }
    REQUIRE(marked == 10);
    REQUIRE(c->commit().ok());
  }
  auto c = consumer(uri, o);
  auto got = drain(*c);
  // Partition 0 resumes at offset 10; partition 1 had nothing committed.
  CHECK(got.size() == 90);
  for (const auto& m : got) {
    if (m.shard == 0) CHECK(m.seq >= 10);
  }
}

TEST_CASE("kafka describe: partitions, bounds and message counts per topic") {
  MockCluster mc(1, {{"d1", 3}, {"d2", 1}});
  auto p = producer(mc.uri("d1"));
  for (int i = 0; i < 30; ++i) {
    std::string payload = "v" + std::to_string(i);
    Message m;
    m.shard = i % 3;
    m.payload = payload;
    REQUIRE(p->produce(m).ok());
  }
  REQUIRE(p->flush(Millis(10000)).ok());

  auto admin = open_admin(uri_of(mc.uri("d1,d2")));
  REQUIRE_MESSAGE(admin.ok(), admin.status().message());
  auto info = (*admin)->describe({});
  REQUIRE_MESSAGE(info.ok(), info.status().message());
  REQUIRE(info->size() == 2);
  const StreamInfo& d1 = (*info)[0].name == "d1" ? (*info)[0] : (*info)[1];
  const StreamInfo& d2 = (*info)[0].name == "d1" ? (*info)[1] : (*info)[0];
  CHECK(d1.name == "d1");
  REQUIRE(d1.shards.size() == 3);
  CHECK(d1.messages == 30);
  for (const ShardInfo& s : d1.shards) {
    CHECK(s.first_seq == 0);
    CHECK(s.last_seq == 9);
  }
  CHECK(d2.name == "d2");
  REQUIRE(d2.shards.size() == 1);
  CHECK(d2.messages == 0);

  auto only = (*admin)->describe({"d2"});
  REQUIRE(only.ok());
  REQUIRE(only->size() == 1);
  CHECK((*only)[0].name == "d2");
}
