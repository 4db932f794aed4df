#!/usr/bin/env bash
# A missing Kafka topic behaves as a missing stream on every backend (issue
# 9, point 3): with --exit, exit 66 and "stream 'x' does not exist"; when
# following (alone or in a group), one line on stderr that tap waits for it,
# the other topics of the URI read meanwhile, and the topic read once it is
# created. The mock creates any topic a client asks about, so kafka_mock's
# "missing" command hides one (Metadata answers UNKNOWN_TOPIC_OR_PART) until
# "create" shows it.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap kafka_mock
test_require_cmd kcat

# Short sessions so that a group settles in seconds.
Q="session.timeout.ms=6000&heartbeat.interval.ms=500"

test_expect_success 'the mock cluster starts, with topics hidden from clients' '
	start_kafka_mock mock --topic here:2 &&
	K=kafka://$KAFKA &&
	kafka_mock_cmd missing nosuch 1 &&
	kafka_mock_cmd missing later 2 &&
	kafka_mock_cmd missing lateend 2 &&
	kafka_mock_cmd missing glater 2 &&
	kafka_mock_cmd missing both 1
'

test_expect_success 'kafka_mock: a missing topic is unknown to a client until created' '
	kcat -b "$KAFKA" -L -t nosuch >md 2>&1 &&
	test_grep "Unknown topic or partition" md &&
	kafka_mock_cmd missing shown 3 &&
	kcat -b "$KAFKA" -L -t shown >md 2>&1 &&
	test_grep "Unknown topic or partition" md &&
	kafka_mock_cmd create shown &&
	kcat -b "$KAFKA" -L -t shown >md 2>&1 &&
	test_grep "topic \"shown\" with 3 partitions" md &&
	! grep "Unknown topic" md
'

test_expect_success 'kafka: a missing topic with --exit: exit 66, "stream does not exist"' '
	test_expect_code 66 tap --exit $K/nosuch >out 2>err &&
	test_grep "stream .nosuch. does not exist on kafka .* (create the topic first)" err &&
	test_line_count = 0 out &&
	test_expect_code 66 tap --exit --group g0 "$K/nosuch?$Q" >out 2>err &&
	test_grep "stream .nosuch. does not exist on kafka" err &&
	test_line_count = 0 out
'

test_expect_success 'kafka: following a missing topic says once that it waits, then reads it' '
	tap --count 2 $K/later >out 2>err &
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q \"stream .later. does not exist.*waiting for it to be created\" err" &&
	kafka_mock_cmd create later &&
	printf "a\nb\n" | flux - $K/later &&
	wait_for 30 "test \$(wc -l <out) -ge 2" &&
	wait $pid &&
	printf "a\nb\n" >expect &&
	sort out >got &&
	test_cmp expect got &&
	test_line_count = 1 err
'

test_expect_success 'kafka: --from end on a topic created later reads all it holds' '
	# Everything in a topic created after tap started was written after
	# that start, whenever tap noticed the topic.
	tap --from end --count 2 $K/lateend >out 2>err &
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q \"stream .lateend. does not exist.*waiting\" err" &&
	kafka_mock_cmd create lateend &&
	printf "a\nb\n" | flux - $K/lateend &&
	wait_for 30 "test \$(wc -l <out) -ge 2" &&
	wait $pid &&
	printf "a\nb\n" >expect &&
	sort out >got &&
	test_cmp expect got &&
	test_line_count = 1 err
'

test_expect_success 'kafka: a group member waits for a missing topic, then reads and commits it' '
	tap --count 2 --group g1 "$K/glater?$Q" >out 2>err &
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q \"stream .glater. does not exist.*waiting for it to be created\" err" &&
	kafka_mock_cmd create glater &&
	printf "a\nb\n" | flux - $K/glater &&
	wait_for 30 "test \$(wc -l <out) -ge 2" &&
	wait $pid &&
	printf "a\nb\n" >expect &&
	sort out >got &&
	test_cmp expect got &&
	test_line_count = 1 err &&
	# What it read was committed: the group finds nothing new.
	tap --exit --group g1 "$K/glater?$Q" >again &&
	test_line_count = 0 again
'

test_expect_success 'kafka: a two-topic URI reads the topic that exists while the other is missing' '
	tap --count 3 $K/here,both >out 2>err &
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q \"stream .both. does not exist.*waiting\" err" &&
	printf "h1\nh2\n" | flux - $K/here &&
	wait_for 30 "test \$(wc -l <out) -ge 2" &&
	printf "h1\nh2\n" >expect &&
	sort out >got &&
	test_cmp expect got &&
	kafka_mock_cmd create both &&
	echo b1 | flux - $K/both &&
	wait_for 30 "test \$(wc -l <out) -ge 3" &&
	wait $pid &&
	printf "b1\nh1\nh2\n" >expect &&
	sort out >got &&
	test_cmp expect got &&
	test_line_count = 1 err
'

test_done
