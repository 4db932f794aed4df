#!/usr/bin/env bash
# cdc-pg against a real PostgreSQL 15: Debezium event shape, routing,
# transaction markers, schema changes, and replay equivalence under a
# random workload (inserts, PK-changing updates, deletes, truncate,
# multi-statement transactions, NULLs, unicode, TOASTed text).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg tap
"$PYTHON" -c 'import psycopg2' 2>/dev/null || test_skip_all_ "python3-psycopg2 is missing"
pg_start
HELPER="$PYTHON $SLUICE_ROOT/tests/cli/cdc-pg-helper.py"
SAMPLE=$SLUICE_ROOT/tests/data/debezium-pg-sample.json

# start_cdc OUT ARGS...: runs cdc-pg ARGS in the background, stdout to OUT.
start_cdc() {
  out=$1; shift
  cdc_n=$((${cdc_n:-0} + 1))
  cdc-pg "$@" >"$out" 2>"cdc-$cdc_n.err" &
  cdc_pid=$!
  test_track_pid "$cdc_pid"
}
# caught_up SLOT [PID]: the slot confirmed everything written so far. Fails
# at once, with cdc-pg's stderr, if cdc-pg (PID, default the last one that
# start_cdc started) has exited.
caught_up() {
  lsn=$(psql_c "SELECT pg_current_wal_insert_lsn()") &&
  up_pid=${2:-$cdc_pid} &&
  wait_for 60 "! kill -0 $up_pid 2>/dev/null || test \"\$(psql_c \"SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots WHERE slot_name = '$1'\")\" = t" &&
  if ! kill -0 "$up_pid" 2>/dev/null; then
    echo "cdc-pg $up_pid exited before slot $1 caught up; the stderr of each cdc-pg run:" >&2
    tail -n 5 cdc-*.err >&2
    return 1
  fi
}
# snapshot_taken OUT: the snapshot of the cdc-pg of start_cdc is written to
# OUT (its last row is there). The random workloads start after it: one that
# races the snapshot with a TRUNCATE makes cdc-pg take it again, later, on a
# new slot, and then nothing is streamed (t4010 covers writes during it).
snapshot_taken() {
  wait_for 60 "! kill -0 $cdc_pid 2>/dev/null || grep -q snapshot.:.last $1" &&
  if ! kill -0 "$cdc_pid" 2>/dev/null; then
    echo "cdc-pg $cdc_pid exited before its snapshot was written; its stderr:" >&2
    cat "cdc-$cdc_n.err" >&2
    return 1
  fi
}

test_expect_success 'events match the Debezium sample field by field' '
  psql_c "CREATE TABLE customers (id int PRIMARY KEY, first_name text, last_name text, email text)" &&
  psql_c "INSERT INTO customers VALUES (1, '\''Anne'\'', '\''Kretchmar'\'', '\''annek@noanswer.org'\'')" &&
  start_cdc ev.out --create-publication --slot s1 --publication p1 --tables public.customers "$PGURL" &&
  wait_for 30 "test -s ev.out" &&
  psql_c "INSERT INTO customers VALUES (2, '\''Sally'\'', '\''Thomas'\'', NULL)" &&
  psql_c "UPDATE customers SET email = '\''s@x'\'' WHERE id = 2" &&
  psql_c "DELETE FROM customers WHERE id = 1" &&
  psql_c "TRUNCATE customers" &&
  wait_for 30 "test \$(wc -l <ev.out) -ge 5" &&
  caught_up s1 &&
  test_stop "$cdc_pid" &&
  $HELPER sample "$SAMPLE" ev.out >check.out &&
  test_grep "ops cdrtu" check.out &&
  test_grep "\"op\":\"r\".*" ev.out &&
  head -1 ev.out | test_grep -F "\"snapshot\":\"last\"" &&
  sed -n 2p ev.out | test_grep -F "\"after\":{\"id\":2,\"first_name\":\"Sally\",\"last_name\":\"Thomas\",\"email\":null}" &&
  sed -n 5p ev.out | test_grep -F "\"before\":null,\"after\":null" &&
  test_path_is_missing stray
