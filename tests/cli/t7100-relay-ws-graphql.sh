#!/usr/bin/env bash
# relay-ws GraphQL subscriptions (graphql-transport-ws, subprotocol on /)
# with the npm graphql-ws client (scripts/setup installs it under
# build-node/): next payloads in order with only the selected fields,
# complete; a query outside the subset gets a GraphQL error; two
# subscriptions share one connection; where filters; tokens in
# connection_init.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap
test_require_cmd node
NODE_PATH=$SLUICE_ROOT/build-node/node_modules
[ -f "$NODE_PATH/graphql-ws/package.json" ] ||
	test_skip_all_ "node graphql-ws is missing (scripts/setup installs it)"
export NODE_PATH
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

# gql SPEC_JSON: relay-ws-graphql-client.js on the relay (see that file).
gql() {
	node "$SLUICE_ROOT/tests/cli/relay-ws-graphql-client.js" "$RELAY_URL" "$1"
}

# payloads NAME FILE: the next payloads of subscription NAME in FILE.
payloads() {
	sed -n "s/^$1 next //p" "$2"
}

# sub NAME COUNT QUERY [VARIABLES_JSON]: one subscription of a client spec
# (QUERY may not hold a backslash or a double quote: write a quote as %).
sub() {
	printf '{"name":"%s","count":%s,"query":"%s","variables":%s}' "$1" "$2" \
		"$(printf '%s' "$3" | sed 's/%/\\"/g')" "${4:-null}"
}

gen_ndjson 10 | flux file:d/news
gen_ndjson 4 100 | flux file:d/other

