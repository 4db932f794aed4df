# shellcheck shell=bash
# kafka-lib.sh: helpers for the Kafka CLI tests (t2*-kafka*.sh), sourced
# after lib.sh. Starts build/bin/kafka_mock, a librdkafka mock cluster on
# loopback, and drives it through its control FIFO.

# start_kafka_mock DIR [kafka_mock OPTIONS...]: starts a mock cluster with
# its files in DIR; sets KAFKA (the bootstrap list) and KAFKA_CTL (the
# control FIFO). The cluster and the process holding the FIFO open are
# killed when the script ends.
start_kafka_mock() {
	local dir=$1
	shift
	mkdir -p "$dir" && rm -f "$dir/ctl" && mkfifo "$dir/ctl" || return 1
	kafka_mock "$@" <"$dir/ctl" >"$dir/out" 2>"$dir/err" &
	test_track_pid $!
	# Hold the FIFO open: the mock exits at the end of its stdin.
	sleep 100000 >"$dir/ctl" &
	test_track_pid $!
	KAFKA_CTL=$dir/ctl
	wait_for 10 "test -s '$dir/out'" || { cat "$dir/err" >&2; return 1; }
	KAFKA=$(head -n 1 "$dir/out")
	KAFKA_OUT=$dir/out
	test -n "$KAFKA"
}

# kafka_mock_cmd CMD: sends CMD ("down 1", "up 1", "missing TOPIC PARTITIONS",
# "create TOPIC"; see tests/helpers/kafka_mock.cpp) and waits for its answer.
kafka_mock_cmd() {
	echo "$*" >"$KAFKA_CTL" &&
	wait_for 10 "grep -q -e '^ok $*\$' -e '^error $*' '$KAFKA_OUT'" &&
	grep -q "^ok $*\$" "$KAFKA_OUT"
}