'

test_expect_success 'a restart resumes after the confirmed position (no snapshot, no repeats)' '
  start_cdc ev2.out --slot s1 --publication p1 "$PGURL" &&
  psql_c "INSERT INTO customers VALUES (7, '\''Ed'\'', NULL, NULL)" &&
  wait_for 30 "test -s ev2.out" &&
  caught_up s1 &&
  test_stop "$cdc_pid" &&
  test_line_count = 1 ev2.out &&
  test_grep "\"id\":7" ev2.out
'

test_expect_success 'values are typed like Debezium JSON' '
  psql_c "CREATE TABLE types (id bigint PRIMARY KEY, i2 smallint, f8 float8, nu numeric(10,2), bo bool,
    js jsonb, ts timestamp, tz timestamptz, d date, tm time, u uuid, by bytea, ar text[], ia int[][], big text)" &&
  psql_c "INSERT INTO types VALUES (9007199254740993, -3, 1.5, 12.30, true, '\''{\"a\": [1, 2]}'\'',
    '\''2024-01-02 03:04:05.123456'\'', '\''2024-01-02 03:04:05.5+02'\'', '\''2024-01-02'\'', '\''01:02:03.5'\'',
    '\''a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'\'', '\''\\x00ff'\'', '\''{a,\"b c\",NULL}'\'', '\''{{1,2},{3,4}}'\'', repeat('\''x'\'', 5))" &&
  cdc-pg --snapshot only --tables public.types --publication none "$PGURL" >types.out &&
  test_line_count = 1 types.out &&
  test_grep -F "\"after\":{\"id\":9007199254740993,\"i2\":-3,\"f8\":1.5,\"nu\":\"12.30\",\"bo\":true,\"js\":\"{\\\"a\\\": [1, 2]}\",\"ts\":1704164645123456,\"tz\":\"2024-01-02T01:04:05.5Z\",\"d\":19724,\"tm\":3723500000,\"u\":\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\",\"by\":\"AP8=\",\"ar\":[\"a\",\"b c\",null],\"ia\":[[1,2],[3,4]],\"big\":\"xxxxx\"}" types.out &&
  cdc-pg --snapshot only --embed-json --tables public.types --publication none "$PGURL" >types2.out &&
  test_grep -F "\"js\":{\"a\": [1, 2]}" types2.out
'

test_expect_success 'interval (MicroDuration) and timetz (ZonedTime), snapshot and streamed alike' '
  psql_c "CREATE TABLE iv (id int PRIMARY KEY, iv interval, tt timetz)" &&
  psql_c "INSERT INTO iv VALUES (1, '\''1 year 2 mons 3 days 04:05:06.789'\'', '\''03:04:05.5+02'\'')" &&
  start_cdc iv.out --create-publication --publication piv --slot siv --tables public.iv "$PGURL" &&
  wait_for 30 "test -s iv.out" &&
  psql_c "INSERT INTO iv VALUES (2, '\''-1 days +02:03:00'\'', '\''23:30:00-02'\'')" &&
  caught_up siv &&
  test_stop "$cdc_pid" &&
  test_grep -F "\"after\":{\"id\":1,\"iv\":37091106789000,\"tt\":\"01:04:05.5Z\"}" iv.out &&
  test_grep -F "\"after\":{\"id\":2,\"iv\":-79020000000,\"tt\":\"01:30:00Z\"}" iv.out
'

test_expect_success 'routing {schema}.{table} with keys, transaction markers' '
  psql_c "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (k1 int, k2 text, v text, PRIMARY KEY (k1, k2))" &&
  start_cdc route.out --create-publication --publication p2 --slot s2 --tables public.a,public.b --tx-markers --name shop "$PGURL" "file:log/cdc.{schema}.{table}" &&
  wait_for 30 "psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''s2'\''\" | grep -q t" &&
  psql_c "BEGIN; INSERT INTO a VALUES (1, '\''x'\''); INSERT INTO b VALUES (2, '\''y'\'', '\''z'\''); INSERT INTO a VALUES (3, NULL); COMMIT" &&
  caught_up s2 &&
  test_stop "$cdc_pid" &&
  tap file:log/cdc.public.a --exit -F "%k %s\n" >a.out &&
  tap file:log/cdc.public.b --exit -F "%k\n" >b.out &&
  tap file:log/shop.transaction --exit >tx.out 2>/dev/null || tap "file:log/cdc.transaction" --exit >tx.out &&
  test_line_count = 2 a.out &&
  test_grep "^{\"id\":1} " a.out &&
  test_grep "\"name\":\"shop\"" a.out &&
  test_grep "\"transaction\":{\"id\":\"[0-9]*:[0-9]*\",\"total_order\":3,\"data_collection_order\":2}" a.out &&
  printf "%s\n" "{\"k1\":2,\"k2\":\"y\"}" >expect && test_cmp expect b.out &&
  test_grep "\"status\":\"BEGIN\"" tx.out &&
  test_grep "\"status\":\"END\".*\"event_count\":3,\"data_collections\":\[{\"data_collection\":\"public.a\",\"event_count\":2},{\"data_collection\":\"public.b\",\"event_count\":1}\]" tx.out &&
  test_path_is_missing "log/cdc.{schema}.{table}"
'

test_expect_success 'ADD/DROP COLUMN mid-stream is picked up; --with-key on stdout' '
  psql_c "CREATE TABLE evo (id int PRIMARY KEY, a text)" &&
  start_cdc evo.out --create-publication --publication p3 --slot s3 --tables public.evo --with-key "$PGURL" &&
  wait_for 30 "psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''s3'\''\" | grep -q t" &&
  psql_c "INSERT INTO evo VALUES (1, '\''one'\'')" &&
  psql_c "ALTER TABLE evo ADD COLUMN b int" &&
  psql_c "INSERT INTO evo VALUES (2, '\''two'\'', 2)" &&
  psql_c "ALTER TABLE evo DROP COLUMN a" &&
  psql_c "INSERT INTO evo VALUES (3, 3)" &&
  caught_up s3 &&
  test_stop "$cdc_pid" &&
  test_grep -F "{\"key\":{\"id\":1},\"value\":{\"before\":null,\"after\":{\"id\":1,\"a\":\"one\"}" evo.out &&
  test_grep -F "\"after\":{\"id\":2,\"a\":\"two\",\"b\":2}" evo.out &&
  test_grep -F "\"after\":{\"id\":3,\"b\":3}" evo.out
'

test_expect_success 'replay of a random workload reproduces the tables exactly' '
  psql_c "CREATE DATABASE src" && psql_c "CREATE DATABASE replica" &&
  SRC="postgresql://postgres@127.0.0.1:$PG_PORT/src" &&
  REP="postgresql://postgres@127.0.0.1:$PG_PORT/replica" &&
  $HELPER schema "$SRC" && $HELPER schema "$REP" &&
  $HELPER workload "$SRC" 1 40 &&
  start_cdc replay.out --create-publication --slot rs "$SRC" &&
  snapshot_taken replay.out &&
  $HELPER workload "$SRC" 2 400 &&
  caught_up rs &&
  test_stop "$cdc_pid" &&
  test_grep -q "\"op\":\"r\"" replay.out &&
  test_grep -q "__debezium_unavailable_value" replay.out &&
  test_grep -q "\"op\":\"t\"" replay.out &&
  $HELPER replay "$REP" replay.out &&
  $HELPER compare "$SRC" "$REP"
'

# replay_with NAME CDC-FLAGS...: the random workload replayed, in fresh
# databases src_NAME and rep_NAME, with cdc-pg run with CDC-FLAGS.
replay_with() {
  name=$1; shift
  psql_c "CREATE DATABASE src_$name" && psql_c "CREATE DATABASE rep_$name" &&
  S="postgresql://postgres@127.0.0.1:$PG_PORT/src_$name" &&
  R="postgresql://postgres@127.0.0.1:$PG_PORT/rep_$name" &&
  $HELPER schema "$S" && $HELPER schema "$R" &&
  $HELPER workload "$S" 3 30 &&
  start_cdc "replay_$name.out" --create-publication --slot "rs_$name" "$@" "$S" &&
  snapshot_taken "replay_$name.out" &&
  $HELPER workload "$S" 4 300 &&
  caught_up "rs_$name" &&
  test_stop "$cdc_pid" &&
  $HELPER replay "$R" "replay_$name.out" &&
  $HELPER compare "$S" "$R"
}

test_expect_success 'replay equivalence with --proto-version 1' '
  replay_with p1 --proto-version 1
'

test_expect_success 'replay equivalence with --proto-version 2 --stream-in-progress (64kB decoding memory)' '
  psql_c "ALTER SYSTEM SET logical_decoding_work_mem = '\''64kB'\''" && psql_c "SELECT pg_reload_conf()" &&
  replay_with p2 --proto-version 2 --stream-in-progress &&
  test "$(psql_c "SELECT stream_txns > 0 FROM pg_stat_replication_slots WHERE slot_name = '\''rs_p2'\''")" = t
'

test_expect_success 'replay equivalence with --proto-version 3 --stream-in-progress' '
  replay_with p3 --proto-version 3 --stream-in-progress
'

test_expect_success 'streamed transactions: a rollback and a rolled-back savepoint emit nothing' '
  psql_c "CREATE TABLE big (id int PRIMARY KEY, v text)" &&
  start_cdc big.out --create-publication --publication pb --slot sb --tables public.big --stream-in-progress "$PGURL" &&
  wait_for 30 "psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''sb'\''\" | grep -q t" &&
  psql_c "BEGIN; INSERT INTO big SELECT g, '\''gone'\'' FROM generate_series(1, 20000) g; ROLLBACK" &&
  psql_c "BEGIN; INSERT INTO big SELECT g, '\''kept'\'' FROM generate_series(1, 5000) g; SAVEPOINT s;
    INSERT INTO big SELECT g, '\''sub'\'' FROM generate_series(5001, 15000) g; ROLLBACK TO s;
    INSERT INTO big VALUES (99999, '\''last'\''); COMMIT" &&
  caught_up sb &&
  test_stop "$cdc_pid" &&
  test "$(psql_c "SELECT stream_txns >= 2 FROM pg_stat_replication_slots WHERE slot_name = '\''sb'\''")" = t &&
  test_line_count = 5001 big.out &&
  test "$(grep -c "\"v\":\"kept\"" big.out)" = 5000 &&
  test_grep -F "\"id\":99999" big.out &&
  ! grep -q "\"v\":\"gone\"\|\"v\":\"sub\"" big.out
