#!/usr/bin/env bash
# Redis Cluster: three masters on free loopback ports. Streams that live on
# another node than the seed the URI names, a tap following streams on
# three nodes at once, a consumer group spread over them, a slot migrated
# (ASK, then MOVED) while flux is producing and tap is following, and a
# cluster that goes down (exit 69 after --timeout).
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli

# tagged STREAM N: N NDJSON lines naming STREAM, so a merged output tells
# which stream each line came from.
tagged() {
	awk -v s="$1" -v n="$2" 'BEGIN { for (i = 1; i <= n; i++) printf "{\"%s\":%d}\n", s, i }'
}

test_expect_success 'a cluster of three masters forms' '
	start_redis_cluster cl 3 --cluster-node-timeout 1000 &&
	set -- $REDIS_CLUSTER_PORTS &&
	P1=$1 && P2=$2 && P3=$3 &&
	U=redis://127.0.0.1:$P1 &&
	S1=$(cluster_name_on $P1 one) &&
	S2=$(cluster_name_on $P2 two) &&
	S3=$(cluster_name_on $P3 three) &&
	echo "# streams $S1 on $P1, $S2 on $P2, $S3 on $P3"
'

test_expect_success 'round trip of 20k records through a stream on another node than the seed' '
	gen_ndjson 20000 >in &&
	flux - $U/$S2 <in &&
	echo 20000 >expect &&
	redis-cli -p $P2 xlen $S2 >actual &&
	test_cmp expect actual &&
	tap $U/$S2 --exit >out &&
	test_cmp in out
'

test_expect_success 'the first reachable seed host wins' '
	DEAD=$(free_port) &&
	tap redis://127.0.0.1:$DEAD,127.0.0.1:$P3/$S2 --exit >out &&
	test_cmp in out
'

test_expect_success 'one tap follows streams on three nodes; the quiet ones lose nothing' '
	{ tap $U/$S1,$S2,$S3 --from end >followed 2>follow.err & } &&
	follower=$! &&
	test_track_pid $follower &&
	blocked_on $P1 1 && blocked_on $P2 1 && blocked_on $P3 1 &&
	{ tagged busy 30000 | flux - $U/$S1 & } &&
	busy=$! &&
	tagged quiet 3 | flux - $U/$S2 &&
	tagged other 500 | flux - $U/$S3 &&
	wait $busy &&
	wait_for 20 "test \$(wc -l <followed) -ge 30503" &&
	test_stop $follower TERM;
	{ tagged busy 30000 && tagged quiet 3 && tagged other 500; } | sort >want &&
	sort followed >got &&
	test_cmp want got
'

test_expect_success 'a group of two members over three nodes: each record once, nothing pending' '
	{ tap "$U/$S1,$S2,$S3?consumer=a" --group g --from end >a.out 2>a.err & } &&
	a=$! &&
	{ tap "$U/$S1,$S2,$S3?consumer=b" --group g --from end >b.out 2>b.err & } &&
	b=$! &&
	test_track_pid $a $b &&
	blocked_on $P1 2 && blocked_on $P2 2 && blocked_on $P3 2 &&
	tagged g1 6000 | flux - $U/$S1 &&
	tagged g2 6000 | flux - $U/$S2 &&
	tagged g3 6000 | flux - $U/$S3 &&
	wait_for 20 "test \$(cat a.out b.out | wc -l) -ge 18000" &&
	for n in "$P1 $S1" "$P2 $S2" "$P3 $S3"; do
		set -- $n &&
		wait_for 20 "test \"\$(redis-cli -p $1 xpending $2 g | head -1)\" = 0" || return 1
	done &&
	test_stop $a TERM && test_stop $b TERM &&
	{ tagged g1 6000 && tagged g2 6000 && tagged g3 6000; } | sort >want &&
	sort a.out b.out >got &&
	test_cmp want got
'

# asking_xlen PORT KEY: XLEN on a node that is importing KEY's slot.
asking_xlen() {
	printf "ASKING\nXLEN %s\n" "$2" | redis-cli -p "$1" | tail -1
}

test_expect_success 'a slot migrated while flux produces and tap follows: nothing lost' '
	M=$(cluster_name_on $P1 moving) &&
	SLOT=$(redis-cli -p $P1 cluster keyslot $M) &&
	SRC=$(redis-cli -p $P1 cluster myid) &&
	DST=$(redis-cli -p $P2 cluster myid) &&
	{ tap $U/$M --from beginning >followed 2>follow.err & } &&
	follower=$! &&
	{ slow_input 50000 200 | flux - $U/$M 2>flux.err & } &&
	producer=$! &&
	test_track_pid $follower $producer &&
	wait_for 20 "test \$(redis-cli -p $P1 xlen $M) -gt 5000" &&
	redis-cli -p $P2 cluster setslot $SLOT importing $SRC >/dev/null &&
	redis-cli -p $P1 cluster setslot $SLOT migrating $DST >/dev/null &&
	test "$(redis-cli -p $P1 migrate 127.0.0.1 $P2 $M 0 10000)" = OK &&
	moved=$(asking_xlen $P2 $M) &&
	echo "# $moved entries migrated; flux now follows -ASK" &&
	wait_for 20 "test \$(asking_xlen $P2 $M) -gt $moved" &&
	for p in $P1 $P2 $P3; do
		redis-cli -p $p cluster setslot $SLOT node $DST >/dev/null || return 1
	done &&
	test "$(cluster_owner $P1 $SLOT)" = $P2 &&
	wait $producer &&
	test_line_count = 0 flux.err &&
	slow_input 50000 200 | sort >want &&
	tap $U/$M --exit >all &&
	sort -u all >got &&
	test_cmp want got &&
	echo "# $(wc -l <all) entries hold the 50000 records" &&
	wait_for 20 "test \$(sort -u followed | wc -l) -ge 50000" &&
	test_stop $follower TERM;
	sort -u followed >followed.sorted &&
	test_cmp want followed.sorted
'

test_expect_success 'a cluster that is down: a clear message and exit 69 after --timeout' '
	set -- $REDIS_CLUSTER_PIDS &&
	kill -9 $3 && { wait $3 2>/dev/null; true; } &&
	wait_for 20 "redis-cli -p $P1 cluster info | grep -q cluster_state:fail" &&
	test_expect_code 69 tap --timeout 2s $U/$S1 --from beginning >out 2>err &&
	test_grep "cluster is down" err &&
	! grep -qi crossslot err &&
	echo "{}" >one &&
	test_expect_code 69 flux --timeout 2s - $U/$S1 <one 2>err &&
	test_grep "cluster is down" err
'

test_expect_success 'a later seed that refuses the password: exit 77, not "cannot reach"' '
	start_redis pw --requirepass s3cret &&
	DEAD=$(free_port) &&
	test_expect_code 77 tap --timeout 2s redis://127.0.0.1:$DEAD,127.0.0.1:$REDIS_PORT/s --exit 2>err &&
	test_grep "requires authentication" err
'

test_done
