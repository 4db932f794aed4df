#!/usr/bin/env bash
# cdc-mysql's errors: each with a clear message, the fix, and its exit code
# (a bad URI 64, a wrong password 77, an unknown database 66, a missing
# privilege 77, binlog_format not ROW 78, a duplicate server id 78, an
# unknown table 66, a bad gtid_set= line in the offsets file 65); the
# password is never printed.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/mysql-lib.sh"
test_require_bin cdc-mysql
mysql_start
HOSTURL="127.0.0.1:$MY_PORT"

test_expect_success 'a bad URI is a usage error (64)' '
  test_expect_code 64 cdc-mysql "postgres://x@h/db" 2>err1 &&
  test_grep "mysql URI: it must start with mysql://" err1 &&
  test_expect_code 64 cdc-mysql "mysql://h:3306/db" 2>err2 &&
  test_grep "a user is required" err2 &&
  test_expect_code 64 cdc-mysql "mysql://u:s3cretpw@h:99999/db" 2>err3 &&
  test_grep "port .99999. is out of range" err3 &&
  test_must_fail grep -q s3cretpw err3 &&
  test_expect_code 64 cdc-mysql --server-id 1 "mysql://root@h/db" 2>err4 &&
  test_grep "server-id 1" err4
'

test_expect_success 'a wrong password exits 77 and never prints it (URI or MYSQL_PWD)' '
  my_c "CREATE USER cdc@\"%\" IDENTIFIED BY \"right-pw\"; GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON *.* TO cdc@\"%\"" &&
  test_expect_code 77 cdc-mysql --snapshot only "mysql://cdc:wrong-pw-1@$HOSTURL/test" 2>pw1 &&
  test_grep -i "access denied" pw1 &&
  test_grep "MYSQL_PWD" pw1 &&
  test_must_fail grep -q wrong-pw-1 pw1 &&
  MYSQL_PWD=wrong-pw-2 test_expect_code 77 cdc-mysql --snapshot only "mysql://cdc@$HOSTURL/test" 2>pw2 &&
  test_must_fail grep -q wrong-pw-2 pw2 &&
  MYSQL_PWD=right-pw cdc-mysql --snapshot only "mysql://cdc@$HOSTURL/test" >ok.out &&
  cdc-mysql --snapshot only "mysql://cdc:right%2Dpw@$HOSTURL/test" >ok2.out
'

test_expect_success 'an unknown database exits 66, an unknown table 66' '
  test_expect_code 66 cdc-mysql --snapshot only "mysql://root@$HOSTURL/nosuchdb" 2>db.err &&
  test_grep "nosuchdb" db.err &&
  test_expect_code 66 cdc-mysql --snapshot only --tables test.nosuch "$MYURL" 2>tb.err &&
  test_grep "test.nosuch" tb.err
'

test_expect_success 'a missing privilege exits 77 and names the GRANT' '
  my_c "CREATE USER weak@\"%\"; GRANT SELECT ON test.* TO weak@\"%\"" &&
  test_expect_code 77 cdc-mysql --snapshot never "mysql://weak@$HOSTURL/test" 2>priv.err &&
  test_grep "GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT ON" priv.err
'

test_expect_success 'binlog_format not ROW exits 78 with the fix' '
  my_c "SET GLOBAL binlog_format = \"STATEMENT\"" &&
  test_when_finished "my_c \"SET GLOBAL binlog_format = \\\"ROW\\\"\"" &&
  test_expect_code 78 cdc-mysql --snapshot never "$MYURL" 2>fmt.err &&
  test_grep "binlog_format is STATEMENT, cdc-mysql needs ROW: SET GLOBAL binlog_format = .ROW." fmt.err
'

test_expect_success 'a server that is not there exits 69 (no reconnect at the start)' '
  port=$(free_port) &&
  test_expect_code 69 cdc-mysql --timeout 3s --snapshot never "mysql://root@127.0.0.1:$port/test" 2>down.err &&
  test_grep "cannot connect" down.err
'

test_expect_success 'two replicas with one server id: one of them exits 78 and says so' '
  { cdc-mysql --snapshot never --server-id 4242 "$MYURL" >/dev/null 2>dup1.err & } &&
  p1=$! && test_track_pid $p1 &&
  wait_for 30 "my_c \"SHOW PROCESSLIST\" | grep -q \"Binlog Dump\"" &&
  { cdc-mysql --snapshot never --server-id 4242 "$MYURL" >/dev/null 2>dup2.err & } &&
  p2=$! && test_track_pid $p2 &&
  wait_for 30 "grep -q \"choose another\" dup1.err dup2.err" &&
  { r1=0; r2=0; test_stop $p1 || r1=$?; test_stop $p2 || r2=$?; } &&
  { test $r1 = 78 || test $r2 = 78; }
'

test_expect_success 'an offsets file with a bad gtid_set line exits 65 naming the file and offset' '
  printf "file=binlog.000001\npos=4\ngtid_set=3e11fa47-71ca-11e1-9e33-c80aa9429562:1-x\n" >bad.offsets &&
  test_expect_code 65 cdc-mysql --snapshot never --offsets bad.offsets "mysql://root@$HOSTURL/test" 2>gs.err &&
  test_grep "bad.offsets" gs.err &&
  test_grep "line 3" gs.err &&
  test_grep "offset 39" gs.err
'

test_done
