#!/usr/bin/env bash
# trigger --webhook against a local receiver (webhook-receiver.py): retries
# with one webhook-id and a signature that verifies, permanent 4xx to the
# dead-letter stream, Retry-After, timeouts, 410 Gone, keep-alive, a stop
# signal during a request, lanes sharing 410 Gone and --rate.
. "$(dirname "$0")/lib.sh"
test_require_bin trigger tap flux
"$PYTHON" -c 'import http.server' 2>/dev/null || test_skip_all_ "python3 is missing"

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
"$PYTHON" "$SLUICE_ROOT/tests/cli/webhook-receiver.py" port requests --secret "$SECRET" &
test_track_pid $!
wait_for "test -s port" || { echo "webhook receiver did not start" >&2; exit 1; }
URL=http://127.0.0.1:$(cat port)

# field PATH KEY: the values of KEY in the log lines of PATH, one a line.
field() {
	"$PYTHON" -c 'import json, sys
for l in open("requests"):
    e = json.loads(l)
    if e["path"] == sys.argv[1]:
        print(e[sys.argv[2]])' "$1" "$2"
}

test_expect_success 'a failing endpoint gets the event until it answers 2xx, same id, signed' '
	echo "{\"op\":\"u\",\"n\":1}" >ev &&
	trigger -w "op == \"u\"" --webhook "$URL/flaky/2" --webhook-secret "$SECRET" \
		--retry-backoff 10ms,40ms --stats - <ev 2>err &&
	field /flaky/2 code >codes &&
	printf "503\n503\n200\n" >expect && test_cmp expect codes &&
	field /flaky/2 id | sort -u >ids &&
	echo stdin/1 >expect && test_cmp expect ids &&
	field /flaky/2 sig_ok | sort -u >sigs &&
	echo True >expect && test_cmp expect sigs &&
	field /flaky/2 body | sort -u >bodies && test_cmp ev bodies &&
	field /flaky/2 chunked | sort -u >chunked && echo False >expect && test_cmp expect chunked &&
	test_grep "1 matched, 1 fired, 0 failed, 2 retried" err &&
	test_grep "webhook: HTTP 503 (attempt 1; retrying in" err
'

test_expect_success 'a permanent 4xx is not retried and goes to the dead-letter stream' '
	echo "{\"n\":2}" | trigger -w "n == 2" --webhook "$URL/reject" --dlq file:dl/dlq \
		--retry-backoff 10ms - 2>err &&
	field /reject code >codes && echo 400 >expect && test_cmp expect codes &&
	tap -e -F "%h|%s\n" file:dl/dlq >out &&
	echo "trigger-rule=when,trigger-event-id=stdin/1,trigger-attempts=1,trigger-error=--webhook: HTTP 400|{\"n\":2}" >expect &&
	test_cmp expect out &&
	echo "{\"n\":2}" | test_expect_code 75 trigger -w "n == 2" --webhook "$URL/reject" - 2>err &&
	test_grep "HTTP 400 after 1 attempt: failed" err
'

test_expect_success '429 with Retry-After: the retry waits as asked' '
	echo "{\"n\":3}" | trigger -w "n == 3" --webhook "$URL/busy/1" --retry-backoff 10ms - 2>err &&
	field /busy/1 code >codes && printf "429\n200\n" >expect && test_cmp expect codes &&
	field /busy/1 time >times &&
	awk "NR == 1 {a = \$1} NR == 2 {b = \$1} END {exit !(b - a >= 0.9)}" times &&
	test_grep "retrying in 1000 ms, as Retry-After asks" err
'

test_expect_success 'a hanging endpoint times out (--webhook-timeout), retried, then fails' '
	start=$(date +%s) &&
	echo "{\"n\":4}" | test_expect_code 75 trigger -w "n == 4" --webhook "$URL/hang" \
		--webhook-timeout 300ms --retries 1 --retry-backoff 10ms - 2>err &&
	test $(($(date +%s) - start)) -lt 10 &&
	test_grep "Operation timed out after .* after 2 attempts: failed" err
'

test_expect_success '410 Gone disables the rule loudly; later events get no request' '
	printf "{\"n\":5}\n{\"n\":6}\n" | trigger -w "n > 0" \
		--webhook "$URL/gone" --dlq file:dl/gone - 2>err &&
	field /gone code >codes && echo 410 >expect && test_cmp expect codes &&
	test_grep "answered 410 Gone: the rule is DISABLED" err &&
	tap -e -F "%s\n" file:dl/gone >out &&
	printf "{\"n\":5}\n{\"n\":6}\n" >expect && test_cmp expect out &&
	test_grep "stdin line 2: --webhook: disabled after 410 Gone" err
'

