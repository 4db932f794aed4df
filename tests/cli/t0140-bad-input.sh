#!/usr/bin/env bash
# Bad input: a clear message (what, where), the documented exit code, and no
# good record lost.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success 'malformed envelope lines are reported by line; good ones arrive; exit 65' '
	cat >in <<-\EOF &&
	{"payload":"good1"}
	{"payload":
	{"payload_b64":"!!!"}
	{"payload":"good2"}
	[1,2]
	EOF
	test_expect_code 65 flux --envelope file:log/env <in 2>err &&
	test_grep "stdin line 2: invalid envelope" err &&
	test_grep "stdin line 3: invalid envelope.*payload_b64" err &&
	test_grep "stdin line 5: invalid envelope" err &&
	tap file:log/env --exit >out &&
	printf "good1\ngood2\n" >expect &&
	test_cmp expect out
'

test_expect_success '--on-error fail stops at the first bad line, keeps the ones before' '
	test_expect_code 65 flux --envelope --on-error fail file:log/envfail <in 2>err &&
	test_grep "stdin line 2" err &&
	tap file:log/envfail --exit >out &&
	printf "good1\n" >expect &&
	test_cmp expect out
'

test_expect_success '--on-error dlq:URI keeps rejected records with the reason; exit 0' '
	flux --envelope --on-error dlq:file:log/dead file:log/envdlq <in 2>err &&
	tap file:log/envdlq --exit >out &&
	printf "good1\ngood2\n" >expect && test_cmp expect out &&
	tap file:log/dead --exit -F "%h|%s\n" >dead &&
	test_line_count = 3 dead &&
	test_grep "sluice.line=2" dead &&
	test_grep "sluice.source=stdin|{\"payload\":$" dead
'

test_expect_success 'a line over the size limit is reported, the others arrive' '
	{ echo short1; head -c 5000 /dev/zero | tr "\0" x; echo; echo short2; } >in &&
	test_expect_code 65 flux --max-record-bytes 1K file:log/big <in 2>err &&
	test_grep "stdin line 2: record longer than the limit of 1024 bytes" err &&
	tap file:log/big --exit >out &&
	printf "short1\nshort2\n" >expect &&
	test_cmp expect out
'

test_expect_success 'a URI with a bad scheme: exit 64 naming the scheme' '
	test_expect_code 64 flux foo://x/y </dev/null 2>err &&
	test_grep "unknown scheme .foo." err &&
	test_expect_code 64 tap foo://x/y 2>err &&
	test_grep "unknown scheme .foo." err
'

test_expect_success 'bad flag values: exit 64 naming the flag' '
	test_expect_code 64 flux --fsync sometimes file:log/x </dev/null 2>err &&
	test_grep -- "--fsync" err &&
	test_expect_code 64 flux --on-error maybe file:log/x </dev/null 2>err &&
	test_grep -- "--on-error" err &&
	test_expect_code 64 tap --from yesterday file:log/x 2>err &&
	test_grep -- "--from" err &&
	test_expect_code 64 tap --format "%q" file:log/x 2>err &&
	test_grep -- "--format" err &&
	test_expect_code 64 flux --no-such-flag file:log/x </dev/null 2>err &&
	test_expect_code 64 flux </dev/null 2>err
'

# Root writes anywhere, so as root flux runs as nobody. nobody may not be
# able to reach the clone (a 0700 /root) nor $TEST_DIR (under a private
# TMPDIR): the binary and the directory go to a fresh 0755 one under /tmp.
test_expect_success 'an unwritable directory: a clear message, exit 73 or 77' '
	if [ "$(id -u)" = 0 ]; then
		there=$(mktemp -d /tmp/sluice-nobody.XXXXXX) &&
		test_when_finished "rm -rf \"$there\"" &&
		chmod 755 "$there" &&
		cp "$SLUICE_BIN/flux" "$there/flux" &&
		run="runuser -u nobody -- $there/flux"
	else
		there=$TEST_DIR &&
		run=flux
	fi &&
	mkdir "$there/ro" && chmod 555 "$there/ro" &&
	rc=0 &&
	(cd "$there" && echo x | $run file:ro/s) 2>err || rc=$? &&
	cat err &&
	{ test $rc = 73 || test $rc = 77; } &&
	test_grep "ro/s" err
'

test_expect_success 'tap --exit on a stream that does not exist: exit 66' '
	test_expect_code 66 tap --exit file:log/nope 2>err &&
	test_grep "nope" err
'

test_expect_success 'file: options with another backend are a usage error (64)' '
	echo x | test_expect_code 64 flux --retention 7d redis://127.0.0.1:1/s 2>err &&
	test_grep -e "--retention applies to file: streams only, not redis:" err &&
	test_grep "maxlen" err &&
	echo x | test_expect_code 64 flux --fsync always kafka://127.0.0.1:1/t 2>err &&
	test_grep -e "--fsync applies to file: streams only, not kafka:" err &&
	echo x | test_expect_code 64 flux --segment-bytes 1M - 2>err >out &&
	test_grep -e "--segment-bytes" err &&
	test ! -s out
'

test_expect_success 'missing or extra arguments: exit 64 with the usage line' '
	test_expect_code 64 tap 2>err &&
	test_grep "^tap: missing arguments; usage: tap \[OPTIONS\] STREAM \[PIPE|-\]" err &&
	test_expect_code 64 tap a b c 2>err &&
	test_grep "^tap: too many arguments; usage: tap" err &&
	test_expect_code 64 flux </dev/null 2>err &&
	test_grep "^flux: missing arguments; usage: flux \[OPTIONS\] \[PIPE|-\] STREAM" err &&
	test_expect_code 64 tap --bogus x 2>err &&
	test_grep -e "--bogus" err
'

test_done
