#!/usr/bin/env bash
# top's full-screen view in a real terminal (tmux): the rows, sorting by
# msgs/s, the filter, drilling into a stream and back, the moving keys,
# help, pause, a resize, colour and NO_COLOR, an unreachable server shown
# and retried until it comes, q, the stale highlight, and keys answered
# while sampling is stuck on a stopped server.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
. "$SLUICE_ROOT/tests/cli/top-lib.sh"
test_require_bin flux tap top
test_require_cmd tmux redis-server redis-cli

TMUX_SOCK=
TMUX_SOCKS=
TMUX_N=0
tm() { tmux -L "$TMUX_SOCK" "$@"; }
# screen: the pane as text now.
screen() { tm capture-pane -p; }
# on_screen REGEX: waits until a line of the pane matches REGEX.
on_screen() { wait_for 10 "tm capture-pane -p | grep -q -e '$1'"; }
# start_top ARGS...: top in a fresh 120x30 pane; its exit code goes to rc.
# TERM is the one whose key sequences tmux sends (Home is ESC [1~, not
# xterm's ESC OH).
start_top() {
	rm -f rc
	[ -z "$TMUX_SOCK" ] || tm kill-server 2>/dev/null
	# A server of its own each time: a new one on a dying socket may fail.
	TMUX_N=$((TMUX_N + 1))
	TMUX_SOCK=sluice-top-$$-$TMUX_N
	TMUX_SOCKS="$TMUX_SOCKS $TMUX_SOCK"
	tm new-session -d -x 120 -y 30 \
		"env PATH='$PATH' TERM=tmux-256color ${NO_COLOR:+NO_COLOR=1} top $*; echo \$? >'$TEST_DIR/rc'; sleep 30"
}
test_when_done_() {
	for TMUX_SOCK in $TMUX_SOCKS; do tm kill-server 2>/dev/null; done
}
trap 'test_when_done_; test_exit_' EXIT

test_expect_success 'streams with known contents and one busy stream' '
	for s in alpha beta gamma; do gen_ndjson 100 | flux - file:c/$s || return 1; done &&
	tap file:c/alpha --group ga --count 30 >/dev/null &&
	{ steady 20 0.1 | flux - file:c/busy & } &&
	test_track_pid $! &&
	wait_for "test -f c/busy/meta"
'

test_expect_success 'rows, one per stream, with the header totals' '
	start_top -i 300ms file:c &&
	on_screen "^busy  *1  *[1-9]" &&
	screen >s1 &&
	test_grep "^sluice top  file:c/  streams 4" s1 &&
	test_grep "STOP 1" s1 &&
	test_grep "^alpha  *1  *0  *0  *99 .*ga:STOP" s1 &&
	test_grep "^STREAM  *SHARDS  *MSGS/S" s1 &&
	sed -n "4p" s1 | grep -q "^alpha"
'

test_expect_success 's sorts by the next column: msgs/s puts the busy stream first' '
	tm send-keys s s &&
	on_screen "sort: msgs/s" &&
	on_screen "^busy" &&
	sleep 0.5 && screen >s2 &&
	sed -n "4p" s2 | grep -q "^busy" &&
	# Its sparkline has a full cell (@ in ASCII, a full block in UTF-8).
	grep "^busy" s2 | grep -q -e "@" -e "█" &&
	tm send-keys "<" "<" &&
	on_screen "sort: name"
'

test_expect_success '/ filters by name; Enter drills in; Esc goes back' '
	tm send-keys / g a m Enter &&
	on_screen "filter: gam$" &&
	screen >s3 &&
	test_grep "^gamma " s3 &&
	! grep -q "^alpha " s3 &&
	tm send-keys Enter &&
	on_screen "^stream gamma" &&
	on_screen "seq 99: " &&
	screen >s4 &&
	test_grep "LATEST MESSAGES" s4 &&
	test_grep "^ *0  *0  *99 " s4 &&
	tm send-keys Escape &&
	on_screen "^gamma  *1 " &&
	tm send-keys / Escape &&
	on_screen "^alpha "
'

test_expect_success 'drilling into a stream with a group shows its lag and status' '
	tm send-keys Home Enter &&
	on_screen "^stream alpha" &&
	on_screen "^ga  *70 .*STOP" &&
	tm send-keys Escape &&
	on_screen "^alpha "
'

