#!/usr/bin/env bash
# File log shards: keys placed as Kafka places them, every shard read in
# order, and consumer groups that spread shards over their live members.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap kafka_mock

# gen_keyed N: N lines "kI%1000 I" (flux --key-delimiter " " takes the key).
gen_keyed() {
	awk -v n="$1" -v s="${2:-1}" 'BEGIN { for (i = s; i < s + n; i++) printf "k%d %d\n", i % 1000, i }'
}

# per_key_ordered FILE: every key's values ("%k %s" lines) only grow.
per_key_ordered() {
	awk '{ if (($1 in last) && $2 + 0 <= last[$1]) { print "out of order: " $0; bad = 1 } last[$1] = $2 + 0 }
		END { exit bad }' "$1"
}

# drop_torn_line FILE: kill -9 can stop a write() part-way; a last line
# without its newline was not delivered whole.
drop_torn_line() {
	if [ -n "$(tail -c 1 "$1")" ]; then sed -i '$d' "$1"; fi
}

test_expect_success 'flux --shards 4 creates four shards; keys land where the Kafka client puts them' '
	start_kafka_mock kafka &&
	gen_keyed 5000 >in &&
	flux --shards 4 --key-delimiter " " file:log/s <in &&
	grep -qx "shards=4" log/s/meta &&
	for k in 0 1 2 3; do test_path_is_dir log/s/shards/$k || return 1; done &&
	flux --key-delimiter " " "kafka://$KAFKA/keys" <in &&
	tap file:log/s --exit -F "%p %k %s\n" | sort >file-shards &&
	tap "kafka://$KAFKA/keys" --exit -F "%p %k %s\n" | sort >kafka-partitions &&
	test_line_count = 5000 file-shards &&
	test_cmp kafka-partitions file-shards &&
	test "$(cut -d" " -f1 file-shards | sort -u | wc -l)" = 4
'

test_expect_success 'each shard has its own seqs; %p and the envelope name the shard' '
	tap file:log/s --exit -F "%p %o\n" >pos &&
	for k in 0 1 2 3; do
		grep "^$k " pos | cut -d" " -f2 >got-$k &&
		n=$(wc -l <got-$k) &&
		seq 0 $((n - 1)) >want-$k &&
		test_cmp want-$k got-$k || return 1
	done &&
	tap file:log/s --exit --count 1 --format envelope --from -1 >env &&
	grep -q "\"shard\":[0-3]," env
'

test_expect_success '--from -N, SEQ and @TIME apply to each shard' '
	tap file:log/s --exit --from -2 -F "%p\n" | sort | uniq -c >per-shard &&
	test_line_count = 4 per-shard &&
	! grep -v "^ *2 " per-shard &&
	tap file:log/s --exit --from 1000 -F "%p %o\n" | sort -n -k2 | awk "!seen[\$1]++" >firsts &&
	test_line_count = 4 firsts &&
	! grep -v " 1000\$" firsts &&
	tap file:log/s --exit --from @1h | wc -l >all &&
	echo 5000 >want && test_cmp want all
'

test_expect_success '--from @TIME: each shard starts at its own first message at or after TIME' '
	gen_keyed 100 1 | flux --shards 2 --key-delimiter " " file:log/t &&
	sleep 3 &&
	gen_keyed 37 1001 >second &&
	flux --key-delimiter " " file:log/t <second &&
	tap file:log/t --exit --from @1500ms -F "%p %k %s\n" >got &&
	cut -d" " -f1 got | sort -u >shards &&
	printf "0\n1\n" >want && test_cmp want shards &&
	cut -d" " -f2- got | sort >got_ks &&
	sort second >want && test_cmp want got_ks
'

test_expect_success 'keyless records spread over the shards a batch at a time' '
	seq 1 300000 | flux --shards 3 file:log/nokey &&
	tap file:log/nokey --exit -F "%p\n" | sort | uniq -c >per-shard &&
	test_line_count = 3 per-shard &&
	tap file:log/nokey --exit -F "%s\n" | sort -n >got &&
	seq 1 300000 >want &&
	test_cmp want got
'