test_expect_success 'one kept-alive connection; --method and --webhook-header' '
	seq 1 20 | sed "s/.*/{\"k\":&}/" |
		trigger -w "k > 0" --webhook "$URL/ok" --method PUT --webhook-header "X-Test: yes" - &&
	field /ok client_port | sort -u >ports &&
	test_line_count = 1 ports &&
	field /ok method | sort -u >methods && echo PUT >expect && test_cmp expect methods &&
	field /ok x_test | sort -u >xt && echo yes >expect && test_cmp expect xt &&
	field /ok id >ids && seq 1 20 | sed "s|^|stdin/|" >expect && test_cmp expect ids
'

test_expect_success '--template shapes the body; the signature covers what is sent' '
	echo "{\"t\":1}" | trigger -w "t == 1" --webhook "$URL/ok/t" --webhook-secret "$SECRET" \
		--template "{\"event\":%s,\"n\":%S}" - &&
	field /ok/t body >body &&
	echo "{\"event\":{\"t\":1},\"n\":7}" >expect && test_cmp expect body &&
	field /ok/t sig_ok >sig && echo True >expect && test_cmp expect sig
'

test_expect_success 'a bad secret or URL is a usage error' '
	test_expect_code 64 trigger -w true --webhook "$URL/ok" --webhook-secret nope - </dev/null 2>err &&
	test_grep "webhook-secret: expected a secret of the form whsec_BASE64" err &&
	test_expect_code 64 trigger -w true --webhook ftp://x - </dev/null 2>err &&
	test_grep "expected an http:// or https:// URL" err
'

test_expect_success 'isolation: a rule whose endpoint hangs does not hold up another rule' '
	cat >iso.json <<-EOF &&
	[
	  {"name": "slow", "when": "true", "webhook": "$URL/hang", "webhook_timeout": "50s", "retries": 0},
	  {"name": "fast", "when": "true", "webhook": "$URL/ok?iso"}
	]
	EOF
	printf "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n" >iso-ev &&
	{ trigger --rules iso.json - <iso-ev 2>iso.err & } &&
	pid=$! &&
	test_track_pid $pid &&
	wait_for 10 "test \$(grep -c \"/ok?iso\" requests) -eq 3" &&
	kill -0 $pid &&
	! grep -q "/hang" requests &&
	kill -9 $pid &&
	{ wait $pid 2>/dev/null || :; }
'

test_expect_success '410 Gone in one lane disables the whole rule, said once (--max-in-flight 4)' '
	seq 1 40 | sed "s/.*/{\"g\":&}/" >gone-ev &&
	trigger -w "g > 0" --max-in-flight 4 --webhook "$URL/gone/4" --dlq file:dl/gone4 \
		- <gone-ev 2>err &&
	grep -c "is DISABLED" err >n && echo 1 >expect && test_cmp expect n &&
	field /gone/4 code >codes && test $(wc -l <codes) -le 4 &&
	tap -e -F "%s\n" file:dl/gone4 | sort >out && sort gone-ev >expect && test_cmp expect out
'

test_expect_success '--rate is one budget for all the lanes of a rule (--max-in-flight 4)' '
	seq 1 60 | sed "s/.*/{\"r\":&}/" |
		trigger -w "r > 0" --rate 20/s --max-in-flight 4 --webhook "$URL/ok/rate" - &&
	field /ok/rate time | sort -n >times &&
	test_line_count = 60 times &&
	awk "{t[NR] = \$1} END {m = 0; j = 1; for (i = 1; i <= NR; i++) {while (t[i] - t[j] > 1.0) j++; if (i - j + 1 > m) m = i - j + 1}; print m}" \
		times >most &&
	echo "most requests in one second: $(cat most)" &&
	test $(cat most) -le 35
'

test_expect_success 'lanes share one pool of kept-alive connections (--max-in-flight 4)' '
	seq 1 80 | sed "s/.*/{\"p\":&}/" |
		trigger -w "p > 0" --max-in-flight 4 --webhook "$URL/ok/pool" --webhook-secret "$SECRET" - &&
	field /ok/pool id | sort -u >ids && test_line_count = 80 ids &&
	field /ok/pool sig_ok | sort -u >sigs && echo True >expect && test_cmp expect sigs &&
	field /ok/pool client_port | sort -u >ports &&
	test $(wc -l <ports) -le 4
'

test_expect_success 'TERM aborts a request in flight (exit 75); a restart with --group redoes its event' '
	printf "{\"s\":1}\n{\"s\":2}\n" | flux file:dl/src &&
	{ trigger -g gs -w "s > 0" --webhook "$URL/stall" --webhook-timeout 10m file:dl/src 2>err & } &&
	pid=$! &&
	test_track_pid $pid &&
	wait_for "grep -q /stall requests" &&
	start=$(date +%s) &&
	rc=0 && { test_stop $pid TERM || rc=$?; } &&
	test $rc = 75 &&
	test $(($(date +%s) - start)) -lt 30 &&
	trigger -g gs -e -w "s > 0" --webhook "$URL/ok/redo" file:dl/src &&
	field /ok/redo id >ids && printf "src/0/0\nsrc/0/1\n" >expect && test_cmp expect ids
'

test_done
