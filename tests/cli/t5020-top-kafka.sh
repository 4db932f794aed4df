#!/usr/bin/env bash
# top over librdkafka's mock cluster: partitions, seqs, lag per partition
# and lag in time of a group named with --group (the mock cannot list
# groups), the age of the latest message, rates and age under steady known
# traffic, consume rate and ETA of a
# draining consumer, STALL, REWIND (a reset through kafka_mock's commit
# command), and exit 69 when no broker answers.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
. "$SLUICE_ROOT/tests/cli/top-lib.sh"
test_require_bin flux tap top kafka_mock

test_expect_success 'the mock cluster starts' '
	start_kafka_mock mock --topic orders:4 --topic busy:2 --topic drain:1 --topic rw:1 &&
	K=kafka://$KAFKA
'

test_expect_success 'known contents: partitions, seqs, lag, lag in time; a still group is STALL' '
	t0=$(date +%s.%N) &&
	seq 1 1000 | sed "s/.*/k&:&/" | flux --key-delimiter : - $K/orders &&
	t1=$(date +%s.%N) &&
	tap $K/orders --group g --count 400 >/dev/null &&
	test_expect_code 1 top --once --json -i 300ms --group g --fail-on stall $K/orders >out 2>err &&
	jcheck out "stream(\"orders\")[\"shards\"] == 4 and stream(\"orders\")[\"messages\"] == 1000" &&
	jcheck out "stream(\"orders\")[\"msgs_per_s\"] == 0" &&
	jcheck out "group(\"orders\", \"g\")[\"lag\"] == 600 and sum(group(\"orders\", \"g\")[\"shard_lag\"]) == 600" &&
	jcheck out "len(group(\"orders\", \"g\")[\"committed\"]) == 4" &&
	jcheck out "group(\"orders\", \"g\")[\"status\"] == \"STALL\" and group(\"orders\", \"g\")[\"eta_s\"] is None" &&
	# last_seq is the highest partition end; each partition holds its share.
	"$PYTHON" -c "import json, sys, datetime
d = json.load(open(\"out\"))
s = d[\"streams\"][0]
g = s[\"groups\"][0]
ts = datetime.datetime.fromisoformat(d[\"ts\"].replace(\"Z\", \"+00:00\")).timestamp()
lo, hi = ts - $t1 - 0.05, ts - $t0 + 0.05
print(lo, g[\"lag_s\"], s[\"age_s\"], hi)
# Both the oldest unconsumed and the latest message were written in [t0, t1].
ok = all(v is not None and lo <= v <= hi for v in (g[\"lag_s\"], s[\"age_s\"]))
sys.exit(0 if ok else 1)" &&
	test_grep "only the groups named are shown" err
'

test_expect_success 'without --group the mock shows no groups and says why' '
	top --once --json -i 200ms $K/orders >out 2>err &&
	jcheck out "stream(\"orders\")[\"groups\"] == []" &&
	test_grep "cannot list consumer groups" err
'

test_expect_success 'steady traffic: msgs/s from the watermarks' '
	{ steady 20 0.1 | flux - $K/busy & } &&
	test_track_pid $! &&
	wait_for 20 "top --once --json -i 100ms $K/busy 2>/dev/null | grep -q \"last_seq\\\":[0-9]\"" &&
	top --once --json -i 1s $K/busy >out &&
	jcheck out "140 <= stream(\"busy\")[\"msgs_per_s\"] <= 260 and stream(\"busy\")[\"shards\"] == 2" &&
	jcheck out "stream(\"busy\")[\"age_s\"] is not None and stream(\"busy\")[\"age_s\"] < 1"
'

test_expect_success 'a consumer draining a quiet topic: consume rate and ETA' '
	# 100-byte records, so that the pipe holds few and tap keeps pace with
	# the slow reader (4,000 a second: 10 s); tap commits after each batch
	# of 4,096 the reader took, about every second.
	"$PYTHON" -c "print(\"\n\".join(\"%06d\" % i + \"x\" * 94 for i in range(40000)))" |
		flux - $K/drain &&
	mkfifo slow &&
	{ tap $K/drain --group d >slow & } &&
	tapper=$! &&
	test_when_finished "kill $tapper" &&
	{ "$PYTHON" -c "import sys, time
for i, l in enumerate(sys.stdin):
    if i % 40 == 0: time.sleep(0.01)" <slow & } &&
	wait_for 20 "top --once --json -i 100ms --group d $K/drain 2>/dev/null | grep -q \"name\\\":\\\"d\\\"\"" &&
	# Three samples over 3 s see tap commit more than once.
	top -c 2 --json -i 1500ms --group d $K/drain >out 2>/dev/null &&
	jcheck out "group(\"drain\", \"d\")[\"consume_per_s\"] > 50 and group(\"drain\", \"d\")[\"status\"] == \"OK\"" &&
	jcheck out "abs(group(\"drain\", \"d\")[\"eta_s\"] * group(\"drain\", \"d\")[\"consume_per_s\"] - group(\"drain\", \"d\")[\"lag\"]) < 0.01 * group(\"drain\", \"d\")[\"lag\"] + 1"
'

test_expect_success 'a group reset back between samples is REWIND' '
	seq 1 100 | flux - $K/rw &&
	kafka_mock_cmd commit r rw 0 80 &&
	rm -f out rc || return 1
	{ top -c 8 --json -i 500ms --group r --fail-on warn $K/rw >out 2>/dev/null; echo $? >rc; } &
	wait_for 20 "test -s out" &&
	kafka_mock_cmd commit r rw 0 20 &&
	wait_for 20 "test -s rc" &&
	echo 1 >expect && test_cmp expect rc &&
	jcheck out "group(\"rw\", \"r\")[\"status\"] == \"REWIND\" and group(\"rw\", \"r\")[\"committed\"] == [20]" &&
	jcheck out "group(\"rw\", \"r\")[\"lag\"] == 80"
'

test_expect_success 'no broker: --once exits 69 and says so' '
	port=$(free_port) &&
	test_expect_code 69 top --once kafka://127.0.0.1:$port 2>err &&
	test_grep "cannot reach kafka" err
'

test_done