test_expect_success 'Up, Down, PgUp, PgDn and End move the selection; > sorts by the next column' '
	tm send-keys Home Down Down Enter &&
	on_screen "^stream busy" &&
	tm send-keys Escape && on_screen "^alpha " &&
	tm send-keys Up Enter &&
	on_screen "^stream beta" &&
	tm send-keys Escape && on_screen "^alpha " &&
	tm send-keys End Enter &&
	on_screen "^stream gamma" &&
	tm send-keys Escape && on_screen "^alpha " &&
	tm send-keys PgUp Enter &&
	on_screen "^stream alpha" &&
	tm send-keys Escape && on_screen "^alpha " &&
	tm send-keys PgDn Enter &&
	on_screen "^stream gamma" &&
	tm send-keys Escape && on_screen "^alpha " &&
	tm send-keys ">" &&
	on_screen "sort: shards" &&
	tm send-keys "<" &&
	on_screen "sort: name" &&
	tm send-keys Home
'

test_expect_success '? shows the keys, p pauses' '
	tm send-keys "?" &&
	on_screen "sluice top: keys" &&
	tm send-keys x &&
	on_screen "^STREAM" &&
	tm send-keys p &&
	on_screen "\[paused\]" &&
	tm send-keys p &&
	wait_for "! tm capture-pane -p | grep -q paused"
'

test_expect_success 'a resize redraws cleanly' '
	tm resize-window -x 70 -y 12 &&
	on_screen "^STREAM" &&
	sleep 0.5 && screen >s5 &&
	test "$(wc -L <s5)" -le 70 &&
	test_grep "^alpha " s5 &&
	test_grep "^sluice top" s5 &&
	tm resize-window -x 120 -y 30 &&
	on_screen "GROUPS$"
'

test_expect_success 'q quits with exit 0' '
	tm send-keys q &&
	wait_for "test -s rc" &&
	echo 0 >expect && test_cmp expect rc
'

test_expect_success 'colour on a colour terminal, none with NO_COLOR' '
	start_top -i 300ms file:c &&
	on_screen "^alpha " &&
	tm capture-pane -p -e >col &&
	grep -q "$(printf "\033")\[3[0-7]m" col &&
	tm send-keys q &&
	NO_COLOR=1 start_top -i 300ms file:c &&
	on_screen "^alpha " &&
	tm capture-pane -p -e >nocol &&
	! grep -q "$(printf "\033")\[3[0-7]m" nocol &&
	tm send-keys q
'

test_expect_success 'an unreachable server is shown and retried until it comes' '
	port=$(free_port) &&
	start_top -i 300ms redis://127.0.0.1:$port &&
	on_screen "cannot reach redis .*retrying" &&
	REDIS_WANT_PORT=$port start_redis srv &&
	redis-cli -p $port xadd late "*" v 1 >/dev/null &&
	on_screen "^late  *1 " &&
	! screen | grep -q "cannot reach" &&
	tm send-keys q &&
	wait_for "test -s rc"
'

test_expect_success 'a stream whose latest entry is two minutes old is drawn in the stale colour' '
	now_ms=$(($(date +%s%N) / 1000000)) &&
	redis-cli -p $port xadd old "$((now_ms - 120000))-1" v 1 >/dev/null &&
	redis-cli -p $port xadd fresh "*" v 1 >/dev/null &&
	start_top -i 300ms redis://127.0.0.1:$port &&
	on_screen "^old  *1 " &&
	on_screen "^fresh  *1 " &&
	tm capture-pane -p -e >col &&
	esc=$(printf "\033") &&
	grep -q "^$esc\[[0-9;]*33[0-9;]*mold" col &&
	grep "fresh  *1 " col >fresh_row &&
	! grep -q "$esc\[[0-9;]*33[0-9;]*mfresh" fresh_row
'

test_expect_success 'keys still answer while sampling is stuck on a stopped server' '
	kill -STOP $REDIS_PID &&
	test_when_finished "kill -CONT $REDIS_PID" &&
	# top asked the stopped server and waits for its reply (unread bytes
	# sit in the server side of the connection).
	wait_for "ss -Htn \"( sport = :$port )\" | awk \"\\\$2 > 0 { f = 1 } END { exit !f }\"" &&
	tm send-keys "?" &&
	wait_for 1 "tm capture-pane -p | grep -q \"sluice top: keys\"" &&
	tm send-keys x &&
	wait_for 1 "tm capture-pane -p | grep -q ^STREAM" &&
	kill -CONT $REDIS_PID &&
	redis-cli -p $port xadd after "*" v 1 >/dev/null &&
	on_screen "^after  *1 " &&
	tm send-keys q &&
	wait_for "test -s rc" &&
	echo 0 >expect && test_cmp expect rc
'

test_done
