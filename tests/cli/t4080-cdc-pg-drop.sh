#!/usr/bin/env bash
# cdc-pg --drop-slot / --drop-publication: clean up without psql; refused
# while the slot is in use; missing ones exit 66 and nothing is dropped.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg
pg_start

test_expect_success 'set up: a slot and a publication, as a run leaves them' '
  psql_c "CREATE TABLE t (id int PRIMARY KEY, v text)" &&
  psql_c "CREATE PUBLICATION p1 FOR TABLE t" &&
  psql_c "SELECT 1 FROM pg_create_logical_replication_slot($(printf "\047s1\047"), $(printf "\047pgoutput\047"))" &&
  echo s1 >want && psql_c "SELECT slot_name FROM pg_replication_slots" >got && test_cmp want got &&
  echo p1 >want && psql_c "SELECT pubname FROM pg_publication" >got && test_cmp want got
'

test_expect_success 'refused while the slot is in use: exit 75 naming the pid' '
  { cdc-pg --slot s1 --publication p1 --snapshot never "$PGURL" >live.out & } &&
  pid=$! &&
  wait_for 20 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots WHERE slot_name = $(printf "\047s1\047")\")\" = t" &&
  test_expect_code 75 cdc-pg --drop-slot --slot s1 "$PGURL" 2>err &&
  test_grep "replication slot .s1. .* is in use by pid [0-9]" err &&
  test_expect_code 75 cdc-pg --drop-publication --slot s1 --publication p1 "$PGURL" 2>err &&
  test_grep "stop that cdc-pg first" err &&
  test_stop $pid &&
  echo s1 >want && psql_c "SELECT slot_name FROM pg_replication_slots" >got && test_cmp want got &&
  echo p1 >want && psql_c "SELECT pubname FROM pg_publication" >got && test_cmp want got
'

test_expect_success 'missing ones exit 66 and drop nothing; STREAM is refused' '
  wait_for 20 "test \"\$(psql_c \"SELECT active FROM pg_replication_slots\")\" = f" &&
  test_expect_code 66 cdc-pg --drop-slot --slot nope "$PGURL" 2>err &&
  test_grep "replication slot .nope. does not exist" err &&
  test_expect_code 66 cdc-pg --drop-slot --drop-publication --slot s1 --publication nopub "$PGURL" 2>err &&
  test_grep "publication .nopub. does not exist" err &&
  echo s1 >want && psql_c "SELECT slot_name FROM pg_replication_slots" >got && test_cmp want got &&
  test_expect_code 64 cdc-pg --drop-slot --slot s1 "$PGURL" - 2>err &&
  test_grep "give no STREAM" err
'

test_expect_success 'drop the slot, then the publication' '
  cdc-pg --drop-slot --slot s1 "$PGURL" &&
  psql_c "SELECT count(*) FROM pg_replication_slots" >got && echo 0 >want && test_cmp want got &&
  cdc-pg --drop-publication --publication p1 "$PGURL" &&
  psql_c "SELECT count(*) FROM pg_publication" >got && echo 0 >want && test_cmp want got &&
  test_expect_code 66 cdc-pg --drop-publication --publication p1 "$PGURL" 2>err
'

test_done
