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

# blocked_on PORT N: waits until N clients of the server on PORT sit in a
# blocking read (XREAD/XREADGROUP BLOCK), i.e. until that many taps have
# fixed their position and are following.
blocked_on() {
	wait_for 20 "test \"\$(redis-cli -p $1 info clients | tr -d '\r' |
		sed -n 's/^blocked_clients://p')\" -ge $2"
}

# wait_blocked N: blocked_on the server on REDIS_PORT.
wait_blocked() {
	blocked_on "$REDIS_PORT" "$1"
}

# start_redis_cluster DIR N [redis-server OPTIONS...]: N cluster-enabled
# redis-servers (DIR/n1 ... DIR/nN, each on a free port, via start_redis)
# joined into one cluster of N masters with `redis-cli --cluster create`;
# waits until every node says cluster_state:ok. Sets REDIS_CLUSTER_PORTS
# (in order) and REDIS_CLUSTER_PIDS. Fails (never skips) when a node does
# not come up or the cluster does not form.
start_redis_cluster() {
	local dir=$1 n=$2 i port
	shift 2
	REDIS_CLUSTER_PORTS=
	REDIS_CLUSTER_PIDS=
	for i in $(seq 1 "$n"); do
		# The bus port defaults to PORT + 10000, which may be taken or
		# beyond 65535: give it a free port of its own.
		start_redis "$dir/n$i" --cluster-enabled yes --cluster-config-file nodes.conf \
			--cluster-port "$(free_port)" "$@" || return 1
		REDIS_CLUSTER_PORTS="$REDIS_CLUSTER_PORTS $REDIS_PORT"
		REDIS_CLUSTER_PIDS="$REDIS_CLUSTER_PIDS $REDIS_PID"
	done
	# shellcheck disable=SC2046
	redis-cli --cluster create $(for port in $REDIS_CLUSTER_PORTS; do
		printf '127.0.0.1:%s ' "$port"
	done) --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || {
		cat "$dir/create.log" >&2
		return 1
	}
	for port in $REDIS_CLUSTER_PORTS; do
		wait_for 30 "redis-cli -p $port cluster info | grep -q cluster_state:ok" || return 1
	done
}

# cluster_owner PORT SLOT: the port of the master serving SLOT, as the node
# on PORT sees it (CLUSTER NODES: "ID HOST:PORT@CPORT FLAGS ... RANGES").
cluster_owner() {
	redis-cli -p "$1" cluster nodes | awk -v s="$2" '{
		split($2, addr, "[:@]")
		for (i = 9; i <= NF; i++) {
			if ($i ~ /^\[/) continue
			n = split($i, r, "-")
			if (s + 0 >= r[1] + 0 && s + 0 <= r[n] + 0) print addr[2]
		}
	}'
}

# cluster_name_on PORT PREFIX: the first name PREFIX0, PREFIX1, ... whose
# slot the master on PORT serves.
cluster_name_on() {
	local i=0 slot
	while [ $i -lt 1000 ]; do
		slot=$(redis-cli -p "$1" cluster keyslot "$2$i") || return 1
		if [ "$(cluster_owner "$1" "$slot")" = "$1" ]; then
			echo "$2$i"
			return 0
		fi
		i=$((i + 1))
	done
	return 1
}

# slow_input N [CHUNK]: N NDJSON lines {"id":I} written in chunks of CHUNK
# (default 500) with short pauses, so producing them takes a few seconds.
slow_input() {
	"$PYTHON" -c 'import sys, time
n, chunk = int(sys.argv[1]), int(sys.argv[2])
for start in range(1, n + 1, chunk):
    sys.stdout.write("".join("{\"id\":%d}\n" % i for i in range(start, min(start + chunk, n + 1))))
    sys.stdout.flush()
    time.sleep(0.01)' "$1" "${2:-500}"
}
