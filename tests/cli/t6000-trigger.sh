#!/usr/bin/env bash
# trigger: the filter decides, --exec and --to act, retries and dead
# letters, at least once with a consumer group (also across kill -9).
. "$(dirname "$0")/lib.sh"
test_require_bin trigger flux tap

cat >events <<'JSON'
{"op":"u","before":{"id":1,"price":10},"after":{"id":1,"price":12},"name":"lamp"}
{"op":"u","before":{"id":2,"price":5},"after":{"id":2,"price":5},"name":"desk"}
{"op":"c","before":null,"after":{"id":3,"price":7},"name":"chair"}
{"op":"u","before":{"id":4,"price":1},"after":{"id":4,"price":2},"name":"sofa bed"}
JSON

test_expect_success 'a syntax error in --when names line and column and exits 64' '
	test_expect_code 64 trigger -w "op == \"u\" && ==" -x true - </dev/null 2>err &&
	test_grep "^trigger: --when: 1:14: expected a value after .&&., found .==.$" err
'

test_expect_success 'an action is required, and only one' '
	test_expect_code 64 trigger -w true - </dev/null 2>err &&
	test_grep "an action is required" err &&
	test_expect_code 64 trigger -w true -x true --to - - </dev/null 2>err &&
	test_grep "one action: --exec, --webhook or --to" err
'

test_expect_success '--exec fires exactly for the matching events, event on stdin' '
	trigger -w "op == \"u\" && changed(after.price)" -x "cat >>fired" - <events &&
	sed -n "1p;4p" events >expect &&
	test_cmp expect fired
'

test_expect_success '--exec gets top-level scalars as SLUICE_* and the event id' '
	trigger -w "after.id == 4" \
		-x "echo \"\$SLUICE_OP|\$SLUICE_NAME|\$TRIGGER_EVENT_ID|\$TRIGGER_RULE|\$TRIGGER_ATTEMPT|\${SLUICE_AFTER-unset}\"" \
		-n prices - <events >out &&
	echo "u|sofa bed|stdin/4|prices|1|unset" >expect &&
	test_cmp expect out
'

test_expect_success '--dry-run prints rule, event id and event, runs nothing' '
	trigger --dry-run -w "after.price > 6" -x "touch ran" - <events >out &&
	test_path_is_missing ran &&
	printf "when\tstdin/1\t%s\nwhen\tstdin/3\t%s\n" "$(sed -n 1p events)" "$(sed -n 3p events)" >expect &&
	test_cmp expect out
'

test_expect_success 'a failing command is retried with the same event id until it succeeds' '
	cat >flaky.sh <<-\EOF &&
	n=$(cat tries 2>/dev/null || echo 0); n=$((n + 1)); echo $n >tries
	echo "$TRIGGER_EVENT_ID $TRIGGER_ATTEMPT" >>ids
	[ $n -ge 3 ]
	EOF
	trigger -w "name == \"desk\"" -x "sh flaky.sh" --retry-backoff 5ms,20ms --stats \
		- <events 2>err &&
	printf "stdin/2 1\nstdin/2 2\nstdin/2 3\n" >expect &&
	test_cmp expect ids &&
	test_grep "1 matched, 1 fired, 0 failed, 2 retried, 0 dead-lettered" err &&
	test_grep "stdin line 2: --exec: exit status 1 (attempt 1; retrying in" err
'

test_expect_success 'after the last retry: exit 75 at the end of stdin, the other events still run' '
	test_expect_code 75 trigger -w "op == \"u\"" \
		-x "x=\$(cat); case \$x in *desk*) exit 9;; esac; echo \"\$x\" >>done" --retries 1 --retry-backoff 1ms - <events 2>err &&
	sed -n "1p;4p" events >expect &&
	test_cmp expect done &&
	test_grep "stdin line 2: --exec: exit status 9 after 2 attempts: failed" err
'

