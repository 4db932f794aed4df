#!/usr/bin/env bash
# cdc-pg under kill -9 at random points during a 200k-row load, restarted
# each time: every change arrives at least once and in commit order within
# each run, and at the end the slot's confirmed_flush_lsn covers the last
# commit (no WAL held back).
#
# Regression (run merged into the previous one): a SIGKILL during a large
# write() leaves a partial last line in events, and the "#restart" marker
# appended after it ended up inside that torn line, so killcheck saw two
# runs as one "not in commit order". The marker now starts its own line.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg
"$PYTHON" -c 'import psycopg2' 2>/dev/null || test_skip_all_ "python3-psycopg2 is missing"
pg_start
HELPER="$PYTHON $SLUICE_ROOT/tests/cli/cdc-pg-helper.py"
ROWS=${SLUICE_CDC_KILL_ROWS:-200000}

# run_cdc: starts cdc-pg appending to events. Right after a kill -9 the
# server may still hold the slot for the dead process: cdc-pg itself waits
# for it (up to --timeout), so a restart needs no retry loop here.
run_cdc() {
  cdc-pg --timeout 60s --slot k --publication k --snapshot never "$PGURL" >>events 2>>cdc.err &
  cdc=$!
  echo "# started cdc-pg $cdc" >>cdc.err
}

test_expect_success 'kill -9 at random points, restart: at least once, commit order' '
  psql_c "CREATE TABLE load (id int PRIMARY KEY, v text)" &&
  psql_c "CREATE PUBLICATION k FOR TABLE load" &&
  : >events &&
  run_cdc || return 1
  # Rows inserted before the slot exists are not in its stream.
  wait_for 30 "test \"\$(psql_c \"SELECT count(*) FROM pg_replication_slots WHERE slot_name = '\''k'\''\")\" = 1" || return 1
  (for i in $(seq 0 $((ROWS / 1000 - 1))); do
     psql_c "INSERT INTO load SELECT g, md5(g::text) FROM generate_series($((i * 1000 + 1)), $((i * 1000 + 1000))) g" || exit 1
   done) &
  loader=$!
  kills=0 &&
  while kill -0 $loader 2>/dev/null; do
    sleep "0.$((RANDOM % 9 + 1))" &&
    kill -9 $cdc 2>/dev/null; wait $cdc 2>/dev/null
    kills=$((kills + 1)) &&
    { [ -z "$(tail -c 1 events)" ] || echo >>events; } &&
    echo "#restart killed $cdc" >>events &&
    run_cdc || return 1
  done &&
  wait $loader &&
  # The last cdc-pg may have been started an instant ago (a TERM before it
  # installs its handlers would kill it by signal): a row written now can
  # only come out of it, so once it is out, it is streaming.
  psql_c "INSERT INTO load VALUES ($((ROWS + 1)), '\''last'\'')" &&
  wait_for 120 "grep -q \"\\\"id\\\":$((ROWS + 1)),\" events" &&
  lsn=$(psql_c "SELECT pg_current_wal_insert_lsn()") &&
  wait_for 120 "test \"\$(psql_c \"SELECT confirmed_flush_lsn >= '\''$lsn'\'' FROM pg_replication_slots WHERE slot_name = '\''k'\''\")\" = t" &&
  test_stop $cdc &&
  echo "kills: $kills" &&
  test $kills -ge 3 &&
  $HELPER killcheck events "$ROWS" &&
  test "$(psql_c "SELECT confirmed_flush_lsn >= '\''$lsn'\'' FROM pg_replication_slots WHERE slot_name = '\''k'\''")" = t
'

test_done
