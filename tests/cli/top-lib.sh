# shellcheck shell=bash
# top-lib.sh: helpers for the `top` CLI tests (t5*-top*.sh), sourced after
# lib.sh.

# jcheck FILE PYEXPR: true when the Python expression PYEXPR holds over the
# JSON document on the last line of FILE, known in it as `d`, with
# stream(NAME) and group(STREAM, GROUP) to pick parts; prints the document
# and fails otherwise.
jcheck() {
	"$PYTHON" -c 'import json, sys
d = json.loads(open(sys.argv[1]).read().splitlines()[-1])
def stream(n): return next(s for s in d["streams"] if s["name"] == n)
def group(sn, gn): return next(g for g in stream(sn)["groups"] if g["name"] == gn)
if not eval(sys.argv[2]):
    print("jcheck failed: " + sys.argv[2])
    print(json.dumps(d, indent=1))
    sys.exit(1)' "$1" "$2"
}

# steady N TICK: N NDJSON lines every TICK seconds, until killed: steady,
# known traffic (N / TICK lines a second).
steady() {
	"$PYTHON" -u -c 'import sys, time
n, tick = int(sys.argv[1]), float(sys.argv[2])
i, t = 0, time.monotonic()
while True:
    sys.stdout.write("".join("{\"id\":%d}\n" % (i + k) for k in range(n)))
    sys.stdout.flush()
    i += n
    t += tick
    time.sleep(max(0, t - time.monotonic()))' "$1" "$2"
}
