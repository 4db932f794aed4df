// The shared CDC layer driven by a fake connector: no PostgreSQL (nor any
// other database) code is involved, only sluice/cdc.h and
// sluice/debezium.h, as a new connector would use them.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "sluice/cdc.h"
#include "sluice/debezium.h"
#include "sluice/env.h"
#include "sluice/stats.h"

using namespace sluice;

namespace {

// A sink that keeps every event and acknowledges only up to `acked`.
class FakeSink final : public CdcSink {
 public:
  explicit FakeSink(bool keyed) : keyed_(keyed) {}
  struct Event {
    std::string route;  // "db/schema/table", or "db/tx" for a marker
    std::optional<std::string> key, value;
  };
  Status emit(const CdcRoute& route, std::optional<std::string_view> key,
              std::optional<std::string_view> value, uint64_t* ticket) override {
    Event e;
    e.route = std::string(route.db) + "/" +
              (route.transaction ? std::string("tx")
                                 : std::string(route.schema) + "/" + std::string(route.table));
    if (key) e.key = std::string(*key);
    if (value) e.value = std::string(*value);
    events.push_back(std::move(e));
    *ticket = events.size();
    return Status::Ok();
  }
  Status poll(Millis) override { return Status::Ok(); }
  Status flush(Millis) override {
    acked = events.size();
    return Status::Ok();
  }
  uint64_t acknowledged() override { return acked; }
  Status error() const override { return Status::Ok(); }
  bool keyed_stream() const override { return keyed_; }

  std::vector<Event> events;
  uint64_t acked = 0;

