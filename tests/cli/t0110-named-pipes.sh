#!/usr/bin/env bash
# flux and tap on named pipes: creation, writers/readers in turn, unlinking,
# at-least-once hand-over between readers.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success '100k records through a named pipe, byte-identical' '
	gen_ndjson 100000 >in &&
	{ flux --once in.fifo file:log/big & } &&
	pid=$! &&
	wait_for "test -p in.fifo" &&
	cat in >in.fifo &&
	wait $pid &&
	test_path_is_missing in.fifo &&
	tap file:log/big --exit >out &&
	test_cmp in out
'

test_expect_success 'binary payloads with --null through named pipes both ways' '
	gen_binary_records 5000 >in &&
	{ flux --once --null in.fifo file:log/bin & } &&
	pid=$! &&
	wait_for "test -p in.fifo" &&
	cat in >in.fifo &&
	wait $pid &&
	{ tap --null --exit file:log/bin out.fifo & } &&
	tpid=$! &&
	wait_for "test -p out.fifo" &&
	cat out.fifo >out &&
	wait $tpid &&
	test_cmp in out
'

test_expect_success 'several writers in turn, then SIGTERM unlinks the pipe' '
	flux w.fifo file:log/turns &
	pid=$! &&
	wait_for "test -p w.fifo" &&
	printf "one\n" >w.fifo &&
	printf "two\n" >w.fifo &&
	printf "three" >w.fifo &&
	wait_for "tap file:log/turns --exit | grep -q three" &&
	test_stop $pid TERM &&
	test_path_is_missing w.fifo &&
	tap file:log/turns --exit >out &&
	printf "one\ntwo\nthree\n" >expect &&
	test_cmp expect out
'

for sig in INT HUP; do
	test_expect_success "SIG$sig: records acknowledged, pipe unlinked, exit 0" '
		flux s.fifo file:log/sig$sig &
		pid=$! &&
		wait_for "test -p s.fifo" &&
		printf "x\n" >s.fifo &&
		wait_for "tap file:log/sig$sig --exit | grep -q x" &&
		test_stop $pid '"$sig"' &&
		test_path_is_missing s.fifo
	'
done

test_expect_success 'an existing FIFO is used and left in place' '
	mkfifo keep.fifo &&
	{ flux --once keep.fifo file:log/keep & } &&
	pid=$! &&
	sleep 0.2 &&
	printf "kept\n" >keep.fifo &&
	wait $pid &&
	test_path_is_fifo keep.fifo &&
	tap file:log/keep --exit >out &&
	printf "kept\n" >expect && test_cmp expect out
'

test_expect_success 'a pipe path that is a regular file: flux reads it, tap refuses it (73)' '
	echo precious >regular &&
	flux regular file:log/x 2>err &&
	tap --exit file:log/x >out &&
	echo precious >expect && test_cmp expect out &&
	test_cmp expect regular &&
	test_expect_code 73 tap file:log/keep regular 2>err &&
	test_grep "not a named pipe" err &&
	test_cmp expect regular &&
	mkdir adir &&
	test_expect_code 73 flux adir file:log/y </dev/null 2>err &&
	test_grep "exists and is not a named pipe" err &&
	test_path_is_missing log/y
'

test_expect_success 'tap into a pipe: what a reader did not take goes to the next reader' '
	gen_ndjson 20000 >all &&
	flux file:log/handover <all &&
	{ tap --exit file:log/handover h.fifo & } &&
	pid=$! &&
	wait_for "test -p h.fifo" &&
	head -c 5000 h.fifo >part1 &&
	# Readers in turn: the next one comes once tap saw this one leave
	# (closed its end, waiting in open() for a reader again).
	wait_for "! ls -l /proc/$pid/fd 2>/dev/null | grep -q h.fifo" &&
	cat h.fifo >part2 &&
	wait $pid &&
	test $(wc -c <part1) -eq 5000 &&
	"$PYTHON" -c "import sys
p1 = open(\"part1\", \"rb\").read()
whole = p1[:p1.rfind(b\"\\n\") + 1]  # complete lines the first reader took
sys.stdout.buffer.write(whole + open(\"part2\", \"rb\").read())" >got &&
	test_cmp all got
'

test_expect_success 'tap --once exits when its first reader leaves, unlinking the pipe' '
	tap --once file:log/handover o.fifo &
	pid=$! &&
	wait_for "test -p o.fifo" &&
	head -n 1 o.fifo >out &&
	wait $pid &&
	test_path_is_missing o.fifo &&
	test_line_count = 1 out
'

test_done
