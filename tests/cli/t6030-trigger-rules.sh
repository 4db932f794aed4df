#!/usr/bin/env bash
# trigger --rules FILE: many rules in one process, a bad file exits 78
# naming the rule and field, SIGHUP reloads between events and a bad
# file on reload keeps the rules that run.
. "$(dirname "$0")/lib.sh"
test_require_bin trigger flux

cat >events <<'JSON'
{"op":"u","region":"eu","id":1}
{"op":"d","region":"us","id":2}
{"op":"u","region":"us","id":3}
{"op":"c","region":"eu","id":4}
JSON

test_expect_success 'two rules from a file: each runs its action for its own matches' '
	cat >rules.json <<-\EOF &&
	[
	  {"name": "eu", "when": "region == \"eu\"", "exec": "cat >>eu"},
	  {"name": "upd", "when": "op == \"u\"", "exec": "cat >>upd", "retries": 0}
	]
	EOF
	trigger --rules rules.json --stats - <events 2>err &&
	sed -n "1p;4p" events >expect_eu &&
	test_cmp expect_eu eu &&
	sed -n "1p;3p" events >expect_upd &&
	test_cmp expect_upd upd &&
	test_grep "4 events; rule .eu.: 2 matched, 2 fired, 0 failed.*; rule .upd.: 2 matched, 2 fired" err
'

test_expect_success '--dry-run with --rules prints each rule that would fire' '
	trigger --rules rules.json --dry-run - <events >out &&
	cut -f1,2 out >got &&
	printf "eu\tstdin/1\nupd\tstdin/1\nupd\tstdin/3\neu\tstdin/4\n" >expect &&
	test_cmp expect got
'

test_expect_success 'a bad rules file exits 78 and names the rule and the field' '
	echo "[{\"name\":\"a\",\"when\":\"true\",\"exec\":\"true\"},{\"name\":\"b\",\"when\":\"op ==\",\"exec\":\"true\"}]" >bad1.json &&
	test_expect_code 78 trigger --rules bad1.json - </dev/null 2>err &&
	test_grep "^trigger: --rules bad1.json: rule 2 (.b.): when: 1:" err &&
	echo "[{\"name\":\"a\",\"when\":\"true\",\"exec\":\"true\",\"colour\":1}]" >bad2.json &&
	test_expect_code 78 trigger --rules bad2.json - </dev/null 2>err &&
	test_grep "rule 1 (.a.): unknown field .colour." err &&
	echo "[{\"name\":\"a\",\"when\":\"true\"}]" >bad3.json &&
	test_expect_code 78 trigger --rules bad3.json - </dev/null 2>err &&
	test_grep "rule 1 (.a.): an action is required: exec, webhook or to" err &&
	echo "[{\"name\":\"a\",\"when\":\"true\",\"exec\":\"true\",\"rate\":\"5\"}]" >bad4.json &&
	test_expect_code 78 trigger --rules bad4.json - </dev/null 2>err &&
	test_grep "rule 1 (.a.): rate .5.: expected N/s" err &&
	echo "{\"name\":\"a\"}" >bad5.json &&
	test_expect_code 78 trigger --rules bad5.json - </dev/null 2>err &&
	test_grep "expected a JSON array of rules" err &&
	test_expect_code 64 trigger --rules rules.json -w true - </dev/null 2>err &&
	test_grep "with --rules, set it in the file" err
'

test_expect_success 'SIGHUP reloads the rules between events; a bad file keeps the old ones' '
	echo "[{\"name\":\"a\",\"when\":\"true\",\"exec\":\"cat >>a\"}]" >live.json &&
	echo "{\"n\":1}" | flux file:log/live &&
	{ trigger --rules live.json -g lg file:log/live 2>hup.err & } &&
	pid=$! &&
	test_track_pid $pid &&
	wait_for "test -s a" &&
	echo "[{\"name\":\"b\",\"when\":\"n > 1\",\"exec\":\"cat >>b\"}]" >live.json &&
	kill -HUP $pid &&
	wait_for "grep -q \"reloaded --rules live.json: 1 rules\" hup.err" &&
	echo "{\"n\":2}" | flux file:log/live &&
	wait_for "test -s b" &&
	echo "[{\"name\":\"c\",\"when\":\"n >\",\"exec\":\"cat >>c\"}]" >live.json &&
	kill -HUP $pid &&
	wait_for "grep -q \"keeping the 1 rules that run\" hup.err" &&
	echo "{\"n\":3}" | flux file:log/live &&
	wait_for "test \$(wc -l <b) -eq 2" &&
	test_stop $pid &&
	echo "{\"n\":1}" >expect_a &&
	test_cmp expect_a a &&
	printf "{\"n\":2}\n{\"n\":3}\n" >expect_b &&
	test_cmp expect_b b &&
	test_path_is_missing c &&
	test_grep "rule 1 (.c.): when: 1:" hup.err