 private:
  bool keyed_;
};

// The fake connector's part of the source block: a log file and offset.
class FakeSource final : public debezium::SourceWriter {
 public:
  void append_fields(std::string_view schema, std::string_view table, std::string& out, size_t,
                     debezium::DeferredFields*) override {
    out.append(",\"table\":\"").append(schema).append(".").append(table).append("\"");
    out.append(",\"pos\":").append(std::to_string(pos));
  }
  uint64_t pos = 0;
};

// A fake database row: (column, JSON value, part of the key).
struct Col {
  const char* name;
  const char* json;
  bool key;
};
void fill(debezium::Row& row, std::initializer_list<Col> cols) {
  row.clear();
  for (const Col& c : cols) row.add(c.name, c.key).append(c.json);
}

struct Fixture {
  explicit Fixture(bool keyed, bool tx_markers = false)
      : sink(keyed), stats(false), emitter(sink, source, stats, &env, {tx_markers, true}) {
    env.set_clock(1'700'000'000'000'000);
    emitter.set_info({"9.9", "fakedb", "shop", "inventory"});
  }
  FakeSink sink;
  FakeSource source;
  RunStats stats;
  FaultInjectionEnv env;
  ChangeEmitter emitter;
};

}  // namespace

TEST_CASE("cdc emitter: a snapshot of two tables marks only its very last row \"last\"") {
  Fixture f(/*keyed=*/true);
  debezium::Row row;
  f.emitter.begin_snapshot();
  f.source.pos = 7;
  fill(row, {{"id", "1", true}, {"name", "\"a\"", false}});
  REQUIRE(f.emitter.snapshot_row({"inv", "items"}, row, 1'000'000).ok());
  fill(row, {{"id", "2", true}, {"name", "null", false}});
  REQUIRE(f.emitter.snapshot_row({"inv", "items"}, row, 1'000'000).ok());
  CHECK(f.sink.events.size() == 1);  // one event of look-ahead
  fill(row, {{"code", "\"x\"", true}});
  REQUIRE(f.emitter.snapshot_row({"inv", "codes"}, row, 1'000'000).ok());
  REQUIRE(f.emitter.end_snapshot().ok());
  REQUIRE(f.sink.events.size() == 3);
  CHECK(*f.sink.events[0].value ==
        "{\"before\":null,\"after\":{\"id\":1,\"name\":\"a\"},\"source\":{\"version\":\"9.9\","
        "\"connector\":\"fakedb\",\"name\":\"shop\",\"ts_ms\":1000,\"snapshot\":\"true\","
        "\"db\":\"inventory\",\"table\":\"inv.items\",\"pos\":7},\"op\":\"r\","
        "\"ts_ms\":1700000000000,\"transaction\":null}");
  CHECK(*f.sink.events[0].key == "{\"id\":1}");
  CHECK(f.sink.events[0].route == "inventory/inv/items");
  CHECK(f.sink.events[1].value->find("\"snapshot\":\"true\"") != std::string::npos);
  CHECK(f.sink.events[2].value->find("\"snapshot\":\"last\"") != std::string::npos);
  CHECK(f.sink.events[2].route == "inventory/inv/codes");
  CHECK(*f.sink.events[2].key == "{\"code\":\"x\"}");
  CHECK(f.stats.records() == 3);
}

TEST_CASE("cdc emitter: a transaction with a primary-key change, markers and tombstones") {
  Fixture f(/*keyed=*/true, /*tx_markers=*/true);
  debezium::Row before, old_key, after;
  f.emitter.begin("gtid-1", 5'000'000);
  f.source.pos = 100;
  fill(after, {{"id", "1", true}, {"qty", "3", false}});
  REQUIRE(f.emitter.change('c', {"inv", "items"}, nullptr, &after).ok());
  // The key changes from 1 to 2: a delete of 1 (with its tombstone on a
  // keyed stream) and a create of 2.
  f.source.pos = 200;
  fill(before, {{"id", "1", true}, {"qty", "3", false}});
  fill(after, {{"id", "2", true}, {"qty", "3", false}});
  REQUIRE(f.emitter.update({"inv", "items"}, &before, &before, after).ok());
  // The same key: an update.
  f.source.pos = 300;
  fill(old_key, {{"code", "\"x\"", true}});
  fill(after, {{"code", "\"x\"", true}, {"label", "\"new\"", false}});
  REQUIRE(f.emitter.update({"inv", "codes"}, nullptr, &old_key, after).ok());
  REQUIRE(f.emitter.commit(6'000'000, 300).ok());

  const auto& ev = f.sink.events;
  REQUIRE(ev.size() == 7);
  CHECK(ev[0].route == "inventory/tx");
  CHECK(*ev[0].value ==
        "{\"status\":\"BEGIN\",\"id\":\"gtid-1\",\"ts_ms\":5000,\"event_count\":null,"
        "\"data_collections\":null}");
  CHECK(ev[1].value->find("\"op\":\"c\"") != std::string::npos);
  CHECK(ev[1].value->find("\"transaction\":{\"id\":\"gtid-1\",\"total_order\":1,"
                          "\"data_collection_order\":1}") != std::string::npos);
  CHECK(ev[2].value->find("\"before\":{\"id\":1,\"qty\":3},\"after\":null") != std::string::npos);
  CHECK(ev[2].value->find("\"op\":\"d\"") != std::string::npos);
  CHECK(*ev[2].key == "{\"id\":1}");
  CHECK(*ev[3].key == "{\"id\":1}");  // the tombstone
  CHECK_FALSE(ev[3].value.has_value());
  CHECK(ev[4].value->find("\"before\":{\"id\":1,\"qty\":3},\"after\":{\"id\":2,\"qty\":3}") !=
        std::string::npos);
  CHECK(ev[4].value->find("\"op\":\"c\"") != std::string::npos);
  CHECK(*ev[4].key == "{\"id\":2}");
  CHECK(ev[5].value->find("\"before\":null,\"after\":{\"code\":\"x\",\"label\":\"new\"}") !=
        std::string::npos);
  CHECK(ev[5].value->find("\"op\":\"u\"") != std::string::npos);
  CHECK(ev[5].value->find("\"pos\":300") != std::string::npos);
  CHECK(ev[5].route == "inventory/inv/codes");
  CHECK(*ev[6].value ==
        "{\"status\":\"END\",\"id\":\"gtid-1\",\"ts_ms\":6000,\"event_count\":4,"
        "\"data_collections\":[{\"data_collection\":\"inv.codes\",\"event_count\":1},"
        "{\"data_collection\":\"inv.items\",\"event_count\":3}]}");
}

TEST_CASE("cdc emitter: no tombstones on stdout, none for a keyless table") {
  Fixture f(/*keyed=*/false);
  debezium::Row before;
  f.emitter.begin("", 0);
  fill(before, {{"id", "1", true}});
  REQUIRE(f.emitter.change('d', {"inv", "items"}, &before, nullptr).ok());
  REQUIRE(f.emitter.commit(0, 1).ok());
  CHECK(f.sink.events.size() == 1);

  Fixture k(/*keyed=*/true);
  k.emitter.begin("", 0);
  fill(before, {{"v", "1", false}});
  REQUIRE(k.emitter.change('d', {"inv", "log"}, &before, nullptr).ok());
  REQUIRE(k.emitter.truncate({"inv", "log"}).ok());
  REQUIRE(k.emitter.commit(0, 1).ok());
  REQUIRE(k.sink.events.size() == 2);
  CHECK_FALSE(k.sink.events[0].key.has_value());
  CHECK(k.sink.events[1].value->find("\"before\":null,\"after\":null") != std::string::npos);
  CHECK(k.sink.events[1].value->find("\"op\":\"t\"") != std::string::npos);
}

TEST_CASE("cdc emitter: a position is confirmed only after the sink acknowledged its events") {
  Fixture f(/*keyed=*/true);
  debezium::Row after;
  uint64_t confirmed = 0;
  fill(after, {{"id", "1", true}});
  f.emitter.begin("", 0);
  REQUIRE(f.emitter.change('c', {"inv", "items"}, nullptr, &after).ok());
  REQUIRE(f.emitter.commit(0, 10).ok());
  f.emitter.begin("", 0);
  REQUIRE(f.emitter.change('c', {"inv", "items"}, nullptr, &after).ok());
  REQUIRE(f.emitter.change('c', {"inv", "items"}, nullptr, &after).ok());
  REQUIRE(f.emitter.commit(0, 20).ok());
  CHECK_FALSE(f.emitter.advance(&confirmed));
  CHECK(confirmed == 0);
  f.sink.acked = 2;  // the second transaction's first event only
  CHECK_FALSE(f.emitter.advance(&confirmed));
  CHECK(confirmed == 10);
  f.sink.acked = 3;
  CHECK(f.emitter.advance(&confirmed));
  CHECK(confirmed == 20);
  // A transaction without events is confirmable at once.
  f.emitter.begin("", 0);
  REQUIRE(f.emitter.commit(0, 30).ok());
  CHECK(f.emitter.advance(&confirmed));
  CHECK(confirmed == 30);
}

TEST_CASE("cdc emitter: events formatted ahead of the commit go to their target, then complete") {
  struct Held final : EventTarget {
    Status put(const CdcRoute&, std::optional<std::string_view> key, std::string_view value,
               const debezium::DeferredFields& d) override {
      keys.emplace_back(key ? std::string(*key) : "-");
      values.emplace_back(value);
      deferred.push_back(d);
      return Status::Ok();
    }
    std::vector<std::string> keys, values;
    std::vector<debezium::DeferredFields> deferred;
  } held;
  FakeSource source;
  FaultInjectionEnv env;
  env.set_clock(0);
  ChangeEmitter ahead(held, source, &env);
  ahead.set_info({"9.9", "fakedb", "shop", "inventory"});
  debezium::Row before, after;
  fill(before, {{"id", "1", true}});
  fill(after, {{"id", "2", true}});
  REQUIRE(ahead.update({"inv", "items"}, &before, &before, after).ok());
  REQUIRE(held.values.size() == 2);  // delete + create, no tombstone
  CHECK(held.keys[0] == "{\"id\":1}");
  CHECK(held.keys[1] == "{\"id\":2}");
  std::string done;
  debezium::append_completed(held.values[1], held.deferred[1], 42'000, "", done);
  CHECK(done ==
        "{\"before\":{\"id\":1},\"after\":{\"id\":2},\"source\":{\"version\":\"9.9\","
        "\"connector\":\"fakedb\",\"name\":\"shop\",\"ts_ms\":42,\"snapshot\":\"false\","
        "\"db\":\"inventory\",\"table\":\"inv.items\",\"pos\":0},\"op\":\"c\",\"ts_ms\":0,"
        "\"transaction\":null}");
}
