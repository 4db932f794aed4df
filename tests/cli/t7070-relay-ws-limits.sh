#!/usr/bin/env bash
# relay-ws options around the connection: permessage-deflate only with
# --compress (and frames still correct through it), --max-connections
# (503 before the handshake), the auth deadline (--auth-timeout, 4411),
# --jwt-audience (4406) and --jwt-issuer (4407), and an upgrade without
# Origin under --allow-origin (accepted, as the man page says).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap
test_require_cmd openssl
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

# Values of 2 KB that compress well, a few small ones, and three of 24 KB
# that do not (random: larger than lws's deflate buffer once compressed).
pad=$(printf "%02000d" 0)
{
	gen_ndjson 5
	awk -v pad="$pad" 'BEGIN {for (i = 0; i < 20; i++) printf "{\"big\":%d,\"pad\":\"%s\"}\n", i, pad}'
	for i in 1 2 3; do
		printf "{\"rand\":\"%s\"}\n" "$(openssl rand -base64 18000 | tr -d "\n")"
	done
} >news.ndjson
flux file:d/news <news.ndjson
SUB='send {"action":"subscribe","topics":["news"]}'
SUB_ALL='send {"action":"subscribe","topics":["news"],"from":"beginning"}'
ACK='{"type":"subscribed","topics":["news"]}'

test_expect_success 'without --compress: permessage-deflate offered but not taken' '
	start_relay file:d/news &&
	client extensions "$SUB_ALL" "data 28" >out &&
	head -1 out >ext && echo "extensions none" >expect && test_cmp expect ext &&
	values out >got && test_cmp news.ndjson got &&
	test_stop $RELAY_PID
'

test_expect_success '--compress: taken by a client that offers it; frames are the same' '
	start_relay --compress file:d/news &&
	client extensions "$SUB_ALL" "data 28" >out &&
	head -1 out >ext && echo "extensions permessage-deflate" >expect && test_cmp expect ext &&
	values out >got && test_cmp news.ndjson got &&
	gen_ndjson 3 100 >more || return 1
	client extensions "$SUB" "frames 1" "touch sub.done" "data 3" >live &
	cpid=$! &&
	wait_for "test -f sub.done" &&
	flux file:d/news <more &&
	wait $cpid &&
	head -1 live >ext && test_cmp expect ext &&
	values live >got && test_cmp more got &&
	cat news.ndjson more >all
'

test_expect_success '--compress: a client that does not offer it is served plain' '
	client --no-compress extensions "$SUB_ALL" "data 31" >out &&
	head -1 out >ext && echo "extensions none" >expect && test_cmp expect ext &&
	values out >got && test_cmp all got &&
	test_stop $RELAY_PID
'

test_expect_success '--max-connections 2: a third upgrade gets 503, HTTP still answers' '
	start_relay --max-connections 2 file:d/news || return 1
	client "$SUB" "frames 1" "touch c1.up" "wait c1.go" >c1 &
	p1=$!
	client "$SUB" "frames 1" "touch c2.up" "wait c2.go" >c2 &
	p2=$!
	wait_for "test -f c1.up && test -f c2.up" &&
	test_expect_code 4 client "$SUB" >c3 &&
	echo "refused 503" >expect && test_cmp expect c3 &&
	test "$(metric relay_ws_connections_refused_total)" = 1 &&
	touch c1.go && wait $p1 &&
	wait_for "test \$(metric relay_ws_clients) = 1" &&
	client "$SUB" "frames 1" >c4 &&
	echo "$ACK" >expect && test_cmp expect c4 &&
	touch c2.go && wait $p2 &&
	test_stop $RELAY_PID
'

test_expect_success 'setup: a relay with a JWT, --jwt-audience, --jwt-issuer, --auth-timeout 1s' '
	echo "s3cret-for-tests" >secret &&
	start_relay --jwt-secret-file secret --jwt-audience relay --jwt-issuer https://id.example \
		--auth-timeout 1s --allow-origin http://good.example file:d/news
'

