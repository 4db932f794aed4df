#!/usr/bin/env bash
# relay-ws over real backends: a redis-server (redis://) and librdkafka's
# mock cluster (kafka://). Live messages arrive in order; "beginning"
# reads the backend log; a client that disconnects resumes with from SEQ
# (or {"SHARD":SEQ,...} on a Kafka topic of two partitions) and gets every
# message once, none lost and none twice.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap kafka_mock
test_require_cmd redis-server redis-cli
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

# last_seq: the seq of the last data frame on stdin.
last_seq() {
	grep "^{\"topic\"" | tail -1 | sed "s/.*\"seq\":\([0-9]*\).*/\1/"
}

# live_then_resume URI_PREFIX TOPIC: the checks shared by both backends.
live_then_resume() {
	local u=$1 t=$2
	rm -f "$t.sub"
	# Live: subscribed from the end, then 5 messages are written.
	client "send {\"action\":\"subscribe\",\"topics\":[\"$t\"]}" "frames 1" "touch $t.sub" \
		"data 5" >"$t.live" &
	local p=$!
	wait_for "test -f $t.sub" || return 1
	gen_ndjson 5 | flux "$u/$t" || return 1
	wait $p || { http_get /metrics | grep -v "^#" >&2; return 1; }
	gen_ndjson 5 >"$t.want" && values "$t.live" >"$t.got" && test_cmp "$t.want" "$t.got" || return 1
	# From the beginning: the 5 from the log, then 3 of 10 more; resume
	# after the last seen with a bare seq.
	gen_ndjson 10 6 | flux "$u/$t" || return 1
	client "send {\"action\":\"subscribe\",\"topics\":[\"$t\"],\"from\":\"beginning\"}" \
		"data 8" "quit" >"$t.first" || return 1
	local last
	last=$(last_seq <"$t.first") && test -n "$last" || return 1
	client "send {\"action\":\"subscribe\",\"topics\":[\"$t\"],\"from\":$((last + 1))}" \
		"data 7" >"$t.second" || return 1
	gen_ndjson 15 >"$t.want" &&
		{ values "$t.first" && values "$t.second"; } >"$t.got" &&
		test_cmp "$t.want" "$t.got" || return 1
	# The log holds every seq that was sent, and the frames carry them.
	tap --exit -F envelope "$u/$t" | sed "s/.*\"seq\":\([0-9]*\).*/\1/" >"$t.logseqs" &&
		cat "$t.first" "$t.second" | grep "^{\"topic\"" |
		sed "s/.*\"seq\":\([0-9]*\).*/\1/" >"$t.gotseqs" &&
		test_cmp "$t.logseqs" "$t.gotseqs"
}

test_expect_success 'redis: live in order, from beginning, resume with from SEQ' '
	start_redis srv &&
	R=redis://127.0.0.1:$REDIS_PORT &&
	start_relay "$R/news" &&
	live_then_resume "$R" news &&
	test_stop $RELAY_PID
'

test_expect_success 'kafka: live in order, from beginning, resume with from SEQ' '
	start_kafka_mock mock --topic news:1 --topic multi:2 &&
	K=kafka://$KAFKA &&
	start_relay "$K/news,multi" &&
	live_then_resume "$K" news
'

test_expect_success 'kafka, two partitions: resume with {"SHARD":SEQ}: none lost, none twice' '
	seq 1 40 | sed "s/.*/k&:{\"n\":&}/" | flux --key-delimiter : "$K/multi" &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"multi\"],\"from\":\"beginning\"}" \
		"data 30" "quit" >first &&
	from="{" && sep= &&
	for s in 0 1; do
		l=$(grep "\"shard\":$s," first | last_seq) &&
		from="$from$sep\"$s\":$((${l:--1} + 1))" && sep=, || return 1
	done &&
	from="$from}" &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"multi\"],\"from\":$from}" \
		"data 10" >second &&
	{ values first && values second; } | sort >got &&
	seq 1 40 | sed "s/.*/{\"n\":&}/" | sort >want &&
	test_cmp want got &&
	for s in 0 1; do
		grep "\"shard\":$s," first second | sed "s/.*\"seq\":\([0-9]*\).*/\1/" >seqs &&
		sort -n seqs >sorted && test_cmp sorted seqs || return 1
	done &&
	grep -q "\"shard\":0," first && grep -q "\"shard\":1," first &&
	test_stop $RELAY_PID
'

test_done
