#!/usr/bin/env bash
# cmake --install lays out libexec/sluice, the sluice front command, the
# sluice-TOOL links, man pages and completions; cpack builds a .deb of it.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap
test_require_cmd cmake cpack dpkg-deb

build_dir=$(cd "$SLUICE_BIN/.." && pwd)

test_expect_success 'cmake --install --prefix puts every part in place' '
	cmake --install "$build_dir" --prefix "$TEST_DIR/p" >install.log 2>&1 &&
	test -x p/libexec/sluice/flux &&
	test -x p/libexec/sluice/tap &&
	test -x p/bin/sluice &&
	test -L p/bin/sluice-flux &&
	test -L p/bin/sluice-tap &&
	test_path_is_missing p/bin/top &&
	test_path_is_file p/share/man/man1/sluice-flux.1 &&
	test_path_is_file p/share/man/man1/sluice-tap.1 &&
	test_path_is_file p/share/man/man7/sluice.7 &&
	test_path_is_file p/share/bash-completion/completions/sluice &&
	test -L p/share/bash-completion/completions/sluice-flux &&
	test_path_is_file p/share/zsh/vendor-completions/_sluice &&
	test_path_is_file p/share/fish/vendor_completions.d/sluice.fish
'

test_expect_success 'the front command and the links run the installed tools' '
	printf "a\nb\n" | p/bin/sluice flux file:log/s &&
	p/bin/sluice-tap file:log/s --exit >out &&
	printf "a\nb\n" >expect && test_cmp expect out &&
	p/bin/sluice --version >v && test_grep "sluice" v &&
	test_expect_code 64 p/bin/sluice nosuchtool 2>err &&
	test_grep "not a sluice tool" err &&
	test_expect_code 64 p/bin/sluice 2>err &&
	p/bin/sluice help >list &&
	test_grep "^  tap  *consume a stream" list &&
	p/bin/sluice help tap >help &&
	test_grep "^Usage: tap \[OPTIONS\] STREAM" help &&
	test_path_is_missing p/libexec/sluice/gen-docs &&
	test_path_is_missing p/bin/gen-docs
'

test_expect_success 'DESTDIR staging works' '
	DESTDIR="$TEST_DIR/stage" cmake --install "$build_dir" --prefix /usr >install.log 2>&1 &&
	test -x stage/usr/libexec/sluice/flux &&
	test -L stage/usr/bin/sluice-flux
'

test_expect_success 'cpack builds a .deb with the same layout' '
	(cd "$build_dir" && cpack -G DEB -B "$TEST_DIR/pkg") >install.log 2>&1 &&
	deb=$(ls pkg/*.deb) &&
	dpkg-deb -c "$deb" >contents &&
	test_grep "/usr/libexec/sluice/flux" contents &&
	test_grep "/usr/bin/sluice-tap" contents &&
	test_grep "/usr/share/man/man7/sluice.7" contents &&
	dpkg-deb -f "$deb" Depends >depends &&
	test_grep "librdkafka" depends
'

test_done
