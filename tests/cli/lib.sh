# shellcheck shell=bash
# lib.sh: the sluice CLI test library, in the style of git's t/test-lib.sh.
#
# A test script sources this file, declares tests and ends with test_done:
#
#   #!/usr/bin/env bash
#   . "$(dirname "$0")/lib.sh"
#   test_require_bin flux tap
#   test_expect_success 'round trip' '
#       printf "a\nb\n" >in &&
#       flux file:log/s <in &&
#       tap file:log/s --exit >out &&
#       test_cmp in out
#   '
#   test_done
#
# Each test body is a string evaluated in the script's own shell (variables
# set by one test are seen by the next), inside a temporary directory made
# for the script ($TEST_DIR, also the current directory at the start of
# every test). Chain commands with && as in git's tests: only the exit status
# of the whole body counts. Its stdout and stderr are kept and shown when the
# test fails (or always with -v / SLUICE_TEST_VERBOSE=1). stdin is /dev/null.
#
# The binaries under test are found in $SLUICE_BIN (default build/bin of the
# source tree), which is put first on PATH: call them as `flux`, `tap`.
#
# The temporary directory is removed when every test passed, and kept (its
# path printed) when one failed. Background processes registered with
# test_track_pid are killed (by pid) when the script exits.
#
# Environment:
#   SLUICE_BIN             where the binaries are (default <root>/build/bin)
#   SLUICE_TEST_VERBOSE=1  show every test's output, not only failures'
#   SLUICE_TEST_SCALE=N    multiply wait_for timeouts (scripts/test --asan: 4)
#   CI=true                a skipped test or prerequisite counts as a failure

set -u

