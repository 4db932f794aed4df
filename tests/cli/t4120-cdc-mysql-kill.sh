#!/usr/bin/env bash
# cdc-mysql killed (-9) at random points during a load, then restarted from
# its offsets file: every change is delivered at least once, in commit
# order, none skipped. SIGTERM drains, saves and exits 0 within seconds. A
# purged binlog position is an error naming --snapshot when-needed, which
# then takes a new snapshot.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/mysql-lib.sh"
test_require_bin cdc-mysql
mysql_start
HELPER="/usr/bin/python3 $SLUICE_ROOT/tests/cli/cdc-mysql-helper.py"
SCALE=${SLUICE_TEST_SCALE:-1}
ROWS=$((200000 / SCALE))

# load_sql FROM TO: INSERTs of ids FROM..TO into `load`, 100 rows per transaction.
load_sql() {
  i=$1
  while [ "$i" -le "$2" ]; do
    j=$((i + 99))
    [ "$j" -gt "$2" ] && j=$2
    echo "INSERT INTO \`load\` SELECT seq, REPEAT(\"x\", 20) FROM seq_${i}_to_${j};"
    i=$((j + 1))
  done
}
# purge_before FILE OLD: purges the binlogs before FILE until OLD is gone (a
# dump thread of a replica that just left holds its file for a moment).
purge_before() {
  my_c "PURGE BINARY LOGS TO '$1'" && ! my_c "SHOW BINARY LOGS" | grep -q "^$2"
}
# drop_torn_line FILE: kill -9 can stop a write() part-way; a last line
# without its newline was not delivered whole (the restart delivers it
# again, as it was never acknowledged).
drop_torn_line() {
  if [ -n "$(tail -c 1 "$1")" ]; then sed -i '$d' "$1"; fi
}
start_cdc() {
  cdc-mysql --snapshot never --offsets offsets "$MYURL" >>"$1" 2>>cdc.err &
  cdc_pid=$!
  test_track_pid "$cdc_pid"
}

test_expect_success "kill -9 three times during a $ROWS-row load: nothing skipped, in order" '
  my_c "CREATE TABLE \`load\` (id INT PRIMARY KEY, v VARCHAR(30))" &&
  start_cdc ev.out &&
  wait_for 30 "test -s offsets" &&
  load_sql 1 $ROWS >load.sql &&
  { my_c "SOURCE load.sql" & } &&
  load_pid=$! &&
  for k in 1 2 3; do
    sleep 0.$((RANDOM % 9 + 1)) &&
    test_stop "$cdc_pid" KILL; drop_torn_line ev.out; start_cdc ev.out || return 1
  done &&
  wait "$load_pid" &&
  want=$(my_c "SHOW MASTER STATUS" | cut -f2) &&
  wait_for 60 "grep -qx pos=$want offsets" &&
  test_stop "$cdc_pid" &&
  $HELPER order ev.out $ROWS >order.out &&
  cat order.out &&
  test_grep "^ok $ROWS" order.out
'

test_expect_success 'SIGTERM during a load drains, saves the offsets and exits 0 quickly' '
  : >ev2.out &&
  start_cdc ev2.out &&
  load_sql $((ROWS + 1)) $((2 * ROWS)) >load2.sql &&
  { my_c "SOURCE load2.sql" & } &&
  load_pid=$! &&
  wait_for 30 "test -s ev2.out" &&
  before=$(date +%s) &&
  test_stop "$cdc_pid" &&
  test $(($(date +%s) - before)) -le 5 &&
  saved=$(sed -n "s/^pos=//p" offsets) &&
  wait "$load_pid" &&
  start_cdc ev2.out &&
  want=$(my_c "SHOW MASTER STATUS" | cut -f2) &&
  wait_for 60 "grep -qx pos=$want offsets" &&
  test_stop "$cdc_pid" &&
  test "$saved" -le "$want" &&
  test $(grep -o "\"id\":[0-9]*" ev2.out | sort -u | wc -l) -eq $ROWS
'

test_expect_success 'a lost binlog connection is reconnected with backoff: nothing skipped' '
  my_c "CREATE DATABASE test2" mysql &&
  my_c "CREATE TABLE \`load\` (id INT PRIMARY KEY, v VARCHAR(30))" test2 &&
  { cdc-mysql --snapshot never --offsets off3 "${MYURL%/test}/test2" >ev3.out 2>cdc3.err & } &&
  pid3=$! && test_track_pid $pid3 &&
  wait_for 30 "test -s off3" &&
  load_sql 1 $((ROWS / 4)) >load3.sql &&
  { my_c "SOURCE load3.sql" test2 & } &&
  load_pid=$! &&
  wait_for 30 "test -s ev3.out" &&
  for id in $(my_c "SELECT id FROM information_schema.PROCESSLIST WHERE COMMAND LIKE \"Binlog Dump%\""); do
    my_c "KILL $id" || return 1
  done &&
  wait "$load_pid" &&
  want=$(my_c "SHOW MASTER STATUS" | cut -f2) &&
  wait_for 60 "grep -qx pos=$want off3" &&
  test_stop $pid3 &&
  test_grep "reconnecting in 500 ms" cdc3.err &&
  $HELPER order ev3.out $((ROWS / 4)) >order3.out &&
  test_grep "^ok" order3.out
'

test_expect_success 'a purged position exits 78 naming --snapshot when-needed, which snapshots' '
  cp offsets old-offsets &&
  my_c "FLUSH BINARY LOGS" &&
  last=$(my_c "SHOW MASTER STATUS" | cut -f1) &&
  old=$(sed -n "s/^file=//p" old-offsets) &&
  wait_for 30 "purge_before $last $old" &&
  cp old-offsets offsets &&
  test_expect_code 78 cdc-mysql --offsets offsets "$MYURL" >purged.out 2>purged.err &&
  test_grep "snapshot when-needed" purged.err &&
  test_line_count = 0 purged.out &&
  { cdc-mysql --snapshot when-needed --offsets offsets "$MYURL" >wn.out 2>wn.err & } &&
  wn_pid=$! && test_track_pid $wn_pid &&
  wait_for 60 "grep -q \"\\\"snapshot\\\":\\\"last\\\"\" wn.out" &&
  wait_for 30 "grep -qx file=$last offsets" &&
  test_stop $wn_pid &&
  test $(grep -c "\"op\":\"r\"" wn.out) -eq $((2 * ROWS))
'

test_done
