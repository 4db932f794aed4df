#!/usr/bin/env bash
# Several writers on one stream, and kill -9 of flux at random moments: the
# log must stay readable, intact and gap-free.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success 'two concurrent flux processes: all records present, none corrupt' '
	gen_ndjson 50000 1 >a &&
	gen_ndjson 50000 1000001 >b &&
	{ flux file:log/both <a & } &&
	p1=$! &&
	{ flux file:log/both <b & } &&
	p2=$! &&
	wait $p1 && wait $p2 &&
	tap file:log/both --exit >out &&
	cat a b | sort >want &&
	sort out >got &&
	test_cmp want got &&
	tap file:log/both --exit -F "%o\n" >seqs &&
	seq 0 99999 >want_seqs &&
	test_cmp want_seqs seqs
'

test_expect_success 'each writer keeps its own order' '
	grep -F -x -f a out >a_order &&
	test_cmp a a_order
'

test_expect_success 'kill -9 of flux at 20 random moments: log opens, records intact, no gaps' '
	gen_ndjson 300000 >in &&
	for i in $(seq 1 20); do
		{ flux --fsync never file:log/crash <in & } &&
		pid=$! &&
		sleep 0.0$((RANDOM % 9))$((RANDOM % 10)) &&
		kill -9 $pid 2>/dev/null;
		wait $pid 2>/dev/null;
		# A kill before flux wrote the meta of the stream (written last, once
		# its directories exist) leaves no stream at all; one made at any
		# later moment must open.
		if test -e log/crash/meta; then
			tap file:log/crash --exit -F "%o %s\n" >dump 2>err || { cat err; return 1; }
		fi
	done &&
	printf "last\n" | flux file:log/crash 2>err &&
	tap file:log/crash --exit -F "%o %s\n" >dump &&
	n=$(wc -l <dump) &&
	awk "{ print \$1 }" dump >seqs &&
	seq 0 $((n - 1)) >want && test_cmp want seqs &&
	grep -v "^[0-9]* {\"id\":[0-9]*,\"user\":\"u[0-9]*\",\"n\":[0-9]*}$" dump >bad ;
	printf "%s last\n" $((n - 1)) >want_bad &&
	test_cmp want_bad bad
'

test_done
