#!/usr/bin/env bash
# top over a file: cluster: exact seqs, lag and lag in time against known
# contents, rates and ETA under steady known traffic, each Burrow status
# provoked on purpose (STOP, STALL, WARN, REWIND, OK) with --fail-on's exit
# codes, the text table, --graph and -c N.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/top-lib.sh"
test_require_bin flux tap top

test_expect_success 'seqs, lag and lag in time of known contents' '
	t0=$(date +%s.%N) &&
	gen_ndjson 1000 | flux - file:c/orders &&
	t1=$(date +%s.%N) &&
	tap file:c/orders --group g1 --count 400 >/dev/null &&
	tap file:c/orders --group done --exit >/dev/null &&
	top --once --json -i 300ms file:c >out &&
	test_line_count = 1 out &&
	jcheck out "stream(\"orders\")[\"last_seq\"] == 999 and stream(\"orders\")[\"messages\"] == 1000" &&
	jcheck out "stream(\"orders\")[\"shards\"] == 1 and stream(\"orders\")[\"msgs_per_s\"] == 0" &&
	jcheck out "group(\"orders\", \"g1\")[\"lag\"] == 600 and group(\"orders\", \"g1\")[\"committed\"] == [400]" &&
	jcheck out "group(\"orders\", \"done\")[\"lag\"] == 0 and group(\"orders\", \"done\")[\"eta_s\"] == 0" &&
	jcheck out "group(\"orders\", \"done\")[\"lag_s\"] == 0 and group(\"orders\", \"done\")[\"status\"] == \"OK\"" &&
	jcheck out "d[\"totals\"][\"lag\"] == 600 and d[\"totals\"][\"groups\"] == 2" &&
	# Record 400 was written between t0 and t1: its age is the lag in time.
	"$PYTHON" -c "import json, sys, datetime
