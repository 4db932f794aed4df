#!/usr/bin/env bash
# cdc-pg rides out a PostgreSQL restart: it reconnects with backoff, resumes
# from the slot, and loses nothing (at least once); --no-reconnect exits 69.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg
pg_start

slot_active() {
  test "$(psql_c "SELECT active FROM pg_replication_slots WHERE slot_name = '$1'")" = t
}
# ids FILE: the distinct row ids of the c events in FILE.
ids() {
  "$PYTHON" -c '
import json, sys
seen = set()
for line in open(sys.argv[1], encoding="utf-8"):
    e = json.loads(line)
    if e.get("op") == "c":
        seen.add(e["after"]["id"])
print(len(seen))' "$1"
}

test_expect_success 'a server restart mid-stream: cdc-pg reconnects and loses nothing' '
  psql_c "CREATE TABLE r (id int PRIMARY KEY, v text)" &&
  psql_c "CREATE PUBLICATION r FOR TABLE r" &&
  { cdc-pg --slot r --publication r "$PGURL" >out 2>err & } &&
  pid=$! && test_track_pid $pid &&
  wait_for 30 "slot_active r" &&
  psql_c "INSERT INTO r SELECT g, md5(g::text) FROM generate_series(1, 1000) g" &&
  wait_for 30 "test \$(ids out) = 1000" &&
  pg_restart &&
  psql_c "INSERT INTO r SELECT g, md5(g::text) FROM generate_series(1001, 2000) g" &&
  wait_for 60 "test \$(ids out) = 2000" &&
  lsn=$(psql_c "SELECT pg_current_wal_insert_lsn()") &&
  wait_for 60 "test \"\$(psql_c \"SELECT confirmed_flush_lsn >= '\''$lsn'\'' FROM pg_replication_slots WHERE slot_name = '\''r'\''\")\" = t" &&
  test_grep "reconnecting in 500 ms" err &&
  test_grep "reconnected to" err &&
  test_stop $pid
'

test_expect_success 'walsender terminated during a load, twice: every row arrives, in commit order' '
  { cdc-pg --slot r --publication r "$PGURL" >load.out 2>load.err & } &&
  pid=$! && test_track_pid $pid &&
  wait_for 30 "slot_active r" &&
  { (for i in $(seq 0 19); do
       psql_c "INSERT INTO r SELECT g, md5(g::text) FROM generate_series($((3001 + i * 500)), $((3500 + i * 500))) g" || exit 1
     done) & } &&
  loader=$! &&
  for k in 1 2; do
    wait_for 30 "test \$(ids load.out) -ge $((k * 3000))" &&
    psql_c "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '\''r'\''" >/dev/null &&
    wait_for 30 "test \$(grep -c \"reconnected to\" load.err) -ge $k" || return 1
  done &&
  wait $loader &&
  lsn=$(psql_c "SELECT pg_current_wal_insert_lsn()") &&
  wait_for 60 "test \"\$(psql_c \"SELECT confirmed_flush_lsn >= '\''$lsn'\'' FROM pg_replication_slots WHERE slot_name = '\''r'\''\")\" = t" &&
  test_stop $pid &&
  "$PYTHON" - load.out <<-\PY
	import json, sys
	got = []
	for line in open(sys.argv[1], encoding="utf-8"):
	    e = json.loads(line)
	    if e.get("op") == "c" and e["after"]["id"] > 3000:
	        got.append(e["after"]["id"])
	want = list(range(3001, 13001))
	assert set(got) == set(want), "missing: %d" % len(set(want) - set(got))
	# At least once: a replayed run repeats a stretch, never reorders it.
	first = {}
	for i, x in enumerate(got):
	    first.setdefault(x, i)
	order = sorted(want, key=lambda x: first[x])
	assert order == want, "commit order broken"
	print("rows %d, events %d" % (len(want), len(got)))
	PY
'

test_expect_success '--no-reconnect: a lost server is exit 69' '
  wait_for 30 "! slot_active r" &&
  { cdc-pg --no-reconnect --slot r --publication r "$PGURL" >out2 2>err2 & } &&
  pid=$! && test_track_pid $pid &&
  wait_for 30 "slot_active r" &&
  pg_restart &&
  code=0 && wait $pid || code=$? &&
  test $code = 69 &&
  test_grep "ended replication\|lost the replication connection" err2 &&
  ! grep -q reconnecting err2
'

test_done
