#!/usr/bin/env bash
# relay-ws with Python websockets clients: subscribe, receive in order,
# unsubscribe, resume with `from` after a disconnect (no loss, no
# repetition), `where` filtering and its errors, /healthz and /metrics,
# stdin sources, and SIGTERM closing every client with 1001.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

gen_ndjson 5 | flux file:d/news
echo '{"o":1}' | flux file:d/other

test_expect_success 'start: two streams of one URI are two topics' '
	start_relay file:d/news,other &&
	http_get /healthz >h && echo ok >expect && test_cmp expect h &&
	test "$(metric "relay_ws_subscriptions{topic=\"news\"}")" = 0 &&
	test "$(metric "relay_ws_subscriptions{topic=\"other\"}")" = 0
'

test_expect_success 'subscribe from the end: new messages in order, then unsubscribe stops them' '
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"]}" "frames 1" "touch subscribed" \
		"data 3" "send {\"action\":\"unsubscribe\",\"topics\":[\"news\"]}" "frames 1" \
		"touch unsubscribed" "send {\"action\":\"subscribe\",\"topics\":[\"other\"]}" \
		"frames 1" "touch resubscribed" "data 1" >out 2>err &
	cpid=$! &&
	wait_for "test -f subscribed" &&
	gen_ndjson 3 6 | flux file:d/news &&
	wait_for "test -f resubscribed" &&
	gen_ndjson 2 9 | flux file:d/news &&
	echo "{\"o\":2}" | flux file:d/other &&
	wait $cpid &&
	gen_ndjson 3 6 | sed "s/^/{\"topic\":\"news\",\"shard\":0,\"seq\":S,\"ts\":\"T\",\"key\":null,\"value\":/; s/$/}/" |
		awk "{sub(/S/, NR + 4); print}" >expect &&
	echo "{\"topic\":\"other\",\"shard\":0,\"seq\":1,\"ts\":\"T\",\"key\":null,\"value\":{\"o\":2}}" >>expect &&
	data_only out >got && test_cmp expect got &&
	grep "^{\"type\"" out >types &&
	printf "%s\n" "{\"type\":\"subscribed\",\"topics\":[\"news\"]}" \
		"{\"type\":\"unsubscribed\",\"topics\":[\"news\"]}" \
		"{\"type\":\"subscribed\",\"topics\":[\"other\"]}" >expect &&
	test_cmp expect types
'

test_expect_success 'resume after a disconnect with from SEQ: nothing lost, nothing twice' '
	tap --exit -F payload file:d/news >all.before &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"beginning\"}" \
		"data 4" "quit" >first &&
	last=$(grep "^{\"topic\"" first | tail -1 | sed "s/.*\"seq\":\([0-9]*\).*/\1/") &&
	gen_ndjson 4 20 | flux file:d/news &&
	tap --exit -F payload file:d/news >all &&
	total=$(wc -l <all) &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":$((last + 1))}" \
		"data $((total - 4))" >second &&
	{ values first && values second; } >got &&
	test_cmp all got &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":{\"0\":$((last + 1))}}" \
		"data $((total - 4))" >third &&
	values third >got3 && values second >want3 && test_cmp want3 got3
'

test_expect_success 'from "@TIME" and "beginning" read the backend log' '
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"@2000-01-01T00:00:00Z\"}" \
		"data $(wc -l <all)" >bytime &&
	values bytime >got && test_cmp all got
'

test_expect_success 'where filters on the value; data frames match the log' '
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"beginning\",\"where\":\"id > 20 && id <= 22\"}" \
		"data 2" "send {\"action\":\"subscribe\",\"topics\":[\"other\"],\"from\":\"beginning\"}" \
		"frames 1" "data 2" >out &&
	values out >got &&
	{ grep -E "^\{\"id\":2[12]," all && printf "%s\n" "{\"o\":1}" "{\"o\":2}"; } >expect &&
	test_line_count = 4 expect &&
	test_cmp expect got
'

test_expect_success 'a bad where gets an error frame naming the column; the connection stays' '
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"where\":\"id >\"}" "frames 1" \
		"send {not json" "frames 1" \
		"send {\"action\":\"subscribe\",\"topics\":[\"nope\"]}" "frames 1" \
		"send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"sideways\"}" "frames 1" \
		"send {\"action\":\"subscribe\",\"topics\":[\"other\"],\"from\":\"beginning\"}" "frames 1" \
		"data 1" >out &&
	sed -n 1p out >e1 &&
	echo "{\"type\":\"error\",\"error\":{\"code\":\"bad_where\",\"message\":\"where: 1:5: expected a value after '"'"'>'"'"'\",\"line\":1,\"column\":5}}" >expect &&
	test_cmp expect e1 &&
	sed -n 2p out | grep "^{\"type\":\"error\",\"error\":{\"code\":\"bad_request\",\"message\":\"not valid JSON" &&
	sed -n 3p out >e3 &&
	echo "{\"type\":\"error\",\"error\":{\"code\":\"unknown_topic\",\"message\":\"no topic '"'"'nope'"'"' on this relay\"}}" >expect &&
	test_cmp expect e3 &&
	sed -n 4p out | grep "\"code\":\"bad_request\",\"message\":\"field '"'"'from'"'"': expected" &&
	data_only out >got &&
	echo "{\"topic\":\"other\",\"shard\":0,\"seq\":0,\"ts\":\"T\",\"key\":null,\"value\":{\"o\":1}}" >expect &&
	test_cmp expect got
