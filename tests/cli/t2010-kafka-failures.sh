#!/usr/bin/env bash
# Kafka consumer groups and failures against librdkafka's mock cluster:
# --group with --exit, resume after tap is killed with SIGKILL (nothing
# missing), and a broker taken down mid-produce then brought back (flux
# retries and loses nothing).
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap kafka_mock

# Short sessions: a killed member leaves the group in seconds, not 45 s.
Q="session.timeout.ms=6000&heartbeat.interval.ms=500"

test_expect_success 'the mock cluster starts' '
	start_kafka_mock mock --brokers 3 --topic g:4 --topic kill:4 --topic down:6 &&
	K=kafka://$KAFKA
'

test_expect_success 'a group reads everything once, --exit stops at the end, a rerun finds nothing new' '
	gen_ndjson 1000 >in &&
	flux - $K/g <in &&
	tap "$K/g?$Q" --group grp1 --exit >out1 &&
	sort in >want && sort out1 >got && test_cmp want got &&
	tap "$K/g?$Q" --group grp1 --exit >out2 &&
	test_line_count = 0 out2 &&
	gen_ndjson 10 1001 | flux - $K/g &&
	tap "$K/g?$Q" --group grp1 --exit >out3 &&
	test_line_count = 10 out3
'

test_expect_success 'group resume across kill -9 of tap: no record missing' '
	tap "$K/kill?$Q" --group grp2 -F "%p %o\n" >run1 2>run1.err &
	tap_pid=$! &&
	gen_ndjson 20000 | flux - $K/kill &&
	wait_for 30 "test \$(wc -l <run1) -ge 20000" &&
	sleep 1 &&
	kill -9 $tap_pid && wait $tap_pid; \
	gen_ndjson 20000 20001 | flux - $K/kill &&
	tap "$K/kill?$Q" --group grp2 --exit -F "%p %o\n" >run2 2>run2.err &&
	cat run1 run2 | grep -E "^[0-9]+ [0-9]+\$" | sort -u >seen &&
	test_line_count = 40000 seen &&
	# It resumed from its commits rather than from the beginning.
	test $(wc -l <run2) -lt 30000
'

test_expect_success 'broker down mid-produce, then up: flux loses nothing' '
	gen_ndjson 30000 >part1 &&
	gen_ndjson 30000 30001 >part2 &&
	{ { cat part1; sleep 3; cat part2; } | flux --timeout 60s - $K/down 2>flux.err & } &&
	flux_pid=$! &&
	sleep 1 &&
	kafka_mock_cmd down 1 &&
	sleep 4 &&
	kafka_mock_cmd up 1 &&
	wait $flux_pid &&
	tap $K/down --exit >out &&
	cat part1 part2 | sort >want &&
	sort out >got &&
	test_cmp want got
'

test_expect_success 'flux exits 69 (or 75) when the brokers stay down past --timeout' '
	kafka_mock_cmd down 1 && kafka_mock_cmd down 2 && kafka_mock_cmd down 3 &&
	test_when_finished "kafka_mock_cmd up 1; kafka_mock_cmd up 2; kafka_mock_cmd up 3" &&
	gen_ndjson 100 >in &&
	code=0 && flux --timeout 3s - $K/down <in 2>err || code=$? &&
	{ test $code = 69 || test $code = 75; } &&
	test_grep -e "cannot reach kafka" -e "not yet acknowledged" err
'

test_expect_success 'tap --exit gives up with 69 when every broker goes away mid-stream' '
	# Broker 1 down first: its partitions never reach their end, so tap
	# cannot finish before the others go too.
	kafka_mock_cmd down 1 &&
	test_when_finished "kafka_mock_cmd up 1; kafka_mock_cmd up 2; kafka_mock_cmd up 3" &&
	{ tap --exit --timeout 3s $K/down >out 2>err & } &&
	tap_pid=$! &&
	wait_for 20 "test -s out" &&
	kafka_mock_cmd down 2 && kafka_mock_cmd down 3 &&
	wait_for 30 "! kill -0 $tap_pid 2>/dev/null || ps -o stat= -p $tap_pid | grep -q Z" &&
	code=0 && wait $tap_pid || code=$? &&
	test $code = 69 &&
	test_grep "cannot reach kafka" err
'

test_done
