#!/usr/bin/env bash
# The file log you can trust (issue 8): records of any size read back byte
# for byte, and one corrupt byte in the middle of a segment is reported
# (exit 65), skipped only when asked, and never truncated or reused.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

# Overwrites byte OFFSET of FILE with X.
# poke OFFSET FILE: changes the byte at OFFSET (to X, or to Y where it was X:
# a record's time and CRC differ from run to run, and may hold an X).
poke() {
	if [ "$(od -An -tx1 -j "$1" -N1 "$2" | tr -d " ")" = 58 ]; then
		printf Y | dd of="$2" bs=1 seek="$1" conv=notrunc status=none
	else
		printf X | dd of="$2" bs=1 seek="$1" conv=notrunc status=none
	fi
}

test_expect_success 'tap-1MiB-record-segfault: a 1 MiB record after a small one' '
	{ echo small; head -c 1048576 /dev/zero | tr "\0" a; echo; } >in &&
	flux file:log/s <in &&
	tap --exit file:log/s >out &&
	test_cmp in out
'

test_expect_success 'tap-1MiB-record-segfault: a 1 MiB record alone in its stream' '
	{ head -c 1048576 /dev/zero | tr "\0" b; echo; } >in &&
	flux file:log/alone <in &&
	tap --exit file:log/alone >out &&
	test_cmp in out
'

test_expect_success 'the record limit is inclusive and counts no delimiter' '
	head -c 1000 /dev/zero | tr "\0" c >exact &&
	flux --max-record-bytes 1000 file:log/limit <exact &&
	{ cat exact; echo; } >want &&
	tap --exit file:log/limit >out &&
	test_cmp want out &&
	{ cat exact; echo c; } | test_expect_code 65 flux --max-record-bytes 1000 file:log/limit2 2>err &&
	test_grep "longer than the limit of 1000 bytes" err
'

test_expect_success 'a 50 MB record with --max-record-bytes 64M, and a 200 MB one' '
	{ echo before; head -c 50000000 /dev/zero | tr "\0" d; echo; echo after; } >in &&
	flux --max-record-bytes 64M file:log/big <in &&
	tap --exit file:log/big >out &&
	test_cmp in out &&
	{ head -c 200000000 /dev/zero | tr "\0" e; echo; } >in &&
	flux --max-record-bytes 256M file:log/huge <in &&
	tap --exit file:log/huge | cmp - in &&
	rm -f in out
'

test_expect_success '--max-record-bytes beyond 1G is a usage error' '
	test_expect_code 64 flux --max-record-bytes 2G file:log/x </dev/null 2>err &&
	test_grep "from 1 to 1G" err
'

