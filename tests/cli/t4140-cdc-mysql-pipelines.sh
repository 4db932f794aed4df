#!/usr/bin/env bash
# cdc-mysql in pipelines: into Kafka (librdkafka mock cluster), one topic
# per table with {db}.{table}, keyed by the primary key, tombstones after
# deletes; and on stdout into a chain (a reader that leaves ends the run 0,
# the offsets then name only what the reader took).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/mysql-lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin cdc-mysql tap flux kafka_mock
mysql_start

# ops FILE: "key|payload" lines to "key|op" lines.
ops() { sed -E 's/\|.*"op":"(.)".*/|\1/' "$1"; }

test_expect_success 'kafka: one topic per table, key = primary key, tombstones after deletes' '
  start_kafka_mock kafka &&
  my_c "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(10)); CREATE TABLE b (k1 INT, k2 VARCHAR(5), PRIMARY KEY (k1, k2))" &&
  my_c "INSERT INTO a VALUES (1, \"x\")" &&
  { cdc-mysql --offsets off "$MYURL" "kafka://$KAFKA/cdc.{db}.{table}" 2>cdc.err & } &&
  cdc_pid=$! && test_track_pid $cdc_pid &&
  wait_for 30 "test -s off" &&
  my_c "INSERT INTO a VALUES (2, \"y\"); UPDATE a SET v = \"z\" WHERE id = 1; DELETE FROM a WHERE id = 2" &&
  my_c "INSERT INTO b VALUES (7, \"k\"); DELETE FROM b" &&
  want=$(my_c "SHOW MASTER STATUS" | cut -f2) &&
  wait_for 30 "grep -qx pos=$want off" &&
  test_stop $cdc_pid &&
  tap "kafka://$KAFKA/cdc.test.a" --exit -F "%k|%s\n" >ka.raw &&
  tap "kafka://$KAFKA/cdc.test.b" --exit -F "%k|%s\n" >kb.raw &&
  ops ka.raw >ka.out &&
  printf "%s\n" "{\"id\":1}|r" "{\"id\":2}|c" "{\"id\":1}|u" "{\"id\":2}|d" "{\"id\":2}|" >expect.a &&
  test_cmp expect.a ka.out &&
  ops kb.raw >kb.out &&
  printf "%s\n" "{\"k1\":7,\"k2\":\"k\"}|c" "{\"k1\":7,\"k2\":\"k\"}|d" "{\"k1\":7,\"k2\":\"k\"}|" >expect.b &&
  test_cmp expect.b kb.out &&
  test_grep -F "{\"id\":2}|{\"before\":null,\"after\":{\"id\":2,\"v\":\"y\"}" ka.raw
'

test_expect_success 'stdout into a chain: flux takes the events, a reader that leaves ends the run 0' '
  my_c "CREATE TABLE c (id INT PRIMARY KEY)" &&
  my_c "INSERT INTO c SELECT seq FROM seq_1_to_50" &&
  cdc-mysql --snapshot only --tables test.c "$MYURL" | flux file:chain &&
  tap file:chain --exit >chain.out &&
  test_line_count = 50 chain.out &&
  test_grep -F "\"after\":{\"id\":50}" chain.out &&
  { cdc-mysql --snapshot only --tables test.c "$MYURL" | head -n 1 >one.out; rc=${PIPESTATUS[0]}; } &&
  test "$rc" = 0 &&
  test_line_count = 1 one.out
'

test_done