test_expect_success 'with --dlq the failed event is dead-lettered with rule, attempts, error; exit 0' '
	trigger -w "op == \"u\"" -n upd -x "! grep -q desk" --retries 2 --retry-backoff 1ms \
		--dlq file:log/dlq - <events 2>err &&
	tap -e -F "%h|%s\n" file:log/dlq >out &&
	echo "trigger-rule=upd,trigger-event-id=stdin/2,trigger-attempts=3,trigger-error=--exec: exit status 1|$(sed -n 2p events)" >expect &&
	test_cmp expect out &&
	test_grep "sent to the dead-letter stream" err
'

test_expect_success 'a hanging command is killed after --exec-timeout (its children too)' '
	start=$(date +%s) &&
	test_expect_code 75 trigger -w true -x "sleep 31.7 & sleep 31.7" --exec-timeout 300ms --retries 0 \
		- <<-\EOF 2>err &&
	{"a":1}
	EOF
	test $(($(date +%s) - start)) -lt 10 &&
	test_grep "timed out after 300 ms after 1 attempt: failed" err &&
	! pgrep -f "sleep 31.7"
'

test_expect_success 'a bad line: --on-error fail stops with 65 naming it, skip goes on' '
	printf "{\"a\":1}\nnot json\n{\"a\":1}\n" >bad &&
	test_expect_code 65 trigger -w "a == 1" -x "cat >>ran1" - <bad 2>err &&
	test_grep "^trigger: stdin line 2: event is not valid JSON" err &&
	test_line_count = 1 ran1 &&
	trigger -w "a == 1" -x "cat >>ran2" --on-error skip - <bad 2>err &&
	test_grep "stdin line 2: event is not valid JSON.*(skipped)" err &&
	test_line_count = 2 ran2
'

test_expect_success 'lines read together are taken in order: line numbers, a bad line, --count, --stats' '
	awk "BEGIN { for (i = 1; i <= 3000; i++) {
		if (i == 1000) print \"\"; else if (i == 2500) print \"not json\";
		else printf \"{\\\"i\\\":%d,\\\"op\\\":\\\"%s\\\"}\\n\", i, i % 3 ? \"c\" : \"u\" } }" >many &&
	awk "/\"u\"/ { print \"when\tstdin/\" NR \"\t\" \$0 }" many >expect_all &&
	trigger --dry-run -w "op == \"u\"" --on-error skip --stats - <many >out 2>err &&
	test_cmp expect_all out &&
	test_grep "stdin line 2500: event is not valid JSON.*(skipped)" err &&
	test_grep "2999 events; rule .when.: 1000 matched" err &&
	test_expect_code 65 trigger --dry-run -w "op == \"u\"" --stats - <many >out 2>err &&
	awk -F "\t" "{ split(\$2, a, \"/\") } a[2] < 2500" expect_all >expect &&
	test_cmp expect out &&
	test_grep "^trigger: stdin line 2500: event is not valid JSON" err &&
	test_grep "2499 events; rule .when.: 833 matched" err &&
	trigger --dry-run -w "op == \"u\"" --count 1500 - <many >out &&
	awk -F "\t" "{ split(\$2, a, \"/\") } a[2] <= 1501" expect_all >expect &&
	test_cmp expect out
'

test_expect_success '--strict makes a type mismatch a bad event' '
	echo "{\"a\":\"x\"}" >mis &&
	trigger -w "a > 1" -x "cat >>ran3" - <mis &&
	test_path_is_missing ran3 &&
	test_expect_code 65 trigger --strict -w "a > 1" -x true - <mis 2>err &&
	test_grep "stdin line 1: 1:3: type mismatch: .>. compares a string with a number" err
'

test_expect_success '--envelope: the payload is the event, metadata behind @, ids from positions' '
	flux -k after.id file:log/src <events &&
	tap -e -F envelope file:log/src |
		trigger --envelope -w "@key == \"4\" || @seq == 0" -x "echo \$TRIGGER_EVENT_ID; cat" - >out &&
	printf "src/0/0\n%s\nsrc/0/3\n%s\n" "$(sed -n 1p events)" "$(sed -n 4p events)" >expect &&
	test_cmp expect out
