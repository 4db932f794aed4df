#!/usr/bin/env bash
# The test scripts themselves: a background job in an && chain must be
# wrapped in braces ('{ cmd & } &&'); 'a && b &' puts the whole chain in
# the background, so $! is a subshell and the steps before it race the
# rest of the test (it broke t3020 and t4050 before this check).
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

test_done
