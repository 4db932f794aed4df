#!/usr/bin/env bash
# File log settings from flux's flags: segment size and retention are set
# when a stream is created and kept in its meta file (later flags change
# them, saying so); fsync policies; the
# progress line on a terminal.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap
test_require_cmd script

test_expect_success 'retention by size drops whole old segments, never the newest' '
	gen_ndjson 20000 >in &&
	flux --segment-bytes 64K --retention 256K file:log/r <in &&
	test_grep "^segment_bytes=65536$" log/r/meta &&
	test_grep "^retention_bytes=262144$" log/r/meta &&
	tap file:log/r --exit -F "%o %s\n" >out &&
	first=$(head -n 1 out | cut -d" " -f1) &&
	test "$first" -gt 0 &&
	tail -n 1 out >last && echo "19999 $(tail -n 1 in)" >expect &&
	test_cmp expect last &&
	n=$(ls log/r/*.log | wc -l) &&
	test "$n" -le 6 &&
	total=$(cat log/r/*.log | wc -c) &&
	test "$total" -le $((256 * 1024 + 2 * 65536 + 262144))
'

test_expect_success 'settings stay with the stream: a later run without the flags keeps them' '
	gen_ndjson 5000 | flux file:log/r 2>err &&
	test_line_count = 0 err &&
	test_grep "^segment_bytes=65536$" log/r/meta &&
	test_grep "^retention_bytes=262144$" log/r/meta
'

test_expect_success 'later flags change the settings of an existing stream, and say so' '
	gen_ndjson 5000 | flux --segment-bytes 1M --retention 7d file:log/r 2>err &&
	test_grep "segment size changed from 64K to 1M" err &&
	test_grep "retention changed from 256K to 7d" err &&
	test_grep "^segment_bytes=1048576$" log/r/meta &&
	test_grep "^retention_bytes=-1$" log/r/meta &&
	test_grep "^retention_ms=604800000$" log/r/meta
'

test_expect_success 'retention by age: segments older than the age are dropped' '
	gen_ndjson 3000 | flux --segment-bytes 16K --retention 1s file:log/age &&
	before=$(ls log/age/*.log | wc -l) &&
	test "$before" -gt 2 &&
	sleep 1.5 &&
	gen_ndjson 3000 | flux file:log/age &&
	tap file:log/age --exit -F "%o\n" >seqs &&
	# Only the segment that was active at the pause (it also holds new
	# records) may keep old ones: at most one segment of ~16K.
	test "$(head -n 1 seqs)" -ge 2700 &&
	test "$(tail -n 1 seqs)" -eq 5999
'

for policy in always interval never; do
	test_expect_success "--fsync $policy keeps every record" '
		gen_ndjson 2000 >in &&
		flux --fsync '"$policy"' --fsync-interval 10ms file:log/f'"$policy"' <in &&
		tap file:log/f'"$policy"' --exit >out &&
		test_cmp in out
	'
done

test_expect_success '--progress draws on a terminal, never into the data' '
	gen_ndjson 300000 >in &&
	script -qec "flux --progress file:log/p <in" /dev/null >tty.out &&
	test_grep "records" tty.out &&
	flux --progress file:log/p2 <in 2>err &&
	test_line_count = 0 err
'

test_done
