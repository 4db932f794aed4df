#!/usr/bin/env bash
# relay-ws slow clients: one client stops reading (a tiny socket receive
# buffer), the other keeps receiving everything; under catch-up the slow
# one later gets every message once and in order (from the backend log);
# under close it is closed with 1008; under drop-oldest it is told.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

N=3000
# Messages of about 1 KB: N of them are far more than the socket buffers
# between the relay and a client that does not read.
pad=$(printf "%0900d" 0)
gen_big() {
	awk -v n="$1" -v s="$2" -v pad="$pad" 'BEGIN {for (i = s; i < s + n; i++) printf "{\"i\":%d,\"pad\":\"%s\"}\n", i, pad}'
}
SUB='send {"action":"subscribe","topics":["big"]}'

# seqs FILE: the seq of each data frame of FILE, one a line.
seqs() {
	grep '^{"topic"' "$1" | sed 's/.*"seq":\([0-9]*\).*/\1/'
}

# paced START: produces N messages from START in batches of 100, each
# once the fast client (file fast) has had the one before, so only the
# slow client falls more than --client-queue 150 behind.
paced() {
	local b
	for b in $(seq 1 $((N / 100))); do
		gen_big 100 $(($1 + (b - 1) * 100)) | flux file:d/big || return 1
		wait_for "test \$(grep -c ^{.topic fast) -ge $((b * 100))" || return 1
	done
}

echo '{"i":-1}' | flux file:d/big

test_expect_success 'catch-up: the slow client later gets all, in order; the fast one is not held' '
	start_relay --history 200 --client-queue 100 file:d/big || return 1
	client --rcvbuf 4096 "$SUB" "frames 1" "touch slow.sub" "wait slow.go" "data $N" >slow &
	spid=$!
	client "$SUB" "frames 1" "touch fast.sub" "data $N" >fast &
	fpid=$!
	wait_for "test -f slow.sub && test -f fast.sub" &&
	gen_big $N 0 | flux file:d/big &&
	wait $fpid &&
	test "$(seqs fast | wc -l)" = $N &&
	seq 1 $N >expect && seqs fast >got && test_cmp expect got &&
	catchups=$(metric relay_ws_catch_ups_total) && test "$catchups" -ge 1 &&
	touch slow.go && wait $spid &&
	seqs slow >got && test_cmp expect got &&
	values fast >fast.values && values slow >slow.values && test_cmp fast.values slow.values &&
	test "$(metric relay_ws_slow_closes_total)" = 0 &&
	test_stop $RELAY_PID
'

test_expect_success 'close: the slow client is closed with 1008, the fast one gets all' '
	start_relay --slow-client close --history 300 --client-queue 150 file:d/big || return 1
	client --rcvbuf 4096 "$SUB" "frames 1" "touch close.sub" "wait close.go" "closed" >slow &
	spid=$!
	client "$SUB" "frames 1" "touch close.fsub" "data $N" >fast &
	fpid=$!
	wait_for "test -f close.sub && test -f close.fsub" &&
	paced $N &&
	wait $fpid &&
	test "$(seqs fast | wc -l)" = $N &&
	wait_for "test \"\$(metric relay_ws_slow_closes_total)\" = 1" &&
	touch close.go && wait $spid &&
	tail -1 slow >last &&
	echo "close 1008 slow client: more than 150 messages behind on '"'"'big'"'"'" >expect &&
	test_cmp expect last &&
	test "$(seqs slow | wc -l)" -lt $N &&
	test_stop $RELAY_PID
'

test_expect_success 'drop-oldest: the slow client is told how many it lost, and gets no gap unannounced' '
	start_relay --slow-client drop-oldest --history 300 --client-queue 150 file:d/big || return 1
	client --rcvbuf 4096 "$SUB" "frames 1" "touch drop.sub" "wait drop.go" "until $((3 * N))" >slow &
	spid=$!
	client "$SUB" "frames 1" "touch drop.fsub" "data $N" >fast &
	fpid=$!
	wait_for "test -f drop.sub && test -f drop.fsub" &&
	paced $((2 * N)) &&
	wait $fpid &&
	test "$(seqs fast | wc -l)" = $N &&
	dropped=$(metric relay_ws_dropped_total) && test "$dropped" -gt 0 &&
	touch drop.go && wait $spid &&
	told=$(sed -n "s/^{\"type\":\"dropped\",\"count\":\([0-9]*\),\"subscription\":\"big\"}$/\1/p" slow |
		awk "{s += \$1} END {print s + 0}") &&
	test "$told" -gt 0 &&
	test $(($(seqs slow | wc -l) + told)) = $N &&
	seqs slow >got && sort -n -c got && sort -n -u got | cmp - got
'

test_done