# The GraphQL errors for queries outside the subset (and for a topic the
# relay does not have), one line per subscription of the test below.
cat >errors.expect <<\END
f error [{"message":"fragment spreads and inline fragments are not supported (in 'stream')","locations":[{"line":1,"column":40}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]
q error [{"message":"query operations are not supported: only 'subscription'","locations":[{"line":1,"column":1}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]
r error [{"message":"unknown root field 'prices': the only one is 'stream'","locations":[{"line":1,"column":16}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]
t error [{"message":"no topic 'nope' on this relay","extensions":{"code":"UNKNOWN_TOPIC"}}]
u error [{"message":"unknown argument 'limit' on 'stream': expected topic, from or where","locations":[{"line":1,"column":38}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]
END

test_expect_success 'graphql-ws: next payloads in order, only the selected fields, then complete' '
	start_relay file:d/news,other &&
	s=$(sub a 10 "subscription News(\$from: JSON) { stream(topic: %news%, from: \$from) { seq value } }" \
		"{\"from\":\"beginning\"}") &&
	gql "{\"subs\":[$s],\"metric\":\"relay_ws_subscriptions{topic=\\\"news\\\"}\"}" >out &&
	tap --exit --format "{\"data\":{\"stream\":{\"seq\":%o,\"value\":%s}}}\n" file:d/news >expect &&
	payloads a out >got &&
	test_cmp expect got &&
	grep -x "a complete" out &&
	grep -x "metric relay_ws_subscriptions{topic=\"news\"} 0" out &&
	grep -x "metric relay_ws_clients{protocol=\"graphql\"} 1" out
'

test_expect_success 'graphql-ws: aliases, and from a seq given as an integer' '
	s=$(sub b 2 "subscription { s: stream(topic: %news%, from: 8) { t: topic n: seq key } }") &&
	gql "{\"subs\":[$s]}" >out &&
	payloads b out >got &&
	printf "%s\n" "{\"data\":{\"s\":{\"t\":\"news\",\"n\":8,\"key\":null}}}" \
		"{\"data\":{\"s\":{\"t\":\"news\",\"n\":9,\"key\":null}}}" >expect &&
	test_cmp expect got
'

test_expect_success 'graphql-ws: two subscriptions share one connection' '
	before=$(metric "relay_ws_connections_total{protocol=\"graphql\"}") &&
	s1=$(sub n 10 "subscription { stream(topic: %news%, from: %beginning%) { seq } }") &&
	s2=$(sub o 4 "subscription { stream(topic: %other%, from: %beginning%) { topic seq } }") &&
	gql "{\"subs\":[$s1,$s2]}" >out &&
	after=$(metric "relay_ws_connections_total{protocol=\"graphql\"}") &&
	test $((after - before)) = 1 &&
	payloads n out >got && tap --exit --format "{\"data\":{\"stream\":{\"seq\":%o}}}\n" file:d/news >expect &&
	test_cmp expect got &&
	payloads o out >got &&
	tap --exit --format "{\"data\":{\"stream\":{\"topic\":\"other\",\"seq\":%o}}}\n" file:d/other >expect &&
	test_cmp expect got
'

test_expect_success 'graphql-ws: a where filter applies (given in a variable)' '
	s=$(sub w 3 "subscription(\$w: String) { stream(topic: %news%, from: %beginning%, where: \$w) { value } }" \
		"{\"w\":\"id >= 4 && id <= 6\"}") &&
	gql "{\"subs\":[$s]}" >out &&
	payloads w out >got &&
	gen_ndjson 10 | sed -n "4,6s/.*/{\"data\":{\"stream\":{\"value\":&}}}/p" >expect &&
	test_cmp expect got
'

test_expect_success 'graphql-ws: queries outside the subset get GraphQL errors naming them' '
	f=$(sub f 0 "subscription { stream(topic: %news%) { ...F } } fragment F on S { seq }") &&
	q=$(sub q 0 "query { stream(topic: %news%) { seq } }") &&
	r=$(sub r 0 "subscription { prices { seq } }") &&
	u=$(sub u 0 "subscription { stream(topic: %news%, limit: 3) { seq } }") &&
	t=$(sub t 0 "subscription { stream(topic: %nope%) { seq } }") &&
	x=$(sub x 0 "subscription { stream(topic: %news%, where: %id >%) { seq } }") &&
	gql "{\"subs\":[$f,$q,$r,$u,$t,$x]}" >out &&
	grep -v "^x" out | sort >got && test_cmp errors.expect got &&
	grep "^x error .*argument .where.: .*\"locations\":\[{\"line\":1,\"column\":45}\].*BAD_WHERE" out
'

# Protocol steps graphql-ws never takes, spoken on raw `ws` ("then": N
# waits for N replies), and what the server answers to each.
cat >raw-ping.json <<\END
{"raw":[{"type":"connection_init"},{"then":1},{"type":"ping"},{"then":1},
 {"id":"1","type":"subscribe","payload":{"query":"subscription { stream(topic: \"news\", from: 9) { seq } }"}},{"then":1},
 {"id":"1","type":"complete"},
 {"id":"1","type":"subscribe","payload":{"query":"subscription { stream(topic: \"news\", from: 8) { seq } }"}},{"then":2},
 {"id":"1","type":"subscribe","payload":{"query":"subscription { stream(topic: \"news\") { seq } }"}}]}
END
cat >raw-ping.expect <<\END
protocol graphql-transport-ws
{"type":"connection_ack"}
{"type":"pong"}
{"id":"1","type":"next","payload":{"data":{"stream":{"seq":9}}}}
{"id":"1","type":"next","payload":{"data":{"stream":{"seq":8}}}}
{"id":"1","type":"next","payload":{"data":{"stream":{"seq":9}}}}
close 4409 Subscriber for 1 already exists
END
echo '{"raw":[{"id":"1","type":"subscribe","payload":{"query":"subscription { stream(topic: \"news\") { seq } }"}}]}' >raw-early.json
echo '{"raw":[{"type":"connection_init"},{"then":1},{"type":"connection_init"}]}' >raw-init2.json
echo '{"raw":[{"type":"connection_init"},{"then":1},{"type":"start","id":"1"}]}' >raw-bad.json
echo '{"raw":[{"type":"connection_init"},{"then":1},{"binary":"{}"}]}' >raw-binary.json

test_expect_success 'graphql-transport-ws: ping, complete, and an id in use (4409)' '
	gql "$(cat raw-ping.json)" >out &&
	test_cmp raw-ping.expect out
'

test_expect_success 'graphql-transport-ws: the close codes 4401, 4429 and 4400' '
	gql "$(cat raw-early.json)" >out &&
	printf "%s\n" "protocol graphql-transport-ws" "close 4401 Unauthorized" >expect &&
	test_cmp expect out &&
	gql "$(cat raw-init2.json)" >out &&
	tail -1 out >got && echo "close 4429 Too many initialisation requests" >expect &&
	test_cmp expect got &&
	gql "$(cat raw-bad.json)" >out &&
	tail -1 out >got && echo "close 4400 unknown message type .start." >expect &&
	grep -x -f expect got &&
	gql "$(cat raw-binary.json)" >out &&
	tail -1 out >got && echo "close 4400 expected JSON text frames, not binary" >expect &&
	test_cmp expect got &&
	test "$(metric "relay_ws_clients{protocol=\"graphql\"}")" = 0
'

test_expect_success 'graphql-ws: tokens in connection_init' '
	test_stop $RELAY_PID &&
	echo "s3cret-for-tests" >secret &&
	start_relay --jwt-secret-file secret --topics-claim topics file:d/news,other &&
	tok=$("$PYTHON" "$SLUICE_ROOT/tests/cli/jwt-mint.py" HS256 \
		"{\"exp\":\"+300\",\"topics\":[\"news\"]}" --secret-file secret) &&
	s=$(sub a 1 "subscription { stream(topic: %news%, from: 9) { seq } }") &&
	gql "{\"init\":{\"token\":\"$tok\"},\"subs\":[$s]}" >out &&
	echo "a next {\"data\":{\"stream\":{\"seq\":9}}}" >expect && head -1 out >got &&
	test_cmp expect got &&
	gql "{\"init\":{\"Authorization\":\"Bearer $tok\"},\"subs\":[$s]}" >out &&
	head -1 out >got && test_cmp expect got &&
	o=$(sub o 0 "subscription { stream(topic: %other%) { seq } }") &&
	gql "{\"init\":{\"token\":\"$tok\"},\"subs\":[$o]}" >out &&
	grep -x "o error \[{\"message\":\"topic .other. not permitted by the token\",\"extensions\":{\"code\":\"FORBIDDEN\"}}\]" out &&
	test_expect_code 5 gql "{\"init\":{\"token\":\"${tok}x\"},\"subs\":[$s]}" >out &&
	grep "^close 4403 Forbidden: " out &&
	test_expect_code 5 gql "{\"subs\":[$s]}" >out &&
	grep -x "close 4403 Forbidden: token required (connection_init payload {\"token\":...})" out &&
	test "$(metric relay_ws_auth_failures_total)" = 3 &&
	test_stop $RELAY_PID
'

test_done
