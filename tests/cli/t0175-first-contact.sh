#!/usr/bin/env bash
# First contact (issue 9, issue 8 part 4): what a new user hit in flux and
# tap. Each test is named after the point it pins.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

# ---------------------------------------------------------------- 9.1

test_expect_success 'flux --key-field keeps a line that is not JSON, without a key' '
	printf "{\"id\":1}\nnot json\n[1,2]\n{\"other\":2}\n{\"id\":\"k5\"}\n" >in &&
	flux --key-field id file:log/kf <in 2>err &&
	test_line_count = 0 err &&
	tap --exit -F "%K|%k|%s\n" file:log/kf >out &&
	cat >expect <<-\EOF &&
	1|1|{"id":1}
	-1||not json
	-1||[1,2]
	-1||{"other":2}
	2|k5|{"id":"k5"}
	EOF
	test_cmp expect out
'

# ---------------------------------------------------------------- 9.2

test_expect_success 'tap --count -1 is a usage error, not "follow forever"' '
	echo x | flux file:log/c &&
	test_expect_code 64 tap --exit --count -1 file:log/c >out 2>err &&
	test_grep -e "--count" err &&
	test_line_count = 0 out &&
	test_expect_code 64 tap --exit --count=-5 file:log/c 2>err &&
	tap --count 0 file:log/c >out &&
	test_line_count = 0 out
'

# ---------------------------------------------------------------- 9.3

test_expect_success 'a missing stream with --exit: exit 66, "stream does not exist"' '
	test_expect_code 66 tap --exit file:log/nosuch >out 2>err &&
	test_grep "stream .nosuch. does not exist" err &&
	test_line_count = 0 out &&
	test_expect_code 66 tap --exit --group g file:log/nosuch 2>err &&
	test_grep "stream .nosuch. does not exist" err &&
	test_path_is_missing log/nosuch
'

test_expect_success 'following a missing stream says once that it waits, then reads it' '
	tap --count 2 file:log/later >out 2>err &
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q \"stream .later. does not exist.*waiting for it to be created\" err" &&
	printf "a\nb\n" | flux file:log/later &&
	wait $pid &&
	printf "a\nb\n" >expect &&
	test_cmp expect out &&
	test_line_count = 1 err
'

# ---------------------------------------------------------------- 9.6

test_expect_success 'tap STREAM URI: a URI where the pipe goes is a usage error naming it' '
	echo x | flux file:log/p6 &&
	test_expect_code 64 tap --exit file:log/p6 file:log/g 2>err &&
	test_grep "file:log/g. is a stream URI" err &&
	test_path_is_missing file:log &&
	test_expect_code 64 tap --exit file:log/p6 redis://127.0.0.1/s 2>err &&
	test_grep "is a stream URI" err
'

test_expect_success 'tap STREAM FILE: an existing regular file is refused with a hint to use >' '
	echo keep >file.out &&
	test_expect_code 73 tap --exit file:log/p6 file.out 2>err &&
	test_grep "regular file" err &&
	test_grep "tap STREAM > .file.out." err &&
	echo keep >expect &&
	test_cmp expect file.out
'

test_expect_success 'flux FILE STREAM reads an existing regular file like cat' '
	printf "one\ntwo\n" >input.txt &&
	flux input.txt file:log/fromfile 2>err &&
	test_line_count = 0 err &&
	tap --exit file:log/fromfile >out &&
	test_cmp input.txt out &&
	test_path_is_file input.txt
'

test_expect_success 'flux URI STREAM: a URI where the input goes is a usage error' '
	test_expect_code 64 flux file:log/a file:log/b </dev/null 2>err &&
	test_grep "file:log/a. is a stream URI" err &&
	test_path_is_missing log/b
'

# ---------------------------------------------------------------- 9.11

# Mounting needs root and a mount namespace; the errno mapping itself is
# pinned by tests/unit/test_status.cpp either way.
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	test_expect_success 'a read-only file system: exit 74 and "read-only file system"' '
		mkdir ro &&
		echo x >x.in &&
		rc=0 &&
		unshare -m sh -c "mount -t tmpfs -o ro tmpfs ro && exec flux file:ro/s <x.in" 2>err ||
			rc=$? &&
		cat err &&
		test $rc = 74 &&
		test_grep -i "read-only file system" err
	'
else
	test_skip 'a read-only file system: exit 74 and "read-only file system"' \
		'needs root and unshare -m to mount a read-only tmpfs'
fi

# ---------------------------------------------------------------- 9.14

test_expect_success 'option errors are one line in our words, exit 64' '
	test_expect_code 64 tap --count abc file:log/x 2>err &&
	test_grep "^tap: --count: .abc. is not a whole number (see .tap --help.)$" err &&
	test_expect_code 64 tap --exit=maybe file:log/x 2>err &&
	test_grep "^tap: --exit takes no value" err &&
	test_expect_code 64 tap --exit file:log/x --bogus=3 2>err &&
	test_grep "^tap: unknown option .--bogus. (see .tap --help.)$" err &&
	test_expect_code 64 flux -H 2>err </dev/null &&
	test_grep "^flux: --header needs a value (NAME=VALUE)" err &&
	test_line_count = 1 err &&
	! grep -iE "convert|At Most|not expected|REQUIRED" err &&
	test_path_is_missing log/x
