// pgoutput decoder and Debezium encoding on hand-built messages.
#include <doctest/doctest.h>

#include <string>

#include "cdc/pg_values.h"
#include "cdc/pgoutput.h"
#include "sluice/cdc_pg.h"
#include "sluice/debezium.h"

using namespace sluice;
using namespace sluice::pg;

namespace {

struct Msg {
  std::string b;
  Msg& u8(uint8_t v) {
    b.push_back(static_cast<char>(v));
    return *this;
  }
  Msg& u16(uint16_t v) { return u8(v >> 8).u8(v & 0xff); }
  Msg& u32(uint32_t v) { return u16(v >> 16).u16(v & 0xffff); }
  Msg& u64(uint64_t v) { return u32(static_cast<uint32_t>(v >> 32)).u32(static_cast<uint32_t>(v)); }
  Msg& str(std::string_view s) {
    b.append(s);
    b.push_back('\0');
    return *this;
  }
  Msg& text(std::string_view s) {
    u8('t').u32(static_cast<uint32_t>(s.size()));
    b.append(s);
    return *this;
  }
};

// Relation 16384 public.items (id int4 key, name text, doc text).
std::string relation_msg() {
  Msg m;
  m.u8('R').u32(16384).str("public").str("items").u8('d').u16(3);
  m.u8(1).str("id").u32(23).u32(0xffffffff);
  m.u8(0).str("name").u32(25).u32(0xffffffff);
  m.u8(0).str("doc").u32(25).u32(0xffffffff);
  return m.b;
}

}  // namespace

TEST_CASE("pgoutput: begin, relation, insert, update, delete, truncate, commit") {
  PgOutputDecoder d;
  PgMessage m;
  Msg begin;
  begin.u8('B').u64(0x16B374D848ull).u64(0).u32(777);
  REQUIRE(d.decode(begin.b, m).ok());
  CHECK(m.type == PgMessageType::kBegin);
  CHECK(m.xid == 777);
  CHECK(m.lsn == 0x16B374D848ull);
  CHECK(m.ts_us == kPgEpochOffsetUs);

  REQUIRE(d.decode(relation_msg(), m).ok());
  REQUIRE(m.relation != nullptr);
  CHECK(m.relation->columns.size() == 3);
  CHECK(m.relation->columns[0].key);
  CHECK_FALSE(m.relation->columns[1].key);

  Msg ins;
  ins.u8('I').u32(16384).u8('N').u16(3).text("1").text("h\xc3\xa9llo").u8('n');
  REQUIRE(d.decode(ins.b, m).ok());
  CHECK(m.type == PgMessageType::kInsert);
  REQUIRE(m.new_values.size() == 3);
  CHECK(m.new_values[1].data == "h\xc3\xa9llo");
  CHECK(m.new_values[2].kind == 'n');

  Msg upd;
  upd.u8('U')
      .u32(16384)
      .u8('K')
      .u16(3)
      .text("1")
      .u8('n')
      .u8('n')
      .u8('N')
      .u16(3)
      .text("2")
      .text("x")
      .u8('u');
  REQUIRE(d.decode(upd.b, m).ok());
  CHECK(m.old_kind == 'K');
  CHECK(m.new_values[2].kind == 'u');

  Msg del;
  del.u8('D').u32(16384).u8('O').u16(3).text("2").text("x").text("doc");
  REQUIRE(d.decode(del.b, m).ok());
  CHECK(m.old_kind == 'O');
  CHECK(m.old_values[2].data == "doc");

  Msg tr;
  tr.u8('T').u32(1).u8(0).u32(16384);
  REQUIRE(d.decode(tr.b, m).ok());
  REQUIRE(m.truncated.size() == 1);
  CHECK(m.truncated[0] == 16384);

  Msg commit;
  commit.u8('C').u8(0).u64(100).u64(200).u64(1000000);
  REQUIRE(d.decode(commit.b, m).ok());
  CHECK(m.lsn == 100);
  CHECK(m.end_lsn == 200);
  CHECK(m.ts_us == kPgEpochOffsetUs + 1000000);
}

