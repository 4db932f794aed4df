#!/usr/bin/env bash
# Redis consumer groups: two tap members share the work (each record to
# exactly one), repeated --count runs continue in order, and the pending
# records of a member killed with -9 are claimed by another (XAUTOCLAIM).
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli


test_expect_success 'redis-server starts' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT
'

test_expect_success 'two members: every record goes to exactly one of them' '
	tap "$U/work?consumer=a" --group g >a.out &
	a=$!
	tap "$U/work?consumer=b" --group g >b.out &
	b=$!
	wait_blocked 2 &&
	for i in 1 2 3 4 5; do
		gen_ndjson 4000 $(( (i - 1) * 4000 + 1 )) | flux - $U/work || return 1
	done &&
	wait_for 20 "test \$(cat a.out b.out | wc -l) -ge 20000" &&
	sleep 0.3 &&
	test_stop $a TERM && test_stop $b TERM &&
	test -s a.out && test -s b.out &&
	sort a.out b.out >got &&
	gen_ndjson 20000 | sort >want &&
	test_cmp want got &&
	echo 0 >expect &&
	redis-cli -p $REDIS_PORT xpending work g | head -n 1 >pending &&
	test_cmp expect pending
'

test_expect_success 'tap --group --count N, repeated, continues in order' '
	gen_ndjson 1000 >in &&
	flux - $U/seq <in &&
	: >got &&
	for i in $(seq 1 10); do
		tap $U/seq --group g --count 100 >>got || return 1
	done &&
	test_cmp in got &&
	tap $U/seq --group g --exit >rest &&
	test_line_count = 0 rest
'

test_expect_success 'kill -9 of a member: its pending records are claimed by another' '
	gen_ndjson 20000 >in &&
	flux - $U/crash <in &&
	mkfifo stuck &&
	exec 8<>stuck || return 1
	# Nobody reads "stuck": the member blocks with its records pending.
	tap "$U/crash?consumer=dead" --group g >stuck &
	dead=$!
	wait_for 10 "redis-cli -p $REDIS_PORT xpending crash g - + 10 dead | grep -qx dead" &&
	kill -9 $dead && { wait $dead; true; } &&
	exec 8<&- &&
	redis-cli -p $REDIS_PORT xpending crash g | head -n 1 >n &&
	test "$(cat n)" -gt 0 &&
	sleep 1.2 &&
	tap "$U/crash?consumer=alive" --group g --session-timeout 1s --exit >alive.out &&
	sort -u alive.out >got &&
	sort in >want &&
	test_cmp want got &&
	echo 0 >expect &&
	redis-cli -p $REDIS_PORT xpending crash g | head -n 1 >pending &&
	test_cmp expect pending
'

test_done
