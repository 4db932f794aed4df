#!/usr/bin/env bash
# Redis Streams backend: round trips (text, binary, envelopes), start
# positions, several streams, trimming, TLS, and bad input (wrong password,
# unreachable server, a key that is not a stream). Starts its own
# redis-server on a free loopback port in the test directory.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli openssl


test_expect_success 'redis-server starts' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT
'

test_expect_success 'round trip of 100k records' '
	gen_ndjson 100000 >in &&
	flux - $U/rt <in &&
	tap $U/rt --exit >out &&
	test_cmp in out &&
	echo 100000 >expect &&
	redis-cli -p $REDIS_PORT xlen rt >actual &&
	test_cmp expect actual
'

test_expect_success 'binary payloads round trip with --null framing' '
	gen_binary_records 3000 >bin &&
	flux --null - $U/bin <bin &&
	tap $U/bin --exit --null >bin.out &&
	test_cmp bin bin.out
'

test_expect_success 'envelopes keep key and headers; tombstones stay tombstones' '
	printf "%s\n" "{\"key\":\"k1\",\"headers\":{\"trace\":\"abc\"},\"payload\":{\"a\":1}}" \
		"{\"key\":\"gone\",\"payload\":null}" >env &&
	flux --envelope - $U/env <env &&
	tap $U/env --exit -F "%k|%h|%s\n" >out &&
	test_grep "^k1|.*trace.*abc.*|{\"a\":1}$" out &&
	test_grep "^gone|" out &&
	redis-cli -p $REDIS_PORT xrange env - + >raw &&
	test_grep "^h.trace$" raw
'

test_expect_success 'a foreign entry reads as a JSON object of its fields' '
	redis-cli -p $REDIS_PORT xadd foreign "*" name alice age 3 >/dev/null &&
	tap $U/foreign --exit >out &&
	echo "{\"name\":\"alice\",\"age\":\"3\"}" >expect &&
	test_cmp expect out
'

test_expect_success '--from -N, SEQ, @TIME and end' '
	gen_ndjson 10 >ten &&
	flux - $U/pos <ten &&
	tap $U/pos --exit --from -3 >out &&
	tail -n 3 ten >expect && test_cmp expect out &&
	tap $U/pos --exit -F "%o\n" >seqs &&
	seq7=$(sed -n 7p seqs) &&
	tap $U/pos --exit --from $seq7 >out &&
	tail -n 4 ten >expect && test_cmp expect out &&
	tap $U/pos --exit --from @1h >out &&
	test_cmp ten out &&
	tap $U/pos --exit --from @2099-01-01T00:00:00Z >out &&
	test_line_count = 0 out &&
	tap $U/pos --exit --from end >out &&
	test_line_count = 0 out
'

test_expect_success 'one tap follows several streams; a quiet one loses nothing' '
	tap "$U/busy,quiet" --from end >follow &
	pid=$! &&
	wait_blocked 1 &&
	gen_ndjson 20000 | flux - $U/busy &&
	echo quiet-1 | flux - $U/quiet &&
	gen_ndjson 20000 20001 | flux - $U/busy &&
	echo quiet-2 | flux - $U/quiet &&
	wait_for 20 "test \$(wc -l <follow) -ge 40002" &&
	test_stop $pid TERM;
	test_line_count = 40002 follow &&
	grep -c quiet follow >n && echo 2 >expect && test_cmp expect n
'

test_expect_success '?maxlen= trims the stream (approximately)' '
	gen_ndjson 20000 | flux - "$U/trim?maxlen=1000" &&
	n=$(redis-cli -p $REDIS_PORT xlen trim) &&
	test "$n" -ge 1000 && test "$n" -lt 20000
'

test_expect_success 'a key that is not a stream: exit 65 naming the key' '
	redis-cli -p $REDIS_PORT set plain x >/dev/null &&
	echo a >one &&
	test_expect_code 65 flux - $U/plain <one 2>err &&
	test_grep "key .plain.: is not a stream" err &&
	test_expect_code 65 tap $U/plain --exit 2>err &&
	test_grep "key .plain.: is not a stream" err
'

test_expect_success 'unreachable server: exit 69 with a hint' '
	port=$(free_port) &&
	test_expect_code 69 tap redis://127.0.0.1:$port/s --exit 2>err &&
	test_grep "cannot reach redis .127.0.0.1:$port.: connection refused (is it running?)" err &&
	echo a >one &&
	test_expect_code 69 flux - redis://127.0.0.1:$port/s <one 2>err
'

test_expect_success 'wrong password: exit 77, the password is never printed' '
	start_redis auth --requirepass right-pw &&
	echo a >one &&
	test_expect_code 77 flux - redis://:wrong-pw@127.0.0.1:$REDIS_PORT/s <one 2>err &&
	test_grep "refused authentication: WRONGPASS" err &&
	! grep -e wrong-pw -e right-pw err &&
	test_expect_code 77 tap redis://127.0.0.1:$REDIS_PORT/s --exit 2>err &&
	test_grep "requires authentication" err &&
	REDISCLI_AUTH=right-pw flux - redis://127.0.0.1:$REDIS_PORT/s <one &&
	tap redis://:right-pw@127.0.0.1:$REDIS_PORT/s --exit >out &&
	test_cmp one out
'

test_expect_success 'rediss:// (TLS) round trip; an unknown certificate is refused' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem \
		-days 1 -subj /CN=localhost \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null &&
	tls_port=$(free_port) &&
	start_redis tls --tls-port $tls_port --tls-cert-file "$TEST_DIR/cert.pem" \
		--tls-key-file "$TEST_DIR/key.pem" --tls-ca-cert-file "$TEST_DIR/cert.pem" --tls-auth-clients no &&
	gen_ndjson 5000 >in &&
	flux - "rediss://127.0.0.1:$tls_port/t?tls_ca=$TEST_DIR/cert.pem" <in &&
	tap "rediss://127.0.0.1:$tls_port/t?tls_ca=$TEST_DIR/cert.pem" --exit >out &&
	test_cmp in out &&
	test_expect_code 69 tap "rediss://127.0.0.1:$tls_port/t" --exit 2>err &&
	test_grep "certificate verification failed" err
'

test_done
