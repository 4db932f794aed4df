#!/usr/bin/env bash
# One CLI surface: the man pages' OPTIONS, the completions and the tool list
# of `sluice` are generated from the flag tables (gen-docs) and must not be
# stale; every short flag a tool's --help shows means one thing everywhere
# (the list in tools/common/shared_flags.h, DESIGN.md section 5); usage
# errors are ours, one line, exit 64; `sluice help` lists and opens tools.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin gen-docs flux tap cdc-pg sluice

tools="flux tap cdc-pg"

test_expect_success 'the generated files are up to date (else run scripts/gen-docs)' '
	gen-docs --check "$SLUICE_ROOT"
'

test_expect_success 'the staleness check fails on a hand edit' '
	mkdir -p copy/man copy/completions copy/scripts &&
	cp "$SLUICE_ROOT"/man/* copy/man/ &&
	cp "$SLUICE_ROOT"/completions/* copy/completions/ &&
	cp "$SLUICE_ROOT"/scripts/sluice.in copy/scripts/ &&
	gen-docs --check copy &&
	sed -i "s/-l count/-l kount/" copy/completions/sluice.fish &&
	test_must_fail gen-docs --check copy 2>err &&
	test_grep "sluice.fish. is stale" err &&
	gen-docs copy >/dev/null &&
	gen-docs --check copy
'

test_expect_success 'every short flag in --help is on the list, with its one meaning' '
	gen-docs --short-flags >taken &&
	test_line_count -gt 10 taken &&
	for t in $tools; do
		"$t" --help | sed -n "s/^  \(-[A-Za-z0-9]\), \(--[a-z0-9-]*\).*/\1 \2/p" >short.$t &&
		test_line_count -gt 1 short.$t &&
		while read -r pair; do
			grep -qxF -- "$pair" taken || { echo "$t: $pair is not in the list"; return 1; }
		done <short.$t || return 1
	done
'

test_expect_success 'the same short flag means the same long flag in every tool' '
	cat short.* | sort -u | awk "{ print \$1 }" | uniq -d >clash &&
	test_line_count = 0 clash
'

for t in $tools; do
	test_expect_success "$t: an unknown option, in our words" '
		test_expect_code 64 "$t" --bogus x 2>err &&
		echo "$t: unknown option '\''--bogus'\'' (see '\''$t --help'\'')" >want &&
		test_cmp want err
	'
	test_expect_success "$t: missing and extra arguments name the usage, not the parser" '
		test_expect_code 64 "$t" 2>err &&
		test_grep "^$t: missing arguments; usage: $t \[OPTIONS\]" err &&
		test_expect_code 64 "$t" a b c d 2>err &&
		test_grep "^$t: too many arguments" err &&
		"$t" --help >help &&
		! grep -E "REQUIRED|TEXT|_PIPE|_STREAM" help
	'
done

test_expect_success 'tap: a value that is not a number' '
	test_expect_code 64 tap --count abc file:log/s 2>err &&
	test_grep "^tap: --count: .abc. is not a whole number" err
'

test_expect_success 'a flag without its value' '
	test_expect_code 64 tap file:log/s --from 2>err &&
	test_grep "^tap: --from needs a value" err
'

test_expect_success 'sluice --help and sluice help list the tools on stdout' '
	sluice --help >list &&
	sluice help >list2 &&
	test_cmp list list2 &&
	for t in $tools; do
		test_grep "^  $t  *[a-zA-Z]" list || return 1
	done
'

test_expect_success 'sluice help TOOL prints the tool'\''s --help when stdout is no terminal' '
	sluice help tap >help &&
	tap --help >want &&
	test_cmp want help &&
	test_expect_code 64 sluice help nosuchtool 2>err &&
	test_grep "not a sluice tool" err
'

test_expect_success 'sluice --version and sluice TOOL --version' '
	sluice --version >v &&
	test_grep "^sluice [0-9]" v &&
	sluice tap --version >v &&
	test_grep "^tap (sluice) [0-9]" v
'

test_done