test_expect_success 'a stream keeps its shard count: another --shards exits 64 and writes nothing' '
	echo x | test_expect_code 64 flux --shards 2 file:log/s 2>err &&
	test_grep "has 4 shards, not 2" err &&
	tap file:log/s --exit | wc -l >n && echo 5000 >want && test_cmp want n &&
	echo y | flux --shards 4 file:log/s &&
	echo z | flux file:log/s &&
	echo x | test_expect_code 64 flux --shards 0 file:log/s 2>err &&
	test_grep "shards" err &&
	echo x | test_expect_code 64 flux --shards 2 - 2>err &&
	test_grep "file: streams only" err
'

test_expect_success 'concurrent writers and kill -9 of flux: every shard stays intact and gap-free' '
	gen_keyed 50000 1 >w1 &&
	gen_keyed 50000 1000001 >w2 &&
	{ flux --shards 4 --key-delimiter " " file:log/w <w1 & } &&
	p1=$! &&
	{ flux --shards 4 --key-delimiter " " file:log/w <w2 & } &&
	p2=$! &&
	wait $p1 && wait $p2 &&
	tap file:log/w --exit -F "%k %s\n" | sort >got &&
	cat w1 w2 | sort >want &&
	test_cmp want got &&
	gen_keyed 300000 >crash_in &&
	for i in $(seq 1 10); do
		{ flux --shards 4 --fsync never --key-delimiter " " file:log/crash <crash_in & } &&
		pid=$! &&
		sleep 0.0$((RANDOM % 9))$((RANDOM % 10)) &&
		kill -9 $pid 2>/dev/null;
		wait $pid 2>/dev/null;
		if test -e log/crash/meta; then
			tap file:log/crash --exit -F "%p %o\n" >dump 2>err || { cat err; return 1; }
		fi
	done &&
	printf "k1 last\n" | flux --key-delimiter " " file:log/crash &&
	tap file:log/crash --exit -F "%p %o\n" >dump &&
	for k in 0 1 2 3; do
		grep "^$k " dump | cut -d" " -f2 >seqs-$k &&
		n=$(wc -l <seqs-$k) &&
		seq 0 $((n - 1)) >want-$k &&
		test_cmp want-$k seqs-$k || return 1
	done
'

test_expect_success 'three group members read 1M keyed records exactly once, per-key order kept' '
	gen_keyed 1000000 >big &&
	flux --shards 4 --key-delimiter " " file:log/big <big &&
	for i in 1 2 3; do
		{ tap file:log/big --group g --exit -F "%k %s\n" >m$i 2>err$i & } &&
		eval "pid$i=\$!"
	done &&
	wait $pid1 && wait $pid2 && wait $pid3 &&
	for i in 1 2 3; do per_key_ordered m$i || return 1; done &&
	cat m1 m2 m3 | sort >got &&
	sort big >want &&
	test_cmp want got
'

test_expect_success '--exit joining a group whose shards are all read: exit 0, nothing read, says so' '
	{ tap file:log/big --group g >follower 2>follower_err & } &&
	fpid=$! &&
	test_track_pid $fpid &&
	wait_for "test \$(ls log/big/groups/.g.members | wc -l) = 1" &&
	timeout 60 tap file:log/big --group g --exit >joined 2>joined_err &&
	test_line_count = 0 joined &&
	test_grep "every shard of this member is read to its end; nothing left to read" joined_err &&
	test_stop $fpid &&
	test_line_count = 0 follower &&
	timeout 60 tap file:log/big --group g --exit >alone 2>alone_err &&
	test_line_count = 0 alone &&
	test_line_count = 0 alone_err
'

test_expect_success 'kill -9 of a member: the others take its shards, nothing is lost' '
	gen_keyed 200000 >kin &&
	flux --shards 4 --key-delimiter " " file:log/k <kin &&
	mkfifo apipe &&
	{ tap file:log/k --group k --session-timeout 1s -F "%k %s\n" >apipe & } &&
	apid=$! &&
	{ { head -c 100000 >a_out; exec sleep 1000; } <apipe & } &&
	rpid=$! &&
	test_track_pid $apid $rpid &&
	wait_for "test -s a_out && test \$(wc -c <a_out) -ge 100000" &&
	{ tap file:log/k --group k --session-timeout 1s -F "%k %s\n" >b_out 2>b_err & } &&
	bpid=$! &&
	kill -9 $apid && kill $rpid &&
	wait_for 20 "test \$(wc -l <b_out) -ge 100000" &&
	gen_keyed 1000 300000 >more &&
	flux --key-delimiter " " file:log/k <more &&
	drop_torn_line a_out &&
	cat kin more | sort >want &&
	wait_for 20 "cat a_out b_out | sort -u | cmp -s - want" &&
	test_stop $bpid &&
	cat a_out b_out | sort -u >got &&
	test_cmp want got &&
	per_key_ordered b_out