TEST_CASE("pgoutput: malformed messages are kBadData, never a crash") {
  PgOutputDecoder d;
  PgMessage m;
  CHECK(d.decode("", m).is(StatusCode::kBadData));
  CHECK(d.decode("Z", m).is(StatusCode::kBadData));
  std::string rel = relation_msg();
  for (size_t n = 0; n < rel.size(); ++n) {
    CHECK_FALSE(d.decode(std::string_view(rel).substr(0, n), m).ok());
  }
  Msg ins;  // unknown relation
  ins.u8('I').u32(99).u8('N').u16(0);
  Status st = d.decode(ins.b, m);
  CHECK(st.is(StatusCode::kBadData));
  CHECK(st.message().find("never described") != std::string::npos);
  REQUIRE(d.decode(rel, m).ok());
  Msg narrow;  // 2 columns for a 3-column relation
  narrow.u8('I').u32(16384).u8('N').u16(2).text("1").text("x");
  CHECK(d.decode(narrow.b, m).message().find("has 2 columns") != std::string::npos);
  Msg longer;  // value length past the end
  longer.u8('I').u32(16384).u8('N').u16(3).u8('t').u32(1000).b += "abc";
  CHECK(d.decode(longer.b, m).is(StatusCode::kBadData));
  Msg trailing;
  trailing.u8('C').u8(0).u64(1).u64(2).u64(3).u8(9);
  CHECK(d.decode(trailing.b, m).message().find("trailing") != std::string::npos);
}

TEST_CASE("pgoutput: a new Relation message replaces the columns (ADD COLUMN)") {
  PgOutputDecoder d;
  PgMessage m;
  REQUIRE(d.decode(relation_msg(), m).ok());
  Msg r2;
  r2.u8('R').u32(16384).str("public").str("items").u8('d').u16(1).u8(1).str("id").u32(23).u32(
      0xffffffff);
  REQUIRE(d.decode(r2.b, m).ok());
  CHECK(d.relation(16384)->columns.size() == 1);
}

TEST_CASE("pgoutput: streamed changes carry the xid (protocol 2)") {
  PgOutputDecoder d;
  PgMessage m;
  Msg start;
  start.u8('S').u32(55).u8(1);
  REQUIRE(d.decode(start.b, m).ok());
  Msg rel;
  rel.u8('R').u32(55).u32(1).str("s").str("t").u8('f').u16(1).u8(1).str("id").u32(20).u32(
      0xffffffff);
  REQUIRE(d.decode(rel.b, m).ok());
  Msg ins;
  ins.u8('I').u32(55).u32(1).u8('N').u16(1).text("9");
  REQUIRE(d.decode(ins.b, m).ok());
  CHECK(m.xid == 55);
  Msg stop;
  stop.u8('E');
  REQUIRE(d.decode(stop.b, m).ok());
  Msg sc;
  sc.u8('c').u32(55).u8(0).u64(1).u64(2).u64(3);
  REQUIRE(d.decode(sc.b, m).ok());
  CHECK(m.end_lsn == 2);
}

TEST_CASE("pgoutput: Stream Abort names the rolled-back (sub)transaction") {
  PgOutputDecoder d;
  PgMessage m;
  Msg abort_sub;
  abort_sub.u8('A').u32(55).u32(57);
  REQUIRE(d.decode(abort_sub.b, m).ok());
  CHECK(m.type == PgMessageType::kStreamAbort);
  CHECK(m.xid == 55);
  CHECK(m.subxid == 57);
  Msg cut;
  cut.u8('A').u32(55).u16(1);
  CHECK(d.decode(cut.b, m).is(StatusCode::kBadData));
}

TEST_CASE("lsn text form") {
  uint64_t v = 0;
  CHECK(format_lsn(0x16B374D848ull) == "16/B374D848");
  CHECK(parse_lsn("16/B374D848", &v));
  CHECK(v == 0x16B374D848ull);
  CHECK_FALSE(parse_lsn("16B374D848", &v));
  CHECK_FALSE(parse_lsn("/1", &v));
  CHECK_FALSE(parse_lsn("1/123456789", &v));
}

