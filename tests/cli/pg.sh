# shellcheck shell=bash
# pg.sh: start a throwaway PostgreSQL 15 for a test script (source it after
# lib.sh). initdb runs as the postgres user (PostgreSQL refuses root) in a
# temporary directory owned by postgres; the server listens on 127.0.0.1 on
# a free port and on a unix socket in that directory, with wal_level =
# logical. It is stopped when the script exits.
#
#   pg_start [EXTRA_CONF_LINE...]   start the server (skip all without PG;
#                                   with CI=true a failure to start fails)
#   PGURL                           postgresql://postgres@127.0.0.1:PORT/postgres
#   psql_c SQL                      run SQL (quiet, tuples only, unaligned)
#   pg_restart [CONF_LINE...]       append lines to postgresql.conf, restart
#   pg_password_role ROLE PASSWORD  create ROLE (LOGIN REPLICATION) that must
#                                   give PASSWORD (scram-sha-256) on 127.0.0.1;
#                                   every other role stays trusted
#
# shellcheck disable=SC2034 # PGURL and friends are for the sourcing script

pg_bindir_() {
  local d
  for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && dirname "$(command -v initdb)" && return 0
  return 1
}

pg_as_() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_stop_() {
  [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ] || return 0
  pg_as_ "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$PG_ROOT"
}

pg_start() {
  PG_BIN=$(pg_bindir_) || test_skip_all_ "PostgreSQL (initdb) is not installed"
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    test_skip_all_ "no postgres user to run PostgreSQL as"
  fi
  PG_ROOT=$(mktemp -d /tmp/sluice-pg.XXXXXX) || test_skip_all_ "mktemp failed"
  chmod 755 "$PG_ROOT"
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_ROOT"
  PG_DATA=$PG_ROOT/data
  PG_PORT=$(free_port)
  # Stop the server when the script ends, then run lib.sh's own exit trap.
  trap 'pg_stop_; test_exit_' EXIT
  if ! pg_as_ "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 \
    --locale=C.UTF-8 >"$PG_ROOT/initdb.log" 2>&1; then
    sed 's/^/# /' "$PG_ROOT/initdb.log" | tail -n 20
    test_skip_all_ "initdb failed"
  fi
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$PG_ROOT'"
    echo "wal_level = logical"
    echo "max_replication_slots = 10"
    echo "max_wal_senders = 10"
    echo "fsync = off"
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
    echo "shared_buffers = 64MB"
    echo "wal_sender_timeout = 60s"
    for line in "$@"; do echo "$line"; done
  } | pg_as_ tee -a "$PG_DATA/postgresql.conf" >/dev/null
  if ! pg_as_ "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 start >/dev/null 2>&1; then
    tail -n 20 "$PG_ROOT/server.log" 2>/dev/null | sed 's/^/# /'
    test_skip_all_ "PostgreSQL failed to start"
  fi
  PGURL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  PGHOST=127.0.0.1 PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=postgres
  export PGHOST PGPORT PGUSER PGDATABASE PG_BIN
  # cdc-pg keeps its "snapshot in progress" markers here, not in $HOME.
  SLUICE_STATE_DIR=$TEST_DIR/state
  export SLUICE_STATE_DIR
}

pg_restart() {
  local line
  for line in "$@"; do echo "$line"; done | pg_as_ tee -a "$PG_DATA/postgresql.conf" >/dev/null
  pg_as_ "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_ROOT/server.log" -w -t 60 restart >/dev/null 2>&1
}

psql_c() {
  "$PG_BIN/psql" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"
}

pg_password_role() {
  psql_c "CREATE ROLE \"$1\" LOGIN REPLICATION PASSWORD '$2'" || return 1
  # pg_hba.conf: the first matching line wins, so these go first.
  # shellcheck disable=SC2016 # expanded by the inner sh
  pg_as_ sh -c '{ printf "host all %s 127.0.0.1/32 scram-sha-256\nhost replication %s 127.0.0.1/32 scram-sha-256\n" "$2" "$2"
    cat "$1/pg_hba.conf"; } >"$1/pg_hba.conf.new" && mv "$1/pg_hba.conf.new" "$1/pg_hba.conf"' sh "$PG_DATA" "$1" &&
    psql_c "SELECT pg_reload_conf()" >/dev/null
}
