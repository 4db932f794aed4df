#!/usr/bin/env bash
# cdc-mysql with binlog_row_image=MINIMAL (before and after carry exactly
# the columns the server logged; the key of an update comes from before)
# and with binlog_row_metadata=MINIMAL (column names and the key from
# information_schema; a column-count mismatch after a schema change stops
# the run with 65 instead of emitting wrong values).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/mysql-lib.sh"
test_require_bin cdc-mysql
mysql_start --binlog-row-image=MINIMAL

start_cdc() {
  out=$1; shift
  cdc-mysql "$@" >"$out" 2>cdc.err &
  cdc_pid=$!
  test_track_pid "$cdc_pid"
}
caught_up() {
  want=$(my_c "SHOW MASTER STATUS" | cut -f2) &&
  wait_for 30 "grep -qx pos=$want $1"
}

test_expect_success 'MINIMAL row image: before and after carry exactly the present columns' '
  my_c "CREATE TABLE m (id INT PRIMARY KEY, a INT, b VARCHAR(10), c DATE)" &&
  start_cdc m.out --snapshot never --offsets off1 --with-key "$MYURL" &&
  wait_for 30 "test -s off1" &&
  my_c "INSERT INTO m VALUES (1, 10, \"x\", \"2024-01-01\")" &&
  my_c "UPDATE m SET b = \"y\" WHERE id = 1" &&
  my_c "UPDATE m SET id = 2 WHERE id = 1" &&
  my_c "DELETE FROM m WHERE id = 2" &&
  caught_up off1 &&
  test_stop "$cdc_pid" &&
  test_line_count = 5 m.out &&
  test_grep "binlog_row_image is MINIMAL" cdc.err &&
  sed -n 1p m.out | test_grep -F "{\"key\":{\"id\":1},\"value\":{\"before\":null,\"after\":{\"id\":1,\"a\":10,\"b\":\"x\",\"c\":19723}," &&
  sed -n 2p m.out | test_grep -F "{\"key\":{\"id\":1},\"value\":{\"before\":{\"id\":1},\"after\":{\"b\":\"y\"}," &&
  sed -n 2p m.out | test_grep -F "\"op\":\"u\"" &&
  sed -n 3p m.out | test_grep -F "{\"key\":{\"id\":1},\"value\":{\"before\":{\"id\":1},\"after\":null," &&
  sed -n 4p m.out | test_grep -F "{\"key\":{\"id\":2},\"value\":{\"before\":{\"id\":1},\"after\":{\"id\":2}," &&
  sed -n 5p m.out | test_grep -F "{\"key\":{\"id\":2},\"value\":{\"before\":{\"id\":2},\"after\":null,"
'

test_expect_success 'MINIMAL row metadata: names and key from information_schema' '
  my_c "SET GLOBAL binlog_row_metadata = \"MINIMAL\"" &&
  my_c "CREATE TABLE mm (k INT, name VARCHAR(10), e ENUM(\"p\",\"q\"), PRIMARY KEY (k))" &&
  start_cdc mm.out --snapshot never --offsets off2 --with-key --tables test.mm "$MYURL" &&
  wait_for 30 "test -s off2" &&
  my_c "INSERT INTO mm VALUES (5, \"five\", \"q\")" &&
  caught_up off2 &&
  test_stop "$cdc_pid" &&
  test_grep "binlog_row_metadata is MINIMAL" cdc.err &&
  test_grep -F "{\"key\":{\"k\":5},\"value\":{\"before\":null,\"after\":{\"k\":5,\"name\":\"five\",\"e\":\"q\"}," mm.out
'

test_expect_success 'MINIMAL row metadata: events older than a column change stop with 65' '
  my_c "INSERT INTO mm VALUES (6, \"six\", \"p\")" &&
  my_c "ALTER TABLE mm ADD COLUMN extra INT" &&
  test_expect_code 65 cdc-mysql --snapshot never --offsets off2 --tables test.mm "$MYURL" >old.out 2>old.err &&
  test_grep "the binlog has 3 columns but information_schema has 4" old.err &&
  test_line_count = 0 old.out
'

test_done
