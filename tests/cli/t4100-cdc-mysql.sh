#!/usr/bin/env bash
# cdc-mysql against a real MariaDB (binlog ROW, FULL row metadata): the
# Debezium MySQL envelope, value typing (snapshot and binlog alike), primary
# key changes, transaction markers, and replay equivalence under a random
# workload over every common column type.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/mysql-lib.sh"
test_require_bin cdc-mysql tap
/usr/bin/python3 -c 'import pymysql' 2>/dev/null || test_skip_all_ "python3-pymysql is missing"
mysql_start
HELPER="/usr/bin/python3 $SLUICE_ROOT/tests/cli/cdc-mysql-helper.py"
SCALE=${SLUICE_TEST_SCALE:-1}

# start_cdc OUT ARGS...: runs cdc-mysql ARGS in the background, stdout to OUT.
start_cdc() {
  out=$1; shift
  cdc_n=$((${cdc_n:-0} + 1))
  cdc-mysql "$@" >"$out" 2>"cdc-$cdc_n.err" &
  cdc_pid=$!
  test_track_pid "$cdc_pid"
}
# caught_up OFFSETS: the offsets file names the server's current position.
caught_up() {
  want=$(my_c "SHOW MASTER STATUS" | cut -f2) &&
  wait_for 30 "grep -qx pos=$want $1"
}

ROW="(1,-5,250,18446744073709551615,-1234.5,1.5,2.25,'ab','héllo','text',X'00ff41','b','x,z',b'1010101010',b'1','2024-02-29','-838:59:58.123','2024-01-02 03:04:05.678901','2024-01-02 03:04:05.67',2024,'{\"a\":[1,2]}',NULL)"
AFTER='{"id":1,"ti":-5,"tu":250,"bu":18446744073709551615,"d":"-1234.500","f":1.5,"db":2.25,"c":"ab","v":"héllo","tx":"text","bl":"AP9B","e":"b","s":"x,z","b":"qgI=","b1":true,"dt":19782,"tm":-3020398123000,"dtm":1704164645678901,"ts":"2024-01-02T03:04:05.67Z","y":2024,"j":"{\"a\":[1,2]}","n":null}'

test_expect_success 'snapshot and binlog type every column alike, as Debezium does' '
  my_c "CREATE TABLE t1 (id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, bu BIGINT UNSIGNED,
    d DECIMAL(10,3), f FLOAT, db DOUBLE, c CHAR(5), v VARCHAR(20), tx TEXT, bl BLOB,
    e ENUM(\"a\",\"b\",\"c\"), s SET(\"x\",\"y\",\"z\"), b BIT(10), b1 BIT(1), dt DATE, tm TIME(3),
    dtm DATETIME(6), ts TIMESTAMP(2) NULL, y YEAR, j JSON, n INT NULL)" &&
  my_c "INSERT INTO t1 VALUES $ROW" &&
  cdc-mysql --snapshot only --stats "$MYURL" >snap.out 2>snap.err &&
  test_line_count = 1 snap.out &&
  test_grep "^cdc-mysql: 1 records, .* 0 errors" snap.err &&
  test_grep -F "\"before\":null,\"after\":$AFTER,\"source\":{\"version\":" snap.out &&
  test_grep -F "\"connector\":\"mysql\",\"name\":\"test\"" snap.out &&
  test_grep -F "\"snapshot\":\"last\",\"db\":\"test\",\"sequence\":null,\"table\":\"t1\"" snap.out &&
  test_grep -F "\"op\":\"r\"" snap.out &&
  my_c "DELETE FROM t1" &&
  start_cdc stream.out --snapshot never --offsets off1 "$MYURL" &&
  wait_for 30 "test -s off1" &&
  my_c "INSERT INTO t1 VALUES $ROW" &&
  caught_up off1 &&
  test_stop "$cdc_pid" &&
  test_line_count = 1 stream.out &&
  test_grep -F "\"before\":null,\"after\":$AFTER,\"source\":{\"version\":" stream.out &&
  test_grep -E "\"snapshot\":\"false\",\"db\":\"test\",\"sequence\":null,\"table\":\"t1\",\"server_id\":1,\"gtid\":\"0-1-[0-9]+\",\"file\":\"binlog.0+1\",\"pos\":[0-9]+,\"row\":0" stream.out &&
  test_grep -F "\"op\":\"c\"" stream.out