test_expect_success 'aud naming the audience and the right iss: subscribed' '
	tok=$(mint HS256 "{\"aud\":[\"x\",\"relay\"],\"iss\":\"https://id.example\"}") &&
	client_at "$RELAY_URL?token=$tok" "$SUB" "frames 1" >out &&
	echo "$ACK" >expect && test_cmp expect out
'

# refused EXPECTED_CLOSE URL STEP...: the client is closed so.
refused() {
	want=$1 && shift &&
	client_at "$@" "closed" >out
	tail -1 out >last && echo "$want" >expect && test_cmp expect last
}

test_expect_success 'another audience, or none: 4406' '
	tok=$(mint HS256 "{\"aud\":\"other\",\"iss\":\"https://id.example\"}") &&
	refused "close 4406 token audience not accepted" "$RELAY_URL?token=$tok" "$SUB" &&
	tok=$(mint HS256 "{\"iss\":\"https://id.example\"}") &&
	refused "close 4406 token audience not accepted" "$RELAY_URL?token=$tok" "$SUB"
'

test_expect_success 'another issuer, or none: 4407' '
	tok=$(mint HS256 "{\"aud\":\"relay\",\"iss\":\"https://evil.example\"}") &&
	refused "close 4407 token issuer not accepted" "$RELAY_URL?token=$tok" "$SUB" &&
	tok=$(mint HS256 "{\"aud\":\"relay\"}") &&
	refused "close 4407 token issuer not accepted" "$RELAY_URL?token=$tok" "$SUB"
'

test_expect_success 'no token and no message within --auth-timeout: 4411' '
	refused "close 4411 no token within 1s" "$RELAY_URL"
'

test_expect_success 'a token in the first message in time: the deadline no longer applies' '
	tok=$(mint HS256 "{\"aud\":\"relay\",\"iss\":\"https://id.example\"}") &&
	client "send {\"action\":\"auth\",\"token\":\"$tok\"}" "frames 1" "sleep 2" "$SUB" "frames 1" >out &&
	printf "%s\n" "{\"type\":\"authenticated\"}" "$ACK" >expect && test_cmp expect out
'

test_expect_success 'no Origin under --allow-origin: accepted; another Origin: 403, another path: 404' '
	tok=$(mint HS256 "{\"aud\":\"relay\",\"iss\":\"https://id.example\"}") &&
	client_at "$RELAY_URL?token=$tok" "$SUB" "frames 1" >out &&
	echo "$ACK" >expect && test_cmp expect out &&
	test_expect_code 4 client_at "$RELAY_URL?token=$tok" --origin http://evil.example "$SUB" >out &&
	echo "refused 403" >expect && test_cmp expect out &&
	test_expect_code 4 client_at "${RELAY_URL}elsewhere?token=$tok" "$SUB" >out &&
	echo "refused 404" >expect && test_cmp expect out
'

test_expect_success 'every refusal is counted in /metrics' '
	test "$(metric relay_ws_auth_failures_total)" = 6
'

test_expect_success 'flag errors: 64' '
	test_expect_code 64 relay-ws --jwt-audience a file:d/news 2>err &&
	test_grep "jwt-audience needs --jwt-secret-file" err &&
	test_expect_code 64 relay-ws --auth-timeout 5s file:d/news 2>err &&
	test_grep "auth-timeout needs --jwt-secret-file" err &&
	test_expect_code 64 relay-ws --max-connections -1 file:d/news 2>err &&
	test_grep "max-connections" err &&
	test_expect_code 64 relay-ws --jwt-secret-file secret --auth-timeout 0s file:d/news 2>err &&
	test_grep "expected 1s to 1h" err
'

test_expect_success 'a port already in use: 69, not a relay that listens nowhere' '
	test_expect_code 69 relay-ws --listen "127.0.0.1:$RELAY_PORT" file:d/news 2>err &&
	test_grep "cannot listen on 127.0.0.1:$RELAY_PORT: Address already in use" err &&
	! grep -q "relay-ws: listening" err
'

test_done
