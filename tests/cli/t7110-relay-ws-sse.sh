#!/usr/bin/env bash
# relay-ws Server-Sent Events (GET /sse) with a python http.client client
# (relay-ws-sse-client.py): events in order with TOPIC/SHARD/SEQ ids and
# the data frames as data; a disconnect and a resume with Last-Event-ID,
# nothing lost or repeated against the log, for one topic-shard and for
# several (ids listing every topic-shard, a first id-only block); where filters; errors as
# event: error then the end of the stream; an expired token refused with
# 401; keep-alive comments on an idle stream; a hang-up on an idle stream
# noticed without a write; protocol="sse" in /metrics;
# headless Chromium's EventSource (relay-ws-sse-browser.js, when
# scripts/setup installed chromium and playwright-core).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap
test_require_cmd openssl
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

# sse PATH [ARGS...]: relay-ws-sse-client.py on the relay (see that file).
sse() {
	"$PYTHON" "$SLUICE_ROOT/tests/cli/relay-ws-sse-client.py" --timeout $((20 * TEST_SCALE)) \
		127.0.0.1 "$RELAY_PORT" "$@"
}

# ids FILE: the ids of the message events of FILE, one a line.
ids() {
	sed -n "s/^event message \([^ ]*\) .*/\1/p" "$1"
}

# sse_values FILE: the "value" of each message event of FILE.
sse_values() {
	sed -n "s/^event message [^ ]* //p" "$1" | sed 's/.*"value"://; s/}$//'
}

gen_ndjson 10 | flux file:d/news
echo '{"o":1}' | flux file:d/other

test_expect_success 'events in order, ids TOPIC/SHARD/SEQ, data the data frame' '
	start_relay --ping-interval 1s file:d/news,other &&
	sse "/sse?topics=news&from=beginning" --count 10 >out &&
	grep -x "header Content-Type text/event-stream; charset=utf-8" out &&
	grep -x "header Cache-Control no-cache" out &&
	! grep "^header Content-Length" out &&
	tap --exit --format "news/%p/%o\n" file:d/news >expect &&
	ids out >got &&
	test_line_count = 10 got &&
	test_cmp expect got &&
	tap --exit -F payload file:d/news >expect &&
	sse_values out >got &&
	test_cmp expect got &&
	sed -n "s/^event message news\/0\/\([0-9]*\) {\"topic\":\"news\",\"shard\":0,\"seq\":\([0-9]*\),.*/\1 \2/p" out >pairs &&
	test_line_count = 10 pairs &&
	awk "\$1 != \$2 {exit 1}" pairs
'

test_expect_success 'Last-Event-ID resumes exactly after it, over from, nothing lost or repeated' '
	sse "/sse?topics=news&from=beginning" --count 4 >first &&
	last=$(ids first | tail -n 1) &&
	gen_ndjson 3 11 | flux file:d/news &&
	sse "/sse?topics=news&from=beginning" --header "Last-Event-ID: $last" --count 9 >second &&
	{ ids first && ids second; } >got &&
	tap --exit --format "news/%p/%o\n" file:d/news >expect &&
	test_line_count = 13 expect &&
	test_cmp expect got &&
	{ sse_values first && sse_values second; } >got &&
	tap --exit -F payload file:d/news >expect &&
	test_cmp expect got
'

test_expect_success 'a where filter applies (URL-encoded)' '
	sse "/sse?topics=news,other&from=beginning&where=id%20%3E%205%20%26%26%20id%20%3C%3D%207" \
		--count 2 >out &&
	sse_values out >got &&
	tap --exit -F payload file:d/news | grep -E "^\{\"id\":[67]," >expect &&
	test_line_count = 2 expect &&
	test_cmp expect got
'

test_expect_success 'a bad where: event: error naming the column, then the stream ends' '
	sse "/sse?topics=news&where=id%20%3E" >out &&
	echo "event error - {\"type\":\"error\",\"error\":{\"code\":\"bad_where\",\"message\":\"where: 1:5: expected a value after '"'"'>'"'"'\",\"line\":1,\"column\":5}}" >expect &&
	echo eof >>expect &&
	sed 1,2d out >got &&
	test_cmp expect got