'

test_expect_success 'a member that joins mid-run takes shards; nothing is read twice' '
	gen_keyed 1000000 >jin &&
	flux --shards 4 --key-delimiter " " file:log/j <jin &&
	mkfifo jpipe &&
	{ tap file:log/j --group j --exit --session-timeout 200ms -F "%p %k %s\n" >jpipe & } &&
	apid=$! &&
	{ { head -c 100000 >a1; while ! test -e go; do sleep 0.02; done; exec cat >a2; } <jpipe & } &&
	rpid=$! &&
	test_track_pid $apid $rpid &&
	wait_for "test -s a1 && test \$(wc -c <a1) -ge 100000" &&
	{ tap file:log/j --group j --exit --session-timeout 200ms -F "%p %k %s\n" >b 2>berr & } &&
	bpid=$! &&
	wait_for "test \$(ls log/j/groups/.j.members | wc -l) = 2" &&
	touch go &&
	wait $apid && wait $bpid && wait $rpid &&
	cat a1 a2 >a &&
	test -s b &&
	cut -d" " -f1 b | sort -u >b_shards &&
	printf "1\n3\n" >want_shards && test_cmp want_shards b_shards &&
	cut -d" " -f2- a >a_ks && cut -d" " -f2- b >b_ks &&
	per_key_ordered a_ks && per_key_ordered b_ks &&
	cat a_ks b_ks | sort >got &&
	sort jin >want &&
	test_cmp want got
'

test_expect_success 'more members than shards: the extra one waits, says so once, and takes over' '
	gen_keyed 20000 >one &&
	flux --key-delimiter " " file:log/one <one &&
	mkfifo opipe &&
	{ tap file:log/one --group o --session-timeout 400ms -F "%k %s\n" >opipe & } &&
	apid=$! &&
	{ { head -c 1000 >o1; exec sleep 1000; } <opipe & } &&
	rpid=$! &&
	test_track_pid $apid $rpid &&
	wait_for "test -s o1 && test \$(wc -c <o1) -ge 1000" &&
	tap file:log/one --group o --exit 2>err_exit >o_exit &&
	test_line_count = 0 o_exit &&
	test_grep "2 members for 1 shard; this one has none and stops" err_exit &&
	{ tap file:log/one --group o --session-timeout 400ms -F "%k %s\n" >o2 2>err_wait & } &&
	bpid=$! &&
	wait_for "grep -q \"this one waits until a shard is free\" err_wait" &&
	test_line_count = 0 o2 &&
	kill -9 $apid && kill $rpid &&
	drop_torn_line o1 &&
	sort one >want &&
	wait_for "cat o1 o2 | sort -u | cmp -s - want" &&
	test_stop $bpid &&
	per_key_ordered o2 &&
	test "$(grep -c "this one waits" err_wait)" = 1
'

test_expect_success '--session-timeout: needs --group; on kafka it is session.timeout.ms (6s or more)' '
	test_expect_code 64 tap file:log/s --session-timeout 1s --exit 2>err &&
	test_grep "needs --group" err &&
	test_expect_code 64 tap file:log/s --group g --session-timeout 0s --exit 2>err &&
	test_grep "above 0" err &&
	test_expect_code 64 tap "kafka://$KAFKA/keys" --group kg --session-timeout 2s --exit 2>err &&
	test_grep "session.timeout.ms=2000" err &&
	tap "kafka://$KAFKA/keys" --group kg --session-timeout 7s --exit >got &&
	test_line_count = 5000 got
'

test_expect_success 'file:DIR/a,b reads both streams' '
	printf "a1\na2\n" | flux file:multi/a &&
	printf "b1\n" | flux --shards 2 file:multi/b &&
	tap file:multi/a,b --exit -F "%t %s\n" | sort >got &&
	printf "a a1\na a2\nb b1\n" >expect &&
	test_cmp expect got &&
	tap file:multi/a,b --group both --exit | sort >got &&
	printf "a1\na2\nb1\n" >expect &&
	test_cmp expect got &&
	tap file:multi/a,b --group both --exit >again &&
	test_line_count = 0 again
'

test_done
