#!/usr/bin/env bash
# cdc-pg on first contact with a real database (issue 9, "first-contact
# fixes"): each test is named after what went wrong before it.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg tap
pg_start
# No ~/.pgpass of the machine may answer for the test.
PGPASSFILE=$TEST_DIR/no-pgpass
export PGPASSFILE

test_expect_success 'missing password: exit 77, says PGPASSWORD or the URI (was 69 "is it running?")' '
  pg_password_role pwuser s3cr3tpw &&
  wait_for 30 "! PGPASSWORD= \"\$PG_BIN/psql\" -X -w -U pwuser -c \"SELECT 1\" >/dev/null 2>&1" &&
  test_expect_code 77 env -u PGPASSWORD cdc-pg --timeout 5s "postgresql://pwuser@127.0.0.1:$PG_PORT/postgres" >out 2>err &&
  test_grep "needs a password" err &&
  test_grep "set PGPASSWORD, or put it in the URI" err &&
  ! grep -q "is it running" err &&
  test_line_count = 0 out &&
  test_expect_code 77 env PGPASSWORD=wrong cdc-pg --timeout 5s "postgresql://pwuser@127.0.0.1:$PG_PORT/postgres" 2>err &&
  test_grep "password authentication failed" err &&
  ! grep -q "needs a password" err &&
  test_expect_code 78 cdc-pg --publication nopub "postgresql://pwuser:s3cr3tpw@127.0.0.1:$PG_PORT/postgres" 2>err &&
  test_grep "publication .nopub. does not exist" err &&
  ! grep -q s3cr3tpw err &&
  test_expect_code 78 env PGPASSWORD=s3cr3tpw cdc-pg --publication nopub "postgresql://pwuser@127.0.0.1:$PG_PORT/postgres" 2>err &&
  test_grep "publication .nopub. does not exist" err
'

test_expect_success 'libpq multi-line message: one line, its hint not doubled (was "running...? (is it running?)")' '
  port=$(free_port) &&
  test_expect_code 69 cdc-pg --timeout 2s "postgresql://u@127.0.0.1:$port/x" >out 2>err &&
  test_line_count = 1 err &&
  test_grep "cannot reach postgresql .u@127.0.0.1:$port/x.: .*Connection refused; Is the server running" err &&
  ! grep -q "$(printf "\t")" err &&
  test "$(grep -o -i "running" err | wc -l)" = 1
'

test_expect_success 'database that does not exist: exit 66 (was 78)' '
  test_expect_code 66 cdc-pg "postgresql://postgres@127.0.0.1:$PG_PORT/nodb" >out 2>err &&
  test_grep "database \"nodb\" does not exist" err &&
  test_line_count = 1 err
'

# streams_of DIR: the streams (directories) of a file: cluster, one a line.
streams_of() { (cd "$1" && find . -mindepth 1 -maxdepth 1 -type d | sed "s:^\./::") | sort; }

