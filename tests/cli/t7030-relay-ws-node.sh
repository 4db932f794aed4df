#!/usr/bin/env bash
# relay-ws with node's `ws` client (scripts/setup installs it under
# build-node/): subscribe, receive in order, unsubscribe, and resume with
# from after a disconnect without losing or repeating a message.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux tap
test_require_cmd node
NODE_PATH=$SLUICE_ROOT/build-node/node_modules
[ -f "$NODE_PATH/ws/package.json" ] || test_skip_all_ "node ws is missing (scripts/setup installs it)"
export NODE_PATH
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

# node_client SUBSCRIBE_JSON N
node_client() {
	node "$SLUICE_ROOT/tests/cli/relay-ws-node-client.js" "$RELAY_URL" "$1" "$2"
}

gen_ndjson 10 | flux file:d/news

test_expect_success 'node ws: from beginning in order, then unsubscribed' '
	start_relay file:d/news &&
	node_client "{\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"beginning\"}" 6 >first &&
	head -1 first >ack && echo "{\"type\":\"subscribed\",\"topics\":[\"news\"]}" >expect &&
	test_cmp expect ack &&
	tail -1 first >ack && echo "{\"type\":\"unsubscribed\",\"topics\":[\"news\"]}" >expect &&
	test_cmp expect ack &&
	values first >got && n=$(wc -l <got) && test "$n" -ge 6 &&
	gen_ndjson 10 | head -n "$n" >expect && test_cmp expect got
'

test_expect_success 'node ws: resume from the next seq after a disconnect' '
	last=$(grep "^{\"topic\"" first | tail -1 | sed "s/.*\"seq\":\([0-9]*\).*/\1/") &&
	gen_ndjson 5 11 | flux file:d/news &&
	tap --exit file:d/news >all &&
	node_client "{\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":$((last + 1))}" \
		$(($(wc -l <all) - $(values first | wc -l))) >second &&
	{ values first && values second; } >got &&
	test_cmp all got
'

test_done
