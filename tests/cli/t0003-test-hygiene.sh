#!/usr/bin/env bash
# The test scripts themselves: a background job in an && chain must be
# wrapped in braces ('{ cmd & } &&'); 'a && b &' puts the whole chain in
# the background, so $! is a subshell and the steps before it race the
# rest of the test (it broke t3020 and t4050 before this check). And the
# tests run from any clone location, also one other users cannot enter.
. "$(dirname "$0")/lib.sh"

# bg_chains FILE...: "FILE:LINE: text" for each line that ends in a lone
# '&' (not '& }') after an '&&' on the line before or on the same line.
bg_chains() {
	awk '{
		if ((prev ~ /&&[ \t]*$/ || $0 ~ /&&.*[^&]&[ \t]*$/) && $0 ~ /[^&]&[ \t]*$/ && $0 !~ /& *}[ \t]*$/) {
			n = split(FILENAME, parts, "/")
			print parts[n] ":" FNR ": " $0
		}
		prev = $0
	}' "$@"
}

test_expect_success 'the check finds the mistake it is for' '
	printf "%s\n" "x() {" "	true &&" "	sleep 1 &" "}" "y() {" "	true &&" "	{ sleep 1 & } &&" "	true && sleep 2 &" "}" >sample.sh &&
	bg_chains sample.sh >found &&
	printf "%s\n" "sample.sh:3: 	sleep 1 &" "sample.sh:8: 	true && sleep 2 &" >expect &&
	test_cmp expect found
'

test_expect_success 'no test backgrounds a whole && chain' '
	bg_chains "$SLUICE_ROOT"/tests/cli/*.sh >bad &&
	: >none &&
	test_cmp none bad
'

# Tests pass from any clone location (issue 9, point 12): a root user who
# clones into /root (0700) must not see a test fail because it runs a tool
# as another user straight from the clone. Every script that switches user
# itself runs here from a copy of the tree in a 0700 directory, with its
# binaries and its TMPDIR inside that directory too. (pg.sh switches to
# postgres only for PostgreSQL's own binaries, on a directory it makes
# under /tmp: the clone's location does not matter there.)
test_expect_success 'tests that switch user pass from a clone in a 0700 directory' '
	grep -lE "runuser|setpriv|sudo -u|su -c" "$SLUICE_ROOT"/tests/cli/t[0-9]*.sh |
		grep -v "/$TEST_NAME.sh$" >switchers &&
	test_line_count -gt 0 switchers &&
	mkdir -m 700 private &&
	mkdir -p private/clone/tests private/clone/build/bin private/tmp &&
	cp -R "$SLUICE_ROOT/tests/cli" private/clone/tests/ &&
	while read -r script; do
		name=$(basename "$script") &&
		for tool in $(sed -n "s/^test_require_bin //p" "$script"); do
			cp "$SLUICE_BIN/$tool" private/clone/build/bin/ || return 1
		done &&
		TMPDIR=$TEST_DIR/private/tmp SLUICE_BIN=$TEST_DIR/private/clone/build/bin \
			bash "private/clone/tests/cli/$name" >"$name.log" 2>&1 ||
			{ cat "$name.log"; return 1; }
	done <switchers
'

test_done
