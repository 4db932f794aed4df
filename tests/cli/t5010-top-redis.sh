#!/usr/bin/env bash
# top over a real redis-server: lag, lag in time and age from entry ids
# (entries written a minute in the past), members with pending and idle
# time, rates under steady known traffic (entries-added), consume rate and
# ETA, STOP, STALL and REWIND provoked on purpose, and exit 69 when the
# server is not there.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
. "$SLUICE_ROOT/tests/cli/top-lib.sh"
test_require_bin flux tap top
test_require_cmd redis-server redis-cli

test_expect_success 'redis-server starts' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT &&
	R="redis-cli -p $REDIS_PORT"
'

test_expect_success 'a minute-old backlog: lag, lag in time, age, members; idle for the window is STOP' '
	ms0=$(( $(date +%s%3N) - 60000 )) &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		$R xadd old $ms0-$i v $i >/dev/null || return 1
	done &&
	$R xgroup create old g 0 &&
	$R xreadgroup group g c1 count 4 streams old ">" >/dev/null &&
	sleep 0.2 &&
	test_expect_code 1 top --once --json -i 300ms --fail-on stop $U >out &&
	jcheck out "stream(\"old\")[\"messages\"] == 10 and stream(\"old\")[\"shards\"] == 1" &&
	jcheck out "59.5 <= stream(\"old\")[\"age_s\"] <= 63 and stream(\"old\")[\"msgs_per_s\"] == 0" &&
	jcheck out "stream(\"old\")[\"bytes\"] is None and stream(\"old\")[\"bytes_per_s\"] is None" &&
	# 6 undelivered + 4 delivered, not acknowledged.
	jcheck out "group(\"old\", \"g\")[\"lag\"] == 10" &&
	jcheck out "59.5 <= group(\"old\", \"g\")[\"lag_s\"] <= 63" &&
	jcheck out "[(m[\"name\"], m[\"pending\"]) for m in group(\"old\", \"g\")[\"members\"]] == [(\"c1\", 4)]" &&
	jcheck out "group(\"old\", \"g\")[\"members\"][0][\"idle_s\"] >= 0.5" &&
	jcheck out "group(\"old\", \"g\")[\"status\"] == \"STOP\" and d[\"totals\"][\"STOP\"] == 1" &&
	top --once -i 200ms $U/old >table &&
	test_grep "^  group g  *lag  *10 .*STOP" table &&
	test_grep "^    member c1  pending 4  idle " table
'

test_expect_success 'a consumer that reads but never moves is STALL' '
	$R xadd st "*" v 1 >/dev/null && $R xadd st "*" v 2 >/dev/null && $R xadd st "*" v 3 >/dev/null &&
	$R xgroup create st g2 0 &&
	$R xreadgroup group g2 c2 count 1 streams st ">" >/dev/null &&
	{ while :; do $R xreadgroup group g2 c2 count 1 streams st 0 >/dev/null || break; sleep 0.05; done & } &&
	reader=$! &&
	test_when_finished "kill $reader" &&
	top --once --json -i 500ms $U >out &&
	jcheck out "group(\"st\", \"g2\")[\"lag\"] == 3 and group(\"st\", \"g2\")[\"status\"] == \"STALL\"" &&
	jcheck out "group(\"st\", \"g2\")[\"members\"][0][\"idle_s\"] < 0.5" &&
	test_expect_code 1 top --once --json -i 300ms --fail-on stall $U >/dev/null
'

test_expect_success 'steady traffic: msgs/s from entries-added, age' '
	{ steady 20 0.1 | flux - $U/busy & } &&
	test_track_pid $! &&
	wait_for "test \"\$($R exists busy)\" = 1" &&
	top --once --json -i 1s $U/busy >out &&
	jcheck out "[s[\"name\"] for s in d[\"streams\"]] == [\"busy\"]" &&
	jcheck out "140 <= stream(\"busy\")[\"msgs_per_s\"] <= 260 and stream(\"busy\")[\"age_s\"] < 1"
'

test_expect_success 'a consumer draining a quiet stream: consume rate and ETA' '
	gen_ndjson 4000 | flux - $U/drain &&
	{ while :; do tap $U/drain --group d --consumer w --count 50 >/dev/null || break; sleep 0.05; done & } &&
	drainer=$! &&
	test_when_finished "kill $drainer" &&
	wait_for "$R xinfo groups drain 2>/dev/null | grep -qx d" &&
	top -c 2 --json -i 700ms $U/drain >out &&
	jcheck out "group(\"drain\", \"d\")[\"consume_per_s\"] > 50 and group(\"drain\", \"d\")[\"status\"] == \"OK\"" &&
	jcheck out "abs(group(\"drain\", \"d\")[\"eta_s\"] * group(\"drain\", \"d\")[\"consume_per_s\"] - group(\"drain\", \"d\")[\"lag\"]) < 0.01 * group(\"drain\", \"d\")[\"lag\"] + 1"
'

test_expect_success 'XGROUP SETID back between samples is REWIND' '
	for i in 1 2 3 4 5 6 7 8 9 10; do $R xadd rw "*" v $i >/dev/null || return 1; done &&
	$R xgroup create rw r 0 &&
	$R xreadgroup group r c count 8 streams rw ">" >/dev/null &&
	rm -f out rc || return 1
	{ top -c 3 --json -i 500ms --fail-on warn $U/rw >out; echo $? >rc; } &
	wait_for "test -s out" &&
	$R xgroup setid rw r 0 &&
	wait_for 10 "test -s rc" &&
	echo 1 >expect && test_cmp expect rc &&
	jcheck out "group(\"rw\", \"r\")[\"status\"] == \"REWIND\""
'

test_expect_success 'no server: --once exits 69 and says so' '
	port=$(free_port) &&
	test_expect_code 69 top --once redis://127.0.0.1:$port 2>err &&
	test_grep "cannot reach redis" err &&
	test_expect_code 69 top --once --json redis://127.0.0.1:$port 2>err >out &&
	test_line_count = 0 out
'

test_done