TEST_CASE("debezium: values typed like the JSON converter") {
  debezium::ValueOptions o;
  auto v = [&](uint32_t oid, std::string_view text) {
    std::string out;
    pg::append_text_value(oid, text, o, out);
    return out;
  };
  CHECK(v(23, "-42") == "-42");
  CHECK(v(20, "9007199254740993") == "9007199254740993");
  CHECK(v(701, "1.5e+20") == "1.5e+20");
  CHECK(v(701, "NaN") == "\"NaN\"");
  CHECK(v(1700, "12.30") == "\"12.30\"");
  CHECK(v(16, "t") == "true");
  CHECK(v(16, "f") == "false");
  CHECK(v(25, "a\"b\n") == "\"a\\\"b\\n\"");
  CHECK(v(3802, "{\"a\": 1}") == "\"{\\\"a\\\": 1}\"");
  CHECK(v(1082, "1970-01-02") == "1");
  CHECK(v(1082, "1969-12-31") == "-1");
  CHECK(v(1082, "infinity") == "\"infinity\"");
  CHECK(v(1082, "2000-03-01") == "11017");
  CHECK(v(1082, "2024-02-29") == "19782");
  CHECK(v(1082, "0001-01-01 BC") == "-719528");  // 1 BC is year 0
  CHECK(v(1184, "9999-12-31 23:59:59.999999+00") == "\"9999-12-31T23:59:59.999999Z\"");
  CHECK(v(1083, "01:00:00.25") == "3600250000");
  CHECK(v(1114, "1970-01-01 00:00:01.000001") == "1000001");
  CHECK(v(1184, "2024-01-02 03:04:05.5+02") == "\"2024-01-02T01:04:05.5Z\"");
  CHECK(v(1114, "718811850-01-01 00:00:00") == "\"718811850-01-01 00:00:00\"");  // past int64 us
  CHECK(v(1184, "2024-01-02 03:04:05+05:30") == "\"2024-01-01T21:34:05Z\"");
  // interval: MicroDuration, months of 365.25 / 12 days (vectors computed
  // with the same double arithmetic).
  CHECK(v(1186, "1 year 2 mons 3 days 04:05:06.789") == "37091106789000");
  CHECK(v(1186, "-00:00:01.5") == "-1500000");
  CHECK(v(1186, "-1 days +02:03:00") == "-79020000000");
  CHECK(v(1186, "3 mons") == "7889400000000");
  CHECK(v(1186, "100:00:00") == "360000000000");
  CHECK(v(1186, "1 year -2 mons") == "26298000000000");
  CHECK(v(1186, "00:00:00.000001") == "1");
  CHECK(v(1186, "178000000 years") == "9223372036854775807");  // saturates like Java's (long)
  CHECK(v(1186, "-178000000 years") == "-9223372036854775808");
  CHECK(v(1187, "{\"1 day\",NULL}") == "[86400000000,null]");
  CHECK(v(1186, "P1Y2M") == "\"P1Y2M\"");  // another IntervalStyle: kept as text
  CHECK(v(1186, "1 fortnight") == "\"1 fortnight\"");
  CHECK(v(1266, "03:04:05.5+02") == "\"01:04:05.5Z\"");
  CHECK(v(1266, "01:00:00-05:30") == "\"06:30:00Z\"");
  CHECK(v(1266, "01:00:00+02") == "\"23:00:00Z\"");  // wraps to the previous day
  CHECK(v(1270, "{10:00:00+00,NULL}") == "[\"10:00:00Z\",null]");
  CHECK(v(1266, "10:00:00") == "\"10:00:00\"");  // no offset: kept as text
  CHECK(v(17, "\\x00ff") == "\"AP8=\"");
  CHECK(v(2950, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11") ==
        "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  CHECK(v(1007, "{1,NULL,3}") == "[1,null,3]");
  CHECK(v(1007, "{{1,2},{3,4}}") == "[[1,2],[3,4]]");
  CHECK(v(1009, "{a,\"b c\",\"q\\\"\",NULL,\"NULL\"}") ==
        "[\"a\",\"b c\",\"q\\\"\",null,\"NULL\"]");
  CHECK(v(1007, "[0:1]={1,2}") == "[1,2]");
  CHECK(v(1007, "{1,2") == "\"{1,2\"");  // malformed: kept as text
  o.embed_json = true;
  CHECK(v(3802, "{\"a\":\n1}") == "{\"a\": 1}");
  PgValue u{'u', {}};
  std::string out;
  pg::append_value(25, u, o, out);
  CHECK(out == "\"__debezium_unavailable_value\"");
}

TEST_CASE("debezium: event and key layout") {
  PgRelation rel;
  rel.oid = 1;
  rel.schema = "public";
  rel.table = "t";
  rel.columns = {{"id", 23, -1, true}, {"v", 25, -1, false}};
  std::vector<PgValue> values = {{'t', "7"}, {'n', {}}};
  debezium::Row row;
  pg::fill_row(rel, {true, false}, values, nullptr, {}, row);
  debezium::SourceInfo info{"0.1.0", "postgresql", "srv", "db"};
  pg::PgSourceWriter source;
  source.xid = 5;
  source.lsn = 100;
  debezium::ChangeEvent ev;
  ev.op = 'r';
  ev.schema = rel.schema;
  ev.table = rel.table;
  ev.after = &row;
  ev.snapshot = "true";
  ev.source_ts_us = 2000;
  ev.now_us = 3000;
  std::string out;
  size_t at = debezium::append_event(info, source, ev, out);
  CHECK(out ==
        "{\"before\":null,\"after\":{\"id\":7,\"v\":null},\"source\":{\"version\":\"0.1.0\","
        "\"connector\":\"postgresql\",\"name\":\"srv\",\"ts_ms\":2,\"snapshot\":\"true\",\"db\":"
        "\"db\","
        "\"sequence\":\"[null,\\\"100\\\"]\",\"schema\":\"public\",\"table\":\"t\",\"txId\":5,"
        "\"lsn\":100,"
        "\"xmin\":null},\"op\":\"r\",\"ts_ms\":3,\"transaction\":null}");
  REQUIRE(at != std::string::npos);
  CHECK(out.substr(at, 4) == "true");
  std::string key;
  CHECK(debezium::append_key(row, key));
  CHECK(key == "{\"id\":7}");
  key.clear();
  pg::fill_row(rel, {false, false}, values, nullptr, {}, row);
  CHECK_FALSE(debezium::append_key(row, key));
  CHECK(key.empty());
}

TEST_CASE("debezium: snapshot txId is 64-bit (txid_current), and null without one (a standby)") {
  debezium::Row row;
  row.add("id", true).append("7");
  pg::PgSourceWriter source;
  debezium::ChangeEvent ev;
  ev.op = 'r';
  ev.schema = "public";
  ev.table = "t";
  ev.after = &row;
  source.xid = (uint64_t{3} << 32) | 9;  // epoch 3
  const debezium::SourceInfo info{"0.1.0", "postgresql", "srv", "db"};
  std::string out;
  debezium::append_event(info, source, ev, out);
  CHECK(out.find("\"txId\":12884901897,") != std::string::npos);
  source.xid = 0;
  out.clear();
  debezium::append_event(info, source, ev, out);
  CHECK(out.find("\"txId\":null,") != std::string::npos);
}

TEST_CASE("debezium: unchanged TOAST values come from the old tuple when it has them") {
  PgRelation rel;
  rel.columns = {{"id", 23, -1, true}, {"big", 25, -1, false}};
  std::vector<PgValue> old_values = {{'t', "1"}, {'t', "long"}};
  std::vector<PgValue> new_values = {{'t', "1"}, {'u', {}}};
  debezium::Row row;
  std::string out;
  pg::fill_row(rel, {true, false}, new_values, &old_values, {}, row);
  debezium::append_row(&row, out);
  CHECK(out == "{\"id\":1,\"big\":\"long\"}");
  out.clear();
  pg::fill_row(rel, {true, false}, new_values, nullptr, {}, row);
  debezium::append_row(&row, out);
  CHECK(out == "{\"id\":1,\"big\":\"__debezium_unavailable_value\"}");
}

TEST_CASE("cdc routing: table names become valid stream names, as Debezium's topic names") {
  auto part = [](std::string_view v) {
    std::string out;
    append_stream_name_part(v, out);
    return out;
  };
  CHECK(part("orders") == "orders");
  CHECK(part("Order_Items-2.v1") == "Order_Items-2.v1");
  CHECK(part("a/b") == "a_b");
  CHECK(part("../x") == ".._x");
  CHECK(part("with space") == "with_space");
  CHECK(part("t\xc3\xbc"
             "bingen") == "t_bingen");       // one '_' per character, not per byte
  CHECK(part("\xf0\x9f\x98\x80!") == "__");  // a 4-byte character, then '!'
  CHECK(part("a,b{c}") == "a_b_c_");
  CHECK(part("\x80x") == "_x");  // a stray continuation byte
}

TEST_CASE("debezium: an event formatted before its commit gets the commit-time fields") {
  debezium::Row row;
  row.add("id", true).append("7");
  debezium::SourceInfo info{"0.1.0", "postgresql", "srv", "db"};
  pg::PgSourceWriter source;
  source.xid = 5;
  source.lsn = 100;
  debezium::ChangeEvent ev;
  ev.op = 'c';
  ev.schema = "public";
  ev.table = "t";
  ev.after = &row;
  ev.now_us = 3000;
  for (uint64_t last_commit : {uint64_t{0}, uint64_t{99}, uint64_t{18446744073709551615u}}) {
    for (int64_t ts : {int64_t{0}, int64_t{-1500}, int64_t{1795308109150123}}) {
      std::string pending = "prefix";
      debezium::DeferredFields deferred;
      source.last_commit_lsn = 0;
      debezium::append_event(info, source, ev, pending, &deferred);
      std::string commit_part;
      pg::PgSourceWriter::append_last_commit(last_commit, commit_part);
      std::string completed;
      debezium::append_completed(std::string_view(pending).substr(6), deferred, ts, commit_part,
                                 completed);
      debezium::ChangeEvent at_commit = ev;
      at_commit.source_ts_us = ts;
      source.last_commit_lsn = last_commit;
      std::string direct;
      debezium::append_event(info, source, at_commit, direct);
      CHECK(completed == direct);
    }
  }
}