d = json.load(open(\"out\"))
ts = datetime.datetime.fromisoformat(d[\"ts\"].replace(\"Z\", \"+00:00\")).timestamp()
g = [g for g in d[\"streams\"][0][\"groups\"] if g[\"name\"] == \"g1\"][0]
lo, hi = ts - $t1 - 0.01, ts - $t0 + 0.01
print(lo, g[\"lag_s\"], hi)
sys.exit(0 if lo <= g[\"lag_s\"] <= hi else 1)"
'

test_expect_success 'a group with lag, no live member and no commit in the window is STOP' '
	jcheck out "group(\"orders\", \"g1\")[\"status\"] == \"STOP\"" &&
	jcheck out "group(\"orders\", \"g1\")[\"consume_per_s\"] == 0 and group(\"orders\", \"g1\")[\"eta_s\"] is None" &&
	jcheck out "d[\"totals\"][\"STOP\"] == 1 and d[\"totals\"][\"OK\"] == 1" &&
	test_expect_code 1 top --once --json -i 200ms --fail-on stop file:c >/dev/null &&
	test_expect_code 1 top --once --json -i 200ms --fail-on stall file:c >/dev/null
'

test_expect_success 'no group at or past --fail-on: exit 0' '
	gen_ndjson 50 | flux - file:calm/s &&
	tap file:calm/s --group read --exit >/dev/null &&
	top --once --json -i 200ms --fail-on warn file:calm >out &&
	jcheck out "group(\"s\", \"read\")[\"status\"] == \"OK\" and d[\"totals\"][\"groups\"] == 1" &&
	top --once --json -i 200ms --fail-on stop file:calm >/dev/null
'

test_expect_success 'a live member that does not move (its output not read) is STALL' '
	gen_ndjson 100000 | flux - file:c/stuck &&
	tap file:c/stuck --group gs --count 5 >/dev/null &&
	mkfifo stuck_pipe &&
	{ tap file:c/stuck --group gs >stuck_pipe & } &&
	tpid=$! &&
	{ { head -c 1000 >/dev/null; exec sleep 1000; } <stuck_pipe & } &&
	rpid=$! &&
	test_track_pid $tpid $rpid &&
	wait_for "ls c/stuck/groups/.gs.members | grep -q ^m-" &&
	top --once --json -i 300ms file:c >out &&
	jcheck out "group(\"stuck\", \"gs\")[\"status\"] == \"STALL\" and len(group(\"stuck\", \"gs\")[\"members\"]) == 1" &&
	test_expect_code 1 top --once --json -i 200ms --fail-on stall file:c >/dev/null &&
	{ test_stop $rpid KILL; test_stop $tpid; : ; } &&
	rm -rf c/stuck
'

test_expect_success 'steady traffic: msgs/s, bytes/s and age' '
	{ steady 20 0.1 | flux - file:c/busy & } &&
	test_track_pid $! &&
	wait_for "test -f c/busy/meta" &&
	top --once --json -i 1s file:c >out &&
	jcheck out "140 <= stream(\"busy\")[\"msgs_per_s\"] <= 260" &&
	jcheck out "stream(\"busy\")[\"bytes_per_s\"] > 140 * 9" &&
	jcheck out "stream(\"busy\")[\"age_s\"] < 1" &&
	jcheck out "stream(\"orders\")[\"msgs_per_s\"] == 0"
'

test_expect_success 'a consumer draining a quiet stream: consume rate and ETA' '
	gen_ndjson 5000 | flux - file:c/drain &&
	{ while :; do tap file:c/drain --group g --count 50 >/dev/null || break; sleep 0.05; done & } &&
	drainer=$! &&
	test_when_finished "kill $drainer" &&
	wait_for "test -f c/drain/groups/g" &&
	top -c 2 --json -i 700ms file:c/ >out &&
	test_line_count = 2 out &&
	jcheck out "group(\"drain\", \"g\")[\"consume_per_s\"] > 50" &&
	jcheck out "group(\"drain\", \"g\")[\"status\"] == \"OK\"" &&
	# No traffic: the ETA is the lag over the consume rate.
	jcheck out "abs(group(\"drain\", \"g\")[\"eta_s\"] * group(\"drain\", \"g\")[\"consume_per_s\"] - group(\"drain\", \"g\")[\"lag\"]) < 0.01 * group(\"drain\", \"g\")[\"lag\"] + 1"
'

test_expect_success 'a consumer slower than its producer: lag never falls, WARN' '
	{ steady 20 0.1 | flux - file:c/hot & } &&
	test_track_pid $! &&
	wait_for "test -f c/hot/meta" &&
	{ while :; do tap file:c/hot --group slow --count 5 >/dev/null || break; sleep 0.1; done & } &&
	slow=$! &&
	test_when_finished "kill $slow" &&
	wait_for "test -f c/hot/groups/slow" &&
	test_expect_code 1 top -c 2 --json -i 600ms --window 3 --fail-on warn file:c >out &&
	jcheck out "group(\"hot\", \"slow\")[\"status\"] == \"WARN\"" &&
	jcheck out "0 < group(\"hot\", \"slow\")[\"consume_per_s\"] < stream(\"hot\")[\"msgs_per_s\"]" &&
	jcheck out "group(\"hot\", \"slow\")[\"eta_s\"] is None"
'

test_expect_success 'a group moved back between samples is REWIND' '
	tap file:c/orders --group back --count 300 >/dev/null &&
	rm -f out rc || return 1
	{ top -c 3 --json -i 500ms --fail-on warn file:c >out; echo $? >rc; } &
	wait_for "test -s out" &&
	echo 100 >c/orders/groups/back &&
	wait_for 10 "test -s rc" &&
	echo 1 >expect && test_cmp expect rc &&
	test_line_count = 3 out &&
	jcheck out "group(\"orders\", \"back\")[\"status\"] == \"REWIND\" and group(\"orders\", \"back\")[\"committed\"] == [100]"
'

test_expect_success 'the text table and the graph' '
	top --once -i 200ms file:c >table &&
	test_grep "^orders  *1  *0  .* 999 " table &&
	test_grep "^  group g1  *lag  *600 .*STOP" table &&
	test_grep "STOP [1-9]" table &&
	top --once --graph -i 200ms file:c >graph &&
	test_grep "^|-- drain" graph &&
	test_grep "^|   \`-> g  lag" graph &&
	test_grep "g1  lag 600  STOP" graph
'

test_expect_success 'bad input: usage errors exit 64, a missing directory 66' '
	test_expect_code 64 top --once --fail-on sometimes file:c 2>err &&
	test_grep "fail-on" err &&
	test_expect_code 64 top --window 1 --once file:c 2>err &&
	test_expect_code 64 top -c 0 file:c 2>err &&
	test_expect_code 64 top --interval 0 --once file:c 2>err &&
	test_expect_code 66 top --once file:nowhere 2>err &&
	test_grep "nowhere" err
'

test_done
