#!/usr/bin/env bash
# A log whose last record was torn (truncated at any byte) opens, is repaired
# by the next writer, and loses only that record.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success 'set up a stream of 10 records' '
	seq 1 9 >in &&
	flux file:log/t <in &&
	test_path_is_dir log/t &&
	size9=$(cat log/t/*.log | wc -c) &&
	printf "the-tenth-record\n" | flux file:log/t &&
	size10=$(cat log/t/*.log | wc -c) &&
	test $size10 -gt $size9
'

test_expect_success 'truncated at every byte of the last record: readers see 9, a writer repairs' '
	for cut in $(seq $((size9 + 1)) $((size10 - 1))); do
		rm -rf copy && cp -r log copy &&
		seg=$(ls copy/t/*.log | tail -1) &&
		truncate -s $((cut - size10 + $(wc -c <"$seg"))) "$seg" &&
		tap file:copy/t --exit >out &&
		test_cmp in out &&
		printf "again\n" | flux file:copy/t 2>err &&
		test_grep "torn\|repair\|truncat" err &&
		tap file:copy/t --exit -F "%o %s\n" >out2 &&
		{ seq 1 9 | awk "{ print NR - 1, \$0 }"; echo "9 again"; } >want &&
		test_cmp want out2 || return 1
	done
'

test_done
