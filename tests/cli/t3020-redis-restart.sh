#!/usr/bin/env bash
# Redis restarts: redis-server (AOF, appendfsync always) is killed with -9
# and restarted on the same port while flux is producing and tap is
# following. flux reconnects and re-sends what was unanswered; nothing it
# acknowledged is lost (duplicates are allowed: at-least-once), and the
# follower resumes after the last entry it delivered.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli

# start_redis_at PORT: (re)starts the AOF server in $TEST_DIR/srv.
start_redis_at() {
	REDIS_WANT_PORT=$1 start_redis "$TEST_DIR/srv" --appendonly yes --appendfsync always
}

test_expect_success 'redis-server starts with AOF' '
	PORT=$(free_port) &&
	start_redis_at $PORT &&
	U=redis://127.0.0.1:$PORT
'

test_expect_success 'server killed and restarted mid-produce: no acknowledged record lost' '
	slow_input 100000 >want.unsorted &&
	{ tap $U/r --from beginning >followed & } &&
	tap_pid=$! &&
	{ slow_input 100000 | flux --timeout 30s - $U/r 2>flux.err & } &&
	flux_pid=$! &&
	test_track_pid $tap_pid $flux_pid &&
	wait_for 20 "test \$(redis-cli -p $PORT xlen r 2>/dev/null || echo 0) -gt 20000" &&
	kill -9 $REDIS_PID && { wait $REDIS_PID 2>/dev/null; true; } &&
	sleep 1 &&
	start_redis_at $PORT &&
	wait $flux_pid &&
	tap $U/r --exit >all &&
	echo "# $(wc -l <all) entries hold the 100000 records (re-sent duplicates)" &&
	sort -u all >got &&
	sort want.unsorted >want &&
	test_cmp want got &&
	wait_for 20 "test \$(sort -u followed | wc -l) -ge 100000" &&
	test_stop $tap_pid TERM;
	sort -u followed >followed.sorted &&
	test_cmp want followed.sorted
'

test_done
