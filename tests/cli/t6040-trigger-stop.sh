#!/usr/bin/env bash
# trigger: a stop signal cuts running actions short and leaves their events
# not done (a restart with --group runs them again); a full rule queue holds
# the reader back (backpressure), and every event still runs once, in order
# per key.
. "$(dirname "$0")/lib.sh"
test_require_bin trigger flux

printf "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" >events

# hang.sh: the first run hangs (its pid in hung), the later ones record the
# event in ran.
cat >hang.sh <<\EOF
if [ ! -e hung ]; then
	echo $$ >hung
	exec sleep 300
fi
cat >>ran
EOF

test_expect_success 'TERM cuts a running --exec short (exit 75); a restart with --group redoes its event' '
	flux file:log/s <events &&
	{ trigger -g g1 -w "n > 0" -x "sh hang.sh" --exec-timeout 10m file:log/s 2>err & } &&
	pid=$! &&
	test_track_pid $pid &&
	wait_for "test -s hung" &&
	start=$(date +%s) &&
	rc=0 && { test_stop $pid TERM || rc=$?; } &&
	test $rc = 75 &&
	test $(($(date +%s) - start)) -lt 30 &&
	! kill -0 $(cat hung) 2>/dev/null &&
	test_path_is_missing ran &&
	trigger -g g1 -e -w "n > 0" -x "sh hang.sh" file:log/s &&
	test_cmp events ran
'

test_expect_success 'a command that ignores TERM is killed after the grace period' '
	{ trigger -w "n == 1" -x "trap \"\" TERM; echo \$\$ >deaf; while :; do sleep 1; done" \
		--exec-timeout 10m - <events 2>err & } &&
	pid=$! &&
	test_track_pid $pid &&
	wait_for "test -s deaf" &&
	start=$(date +%s) &&
	rc=0 && { test_stop $pid INT || rc=$?; } &&
	test $rc = 75 &&
	test $(($(date +%s) - start)) -lt 30 &&
	! kill -0 $(cat deaf) 2>/dev/null
'

test_expect_success 'a full rule queue holds the reader back; then every event runs once, in order per key' '
	test_when_finished "touch gate" &&
	pad=$(head -c 30000 /dev/zero | tr "\0" x) &&
	{ for i in $(seq 1 200); do
		printf "{\"key\":\"k%s\",\"payload\":{\"k\":%s,\"n\":%s,\"pad\":\"%s\"}}\n" \
			$((i % 3)) $((i % 3)) $i "$pad"
		echo $i >written
	  done | trigger --envelope -w "n > 0" --max-in-flight 2 --queue-size 2 \
		-x "echo x >>started; while [ ! -e gate ]; do sleep 0.05; done; echo \"\$SLUICE_K \$SLUICE_N\" >>ran-bp" \
		- 2>bp.err; echo $? >bp.rc; } &
	wait_for "test -s started" &&
	sleep 1 &&
	test $(cat written) -lt 100 &&
	touch gate &&
	wait_for 60 "test -s bp.rc" &&
	echo 0 >expect && test_cmp expect bp.rc &&
	test_line_count = 200 ran-bp &&
	for k in 0 1 2; do
		seq 1 200 | awk -v k=$k "\$1 % 3 == k" >expect &&
		awk -v k=$k "\$1 == k {print \$2}" ran-bp >got &&
		test_cmp expect got || return 1
	done
'

test_done
