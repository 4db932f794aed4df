# shellcheck shell=bash
# mysql-lib.sh: start a throwaway MariaDB for a test script (source it after
# lib.sh). mariadb-install-db writes a data directory in a temporary
# directory; the server listens on 127.0.0.1 on a free port and on a unix
# socket in that directory, with the binary log on in ROW format and FULL
# row metadata, server id 1. It is stopped when the script exits.
#
#   mysql_start [EXTRA_SERVER_OPTION...]  start the server (skip all without
#                                         MariaDB; with CI=true a failure
#                                         to start fails)
#   MYURL                   mysql://root@127.0.0.1:PORT/test
#   MYSOCK                  the unix socket
#   my_c SQL                run SQL as root (batch, no column names)
#   my_restart [OPTION...]  restart with other server options
#
# shellcheck disable=SC2034 # MYURL and friends are for the sourcing script

mysql_stop_() {
  [ -n "${MY_ROOT:-}" ] && [ -d "$MY_ROOT" ] || return 0
  if [ -n "${MY_PID:-}" ] && kill -0 "$MY_PID" 2>/dev/null; then
    kill -9 "$MY_PID" 2>/dev/null
    wait "$MY_PID" 2>/dev/null
  elif [ -n "${MY_PID:-}" ]; then
    # The server died under the test (it crashed once in CI): keep its
    # reason in the test output before the directory goes.
    echo "# mariadbd (pid $MY_PID) was not running at the end; its log:" >&2
    tail -n 60 "$MY_ROOT/server.log" 2>/dev/null | sed 's/^/# /' >&2
  fi
  rm -rf "$MY_ROOT"
}

mysql_run_() {
  MY_OPTS=("$@")
  mariadbd --no-defaults --user=root --datadir="$MY_ROOT/data" \
    --bind-address=127.0.0.1 --port="$MY_PORT" --socket="$MYSOCK" \
    --pid-file="$MY_ROOT/mariadb.pid" --log-error="$MY_ROOT/server.log" \
    --log-bin="$MY_ROOT/data/binlog" --binlog-format=ROW --binlog-row-metadata=FULL \
    --server-id=1 --skip-name-resolve --innodb-buffer-pool-size=64M \
    --innodb-log-file-size=48M --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 \
    --max-connections=50 \
    "$@" >/dev/null 2>&1 &
  MY_PID=$!
  local i
  for i in $(seq 1 300); do
    if mariadb --no-defaults -uroot -S "$MYSOCK" -e 'SELECT 1' >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$MY_PID" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$MY_ROOT/server.log" 2>/dev/null | sed 's/^/# /'
  return 1
}

mysql_start() {
  command -v mariadbd >/dev/null 2>&1 || PATH=$PATH:/usr/sbin
  command -v mariadbd >/dev/null 2>&1 || test_skip_all_ "MariaDB (mariadbd) is not installed"
  command -v mariadb-install-db >/dev/null 2>&1 ||
    test_skip_all_ "MariaDB (mariadb-install-db) is not installed"
  MY_ROOT=$(mktemp -d /tmp/sluice-my.XXXXXX) || test_skip_all_ "mktemp failed"
  MY_PORT=$(free_port)
  MYSOCK=$MY_ROOT/mysql.sock
  trap 'mysql_stop_; test_exit_' EXIT
  # One retry: mariadb-install-db failed once in about a hundred runs on a
  # loaded machine, and its log's tail is only its help text; the lines
  # that say why (ERROR) are printed first.
  local try
  for try in 1 2; do
    rm -rf "$MY_ROOT/data"
    mariadb-install-db --no-defaults --user=root --datadir="$MY_ROOT/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$MY_ROOT/install.log" 2>&1 &&
      break
    echo "# mariadb-install-db failed (try $try); what it said:" >&2
    { grep -i "error\|fail\|abort" "$MY_ROOT/install.log" | head -n 20
      tail -n 5 "$MY_ROOT/install.log"; } | sed 's/^/# /' >&2
    [ "$try" = 2 ] && test_skip_all_ "mariadb-install-db failed"
    sleep 1
  done
  mysql_run_ "$@" || test_skip_all_ "MariaDB failed to start"
  my_c "CREATE DATABASE IF NOT EXISTS test" mysql || test_skip_all_ "cannot create database test"
  MYURL="mysql://root@127.0.0.1:$MY_PORT/test"
  export MYSOCK MY_PORT
}

my_restart() {
  if kill -0 "$MY_PID" 2>/dev/null; then
    kill "$MY_PID" 2>/dev/null
    wait "$MY_PID" 2>/dev/null
  fi
  mysql_run_ "$@"
}

my_c() {
  mariadb --no-defaults --default-character-set=utf8mb4 -uroot -S "$MYSOCK" -N -B -e "$1" "${2:-test}"
}
