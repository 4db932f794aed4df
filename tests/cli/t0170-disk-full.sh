#!/usr/bin/env bash
# A full disk (issue 8): flux exits 74 with "no space left on device" and
# the segment's path, acknowledges nothing it did not write, and the next
# run continues at the next seq. The segment is a symlink to /dev/full,
# where every write fails with ENOSPC: no mount, no root, no test hook in
# the library. Appends that fail part-way and fsync failures are covered by
# tests/unit/test_fault_injection.cpp through the Env seam.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success '/dev/full is a character device' '
	test -c /dev/full
'

for policy in always interval never; do
	test_expect_success "--fsync $policy: a full disk exits 74 naming the segment" '
		rm -rf log &&
		printf "a\nb\nc\n" | flux --fsync '"$policy"' file:log/s &&
		ln -s /dev/full log/s/00000000000000000003.log &&
		echo lost | test_expect_code 74 flux --fsync '"$policy"' file:log/s 2>err &&
		test_grep "no space left on device" err &&
		test_grep "log/s/00000000000000000003.log" err &&
		test_path_is_missing log/s/00000000000000000003.log &&
		echo d | flux --fsync '"$policy"' file:log/s &&
		tap file:log/s --exit -F "%o %s\n" >out &&
		printf "0 a\n1 b\n2 c\n3 d\n" >expect &&
		test_cmp expect out
	'
done

test_done
