#!/usr/bin/env bash
# cdc-pg's events for a fixed workload, byte for byte (issue 12): the
# output must not change while the CDC layer is rebuilt underneath it.
# Timestamps, LSNs, transaction ids and the version are masked (cdc-pg-
# helper.py normalize); everything else is compared with the checked-in
# tests/data/cdc-pg-golden.out. Four runs read the same workload: the
# default (streamed transactions formatted as they arrive), transaction
# markers with keys on stdout (streamed transactions spilled raw),
# protocol 1 (nothing streamed), and routed keyed streams with tombstones;
# then a --snapshot only run of the final tables.
#
# After an intended change of the output, regenerate the expected file:
#   SLUICE_GOLDEN_UPDATE=1 scripts/test --no-build t4070
# and review its diff.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg tap
"$PYTHON" -c 'import psycopg2' 2>/dev/null || test_skip_all_ "python3-psycopg2 is missing"
# Small enough that the large transaction is streamed in progress.
pg_start "logical_decoding_work_mem = '64kB'"
HELPER="$PYTHON $SLUICE_ROOT/tests/cli/cdc-pg-helper.py"
EXPECT=$SLUICE_ROOT/tests/data/cdc-pg-golden.out

# start_cdc NAME ARGS...: cdc-pg ARGS in the background, stdout to NAME.out,
# stderr to NAME.err; its pid in pid_NAME.
start_cdc() {
  name=$1; shift
  cdc-pg "$@" >"$name.out" 2>"$name.err" &
  eval "pid_$name=\$!"
  test_track_pid "$!"
}
# caught_up SLOT: the slot confirmed everything written so far.
caught_up() {
  lsn=$(psql_c "SELECT pg_current_wal_insert_lsn()") &&
  wait_for 60 "test \"\$(psql_c \"SELECT confirmed_flush_lsn >= '$lsn' FROM pg_replication_slots WHERE slot_name = '$1'\")\" = t"
}
# section TITLE FILE...: the normalised FILEs under a title line.
section() {
  title=$1; shift
  printf '== %s\n' "$title" && $HELPER normalize "$@"
}

# Each run waits until its snapshot is out (its last event, from the last
# table, says "last"): the workload's TRUNCATE would make it start over.
test_expect_success 'the fixed workload through four cdc-pg runs' '
  $HELPER golden-schema "$PGURL" &&
  start_cdc def --slot g_def --publication pgold "$PGURL" &&
  start_cdc txk --slot g_txk --publication pgold --tx-markers --with-key "$PGURL" &&
  start_cdc p1 --slot g_p1 --publication pgold --proto-version 1 "$PGURL" &&
  start_cdc route --slot g_route --publication pgold --tx-markers --name shop "$PGURL" "file:log/cdc.{schema}.{table}" &&
  for name in def txk p1; do wait_for 60 "grep -q snapshot.:.last $name.out" || return 1; done &&
  wait_for 60 "tap file:log/cdc.public.nokey --exit 2>/dev/null | grep -q snapshot.:.last" &&
  $HELPER golden-workload "$PGURL" &&
  test "$(psql_c "SELECT count(*) FROM bulk")" = 140 &&
  for slot in g_def g_txk g_p1 g_route; do caught_up $slot || return 1; done &&
  test_stop "$pid_def" && test_stop "$pid_txk" && test_stop "$pid_p1" && test_stop "$pid_route" &&
  test "$(psql_c "SELECT stream_txns > 0 FROM pg_stat_replication_slots WHERE slot_name = '\''g_def'\''")" = t &&
  test "$(psql_c "SELECT stream_txns FROM pg_stat_replication_slots WHERE slot_name = '\''g_p1'\''")" = 0 &&
  cdc-pg --snapshot only --publication pgold "$PGURL" >only.out 2>only.err
'

test_expect_success 'the events are the expected ones, byte for byte' '
  { section "default: stdout" def.out &&
    section "default: stderr" def.err &&
    section "--tx-markers --with-key" txk.out &&
    section "--proto-version 1" p1.out &&
    section "routed: stderr" route.err &&
    (cd log && ls) >streams &&
    section "routed: streams" streams &&
    while read -r s; do
      tap "file:log/$s" --exit -F "%k\t%s\n" >"tap-$s.out" &&
      section "routed: $s (key, value)" "tap-$s.out" || return 1
    done <streams &&
    section "--snapshot only" only.out &&
    section "--snapshot only: stderr" only.err
  } >actual &&
  if [ -n "${SLUICE_GOLDEN_UPDATE:-}" ]; then cp actual "$EXPECT"; fi &&
  test_cmp "$EXPECT" actual
'

test_done
