# shellcheck shell=bash
# Helpers for the relay-ws tests (t70*-relay-ws*.sh): start a relay on a
# free port and talk to it with relay-ws-client.py (Python websockets).

"$PYTHON" -c 'import websockets' 2>/dev/null ||
  test_skip_all_ "python3-websockets is missing (scripts/setup installs it)"

# launch_relay ARGS...: starts relay-ws on a free port with ARGS (stderr to
# relay.err, appended); sets RELAY_PORT, RELAY_PID, RELAY_URL (ws://), RELAY_HTTP.
launch_relay() {
  RELAY_PORT=$(free_port)
  # <&0: a background command would get /dev/null, not the caller's stdin.
  relay-ws --listen "127.0.0.1:$RELAY_PORT" "$@" <&0 2>>relay.err &
  RELAY_PID=$!
  test_track_pid "$RELAY_PID"
  RELAY_URL=ws://127.0.0.1:$RELAY_PORT/
  RELAY_HTTP=http://127.0.0.1:$RELAY_PORT
}

# start_relay ARGS...: launch_relay, then wait until /healthz answers.
start_relay() {
  launch_relay "$@"
  wait_for "http_get /healthz >/dev/null 2>&1" || {
    cat relay.err >&2
    return 1
  }
}

# http_get PATH: the body of GET PATH on the relay (fails on a non-2xx).
http_get() {
  "$PYTHON" -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
    "$RELAY_HTTP$1"
}

# metric NAME: the value of metric NAME (with its labels, as in the text);
# a NAME without labels sums its series (relay_ws_clients: all protocols).
metric() {
  http_get /metrics | awk -v n="$1" '
    {b = $1; sub(/[{].*/, "", b)}
    $1 == n || (b == n && index(n, "{") == 0) {s += $2; f = 1}
    END {if (f) print s}'
}

# client STEP...: relay-ws-client.py on the relay's URL (see that file).
client() {
  "$PYTHON" "$SLUICE_ROOT/tests/cli/relay-ws-client.py" --timeout $((20 * TEST_SCALE)) \
    "$RELAY_URL" "$@"
}

# data_only FILE: the data frames of FILE with "ts" blanked (it is the
# time of production).
data_only() {
  grep '^{"topic"' "$1" | sed 's/"ts":"[^"]*"/"ts":"T"/'
}

# values FILE: the "value" of each data frame of FILE, one a line.
values() {
  grep '^{"topic"' "$1" | sed 's/.*"value"://; s/}$//'
}

# client_at URL STEP...: as client, on another URL (a ?token= query).
client_at() {
  local url=$1
  shift
  "$PYTHON" "$SLUICE_ROOT/tests/cli/relay-ws-client.py" --timeout $((20 * TEST_SCALE)) \
    "$url" "$@"
}

# mint ALG CLAIMS [ARGS...]: a JWT (jwt-mint.py; secret file "secret",
# RSA key "priv.pem").
mint() {
  "$PYTHON" "$SLUICE_ROOT/tests/cli/jwt-mint.py" "$@" --secret-file secret --key priv.pem
}