'

test_expect_success 'updates, primary-key changes (delete + create), deletes, with keys' '
  start_cdc upd.out --snapshot never --offsets off2 --with-key --tables test.t1 "$MYURL" &&
  wait_for 30 "test -s off2" &&
  my_c "UPDATE t1 SET v = \"x\" WHERE id = 1" &&
  my_c "UPDATE t1 SET id = 2 WHERE id = 1" &&
  my_c "DELETE FROM t1 WHERE id = 2" &&
  caught_up off2 &&
  test_stop "$cdc_pid" &&
  test_line_count = 4 upd.out &&
  sed -n 1p upd.out | test_grep -E "^\{\"key\":\{\"id\":1\},\"value\":\{\"before\":\{\"id\":1,.*\"v\":\"héllo\".*\"after\":\{\"id\":1,.*\"v\":\"x\".*\"op\":\"u\"" &&
  sed -n 2p upd.out | test_grep -E "^\{\"key\":\{\"id\":1\},\"value\":\{\"before\":\{\"id\":1,.*\"after\":null.*\"op\":\"d\"" &&
  sed -n 3p upd.out | test_grep -E "^\{\"key\":\{\"id\":2\},\"value\":\{\"before\":\{\"id\":1,.*\"after\":\{\"id\":2,.*\"op\":\"c\"" &&
  sed -n 4p upd.out | test_grep -E "^\{\"key\":\{\"id\":2\},\"value\":\{\"before\":\{\"id\":2,.*\"after\":null.*\"op\":\"d\""
'

test_expect_success 'transaction markers: BEGIN and END around each transaction, GTID as id' '
  start_cdc tx.out --snapshot never --offsets off3 --tx-markers --tables test.t1 "$MYURL" &&
  wait_for 30 "test -s off3" &&
  my_c "BEGIN; INSERT INTO t1 (id) VALUES (10); INSERT INTO t1 (id) VALUES (11); COMMIT" &&
  my_c "BEGIN; INSERT INTO t1 (id) VALUES (12); ROLLBACK" &&
  caught_up off3 &&
  test_stop "$cdc_pid" &&
  test_line_count = 4 tx.out &&
  sed -n 1p tx.out | test_grep -E "^\{\"status\":\"BEGIN\",\"id\":\"0-1-[0-9]+\"" &&
  sed -n 3p tx.out | test_grep -F "\"transaction\":{\"id\":" &&
  sed -n 3p tx.out | test_grep -F "\"total_order\":2,\"data_collection_order\":2}" &&
  sed -n 4p tx.out | test_grep -F "\"status\":\"END\"" &&
  sed -n 4p tx.out | test_grep -F "\"event_count\":2,\"data_collections\":[{\"data_collection\":\"test.t1\",\"event_count\":2}]" &&
  test_must_fail grep -q "\"id\":12" tx.out
'

test_expect_success 'routing per table into file: streams {db}.{table}' '
  my_c "CREATE TABLE t2 (a INT PRIMARY KEY, b VARCHAR(5))" &&
  start_cdc /dev/null --snapshot never --offsets off4 "$MYURL" "file:logs/cdc.{db}.{table}" &&
  wait_for 30 "test -s off4" &&
  my_c "INSERT INTO t2 VALUES (1, \"one\"); INSERT INTO t1 (id) VALUES (20)" &&
  caught_up off4 &&
  test_stop "$cdc_pid" &&
  tap file:logs/cdc.test.t2 --exit -F "%k|%s\n" >t2.out &&
  test_line_count = 1 t2.out &&
  test_grep -F "{\"a\":1}|{\"before\":null,\"after\":{\"a\":1,\"b\":\"one\"}" t2.out &&
  tap file:logs/cdc.test.t1 --exit >t1.out &&
  test_line_count = 1 t1.out &&
  test_grep -F "\"id\":20" t1.out