'

test_expect_success 'other errors: malformed Last-Event-ID, bad from, unknown topic' '
	sse "/sse?topics=news" --header "Last-Event-ID: news/zero/1" >out &&
	grep "^event error - .*\"code\":\"bad_last_event_id\"" out && tail -n 1 out | grep -x eof &&
	sse "/sse?topics=news" --header "Last-Event-ID: other/0/1" >out &&
	grep "^event error - .*topic .other. is not in topics=" out &&
	sse "/sse?topics=news&from=sideways" >out &&
	grep "^event error - .*\"code\":\"bad_request\".*from" out && tail -n 1 out | grep -x eof &&
	sse "/sse?topics=nope" >out &&
	grep "^event error - .*\"code\":\"unknown_topic\"" out && tail -n 1 out | grep -x eof
'

test_expect_success 'headless Chromium EventSource gets the events with their ids' '
	CHROMIUM=${CHROMIUM:-/usr/bin/chromium} &&
	if command -v node >/dev/null && [ -x "$CHROMIUM" ] && [ -f "$SLUICE_ROOT/build-node/node_modules/playwright-core/package.json" ]
	then
		NODE_PATH=$SLUICE_ROOT/build-node/node_modules CHROMIUM=$CHROMIUM \
			BROWSER_TIMEOUT_MS=$((30000 * TEST_SCALE)) \
			node "$SLUICE_ROOT/tests/cli/relay-ws-sse-browser.js" "$RELAY_HTTP" \
			"/sse?topics=news&from=beginning" 13 >browser &&
		sse "/sse?topics=news&from=beginning" --count 13 >out &&
		sed -n "s/^event //p" out >expect &&
		test_line_count = 13 expect &&
		test_cmp expect browser
	else
		say_ "# skipped: chromium or playwright-core missing (scripts/setup)" &&
		test "${CI:-}" != true  # under CI a missing browser fails
	fi
'

test_expect_success 'keep-alive comments on an idle stream; protocol sse in /metrics' '
	before=$(metric "relay_ws_connections_total{protocol=\"sse\"}") &&
	sse "/sse?topics=other" --comments 2 >out &&
	test "$(grep -c "^comment keep-alive$" out)" = 2 &&
	! grep "^event" out &&
	after=$(metric "relay_ws_connections_total{protocol=\"sse\"}") &&
	test $((after - before)) = 1 &&
	http_get /metrics | grep -x "relay_ws_clients{protocol=\"ws\"} 0" &&
	test_stop "$RELAY_PID"
'

# Several topics and shards: p2 has two shards (keys spread over both).
keyed() {
	awk -v n="$1" -v s="$2" 'BEGIN {for (i = s; i < s + n; i++) printf "k%d {\"i\":%d}\n", i % 7, i}'
}
keyed 20 0 | flux --shards 2 --key-delimiter " " file:d/p2
gen_ndjson 5 | flux file:d/n2

# last_id FILE: the last id FILE saw (an event or an id-only block), as
# EventSource would send it back.
last_id() {
	sed -n "s/^event message \([^ ]*\) .*/\1/p; s/^id \(.*\)/\1/p" "$1" | tail -n 1
}

# first_ids FILE: the first position of each message event id (the event's own).
first_ids() {
	ids "$1" | sed "s/;.*//"
}

# log_ids: TOPIC/SHARD/SEQ of every message of p2 and n2, sorted.
log_ids() {
	{
		tap --exit --format "p2/%p/%o\n" file:d/p2 &&
			tap --exit --format "n2/%p/%o\n" file:d/n2
	} | sort
}

