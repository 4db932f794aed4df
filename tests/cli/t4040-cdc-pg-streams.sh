#!/usr/bin/env bash
# cdc-pg into Kafka (librdkafka mock cluster) and Redis streams: per-table
# routing {schema}.{table}, the message key is the primary key, a tombstone
# (same key, null value) follows each delete unless --no-tombstones, and
# tap reads the events back.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin cdc-pg tap kafka_mock
test_require_cmd redis-server redis-cli
pg_start

# run_cdc SLOT DEST FLAGS...: streams the tables a and b into DEST while a
# fixed workload runs, until the slot confirmed it all.
run_cdc() {
  slot=$1 dest=$2; shift 2
  cdc-pg --slot "$slot" --publication p --snapshot never "$@" "$PGURL" "$dest" >"$slot.out" 2>"$slot.err" &
  pid=$!
  test_track_pid $pid
  wait_for 30 "psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '$slot'\" | grep -q t" &&
  psql_c "BEGIN; INSERT INTO a VALUES (1, 'x'), (2, 'y'); INSERT INTO b VALUES (7, 'k', 'v'); COMMIT" &&
  psql_c "UPDATE a SET v = 'z' WHERE id = 2" &&
  psql_c "DELETE FROM a WHERE id = 1" &&
  psql_c "DELETE FROM a; DELETE FROM b" &&
  lsn=$(psql_c "SELECT pg_current_wal_insert_lsn()") &&
  wait_for 60 "test \"\$(psql_c \"SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots WHERE slot_name = '$slot'\")\" = t" &&
  test_stop $pid
}

# The events of table a as "key|op" lines ("key|" for a tombstone).
cat >expect.a <<'X'
{"id":1}|c
{"id":2}|c
{"id":2}|u
{"id":1}|d
{"id":1}|
{"id":2}|d
{"id":2}|
X
cat >expect.b <<'X'
{"k1":7,"k2":"k"}|c
{"k1":7,"k2":"k"}|d
{"k1":7,"k2":"k"}|
X

# ops FILE: "key|payload" lines to "key|op" lines.
ops() { sed -E 's/\|.*"op":"(.)".*/|\1/' "$1"; }

test_expect_success 'setup' '
  psql_c "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (k1 int, k2 text, v text, PRIMARY KEY (k1, k2))" &&
  psql_c "CREATE PUBLICATION p FOR TABLE a, b" &&
  start_kafka_mock kafka &&
  mkdir -p redis && REDIS_PORT=$(free_port) &&
  { redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$PWD/redis" --save "" --appendonly no >redis/log 2>&1 & } &&
  test_track_pid $! &&
  wait_for 10 "redis-cli -p $REDIS_PORT ping 2>&1 | grep -q PONG"
'

test_expect_success 'kafka: one topic per table, key = primary key, tombstones after deletes' '
  run_cdc ks "kafka://$KAFKA/cdc.{schema}.{table}" &&
  tap "kafka://$KAFKA/cdc.public.a" --exit -F "%k|%s\n" >ka.raw &&
  tap "kafka://$KAFKA/cdc.public.b" --exit -F "%k|%s\n" >kb.raw &&
  ops ka.raw >ka.out && test_cmp expect.a ka.out &&
  ops kb.raw >kb.out && test_cmp expect.b kb.out &&
  test_grep -F "{\"id\":2}|{\"before\":null,\"after\":{\"id\":2,\"v\":\"y\"}" ka.raw
'

test_expect_success 'redis: one stream per table, key = primary key, tombstones after deletes' '
  run_cdc rs "redis://127.0.0.1:$REDIS_PORT/cdc.{schema}.{table}" &&
  tap "redis://127.0.0.1:$REDIS_PORT/cdc.public.a" --exit -F "%k|%s\n" >ra.raw &&
  tap "redis://127.0.0.1:$REDIS_PORT/cdc.public.b" --exit -F "%k|%s\n" >rb.raw &&
  ops ra.raw >ra.out && test_cmp expect.a ra.out &&
  ops rb.raw >rb.out && test_cmp expect.b rb.out
'

test_expect_success '--no-tombstones: deletes only' '
  run_cdc nt "redis://127.0.0.1:$REDIS_PORT/nt.{table}" --no-tombstones &&
  tap "redis://127.0.0.1:$REDIS_PORT/nt.a" --exit -F "%k|%s\n" >nt.raw &&
  ops nt.raw >nt.out &&
  grep -v "|\$" expect.a >expect.nt && test_cmp expect.nt nt.out
'

test_expect_success 'stdout gets no tombstones' '
  run_cdc so - &&
  test_line_count = 7 so.out &&
  ! grep -qx null so.out
'

test_done
