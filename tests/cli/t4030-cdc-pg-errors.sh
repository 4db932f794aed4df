#!/usr/bin/env bash
# cdc-pg errors: each says how to fix it and exits with the sysexits code
# of DESIGN.md section 5; credentials never show up in messages.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg
pg_start

test_expect_success 'unreachable server: exit 69, password masked' '
  port=$(free_port) &&
  test_expect_code 69 cdc-pg --timeout 2s "host=127.0.0.1 port=$port user=u password=s3cr3tpw dbname=x" >out 2>err &&
  test_grep "cannot reach postgresql" err &&
  ! grep -q s3cr3tpw err &&
  test_expect_code 69 cdc-pg --timeout 2s "postgresql://u:s3cr3tpw@127.0.0.1:$port/x" >out 2>err &&
  ! grep -q s3cr3tpw err &&
  test_line_count = 0 out
'

test_expect_success 'usage errors exit 64' '
  test_expect_code 64 cdc-pg --snapshot sometimes "$PGURL" 2>err &&
  test_grep "expected initial, never, only or when-needed" err &&
  test_expect_code 64 cdc-pg --slot "Bad-Slot" "$PGURL" 2>err &&
  test_expect_code 64 cdc-pg 2>err
'

test_expect_success 'missing publication: exit 78 with the CREATE statement' '
  psql_c "CREATE TABLE t (id int PRIMARY KEY, v text)" &&
  test_expect_code 78 cdc-pg --publication nopub "$PGURL" 2>err &&
  test_grep "publication .nopub. does not exist" err &&
  test_grep "CREATE PUBLICATION \"nopub\" FOR ALL TABLES" err &&
  test_grep -- "--create-publication" err
'

test_expect_success 'role without REPLICATION: exit 77, says ALTER ROLE' '
  psql_c "CREATE ROLE app LOGIN" &&
  psql_c "CREATE PUBLICATION p FOR TABLE t" &&
  test_expect_code 77 cdc-pg --publication p "postgresql://app@127.0.0.1:$PG_PORT/postgres" 2>err &&
  test_grep "lacks the REPLICATION attribute" err &&
  test_grep "ALTER ROLE \"app\" REPLICATION" err
'

test_expect_success 'table without replica identity: a warning that says REPLICA IDENTITY FULL, not exit 78' '
  psql_c "CREATE TABLE nopk (a int, b text)" &&
  psql_c "INSERT INTO nopk VALUES (1, '\''x'\'')" &&
  psql_c "CREATE PUBLICATION pn FOR TABLE nopk" &&
  cdc-pg --snapshot only --publication pn "$PGURL" >out 2>err &&
  test_grep "table .public.nopk. has no primary key or replica identity" err &&
  test_grep "REPLICA IDENTITY FULL" err &&
  test_grep "add a primary key" err &&
  test_line_count = 1 out
'

test_expect_success 'a table of --tables outside the publication: exit 78' '
  test_expect_code 78 cdc-pg --publication p --tables public.nopk "$PGURL" 2>err &&
  test_grep "ALTER PUBLICATION \"p\" ADD TABLE" err
'

test_expect_success 'slot in use by another cdc-pg: waits --timeout, then exit 75 naming the pid' '
  { cdc-pg --publication p --slot busy "$PGURL" >/dev/null 2>first.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''busy'\''\")\" = t" &&
  test_expect_code 75 cdc-pg --timeout 1s --publication p --slot busy "$PGURL" >/dev/null 2>err &&
  test_grep "replication slot .busy. .* is in use by process [0-9]" err &&
  test_grep "waiting up to 1 s (--timeout) for it to be released" err &&
  test_grep "use another --slot" err &&
  test_stop $pid
'

test_expect_success 'a slot released while waiting is taken: the restart after kill -9 goes on' '
  { cdc-pg --publication p --slot busy "$PGURL" >first.out 2>first.err & } ; pid=$!
  test_track_pid $pid &&
  wait_for 30 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = '\''busy'\''\")\" = t" &&
  { cdc-pg --timeout 60s --publication p --slot busy "$PGURL" >second.out 2>second.err & } ; pid2=$!
  test_track_pid $pid2 &&
  wait_for 30 "grep -q \"waiting up to 60 s\" second.err" &&
  kill -9 $pid &&
  wait_for 30 "test \"\$(psql_c \"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '\''busy'\''\")\" != \"\" &&
    test \"\$(psql_c \"SELECT active_pid FROM pg_replication_slots WHERE slot_name = '\''busy'\''\")\" != $pid" &&
  psql_c "INSERT INTO t VALUES (4242, '\''after-takeover'\'')" &&
  wait_for 30 "grep -q after-takeover second.out" &&
  test_stop $pid2
'

test_expect_success 'wal_level not logical: exit 78, says how to fix' '
  psql_c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots" &&
  pg_restart "wal_level = replica" &&
  test_expect_code 78 cdc-pg --publication p --slot other "$PGURL" 2>err &&
  test_grep "wal_level = replica" err &&
  test_grep "set wal_level = logical in postgresql.conf and restart" err
'

test_done