'

test_expect_success 'streamed by default: events equal the non-streamed ones field by field (but ts_ms)' '
  psql_c "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots WHERE NOT active" &&
  psql_c "CREATE TABLE st (id int PRIMARY KEY, v text, n numeric, j jsonb)" &&
  psql_c "CREATE PUBLICATION pst FOR TABLE st" &&
  start_cdc st-on.out --slot st_on --publication pst --snapshot never "$PGURL" && on_pid=$cdc_pid &&
  start_cdc st-off.out --slot st_off --publication pst --snapshot never --no-stream-in-progress "$PGURL" &&
  off_pid=$cdc_pid &&
  start_cdc st-key.out --slot st_key --publication pst --snapshot never --with-key "$PGURL" && key_pid=$cdc_pid &&
  wait_for 30 "test \"\$(psql_c \"SELECT count(*) FROM pg_replication_slots WHERE active AND slot_name LIKE '\''st_%'\''\")\" = 3" &&
  psql_c "INSERT INTO st VALUES (0, '\''first'\'', 1.5, '\''{\"a\": 1}'\'')" &&
  { psql_c "BEGIN; INSERT INTO st SELECT g, repeat('\''x'\'', g % 50), g / 7.0, NULL FROM generate_series(1, 8000) g;
      SELECT pg_sleep(1.5); UPDATE st SET v = '\''upd'\'' WHERE id % 10 = 0; UPDATE st SET id = id + 100000 WHERE id % 97 = 0;
      SAVEPOINT s; DELETE FROM st WHERE id < 3000; ROLLBACK TO s; DELETE FROM st WHERE id % 13 = 0;
      INSERT INTO st SELECT g, '\''late'\'', NULL, '\''[1,2]'\'' FROM generate_series(9000, 12000) g; COMMIT" >/dev/null &
    big=$!; } &&
  sleep 0.5 && psql_c "INSERT INTO st VALUES (-1, '\''between'\'', NULL, NULL)" &&
  wait $big &&
  psql_c "INSERT INTO st VALUES (-2, '\''after'\'', NULL, NULL)" &&
  caught_up st_on "$on_pid" && caught_up st_off "$off_pid" && caught_up st_key "$key_pid" &&
  test_stop "$on_pid" && test_stop "$off_pid" && test_stop "$key_pid" &&
  test "$(psql_c "SELECT stream_txns > 0 FROM pg_stat_replication_slots WHERE slot_name = '\''st_on'\''")" = t &&
  test "$(psql_c "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '\''st_off'\''")" = 0 &&
  "$PYTHON" - st-on.out st-off.out st-key.out <<-\PY
	import json, sys
	def load(path, keyed=False):
	    out = []
	    for line in open(path, encoding="utf-8"):
	        e = json.loads(line)
	        if keyed:
	            assert set(e) == {"key", "value"}, e
	            e = e["value"]
	        del e["ts_ms"]
	        out.append(e)
	    return out
	on, off, key = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[3], True)
	assert len(off) > 10000, len(off)
	assert on == off, next((a, b) for a, b in zip(on, off) if a != b) if len(on) == len(off) else (len(on), len(off))
	assert key == off
	seqs = [json.loads(e["source"]["sequence"]) for e in off]
	assert any(s[0] is not None for s in seqs)
	PY