test_expect_success 'several topics and shards: ids list every topic-shard; a resume loses and repeats nothing' '
	start_relay file:d/p2,n2 &&
	test "$(tap --exit -F "%p\n" file:d/p2 | sort -u | wc -l)" = 2 &&
	sse "/sse?topics=p2,n2&from=beginning" --count 12 >multi1 &&
	last=$(last_id multi1) &&
	keyed 10 20 | flux --key-delimiter " " file:d/p2 &&
	gen_ndjson 5 6 | flux file:d/n2 &&
	sse "/sse?topics=p2,n2&from=beginning" --header "Last-Event-ID: $last" --count 28 >multi2 &&
	{ first_ids multi1 && first_ids multi2; } | sort >got &&
	log_ids >expect &&
	test_line_count = 40 expect &&
	test_cmp expect got &&
	ids multi2 | tail -n 1 | tr ";" "\n" | sort >got &&
	{
		tap --exit -F "%p %o\n" file:d/p2 | awk "{l[\$1] = \$2} END {print \"p2/0/\" l[0]; print \"p2/1/\" l[1]}" &&
			tap --exit -F "%o\n" file:d/n2 | tail -n 1 | sed "s|^|n2/0/|"
	} | sort >expect &&
	test_cmp expect got &&
	sed -n "s/^event message \([^;]*\)[^ ]* {\"topic\":\"\([^\"]*\)\",\"shard\":\([0-9]*\),\"seq\":\([0-9]*\),.*/\1 \2\/\3\/\4/p" \
		multi1 multi2 >pairs &&
	test_line_count = 40 pairs &&
	awk "\$1 != \$2 {exit 1}" pairs
'

test_expect_success 'the first id says where each topic-shard starts: a client gone before its first event loses nothing' '
	wait_for "test \"\$(metric relay_ws_messages_in_total)\" = 15" &&
	sse "/sse?topics=p2,n2" --id-blocks 1 >first &&
	{
		tap --exit -F "%p %o\n" file:d/p2 | awk "{l[\$1] = \$2} END {printf \"p2/0/%d;p2/1/%d;\", l[0], l[1]}" &&
			tap --exit -F "%o\n" file:d/n2 | tail -n 1 | sed "s|^|n2/0/|"
	} >expect &&
	last_id first >got &&
	test_cmp expect got &&
	log_ids >before &&
	keyed 10 30 | flux --key-delimiter " " file:d/p2 &&
	gen_ndjson 3 11 | flux file:d/n2 &&
	sse "/sse?topics=p2,n2" --header "Last-Event-ID: $(cat got)" --count 13 >second &&
	first_ids second | sort >got &&
	log_ids | comm -13 before - >expect &&
	test_line_count = 13 expect &&
	test_cmp expect got
'

test_expect_success 'a resume naming one topic: the other starts where from says' '
	sse "/sse?topics=p2,n2&from=beginning" --header "Last-Event-ID: n2/0/9" --count 43 >out &&
	first_ids out | sort >got &&
	log_ids | grep -v "^n2/0/[0-9]$" >expect &&
	test_line_count = 43 expect &&
	test_cmp expect got
'

test_expect_success 'from=@TIME: the shards an id does not name take only messages from TIME on' '
	tap --exit --format "p2/%p/%o\n" file:d/p2 | awk -F/ "\$2 == 1 && \$3 > 5" | sort >expect &&
	test "$(wc -l <expect)" -gt 5 &&
	sse "/sse?topics=p2,n2&from=@2100-01-01T00:00:00Z" --header "Last-Event-ID: p2/1/5" \
		--count "$(wc -l <expect)" >out &&
	first_ids out | sort >got &&
	test_cmp expect got
'

test_expect_success 'a malformed list in Last-Event-ID: event: error naming the entry' '
	sse "/sse?topics=p2,n2" --header "Last-Event-ID: p2/0/3;n2/x/1" >out &&
	grep "^event error - .*\"code\":\"bad_last_event_id\",\"message\":\"Last-Event-ID: entry 2 .n2/x/1.: SHARD is not a number" out &&
	tail -n 1 out | grep -x eof &&
	sse "/sse?topics=p2" --header "Last-Event-ID: p2/0/3;n2/0/1" >out &&
	grep "^event error - .*topic .n2. is not in topics=" out &&
	test_stop "$RELAY_PID"
'

