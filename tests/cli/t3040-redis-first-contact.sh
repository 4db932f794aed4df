#!/usr/bin/env bash
# First contact with Redis (issue 9, point 3): a missing stream behaves as
# on every backend: with --exit, exit 66 and "stream 'x' does not exist";
# when following, one line on stderr that tap waits for it.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli

test_expect_success 'redis-server starts' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT
'

test_expect_success 'redis: a missing stream with --exit: exit 66, "stream does not exist"' '
	test_expect_code 66 tap --exit $U/nosuch >out 2>err &&
	test_grep "stream .nosuch. does not exist" err &&
	test_line_count = 0 out &&
	test_expect_code 66 tap --exit --group g $U/nosuch 2>err &&
	test_grep "stream .nosuch. does not exist" err &&
	test "$(redis-cli -p $REDIS_PORT exists nosuch)" = 0
'

test_expect_success 'redis: an existing empty stream with --exit is no error' '
	redis-cli -p $REDIS_PORT xadd empty "*" p x >/dev/null &&
	redis-cli -p $REDIS_PORT xtrim empty maxlen 0 >/dev/null &&
	tap --exit $U/empty >out 2>err &&
	test_line_count = 0 out &&
	test_line_count = 0 err
'

test_expect_success 'redis: following a missing stream says once that it waits, then reads it' '
	tap --count 2 $U/later >out 2>err &
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q \"stream .later. does not exist.*waiting for it to be created\" err" &&
	wait_blocked 1 &&
	printf "a\nb\n" | flux - $U/later &&
	wait $pid &&
	printf "a\nb\n" >expect &&
	test_cmp expect out &&
	test_line_count = 1 err
'

test_done
