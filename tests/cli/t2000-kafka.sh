#!/usr/bin/env bash
# Kafka backend over TCP against librdkafka's mock cluster (kafka_mock):
# a 100k round trip over 8 partitions, interop with kcat both ways, start
# positions, and bad input (unknown property, unreachable broker, empty
# topic name) with the exit codes of DESIGN.md section 5.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap kafka_mock
test_require_cmd kcat

test_expect_success 'the mock cluster starts' '
	start_kafka_mock mock --brokers 3 --topic rt:8 --topic interop:4 \
		--topic fromkcat:4 --topic part_a:8 --topic part_b:8 --topic pos:3 &&
	K=kafka://$KAFKA
'

test_expect_success 'round trip of 100k records over 8 partitions: same records, per-key order' '
	gen_ndjson 100000 >in &&
	flux --key-field user --stats - $K/rt <in 2>stats &&
	test_grep "100000" stats &&
	tap $K/rt --exit -F "%k %p %s\n" >out &&
	cut -d" " -f3- out | sort >got &&
	sort in >want &&
	test_cmp want got &&
	# Every key went to one partition, in the order it was produced.
	awk -F"[ :,]" "{ id = \$4 + 0; k = \$1
		if ((k in part) && part[k] != \$2) { print \"key \" k \" in two partitions\"; bad = 1 }
		if ((k in last) && last[k] >= id) { print \"key \" k \" out of order at \" id; bad = 1 }
		part[k] = \$2; last[k] = id } END { exit bad }" out &&
	cut -d" " -f2 out | sort -u | wc -l >nparts &&
	echo 8 >expect && test_cmp expect nparts
'

test_expect_success 'kcat reads what flux produced: keys and headers' '
	printf "k1:v1\nk2:v2\nk3:v3\n" >in &&
	flux --key-delimiter : -H trace=abc -H team=ops -- - $K/interop <in &&
	kcat -b "$KAFKA" -C -t interop -e -q -f "%k|%h|%s\n" | sort >got &&
	printf "%s\n" "k1|trace=abc,team=ops|v1" "k2|trace=abc,team=ops|v2" \
		"k3|trace=abc,team=ops|v3" >want &&
	test_cmp want got
'

test_expect_success 'tap reads what kcat produced: keys and headers' '
	printf "a:1\nb:2\nc:3\n" >in &&
	kcat -b "$KAFKA" -P -t fromkcat -K: -H src=kcat -l in &&
	tap $K/fromkcat --exit -F "%k|%h|%s\n" | sort >got &&
	printf "%s\n" "a|src=kcat|1" "b|src=kcat|2" "c|src=kcat|3" >want &&
	test_cmp want got
'

test_expect_success 'keys land on the partitions the Java client (murmur2) picks' '
	seq 1 200 | sed "s/.*/key&:x/" >in &&
	flux --key-delimiter : - $K/part_a <in &&
	kcat -b "$KAFKA" -P -t part_b -K: -X partitioner=murmur2_random -l in &&
	tap $K/part_a --exit -F "%k %p\n" | sort >a &&
	tap $K/part_b --exit -F "%k %p\n" | sort >b &&
	test_line_count = 200 a &&
	test_cmp a b
'

test_expect_success 'start positions: -N per partition, SEQ, end, several topics' '
	seq 1 30 | sed "s/.*/k&:&/" | flux --key-delimiter : - $K/pos &&
	tap $K/pos --exit --from -2 >last2 &&
	test_line_count = 6 last2 &&
	tap $K/pos --exit --from end >none &&
	test_line_count = 0 none &&
	tap $K/pos --exit --from 100000 >none2 &&
	test_line_count = 0 none2 &&
	tap $K/pos,interop --exit >both &&
	test_line_count = 33 both &&
	tap $K/pos --exit --count 5 >five &&
	test_line_count = 5 five
'

test_expect_success '@TIME works or falls back to the end with a warning (the mock cannot look up by time)' '
	tap $K/pos --exit --from @1h >t.out 2>t.err &&
	{ test_line_count = 30 t.out ||
	  { test_line_count = 0 t.out && test_grep "start at their end" t.err; }; }
'

test_expect_success 'envelope output carries partition, offset, timestamp, headers' '
	tap $K/interop --exit --format envelope >env &&
	test_line_count = 3 env &&
	test_grep "\"stream\":\"interop\"" env &&
	test_grep "\"headers\":{\"trace\":\"abc\"" env
'

test_expect_success 'unknown librdkafka property: exit 78, names the property' '
	echo x >in &&
	test_expect_code 78 flux - "$K/rt?no.such.property=1" <in 2>err &&
	test_grep "unknown kafka property .no.such.property." err &&
	test_expect_code 78 tap "$K/rt?fetch.wait.max.ms=banana" --exit 2>err2 &&
	test_grep "fetch.wait.max.ms" err2
'

test_expect_success 'unreachable broker: exit 69 at once with a clear message' '
	port=$(free_port) &&
	echo x >in &&
	start=$SECONDS &&
	test_expect_code 69 flux --timeout 5s - kafka://127.0.0.1:$port/t <in 2>err &&
	test_grep "cannot reach kafka broker .127.0.0.1:$port.*(is it running?)" err &&
	test_expect_code 69 tap --timeout 5s kafka://127.0.0.1:$port/t --exit 2>err2 &&
	test_grep "cannot reach kafka broker" err2 &&
	test $((SECONDS - start)) -lt 10
'

test_expect_success 'unresolvable broker name: exit 69' '
	echo x >in &&
	test_expect_code 69 flux --timeout 5s - kafka://no-such-host.invalid:9092/t <in 2>err &&
	test_grep "cannot reach kafka broker .no-such-host.invalid:9092." err
'

test_expect_success 'empty topic name in a list: exit 64' '
	echo x >in &&
	test_expect_code 64 flux - "$K/rt,,pos" <in 2>err &&
	test_grep "empty stream name" err &&
	test_expect_code 64 tap "$K/rt," --exit 2>err2 &&
	test -s err2
'

test_expect_success 'passwords from the environment are never printed; a refused login is exit 77' '
	echo x >in &&
	SLUICE_KAFKA_SASL_PASSWORD=hunter2 SLUICE_KAFKA_SASL_USERNAME=bob \
		test_expect_code 77 flux --timeout 5s - \
		"$K/rt?security.protocol=sasl_plaintext&sasl.mechanism=PLAIN&debug=security" \
		<in 2>err &&
	test_grep "SASL" err &&
	test_grep "refused the login" err &&
	! grep hunter2 err &&
	SLUICE_KAFKA_SASL_PASSWORD=hunter2 SLUICE_KAFKA_SASL_USERNAME=bob \
		test_expect_code 77 tap --timeout 5s --exit \
		"$K/rt?security.protocol=sasl_plaintext&sasl.mechanism=PLAIN" 2>err3 &&
	test_grep "refused the login" err3 &&
	! grep hunter2 err3 &&
	test_must_fail flux - "$K/rt?sasl.password=hunter3&acks=zz" <in 2>err2 &&
	! grep hunter3 err2
'

test_done
