#!/usr/bin/env bash
# relay-ws's live page (/) in headless Chromium (Debian's chromium, driven
# by npm playwright-core; scripts/setup installs both): the page subscribes
# to a topic through its form, shows the live messages as they arrive and
# draws the rate chart. The screenshot is kept as a test artifact under the
# build directory (its path is printed).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws
test_require_cmd node
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || test_skip_all_ "$CHROMIUM is missing (scripts/setup installs chromium)"
NODE_PATH=$SLUICE_ROOT/build-node/node_modules
[ -f "$NODE_PATH/playwright-core/package.json" ] ||
	test_skip_all_ "node playwright-core is missing (scripts/setup installs it)"
export NODE_PATH CHROMIUM
export BROWSER_TIMEOUT_MS=$((30000 * TEST_SCALE))
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

# Kept after the run (the test directory is removed when all pass).
ARTIFACTS=$(cd "$SLUICE_BIN/.." && pwd)/test-artifacts/$TEST_NAME
mkdir -p "$ARTIFACTS" && rm -f "$ARTIFACTS/live-page.png"
SHOT=$ARTIFACTS/live-page.png

# A steady feed on stdin: line i is {"i":i}, 20 a second, until killed.
feed() {
	local i=0
	while :; do
		echo "{\"i\":$i}" || return 0
		i=$((i + 1))
		sleep 0.05
	done
}

test_expect_success 'setup: a relay fed a line every 50 ms on topic ticks' '
	mkfifo in &&
	{ feed >in & } &&
	test_track_pid $! &&
	start_relay --topic ticks - <in
'

test_expect_success 'Chromium: subscribe through the page, live messages shown, chart drawn' '
	node "$SLUICE_ROOT/tests/cli/relay-ws-browser.js" "$RELAY_HTTP/" ticks "$SHOT" >out &&
	cat out &&
	grep -x "subscribed ticks" out &&
	grep -x "status connected" out &&
	n=$(sed -n "s/^messages //p" out) && test "$n" -ge 5 &&
	grep "^first {\"topic\":\"ticks\",\"shard\":0,\"seq\":[0-9]*,\"ts\":\"[^\"]*\",\"key\":null,\"value\":{\"i\":[0-9]*}}$" out &&
	px=$(sed -n "s/^chart //p" out) && test "$px" -gt 0
'

test_expect_success 'the screenshot is a PNG' '
	test -s "$SHOT" &&
	head -c 8 "$SHOT" | od -An -tx1 | tr -d " \n" >magic &&
	echo 89504e470d0a1a0a >expect && echo >>magic && test_cmp expect magic
'

say_ "# screenshot kept: $SHOT"
test_done
