#!/usr/bin/env bash
# Issue 9, point 4: Redis consumer groups collected dead members. Every
# `tap --group` run added a HOSTNAME-PID member and never removed it, so a
# cron job piled them up. Now a member that exits cleanly with nothing
# pending deletes itself, one that exits with entries it did not write is
# deleted by the member that takes them over, and --consumer NAME lets a
# job reuse one name. The file log accepts --consumer and ignores it.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli

# members STREAM GROUP: the member names of GROUP on STREAM, one a line.
members() {
	redis-cli -p "$REDIS_PORT" xinfo consumers "$1" "$2" |
		awk 'prev == "name" { print } { prev = $0 }'
}

test_expect_success 'redis-server starts' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT &&
	gen_ndjson 1000 >in &&
	flux - $U/jobs <in
'

test_expect_success 'cron runs of tap --group leave no dead members' '
	: >got &&
	for i in 1 2 3 4 5; do
		tap --group cron --count 100 --exit $U/jobs >>got || return 1
	done &&
	head -n 500 in >expect &&
	test_cmp expect got &&
	# The last run kept what it read but did not write, under its name.
	members jobs cron >names &&
	test_line_count = 1 names &&
	tap --group cron --exit $U/jobs >rest &&
	tail -n 500 in >expect &&
	test_cmp expect rest &&
	members jobs cron >names &&
	test_cmp /dev/null names &&
	redis-cli -p $REDIS_PORT xpending jobs cron | head -n 1 >pending &&
	echo 0 >expect &&
	test_cmp expect pending
'

test_expect_success 'a member stopped by a signal with nothing pending deletes itself' '
	tap --group sig $U/jobs >out &
	pid=$! &&
	wait_blocked 1 &&
	wait_for "test \$(wc -l <out) -ge 1000" &&
	test_cmp in out &&
	members jobs sig >names &&
	test_line_count = 1 names &&
	test_stop $pid TERM &&
	members jobs sig >names &&
	test_cmp /dev/null names
'

test_expect_success '--consumer NAME names the member; a job reusing it keeps one' '
	tap --group named --consumer billing-1 $U/jobs >out &
	pid=$! &&
	wait_blocked 1 &&
	echo billing-1 >expect &&
	members jobs named >names &&
	test_cmp expect names &&
	test_stop $pid TERM &&
	for i in 1 2 3; do
		tap --group again --consumer job --count 10 --exit $U/jobs >>got10 || return 1
	done &&
	head -n 30 in >expect && test_cmp expect got10 &&
	echo job >expect &&
	members jobs again >names &&
	test_cmp expect names
'

test_expect_success '--consumer wins over ?consumer= in the URI' '
	tap --group flagwins --consumer from-flag --count 1 "$U/jobs?consumer=from-uri" >one &&
	echo from-flag >expect &&
	members jobs flagwins >names &&
	test_cmp expect names
'

test_expect_success '--consumer without --group is a usage error (64)' '
	test_expect_code 64 tap --consumer x --exit $U/jobs >out 2>err &&
	test_grep -e "--consumer needs --group" err &&
	test_cmp /dev/null out
'

test_expect_success 'file: accepts --consumer and ignores it' '
	head -n 3 in | flux file:log/f &&
	tap --group g --consumer whoever --exit file:log/f >out &&
	head -n 3 in >expect &&
	test_cmp expect out &&
	tap --group g --exit file:log/f >out &&
	test_cmp /dev/null out
'

test_done
