#!/usr/bin/env bash
# The C++ sources are formatted as .clang-format says (Google-based, 100
# columns): `clang-format -i` on a file before committing it keeps this
# green. Prints the first differences when it fails.
. "$(dirname "$0")/lib.sh"
test_require_cmd clang-format git

test_expect_success 'every C++ file of lib, tools and tests is clang-formatted' '
	(cd "$SLUICE_ROOT" && git ls-files "lib/*.cpp" "lib/*.h" "tools/*.cpp" "tools/*.h" \
		"tests/*.cpp" "tests/*.h") >files &&
	test_line_count -gt 50 files &&
	: >unformatted &&
	while read -r f; do
		clang-format --style=file "$SLUICE_ROOT/$f" |
			cmp -s - "$SLUICE_ROOT/$f" || echo "$f" >>unformatted
	done <files &&
	{ test_line_count = 0 unformatted || {
		head -3 unformatted | while read -r f; do
			clang-format --style=file "$SLUICE_ROOT/$f" |
				diff -u "$SLUICE_ROOT/$f" - | head -20
		done; false; }; }
'

test_expect_success 'the check notices a misformatted file' '
	printf "int  main( ){return 0;}\n" >bad.cpp &&
	! clang-format --style=file --assume-filename="$SLUICE_ROOT/lib/bad.cpp" <bad.cpp | cmp -s - bad.cpp
'

test_done