test_expect_success 'awkward table names: each invalid character becomes _ (was exit 64 at every restart)' '
  psql_c "CREATE TABLE \"a/b\" (id int PRIMARY KEY); CREATE TABLE \"../x\" (id int PRIMARY KEY)" &&
  psql_c "CREATE TABLE \"with space\" (id int PRIMARY KEY); CREATE TABLE \"tübingen\" (id int PRIMARY KEY)" &&
  psql_c "INSERT INTO \"a/b\" VALUES (1); INSERT INTO \"../x\" VALUES (1); INSERT INTO \"with space\" VALUES (1); INSERT INTO \"tübingen\" VALUES (1)" &&
  psql_c "CREATE PUBLICATION pa FOR TABLE \"a/b\", \"../x\", \"with space\", \"tübingen\"" &&
  { cdc-pg --publication pa --slot sa "$PGURL" "file:cdc/db.{schema}.{table}" >run1.out 2>run1.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "test \"\$(tap --exit --from beginning file:cdc/db.public.t_bingen 2>/dev/null | wc -l)\" = 1" &&
  test_stop $pid &&
  { cdc-pg --publication pa --slot sa "$PGURL" "file:cdc/db.{schema}.{table}" >run2.out 2>run2.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''sa'\''\")\" = t" &&
  psql_c "INSERT INTO \"a/b\" VALUES (2); INSERT INTO \"../x\" VALUES (2); INSERT INTO \"with space\" VALUES (2); INSERT INTO \"tübingen\" VALUES (2)" &&
  wait_for 30 "test \"\$(tap --exit --from beginning file:cdc/db.public.t_bingen 2>/dev/null | wc -l)\" = 2" &&
  kill -0 $pid &&
  test_stop $pid &&
  printf "%s\n" db.public..._x db.public.a_b db.public.t_bingen db.public.with_space >expect &&
  streams_of cdc >actual &&
  test_cmp expect actual &&
  for s in db.public..._x db.public.a_b db.public.with_space; do
    test "$(tap --exit --from beginning "file:cdc/$s" | wc -l)" = 2 || return 1
  done &&
  test_grep "table .public.a/b. goes to stream .db.public.a_b." run1.err &&
  test_grep "table .public.tübingen. goes to stream .db.public.t_bingen." run1.err &&
  test "$(grep -c "goes to stream .db.public.with_space." run1.err)" = 1 &&
  test_line_count = 0 run1.out
'

test_expect_success 'tables without a primary key: captured with a null key, one warning each (was exit 78, then 78 for good)' '
  psql_c "CREATE DATABASE nk" &&
  nk="postgresql://postgres@127.0.0.1:$PG_PORT/nk" &&
  PGDATABASE=nk psql_c "CREATE TABLE nopk1 (a int, b text); INSERT INTO nopk1 VALUES (1, '\''old'\'')" &&
  PGDATABASE=nk psql_c "CREATE TABLE withpk (id int PRIMARY KEY); CREATE PUBLICATION pn FOR ALL TABLES" &&
  { cdc-pg --with-key --publication pn --slot sn "$nk" >nk1.out 2>nk1.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "grep -q \"\\\"op\\\":\\\"r\\\"\" nk1.out" &&
  wait_for 30 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''sn'\''\")\" = t" &&
  PGDATABASE=nk psql_c "CREATE TABLE nopk2 (a int); INSERT INTO nopk2 VALUES (2); INSERT INTO nopk1 VALUES (3, '\''new'\'')" &&
  wait_for 30 "grep -q \"\\\"table\\\":\\\"nopk1\\\".*\\\"op\\\":\\\"c\\\"\" nk1.out" &&
  wait_for 30 "grep -q \"\\\"table\\\":\\\"nopk2\\\"\" nk1.out" &&
  test_stop $pid &&
  test "$(grep -c "^{\"key\":null," nk1.out)" = 3 &&
  test_line_count = 3 nk1.out &&
  test "$(grep -c "table .public.nopk1. has no primary key or replica identity" nk1.err)" = 1 &&
  test "$(grep -c "table .public.nopk2. has no primary key or replica identity" nk1.err)" = 1 &&
  test_grep "ALTER TABLE \"public\".\"nopk2\" REPLICA IDENTITY FULL" nk1.err &&
  ! grep -q withpk nk1.err &&
  { cdc-pg --with-key --publication pn --slot sn "$nk" >nk2.out 2>nk2.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''sn'\''\")\" = t" &&
  PGDATABASE=nk psql_c "INSERT INTO nopk2 VALUES (4); INSERT INTO withpk VALUES (5)" &&
  wait_for 30 "grep -q \"\\\"id\\\":5\" nk2.out" &&
  kill -0 $pid &&
  test_stop $pid &&
  test_grep "^{\"key\":null,.*\"a\":4" nk2.out &&
  test_grep "^{\"key\":{\"id\":5}" nk2.out &&
  test "$(grep -c "table .public.nopk2. has no primary key" nk2.err)" = 1 &&
  test "$(grep -c "table .public.nopk1. has no primary key" nk2.err)" = 1 &&
  test_must_fail env PGDATABASE=nk "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -c "UPDATE nopk1 SET b = '\''x'\''" 2>upd.err &&
  test_grep "does not have a replica identity" upd.err
'

# txids FILE OP: the distinct source.txId values of the events of op OP.
txids() { grep "\"op\":\"$2\"" "$1" | sed -E 's/.*"txId":([0-9a-z]+).*/\1/' | sort -u; }

test_expect_success 'snapshot txId is the snapshot transaction'\''s own, never a streamed one (was the next streamed txId)' '
  psql_c "CREATE TABLE sx (id int PRIMARY KEY); INSERT INTO sx SELECT generate_series(1, 3)" &&
  psql_c "CREATE PUBLICATION px FOR TABLE sx" &&
  { cdc-pg --publication px --slot sx "$PGURL" >sx.out 2>sx.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "grep -q \"\\\"snapshot\\\":\\\"last\\\"\" sx.out" &&
  xid=$(psql_c "BEGIN; INSERT INTO sx VALUES (4); SELECT txid_current(); COMMIT") &&
  wait_for 30 "grep -q \"\\\"op\\\":\\\"c\\\"\" sx.out" &&
  test_stop $pid &&
  snap=$(txids sx.out r) &&
  test "$(echo "$snap" | wc -l)" = 1 &&
  test "$(txids sx.out c)" = "$xid" &&
  test "$snap" != "$xid" &&
  test "$snap" -lt "$xid" &&
  test "$(psql_c "SELECT txid_status($snap)")" = committed &&
  test "$(grep -c "\"op\":\"r\"" sx.out)" = 3
'

test_done