test_expect_success 'auth: a valid token (query or Bearer); expired gets 401; a topic outside the claim' '
	echo "s3cret-for-tests" >secret &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out priv.pem 2>/dev/null &&
	start_relay --jwt-secret-file secret --topics-claim topics file:d/news,other &&
	tok=$(mint HS256 "{\"exp\":\"+300\",\"topics\":[\"news\"]}") &&
	sse "/sse?topics=news&from=beginning&token=$tok" --count 1 >out &&
	ids out >got && tap --exit --format "news/%p/%o\n" file:d/news | head -n 1 >expect && test_cmp expect got &&
	sse "/sse?topics=news&from=beginning" --header "Authorization: Bearer $tok" --count 1 >out &&
	ids out >got && test_cmp expect got &&
	sse "/sse?topics=other&token=$tok" >out &&
	grep "^event error - .*\"code\":\"forbidden\".*topic .other. not permitted by the token" out &&
	old=$(mint HS256 "{\"exp\":\"-60\",\"topics\":[\"news\"]}") &&
	sse "/sse?topics=news&token=$old" >out &&
	grep "^status 401 token refused: .*expired" out &&
	sse "/sse?topics=news" >out &&
	grep -x "status 401 token required (?token= or Authorization: Bearer)" out
'

# A slow SSE reader under --slow-client drop-oldest, next to a fast
# WebSocket client that paces the producer (as in t7010).
pad=$(printf "%0900d" 0)
gen_big() {
	awk -v n="$1" -v s="$2" -v pad="$pad" 'BEGIN {for (i = s; i < s + n; i++) printf "{\"i\":%d,\"pad\":\"%s\"}\n", i, pad}'
}
N=3000
echo '{"i":-1}' | flux file:d/big

test_expect_success 'drop-oldest: a slow SSE reader gets event: notice with the count lost, no gap unannounced' '
	start_relay --slow-client drop-oldest --history 300 --client-queue 150 file:d/big &&
	{ sse "/sse?topics=big" --rcvbuf 4096 --touch slow.sub --wait slow.go --until-id "big/0/$N" >slow & } &&
	spid=$! &&
	{ client "send {\"action\":\"subscribe\",\"topics\":[\"big\"]}" "frames 1" "touch fast.sub" "data $N" >fast & } &&
	fpid=$! &&
	wait_for "test -f slow.sub && test -f fast.sub" &&
	for b in $(seq 1 $((N / 100))); do
		gen_big 100 $(((b - 1) * 100)) | flux file:d/big &&
		wait_for "test \$(grep -c ^{.topic fast) -ge $((b * 100))" || return 1
	done &&
	wait $fpid &&
	tap --exit --format "big/%p/%o\n" file:d/big | tail -n 1 >expect &&
	echo "big/0/$N" >got && test_cmp expect got &&
	test "$(metric relay_ws_dropped_total)" -gt 0 &&
	touch slow.go && wait $spid &&
	told=$(sed -n "s/^event notice - {\"type\":\"dropped\",\"count\":\([0-9]*\),\"subscription\":\"big\"}$/\1/p" slow |
		awk "{s += \$1} END {print s + 0}") &&
	test "$told" -gt 0 &&
	ids slow | sed "s|.*/||" >got &&
	test $(($(wc -l <got) + told)) = $N &&
	sort -n -c got && sort -n -u got | cmp - got
'

# lws does not read a stream once its request is in, so a hang-up (FIN)
# would be seen only at the next write: the relay peeks every second.
test_expect_success 'an idle stream whose client hung up is closed before any write' '
	start_relay --ping-interval 300s file:d/news &&
	sse "/sse?topics=news" --id-blocks 1 >out &&
	grep "^id news/0/[0-9]*$" out &&
	wait_for "test \"\$(metric relay_ws_clients)\" = 0"
'

test_expect_success '--max-connections counts SSE streams: 503 while full, room again after a close' '
	start_relay --max-connections 1 --ping-interval 1s file:d/news &&
	{ sse "/sse?topics=news" --touch one.sub --count 1 >one & } &&
	opid=$! &&
	wait_for "test -f one.sub" &&
	sse "/sse?topics=news" >out &&
	grep -x "status 503 too many connections (--max-connections)" out &&
	echo "{\"id\":99}" | flux file:d/news &&
	wait $opid &&
	grep "^event message news/" one &&
	wait_for "test \"\$(metric relay_ws_clients)\" = 0" &&
	sse "/sse?topics=news&from=beginning" --count 1 >out &&
	grep "^event message news/" out
'

test_done