'

# The spill file of a streamed transaction goes through Env (open_temp in
# TMPDIR). When it cannot be made, the run stops with the directory named
# and confirms nothing of the transaction, so the next run delivers it all.
test_expect_success 'spill file cannot be created: exit 73 naming TMPDIR, nothing emitted, next run delivers' '
  psql_c "ALTER SYSTEM SET logical_decoding_work_mem = '\''64kB'\''" && psql_c "SELECT pg_reload_conf()" &&
  psql_c "CREATE TABLE sp (id int PRIMARY KEY, v text)" &&
  psql_c "CREATE PUBLICATION psp FOR TABLE sp" &&
  { TMPDIR=$TEST_DIR/no-such-dir cdc-pg --slot ssp --publication psp --snapshot never --stream-in-progress \
      "$PGURL" >sp1.out 2>sp1.err & sp_pid=$!; } &&
  test_track_pid "$sp_pid" &&
  wait_for 30 "psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''ssp'\''\" | grep -q t" &&
  psql_c "INSERT INTO sp SELECT g, repeat('\''s'\'', 40) FROM generate_series(1, 20000) g" &&
  rc=0 && { wait "$sp_pid" || rc=$?; } &&
  test "$rc" = 73 &&
  test_grep -F "cannot spill a streamed transaction to disk (check TMPDIR): cannot create a temporary file in '\''$TEST_DIR/no-such-dir'\''" sp1.err &&
  test_line_count = 0 sp1.out &&
  start_cdc sp2.out --slot ssp --publication psp --snapshot never --stream-in-progress "$PGURL" &&
  caught_up ssp &&
  test_stop "$cdc_pid" &&
  test_line_count = 20000 sp2.out
'

test_expect_success '--proto-version and --stream-in-progress are checked' '
  test_expect_code 64 cdc-pg --proto-version 4 "$PGURL" &&
  test_expect_code 64 cdc-pg --proto-version 1 --stream-in-progress "$PGURL" &&
  test_expect_code 64 cdc-pg --stream-in-progress --no-stream-in-progress "$PGURL"
'

test_done