'

test_expect_success 'a value given twice: the last one wins, as getopt' '
	seq 1 5 | flux file:log/twice &&
	tap -c1 -c2 --exit file:log/twice >out &&
	printf "1\n2\n" >expect &&
	test_cmp expect out
'

test_expect_success '--help names the positionals as the usage line does, not STREAM_PIPE TEXT REQUIRED' '
	tap --help >help &&
	test_grep "^Usage: tap \[OPTIONS\] STREAM \[PIPE|-\]$" help &&
	test_grep "^  STREAM  *the stream URI" help &&
	test_grep "^  PIPE|-  *the output" help &&
	flux --help >>help &&
	test_grep "^Usage: flux \[OPTIONS\] \[PIPE|-\] STREAM$" help &&
	test_grep "^  PIPE|-  *the input" help &&
	! grep -e "STREAM_PIPE" -e "PIPE_STREAM" -e "REQUIRED" help
'

test_expect_success 'flux --envelope skips a blank line instead of counting it bad' '
	printf "{\"payload\":\"a\"}\n\n   \n{\"payload\":\"b\"}\n" >in &&
	flux --envelope file:log/blank <in 2>err &&
	test_line_count = 0 err &&
	tap --exit file:log/blank >out &&
	printf "a\nb\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a bad --from @TIME says "(expected ...)" once' '
	test_expect_code 64 tap --from @2026-13-01T00:00:00Z file:log/x 2>err &&
	test_grep "month out of range" err &&
	test "$(grep -o "(expected " err | wc -l)" = 1 &&
	test_expect_code 64 tap --from @yesterday file:log/x 2>err &&
	test "$(grep -o "(expected " err | wc -l)" = 1
'

# ---------------------------------------------------------------- 8.4

test_expect_success 'flux --retention on an existing stream is applied and said' '
	echo a | flux --retention 7d file:log/set &&
	test_grep "^retention_ms=604800000$" log/set/meta &&
	echo b | flux --retention 1d file:log/set 2>err &&
	test_grep "stream .log/set.: retention changed from 7d to 1d" err &&
	test_grep "^retention_ms=86400000$" log/set/meta &&
	echo c | flux --retention 1d file:log/set 2>err &&
	test_line_count = 0 err &&
	echo d | flux file:log/set 2>err &&
	test_line_count = 0 err &&
	test_grep "^retention_ms=86400000$" log/set/meta &&
	tap --exit file:log/set >out &&
	printf "a\nb\nc\nd\n" >expect &&
	test_cmp expect out
'

test_expect_success 'flux --segment-bytes on an existing stream applies to new segments, said' '
	gen_ndjson 200 | flux --segment-bytes 1M file:log/seg &&
	gen_ndjson 2000 201 | flux --segment-bytes 16K file:log/seg 2>err &&
	test_grep "segment size changed from 1M to 16K" err &&
	test_grep "^segment_bytes=16384$" log/seg/meta &&
	test "$(ls log/seg/*.log | wc -l)" -gt 2 &&
	tap --exit file:log/seg >out &&
	test_line_count = 2200 out
'

test_expect_success 'a run that fails before producing anything leaves no empty stream' '
	echo x | test_expect_code 64 flux --on-error maybe file:nostream1/s &&
	test_path_is_missing nostream1 &&
	test_expect_code 73 flux /no/such/dir/p file:nostream2/s </dev/null 2>err &&
	test_path_is_missing nostream2 &&
	echo "{\"payload\":" | test_expect_code 65 flux --envelope --on-error fail file:nostream3/s &&
	test_path_is_missing nostream3 &&
	echo "{\"payload\":" | test_expect_code 65 flux --envelope file:nostream4/a/s &&
	test_path_is_missing nostream4 &&
	mkdir mine &&
	echo "{\"payload\":" | test_expect_code 65 flux --envelope file:mine/s &&
	test_path_is_missing mine/s &&
	test_path_is_dir mine
'

test_expect_success 'a failed run keeps a stream that existed or got records' '
	echo a | flux file:log/kept &&
	echo "{\"payload\":" | test_expect_code 65 flux --envelope file:log/kept &&
	tap --exit file:log/kept >out &&
	echo a >expect &&
	test_cmp expect out &&
	printf "{\"payload\":\"a\"}\n{\"payload\":\n" |
		test_expect_code 65 flux --envelope --on-error fail file:log/half &&
	tap --exit file:log/half >out &&
	test_cmp expect out
'

test_expect_success 'a successful run of zero records creates the empty stream, like touch' '
	flux file:log/touched </dev/null &&
	tap --exit file:log/touched >out &&
	test_line_count = 0 out
'

test_done