'

test_expect_success 'a stream, two rules: the group stays before the event one rule failed' '
	flux file:log/two <events &&
	cat >two.json <<-\EOF &&
	[
	  {"name": "all", "when": "true", "exec": "cat >>all"},
	  {"name": "us", "when": "region == \"us\"", "exec": "test $SLUICE_ID != 2 && cat >>us", "retries": 0}
	]
	EOF
	test_expect_code 75 trigger -g two -e --rules two.json file:log/two 2>err &&
	test_grep "event two/0/1: stopping; the group stays before this event" err &&
	test_path_is_missing us &&
	sed "s/test .SLUICE_ID != 2 && //" two.json >fixed.json &&
	! grep -q SLUICE_ID fixed.json &&
	trigger -g two -e --rules fixed.json file:log/two &&
	sed -n "2p;3p" events >expect_us &&
	test_cmp expect_us us &&
	sort -u all >all_u &&
	sort -u events >events_u &&
	test_cmp events_u all_u
'

test_expect_success '--debounce: once per key per window, with the latest event; the group passes all' '
	printf "{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\",\"v\":1}\n{\"k\":\"a\",\"v\":2}\n{\"k\":\"a\",\"v\":3}\n" >deb &&
	flux -k k file:log/deb <deb &&
	trigger -g dg -e -w true --debounce 500ms -x "cat >>fired" --stats file:log/deb 2>err &&
	sort fired >got &&
	sed -n "2p;4p" deb | sort >expect &&
	test_cmp expect got &&
	test_grep "4 events; rule .when.: 4 matched, 2 fired, 0 failed" err &&
	trigger -g dg -e -w true --debounce 500ms -x "cat >>fired" file:log/deb &&
	test_line_count = 2 fired &&
	sed -n "1p;3p" deb | trigger -w true --debounce 300ms -x "cat >>one" - &&
	sed -n 3p deb >expect_one &&
	test_cmp expect_one one &&
	test_expect_code 64 trigger -w true -x true --debounce 0 - </dev/null 2>err &&
	test_grep "debounce .0.: expected a duration above 0" err
'

test_expect_success '--max-in-flight 4: four actions run at once' '
	cat >together.sh <<-\EOF &&
	touch "m.$(echo $TRIGGER_EVENT_ID | tr / _)"
	i=0
	while [ $(ls | grep -c "^m\.") -lt 4 ] && [ $i -lt 150 ]; do sleep 0.05; i=$((i + 1)); done
	[ $(ls | grep -c "^m\.") -ge 4 ] && cat >>together
	EOF
	sed -n "1,4p" events | trigger -w true --max-in-flight 4 -x "sh together.sh" --retries 0 - &&
	sort together >got &&
	sort events >expect &&
	test_cmp expect got &&
	test_expect_code 64 trigger -w true -x true --max-in-flight 0 - </dev/null 2>err &&
	test_grep "max-in-flight: expected 1 or more" err
'

test_expect_success '--max-in-flight: events of one key stay in order within the rule' '
	for v in 1 2 3 4 5 6; do echo "{\"k\":\"a\",\"v\":$v}"; echo "{\"k\":\"b\",\"v\":$v}"; done >keyed &&
	flux -k k file:log/keyed <keyed &&
	trigger -e -w true --max-in-flight 4 -x "sleep 0.0\$((7 - SLUICE_V)); cat >>out.\$SLUICE_K" file:log/keyed &&
	grep "\"a\"" keyed >expect_a &&
	test_cmp expect_a out.a &&
	grep "\"b\"" keyed >expect_b &&
	test_cmp expect_b out.b
'

test_done