SLUICE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SLUICE_BIN=${SLUICE_BIN:-$SLUICE_ROOT/build/bin}
case $SLUICE_BIN in /*) ;; *) SLUICE_BIN=$PWD/$SLUICE_BIN ;; esac
PATH=$SLUICE_BIN:$PATH
export SLUICE_ROOT SLUICE_BIN PATH

TEST_NAME=$(basename "$0" .sh)
TEST_SCALE=${SLUICE_TEST_SCALE:-1}
TEST_VERBOSE=${SLUICE_TEST_VERBOSE:-}
for _arg in "$@"; do
  case $_arg in
    -v | --verbose) TEST_VERBOSE=1 ;;
  esac
done
unset _arg

# The first python3 on PATH may lack the Debian modules (FACTS.md).
if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi

test_count=0
test_failed=0
test_broken=0
test_fixed=0
test_skipped=0
test_cleanup_=
test_pids_=

TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sluice-$TEST_NAME.XXXXXX") || {
  echo "Bail out! cannot create a temporary directory" >&2
  exit 1
}
export TEST_DIR
cd "$TEST_DIR" || exit 1

say_() { printf '%s\n' "$*"; }
# Prints stdin with a "#   " prefix (TAP diagnostics).
indent_() { sed 's/^/#   /'; }

# Kills every tracked background process, by pid: TERM, then KILL.
test_kill_tracked_() {
  local pid
  [ -n "$test_pids_" ] || return 0
  for pid in $test_pids_; do
    kill -TERM "$pid" 2>/dev/null
  done
  sleep 0.1
  for pid in $test_pids_; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  test_pids_=
}

test_exit_() {
  local rc=$?
  test_kill_tracked_
  cd / || true
  if [ "$test_failed" -eq 0 ] && [ "$rc" -eq 0 ]; then
    chmod -R u+rwx "$TEST_DIR" 2>/dev/null
    rm -rf "$TEST_DIR"
  else
    say_ "# kept test directory: $TEST_DIR"
  fi
}
trap test_exit_ EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# test_track_pid PID...: kill these processes (by pid) when the script ends.
test_track_pid() {
  test_pids_="$test_pids_ $*"
}

# test_stop PID [SIGNAL]: sends SIGNAL (default TERM) to PID, waits for it
# and returns its exit status (so `test_stop $pid; echo $?` gives the code).
test_stop() {
  local pid=$1 sig=${2:-TERM} rc=0
  kill "-$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null || rc=$?
  return "$rc"
}

# test_when_finished CMD: run CMD after the current test, pass or fail.
test_when_finished() {
  test_cleanup_="$*; $test_cleanup_"
}

# Evaluates a body in a function of its own, so `|| return 1` in a body's
# loop ends the body, as in git's tests.
test_eval_() {
  eval "$1"
}

# Runs one test body and its test_when_finished commands; returns the status.
# Its locals carry a suffix so that test bodies (which run in this shell)
# may use any plain variable name, such as rc.
test_run_() {
  local body_=$1 log_=$2 status_=0
  cd "$TEST_DIR" || return 1
  test_eval_ "$body_" >"$log_" 2>&1 </dev/null || status_=$?
  if [ -n "$test_cleanup_" ]; then
    test_eval_ "$test_cleanup_" >>"$log_" 2>&1 </dev/null || status_=1
    test_cleanup_=
  fi
  cd "$TEST_DIR" || return 1
  return "$status_"
}

test_report_() {
  local status=$1 desc=$2 body=$3 log=$4
  say_ "$status $test_count - $desc"
  case $status in
    'not ok')
      say_ "#   test body:"
      printf '%s\n' "$body" | sed '/^[[:space:]]*$/d' | indent_
      if [ -s "$log" ]; then
        say_ "#   output:"
        tail -n 100 "$log" | indent_
      fi
      ;;
    *)
      if [ -n "$TEST_VERBOSE" ] && [ -s "$log" ]; then indent_ <"$log"; fi
      ;;
  esac
}

# test_expect_success 'description' 'body'
test_expect_success() {
  [ $# -eq 2 ] || { echo "bug: test_expect_success needs 2 arguments" >&2; exit 1; }
  test_count=$((test_count + 1))
  local log="$TEST_DIR/.test-$test_count.log"
  if test_run_ "$2" "$log"; then
    test_report_ ok "$1" "$2" "$log"
  else
    test_failed=$((test_failed + 1))
    test_report_ 'not ok' "$1" "$2" "$log"
  fi
}

# test_expect_failure 'description' 'body': a known breakage. Its failure is
# reported as "# TODO known breakage" and does not fail the script; its
# success is reported as fixed (remove the marker then).
test_expect_failure() {
  [ $# -eq 2 ] || { echo "bug: test_expect_failure needs 2 arguments" >&2; exit 1; }
  test_count=$((test_count + 1))
  local log="$TEST_DIR/.test-$test_count.log"
  if test_run_ "$2" "$log"; then
    test_fixed=$((test_fixed + 1))
    say_ "ok $test_count - $1 # TODO known breakage vanished"
  else
    test_broken=$((test_broken + 1))
    say_ "not ok $test_count - $1 # TODO known breakage"
  fi
}

# test_skip 'description' 'reason': a test that cannot run here. With
# CI=true it counts as a failure: nothing may skip silently in CI.
test_skip() {
  test_count=$((test_count + 1))
  if [ "${CI:-}" = true ]; then
    test_failed=$((test_failed + 1))
    say_ "not ok $test_count - $1 # skipped in CI: $2"
  else
    test_skipped=$((test_skipped + 1))
    say_ "ok $test_count - $1 # SKIP $2"
  fi
}

# test_require_bin TOOL...: the whole script needs these binaries in
# $SLUICE_BIN. Without them it stops: a skip, or a failure with CI=true.
test_require_bin() {
  local t missing=
  for t in "$@"; do
    [ -x "$SLUICE_BIN/$t" ] || missing="$missing $t"
  done
  [ -z "$missing" ] && return 0
  test_skip_all_ "missing binaries in $SLUICE_BIN:$missing"
}

# test_require_cmd CMD...: the whole script needs these commands on PATH.
test_require_cmd() {
  local c missing=
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
  done
  [ -z "$missing" ] && return 0
  test_skip_all_ "missing commands:$missing"
}

test_skip_all_() {
  if [ "${CI:-}" = true ]; then
    say_ "Bail out! $1 (not allowed to skip with CI=true)"
    test_failed=$((test_failed + 1))
    exit 1
  fi
  say_ "1..0 # SKIP $1"
  exit 0
}

# test_done: prints the plan and "# passed N/M"; exits 1 if a test failed.
test_done() {
  local passed=$((test_count - test_failed - test_broken - test_skipped))
  say_ "1..$test_count"
  [ "$test_broken" -gt 0 ] && say_ "# known breakage: $test_broken"
  [ "$test_fixed" -gt 0 ] && say_ "# known breakage fixed: $test_fixed"
  [ "$test_skipped" -gt 0 ] && say_ "# skipped: $test_skipped"
  say_ "# passed $passed/$test_count"
  if [ "$test_failed" -gt 0 ]; then
    say_ "# failed $test_failed/$test_count"
    exit 1
  fi
  exit 0
}

# ------------------------------------------------------------ assertions

# test_cmp EXPECTED ACTUAL: byte comparison; shows a diff when they differ.
test_cmp() {
  [ $# -eq 2 ] || { echo "bug: test_cmp needs 2 arguments" >&2; return 1; }
  cmp -s "$1" "$2" && return 0
  echo "test_cmp: '$1' and '$2' differ:" >&2
  if LC_ALL=C grep -qP '\x00' "$1" "$2" 2>/dev/null; then
    cmp "$1" "$2" >&2
    echo "(binary: first bytes of each)" >&2
    od -A d -c "$1" | head -n 8 >&2
    echo '---' >&2
    od -A d -c "$2" | head -n 8 >&2
  else
    diff -u "$1" "$2" | head -n 200 >&2
  fi
  return 1
}

# test_expect_code CODE CMD...: runs CMD and requires its exit status be CODE.
test_expect_code() {
  local want=$1 rc=0
  shift
  "$@" || rc=$?
  [ "$rc" -eq "$want" ] && return 0
  echo "test_expect_code: want exit $want, got $rc: $*" >&2
  return 1
}

# test_must_fail CMD...: CMD must exit non-zero, but not by a signal (a
# crash), nor with 127 (not found) or 126 (not executable).
test_must_fail() {
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 0 ]; then
    echo "test_must_fail: command succeeded: $*" >&2
    return 1
  elif [ "$rc" -gt 128 ] && [ "$rc" -le 192 ]; then
    echo "test_must_fail: died by signal $((rc - 128)): $*" >&2
    return 1
  elif [ "$rc" -eq 127 ] || [ "$rc" -eq 126 ]; then
    echo "test_must_fail: command not found or not executable: $*" >&2
    return 1
  fi
  return 0
}

# test_line_count OP N FILE: e.g. test_line_count = 3 out
test_line_count() {
  local n
  n=$(wc -l <"$3")
  # shellcheck disable=SC2086 # the operator is given by the caller
  test "$n" "$1" "$2" && return 0
  echo "test_line_count: want $1 $2 lines in '$3', have $n" >&2
  return 1
}

test_path_is_fifo() {
  [ -p "$1" ] && return 0
  echo "not a named pipe: '$1'" >&2
  return 1
}
test_path_is_file() {
  [ -f "$1" ] && return 0
  echo "not a file: '$1'" >&2
  return 1
}
test_path_is_dir() {
  [ -d "$1" ] && return 0
  echo "not a directory: '$1'" >&2
  return 1
}
test_path_is_missing() {
  [ ! -e "$1" ] && [ ! -L "$1" ] && return 0
  echo "should not exist: '$1'" >&2
  return 1
}

# test_grep [GREP-OPTIONS] PATTERN FILE: grep that shows FILE when it fails.
test_grep() {
  grep "$@" && return 0
  local file
  for file; do :; done
  echo "test_grep: no match for '$*'; '$file' holds:" >&2
  head -n 20 "$file" >&2
  return 1
}

# ------------------------------------------------------------ helpers

# wait_for [SECONDS] CONDITION: polls CONDITION (a shell string) every 20 ms
# until it is true; fails after SECONDS (default 10, times SLUICE_TEST_SCALE).
wait_for() {
  local limit=10
  if [ $# -gt 1 ]; then limit=$1; shift; fi
  local deadline=$((SECONDS + limit * TEST_SCALE + 1))
  local tries=$((limit * TEST_SCALE * 50))
  while [ "$tries" -gt 0 ] && [ "$SECONDS" -lt "$deadline" ]; do
    eval "$1" && return 0
    sleep 0.02
    tries=$((tries - 1))
  done
  eval "$1" && return 0
  echo "wait_for: timed out after ${limit}s (x$TEST_SCALE): $1" >&2
  return 1
}

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
  "$PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# gen_ndjson N [START]: N NDJSON lines {"id":I,"user":"uI%97","n":...}.
gen_ndjson() {
  awk -v n="$1" -v s="${2:-1}" 'BEGIN {
    for (i = s; i < s + n; i++)
      printf "{\"id\":%d,\"user\":\"u%d\",\"n\":%d}\n", i, i % 97, i * 7
  }'
}

# gen_binary_records N: N NUL-terminated records of arbitrary bytes (no NUL
# inside: CR, LF, invalid UTF-8, high bytes), for --null round trips.
gen_binary_records() {
  "$PYTHON" -c 'import os, random, sys
r = random.Random(int(sys.argv[1]))
out = bytearray()
for i in range(int(sys.argv[1])):
    n = r.randint(0, 300)
    out += bytes(r.randint(1, 255) for _ in range(n)) + b"\0"
sys.stdout.buffer.write(out)' "$1"
}
