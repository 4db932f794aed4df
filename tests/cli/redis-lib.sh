# shellcheck shell=bash
# redis-lib.sh: helpers for the Redis CLI tests, sourced after lib.sh.

# start_redis DIR [redis-server OPTIONS...]: a redis-server in DIR on a
# free loopback port (or on REDIS_WANT_PORT when set, so a test can restart
# a server on the same port), tracked for cleanup; later OPTIONS override
# the defaults. Sets REDIS_PORT and REDIS_PID. Fails (never skips) when it
# does not come up.
start_redis() {
	local dir=$1
	shift
	mkdir -p "$dir" || return 1
	REDIS_PORT=${REDIS_WANT_PORT:-$(free_port)} || return 1
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$dir" --save "" \
		--appendonly no --daemonize no "$@" >>"$dir/log" 2>&1 &
	REDIS_PID=$!
	test_track_pid "$REDIS_PID"
	wait_for 10 "redis-cli -p $REDIS_PORT ping 2>&1 | grep -q -e PONG -e NOAUTH" || {
		cat "$dir/log" >&2
		return 1
	}
}

# wait_blocked N: waits until N clients of the server on REDIS_PORT sit in a
# blocking read (XREAD/XREADGROUP BLOCK), i.e. until that many taps have
# fixed their position and are following.
wait_blocked() {
	wait_for 20 "test \"\$(redis-cli -p $REDIS_PORT info clients | tr -d '\r' |
		sed -n 's/^blocked_clients://p')\" -ge $1"
}
