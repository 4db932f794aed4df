#!/usr/bin/env bash
# flux -> file: log -> tap over stdin/stdout: formats, positions, counts.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success 'stdin round trip is byte-identical' '
	gen_ndjson 1000 >in &&
	flux file:log/s <in &&
	tap file:log/s --exit >out &&
	test_cmp in out
'

test_expect_success 'a bare path is a file: stream' '
	printf "x\ny\n" | flux log/bare &&
	tap file:log/bare --exit >out &&
	printf "x\ny\n" >expect &&
	test_cmp expect out
'

test_expect_success 'seqs start at 0 and continue across runs' '
	printf "a\nb\n" | flux file:log/seq &&
	printf "c\n" | flux file:log/seq &&
	tap file:log/seq --exit --format "%o:%s\n" >out &&
	printf "0:a\n1:b\n2:c\n" >expect &&
	test_cmp expect out
'

test_expect_success '--format envelope carries stream, seq, key, headers and JSON payload' '
	printf "k1\t{\"a\":1}\n" | flux -K "	" -H trace=abc - file:log/env &&
	tap file:log/env --exit -F envelope >out &&
	test_grep "\"stream\":\"env\"" out &&
	test_grep "\"seq\":0" out &&
	test_grep "\"key\":\"k1\"" out &&
	test_grep "\"headers\":{\"trace\":\"abc\"}" out &&
	test_grep "\"payload\":{\"a\":1}" out &&
	test_grep "\"ts\":\"20[0-9][0-9]-" out
'

test_expect_success 'envelopes round trip through flux --envelope' '
	tap file:log/env --exit -F envelope | flux --envelope file:log/env2 &&
	tap file:log/env2 --exit -F "%k|%h|%s\n" >out &&
	printf "k1|trace=abc|{\"a\":1}\n" >expect &&
	test_cmp expect out
'

test_expect_success '--key-field takes the key from JSON' '
	gen_ndjson 3 | flux -k user file:log/kf &&
	tap file:log/kf --exit -F "%k\n" >out &&
	printf "u1\nu2\nu3\n" >expect &&
	test_cmp expect out
'

test_expect_success '--from beginning, SEQ, -N, end' '
	gen_ndjson 10 | flux file:log/pos &&
	tap file:log/pos --exit --from 7 -F "%o\n" >out &&
	printf "7\n8\n9\n" >expect && test_cmp expect out &&
	tap file:log/pos --exit --from -2 -F "%o\n" >out &&
	printf "8\n9\n" >expect && test_cmp expect out &&
	tap file:log/pos --exit --from end >out &&
	test_line_count = 0 out &&
	tap file:log/pos --exit --from beginning --count 1 -F "%o\n" >out &&
	printf "0\n" >expect && test_cmp expect out
'

test_expect_success '--from @TIME starts at the first record at or after it' '
	printf "old\n" | flux file:log/time &&
	sleep 1.1 &&
	mark=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) &&
	printf "new\n" | flux file:log/time &&
	tap file:log/time --exit --from "@$mark" >out &&
	printf "new\n" >expect && test_cmp expect out &&
	tap file:log/time --exit --from @1h >out &&
	test_line_count = 2 out
'

test_expect_success 'tap follows a growing stream until --count' '
	tap file:log/follow --count 3 >out &
	pid=$! &&
	printf "1\n" | flux file:log/follow &&
	printf "2\n3\n4\n" | flux file:log/follow &&
	wait $pid &&
	printf "1\n2\n3\n" >expect &&
	test_cmp expect out
'

test_expect_success 'tap | head -1 exits at once with status 0' '
	gen_ndjson 200000 | flux file:log/head &&
	(tap file:log/head; echo "rc=$?" >rc) | head -1 >out &&
	test_line_count = 1 out &&
	test_grep "rc=0" rc
'

test_expect_success 'tap | head -1 on a quiet followed stream exits promptly' '
	printf "only\n" | flux file:log/quiet &&
	start=$SECONDS &&
	(tap file:log/quiet; echo "rc=$?" >rc) | head -1 >out &&
	test_grep "rc=0" rc &&
	test $((SECONDS - start)) -lt 5
'

test_expect_success 'NUL framing round trips binary records' '
	gen_binary_records 2000 >in &&
	flux --null file:log/bin <in &&
	tap --null --exit file:log/bin >out &&
	test_cmp in out
'

test_expect_success '--delimiter with escapes' '
	printf "a;b;c" | flux -d ";" file:log/delim &&
	tap file:log/delim --exit -d "\x2c" >out &&
	printf "a,b,c," >expect &&
	test_cmp expect out
'

test_expect_success 'non-UTF-8 payloads are base64 in envelopes' '
	printf "\377\376\n" | flux file:log/b64 &&
	tap file:log/b64 --exit -F envelope >out &&
	test_grep "\"payload_b64\":\"//4=\"" out
'

test_expect_success '--stats prints a summary on stderr, not stdout' '
	gen_ndjson 5 | flux --stats file:log/stats 2>err &&
	test_grep "^flux: 5 records" err &&
	tap --stats --exit file:log/stats >out 2>err &&
	test_line_count = 5 out &&
	test_grep "^tap: 5 records" err
'

test_expect_success 'stdio URI: flux - writes envelopes, tap - reads them' '
	printf "p1\np2\n" | flux - >env &&
	test_grep "\"payload\":\"p1\"" env &&
	tap - --exit <env >out &&
	printf "p1\np2\n" >expect &&
	test_cmp expect out
'

test_expect_success '--version and --help' '
	flux --version >out && test_grep "sluice" out &&
	tap --help >out && test_grep "Usage: tap" out
'

test_done