'

test_expect_success 'replay of a random workload over every common type equals the table' '
  my_c "CREATE DATABASE w" &&
  start_cdc w.out --snapshot never --offsets offw "${MYURL%/test}/w" &&
  wait_for 30 "test -s offw" &&
  $HELPER workload "$MYSOCK" w $((800 / SCALE)) 42 &&
  caught_up offw &&
  test_stop "$cdc_pid" &&
  cdc-mysql --snapshot only "${MYURL%/test}/w" >w.snap &&
  $HELPER replay w.out w.snap >replay.out &&
  cat replay.out &&
  test_grep "^equal" replay.out &&
  test_grep -F "\"op\":\"u\"" w.out &&
  test_grep -F "\"op\":\"d\"" w.out
'

test_expect_success 'snapshot then stream from the snapshot position, no gap and no repeat' '
  my_c "CREATE DATABASE s; CREATE TABLE s.big (id INT PRIMARY KEY, v VARCHAR(10))" &&
  my_c "INSERT INTO s.big SELECT seq, \"v\" FROM seq_1_to_2500" &&
  start_cdc s.out --offsets offs "${MYURL%/test}/s" &&
  wait_for 30 "test -s offs" &&
  my_c "INSERT INTO s.big VALUES (2501, \"new\")" &&
  caught_up offs &&
  test_stop "$cdc_pid" &&
  test_line_count = 2501 s.out &&
  test $(grep -c "\"op\":\"r\"" s.out) -eq 2500 &&
  sed -n 2500p s.out | test_grep -F "\"snapshot\":\"last\"" &&
  sed -n 2501p s.out | test_grep -F "\"after\":{\"id\":2501,\"v\":\"new\"}" &&
  test $(grep -o "\"id\":[0-9]*" s.out | sort -u | wc -l) -eq 2501
'

test_expect_success 'a snapshot across databases routes each row to its own {db}' '
  my_c "CREATE DATABASE d2; CREATE TABLE d2.x (id INT PRIMARY KEY); INSERT INTO d2.x VALUES (1), (2)" &&
  cdc-mysql --snapshot only --tables test.t2,d2.x "${MYURL%/test}" "file:snap/{db}.{table}" &&
  tap file:snap/test.t2 --exit >st2.out &&
  tap file:snap/d2.x --exit >sx.out &&
  test_line_count = 1 st2.out &&
  test_line_count = 2 sx.out &&
  test_grep -F "\"db\":\"test\",\"sequence\":null,\"table\":\"t2\"" st2.out &&
  sed -n 2p sx.out | test_grep -F "\"snapshot\":\"last\",\"db\":\"d2\""
'

test_expect_success 'resume by a gtid= line alone (MariaDB), as after a failover' '
  my_c "CREATE TABLE g (id INT PRIMARY KEY)" &&
  gtid=$(my_c "SELECT @@gtid_binlog_pos") &&
  my_c "INSERT INTO g VALUES (1); INSERT INTO g VALUES (2)" &&
  echo "gtid=$gtid" >offg &&
  start_cdc g.out --offsets offg --tables test.g "$MYURL" &&
  caught_up offg &&
  test_stop "$cdc_pid" &&
  test_line_count = 2 g.out &&
  sed -n 1p g.out | test_grep -F "\"after\":{\"id\":1}" &&
  test_grep -E "^file=binlog.0+1$" offg &&
  test_must_fail grep -qx "gtid=$gtid" offg
'

test_done