test_expect_success 'records sized on either side of every buffer, with --null' '
	"$PYTHON" - <<-\EOF &&
	import os
	sizes = [1, 39, 40, 41, 4095, 4096, 4097, 65535, 65536, 65537]
	for s in (1 << 20, 4 << 20, 16 << 20):
	    sizes += [s - 57, s - 40, s - 1, s, s + 1]
	with open("recs", "wb") as f:
	    for i, s in enumerate(sizes):
	        f.write(bytes((i * 7 + j) % 251 + 1 for j in range(min(s, 4096))) * (s // 4096) +
	                bytes((i + j) % 251 + 1 for j in range(s % 4096)) + b"\0")
	EOF
	flux --null --max-record-bytes 17M file:log/sizes <recs &&
	tap --exit --null file:log/sizes >out &&
	cmp recs out
'

test_expect_success 'corrupt-byte-deletes-good-data: set up seq 1..5 and poke byte 60' '
	seq 1 5 | flux file:log/c &&
	seg=log/c/00000000000000000000.log &&
	cp $seg pristine &&
	poke 60 $seg &&
	cp $seg damaged
'

test_expect_success 'tap prints the records before the corrupt one, then exits 65 naming it' '
	test_expect_code 65 tap --exit file:log/c >out 2>err &&
	echo 1 >want &&
	test_cmp want out &&
	test_grep "stream .c.: corrupt record in .log/c/00000000000000000000.log. at offset 57" err &&
	test_grep "last good seq 0" err &&
	test_grep "on-error skip" err
'

test_expect_success 'tap --on-error skip loses only that record and reports it' '
	tap --exit --on-error skip --stats file:log/c >out 2>err &&
	printf "1\n3\n4\n5\n" >want &&
	test_cmp want out &&
	test_grep "skipped seq 1: corrupt record in .log/c/00000000000000000000.log. at offset 57" err &&
	test_grep "4 records.*1 corrupt record skipped" err
'

test_expect_success 'flux appends after the highest valid seq, warns, and truncates nothing' '
	echo 6 | flux file:log/c 2>err &&
	test_grep "warning: corrupt record in .log/c/00000000000000000000.log. at offset 57" err &&
	test_grep "appending after seq 4" err &&
	! test_grep "torn" err &&
	head -c $(wc -c <damaged) log/c/00000000000000000000.log | cmp - damaged &&
	tap --exit --on-error skip --format "%o %s\n" file:log/c >out 2>/dev/null &&
	printf "0 1\n2 3\n3 4\n4 5\n5 6\n" >want &&
	test_cmp want out &&
	echo 7 | flux file:log/c 2>err &&
	tap --exit --on-error skip -F "%o\n" file:log/c 2>/dev/null | sort -n | uniq -d >dups &&
	test_line_count = 0 dups
'

test_expect_success '--from beyond the damage reads without error; -N too' '
	tap --exit --from 2 file:log/c >out &&
	printf "3\n4\n5\n6\n7\n" >want &&
	test_cmp want out &&
	tap --exit --from -2 file:log/c >out &&
	printf "6\n7\n" >want &&
	test_cmp want out &&
	test_expect_code 65 tap --exit --from 1 file:log/c >out 2>/dev/null &&
	test_line_count = 0 out
'

test_expect_success 'a group commits past a corrupt record only with skip' '
	test_expect_code 65 tap --exit --group g file:log/c >out 2>/dev/null &&
	echo 1 >want &&
	test_cmp want out &&
	test_expect_code 65 tap --exit --group g file:log/c >out 2>/dev/null &&
	test_line_count = 0 out &&
	tap --exit --group g --on-error skip file:log/c >out 2>/dev/null &&
	printf "3\n4\n5\n6\n7\n" >want &&
	test_cmp want out &&
	echo 8 | flux file:log/c 2>/dev/null &&
	tap --exit --group g file:log/c >out &&
	echo 8 >want &&
	test_cmp want out
'

test_expect_success 'a bad byte at every offset of a middle record: before it, then 65; skip loses one' '
	rm -rf log/m &&
	seq 101 105 | flux file:log/m &&
	cp log/m/00000000000000000000.log m.pristine &&
	rec=43 &&
	start=$((16 + 2 * rec)) &&
	for off in $(seq $start $((start + rec - 1))); do
		cp m.pristine log/m/00000000000000000000.log &&
		poke $off log/m/00000000000000000000.log &&
		test_expect_code 65 tap --exit file:log/m >out 2>err &&
		printf "101\n102\n" >want && test_cmp want out &&
		test_grep "at offset $start" err &&
		{ tap --exit --on-error skip file:log/m >out 2>err.skip ||
		  { echo "offset $off: tap --on-error skip failed:" >&2; cat err.skip >&2; false; }; } &&
		printf "101\n102\n104\n105\n" >want && test_cmp want out &&
		{ echo 106 | flux file:log/m 2>err.flux ||
		  { echo "offset $off: flux failed:" >&2; cat err.flux >&2; false; }; } &&
		{ tap --exit --on-error skip -F "%o\n" file:log/m 2>err.seqs >seqs ||
		  { echo "offset $off: tap -F %o failed:" >&2; cat err.seqs >&2; false; }; } &&
		printf "0\n1\n3\n4\n5\n" >want && test_cmp want seqs || return 1
	done
'

test_expect_success 'a torn tail is still repaired, and is no corruption' '
	cp pristine log/c/00000000000000000000.log &&
	rm -rf log/c/groups &&
	printf "\\060\\000\\000\\000torn" >>log/c/00000000000000000000.log &&
	tap --exit file:log/c >out &&
	seq 1 5 >want &&
	test_cmp want out &&
	echo 6 | flux file:log/c 2>err &&
	test_grep "repaired torn tail" err &&
	! test_grep "corrupt" err
'

test_expect_success '--on-error takes fail or skip' '
	test_expect_code 64 tap --exit --on-error dlq:x file:log/c 2>err &&
	test_grep "expected fail or skip" err
'

test_done