'

test_expect_success 'a stream source with --group: each matching event once, resumed' '
	trigger -g g1 -e -w "op == \"u\"" -x "cat >>g1" file:log/src &&
	grep "\"op\":\"u\"" events >expect &&
	test_cmp expect g1 &&
	flux file:log/src <<-\EOF &&
	{"op":"u","name":"late"}
	EOF
	trigger -g g1 -e -w "op == \"u\"" -x "cat >>g1" --stats file:log/src 2>err &&
	test_line_count = 4 g1 &&
	test_grep "1 events; rule .when.: 1 matched, 1 fired" err
'

test_expect_success 'a stream: a failure without --dlq stops with 75, the group stays before it' '
	test_expect_code 75 trigger -g g2 -e -w "op == \"u\"" --retries 0 \
		-x "x=\$(cat); case \$x in *desk*) exit 1;; esac; echo \"\$x\" >>g2" file:log/src 2>err &&
	test_grep "event src/0/1: stopping; the group stays before this event" err &&
	test_line_count = 1 g2 &&
	trigger -g g2 -e -w "op == \"u\"" -x "cat >>g2" file:log/src &&
	test_line_count = 4 g2
'

test_expect_success '--to produces the matching events (key, headers, payload) to a stream' '
	trigger -g g3 -e -w "op == \"c\" || name == \"lamp\"" --to file:log/copy file:log/src &&
	tap -e -F "%k %s\n" file:log/copy >out &&
	printf "1 %s\n3 %s\n" "$(sed -n 1p events)" "$(sed -n 3p events)" >expect &&
	test_cmp expect out &&
	trigger -g g3 -e -w "op == \"c\" || name == \"lamp\"" --to file:log/copy file:log/src &&
	tap -e file:log/copy >out &&
	test_line_count = 2 out
'

test_expect_success '--to with --template produces the rendering' '
	trigger -e -w "name == \"lamp\"" --to file:log/shaped --template "%k:%s" file:log/src &&
	tap -e file:log/shaped >out &&
	echo "1:$(sed -n 1p events)" >expect &&
	test_cmp expect out &&
	test_expect_code 64 trigger -w true -x true --template "%s" - </dev/null 2>err &&
	test_grep "template needs --webhook or --to" err
'

test_expect_success '--rate spaces the fires (6 at 10/s take at least 0.5 s), drops none' '
	seq 1 6 | sed "s/.*/{\"r\":&}/" >six &&
	start=$(date +%s%N) &&
	trigger -w "r > 0" -x "cat >>rated" --rate 10/s - <six &&
	elapsed_ms=$((($(date +%s%N) - start) / 1000000)) &&
	test_cmp six rated &&
	test $elapsed_ms -ge 490 &&
	test_expect_code 64 trigger -w true -x true --rate 5 - </dev/null 2>err &&
	test_grep "expected N/s, N/m or N/h" err
'

test_expect_success 'kill -9 during a burst with --group, then restart: every action ran at least once' '
	n=$((1000 / TEST_SCALE)) &&
	seq 1 $n | sed "s/.*/{\"n\":&}/" | flux file:log/burst &&
	{ trigger -g kg -w "n > 0" -x "cat >>ran" file:log/burst 2>/dev/null & } &&
	pid=$! &&
	wait_for "test -s ran && test \$(wc -l <ran) -gt 20" &&
	kill -9 $pid &&
	{ wait $pid 2>/dev/null || :; } &&
	before=$(wc -l <ran) &&
	trigger -g kg -e -w "n > 0" -x "cat >>ran" file:log/burst &&
	sort -u ran | wc -l >uniq &&
	echo $n >expect_n &&
	test_cmp expect_n uniq &&
	test $(wc -l <ran) -ge $n &&
	test $before -lt $n
'

test_done