'

test_expect_success 'the relay stops with 0 on SIGTERM; a new one starts' '
	test_stop $RELAY_PID && start_relay file:d/news &&
	test "$(metric relay_ws_frames_out_total)" = 0
'

test_expect_success '/metrics counts clients, subscriptions, frames and bytes' '
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"beginning\",\"where\":\"id <= 2\"}" \
		"data 2" "touch m.got" "wait m.go" >out &
	cpid=$! &&
	wait_for "test -f m.got" &&
	test "$(metric relay_ws_clients)" = 1 &&
	test "$(metric "relay_ws_subscriptions{topic=\"news\"}")" = 1 &&
	test "$(metric relay_ws_frames_out_total)" = 3 &&
	bytes=$(tr -d "\n" <out | wc -c) &&
	test "$(metric relay_ws_bytes_out_total)" = "$bytes" &&
	touch m.go && wait $cpid &&
	wait_for "test \"\$(metric relay_ws_clients)\" = 0" &&
	test "$(metric "relay_ws_subscriptions{topic=\"news\"}")" = 0 &&
	test "$(metric relay_ws_connections_total)" = 1 &&
	http_get / >page && grep -q "<canvas" page && grep -q "<script src=\"/live.js\">" page &&
	http_get /live.js >js && grep -q "new WebSocket" js &&
	http_get /live.css >css && grep -q "^#log{" css
'

test_expect_success 'SIGTERM closes every client with 1001 and exits 0' '
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"]}" "frames 1" "touch term.ready" "closed" >out &
	cpid=$! &&
	wait_for "test -f term.ready" &&
	test_stop $RELAY_PID &&
	wait $cpid &&
	tail -1 out >last && echo "close 1001 server shutting down" >expect && test_cmp expect last
'

# feed: the stdin of the relay in the stdin test: three lines, one more
# when told (in.more), then open until in.end.
feed() {
	printf "a\nb\nc\n" && wait_for "test -f in.more" && printf "{\"x\":1}\n" &&
		wait_for 60 "test -f in.end"
}

test_expect_success 'stdin lines on --topic; the ring serves from and resume' '
	mkfifo in || return 1
	feed >in &
	wpid=$! &&
	start_relay --topic ticks --history 100 --client-queue 50 - <in &&
	wait_for "test \"\$(metric relay_ws_messages_in_total)\" = 3" &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"ticks\"],\"from\":1}" "data 2" "touch in.more" "data 1" >out &&
	touch in.end && wait $wpid &&
	data_only out >got &&
	printf "%s\n" "{\"topic\":\"ticks\",\"shard\":0,\"seq\":1,\"ts\":\"T\",\"key\":null,\"value\":\"b\"}" \
		"{\"topic\":\"ticks\",\"shard\":0,\"seq\":2,\"ts\":\"T\",\"key\":null,\"value\":\"c\"}" \
		"{\"topic\":\"ticks\",\"shard\":0,\"seq\":3,\"ts\":\"T\",\"key\":null,\"value\":{\"x\":1}}" >expect &&
	test_cmp expect got
'

test_expect_success '--envelope: each envelope on its stream, with its key' '
	test_stop $RELAY_PID
	tap --exit -F envelope file:d/news >env &&
	echo "{\"stream\":\"keyed\",\"key\":\"k1\",\"payload\":\"text\"}" >>env &&
	start_relay --envelope - <env &&
	n=$(wc -l <env) &&
	wait_for "test \"\$(metric relay_ws_messages_in_total)\" = $n" &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\",\"keyed\"],\"from\":\"beginning\"}" \
		"frames 2" "data $n" >out &&
	grep "^{\"topic\":\"news\"" out >news.frames &&
	values news.frames >got && test_cmp all got &&
	grep "^{\"topic\":\"keyed\"" out | sed "s/\"ts\":\"[^\"]*\"/\"ts\":\"T\"/" >got &&
	echo "{\"topic\":\"keyed\",\"shard\":0,\"seq\":0,\"ts\":\"T\",\"key\":\"k1\",\"value\":\"text\"}" >expect &&
	test_cmp expect got
'

test_expect_success 'a connection that answers no ping is hung up (--ping-interval)' '
	test_stop $RELAY_PID
	start_relay --ping-interval 1s file:d/news || return 1
	"$PYTHON" -c "import base64, os, socket, sys, time
s = socket.create_connection((\"127.0.0.1\", int(sys.argv[1])))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((\"GET / HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n\"
           \"Sec-WebSocket-Key: %s\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n\" % key).encode())
s.settimeout(30)
start, got = time.time(), b\"\"
while True:
    b = s.recv(4096)
    if not b:
        break
    got += b
print(\"101\" in got.split(b\"\\r\\n\")[0].decode(), b\"\\x89\" in got, time.time() - start < 30)
" "$RELAY_PORT" >out &&
	echo "True True True" >expect && test_cmp expect out
'

test_expect_success 'usage errors exit 64' '
	test_expect_code 64 relay-ws 2>err &&
	test_expect_code 64 relay-ws --listen nope file:d/news 2>err &&
	test_grep "expected HOST:PORT" err &&
	test_expect_code 64 relay-ws --envelope file:d/news 2>err &&
	test_grep "needs - (stdin)" err &&
	test_expect_code 64 relay-ws --history 10 --client-queue 20 file:d/news 2>err &&
	test_grep "is more than --history" err
'

test_done
