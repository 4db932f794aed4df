#!/usr/bin/python3
"""Test helper for the cdc-pg CLI tests (psycopg2).

  schema DSN                      create the test tables
  workload DSN SEED N             N random transactions on the test tables
  replay DSN EVENTS               apply Debezium events (one a line) to DSN
  compare DSN_A DSN_B             the test tables hold the same rows
  sample SAMPLE EVENTS            every event matches the sample's shape
  killcheck EVENTS N              ids 1..N present; ordered within each run
  golden-schema DSN               the golden test's tables and first rows
  golden-workload DSN             the golden test's fixed workload
  normalize FILE...               the events with run-dependent values masked
"""
import base64
import datetime
import json
import random
import sys

import psycopg2
import psycopg2.extras

UNAVAILABLE = "__debezium_unavailable_value"
TABLES = ["t_default", "t_full", "t_comp"]
WIDE = ("(id int PRIMARY KEY, name text, n bigint, flag bool, amount numeric(14,3), "
        "doc text, ts timestamp, tstz timestamptz, d date, tags text[], j jsonb, "
        "b bytea, u uuid, small smallint, tm time, tmz timetz)")


def connect(dsn):
    c = psycopg2.connect(dsn)
    c.autocommit = False
    return c


def schema(dsn):
    c = connect(dsn)
    cur = c.cursor()
    for t in TABLES:
        cur.execute("DROP TABLE IF EXISTS %s" % t)
    cur.execute("CREATE TABLE t_default " + WIDE)
    cur.execute("CREATE TABLE t_full " + WIDE)
    cur.execute("ALTER TABLE t_full REPLICA IDENTITY FULL")
    cur.execute("CREATE TABLE t_comp (a int, b text, v text, PRIMARY KEY (a, b))")
    c.commit()


WORDS = ["héllo", "wörld", "✓", "😀", "日本語", "tab\there", "quote\"s", "back\\slash",
         "new\nline", "comma,brace{}", "NULL", "", "'apos'"]


def rand_text(r):
    return " ".join(r.choice(WORDS) for _ in range(r.randint(0, 4)))


def rand_row(r, i):
    big = r.random() < 0.15
    doc = None
    if r.random() < 0.8:
        if big:  # incompressible enough to be TOASTed out of line
            doc = base64.b64encode(r.randbytes(60000)).decode()
        else:
            doc = rand_text(r)
    return {
        "id": i,
        "name": rand_text(r) if r.random() < 0.9 else None,
        "n": r.randint(-2**62, 2**62) if r.random() < 0.9 else None,
        "flag": r.choice([True, False, None]),
        "amount": "%d.%03d" % (r.randint(-10**9, 10**9), r.randint(0, 999)) if r.random() < 0.9 else None,
        "doc": doc,
        "ts": "20%02d-%02d-%02d %02d:%02d:%02d.%06d" % (r.randint(0, 40), r.randint(1, 12), r.randint(1, 28),
                                                      r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
                                                      r.randint(0, 999999)) if r.random() < 0.9 else None,
        "tstz": "2024-03-%02d 10:11:12.%06d+05:30" % (r.randint(1, 28), r.randint(0, 999999)),
        "d": "19%02d-%02d-%02d" % (r.randint(0, 99), r.randint(1, 12), r.randint(1, 28)) if r.random() < 0.9 else None,
        "tags": [rand_text(r) if r.random() < 0.9 else None for _ in range(r.randint(0, 3))] if r.random() < 0.9 else None,
        "j": json.dumps({"k": rand_text(r), "n": r.randint(0, 100), "a": [1, None, "x"]}) if r.random() < 0.9 else None,
        "b": psycopg2.Binary(r.randbytes(r.randint(0, 40))) if r.random() < 0.9 else None,
        "u": "%08x-%04x-4%03x-8%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12),
                                              r.getrandbits(12), r.getrandbits(48)),
        "small": r.randint(-32768, 32767),
        "tm": "%02d:%02d:%02d.%06d" % (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59), r.randint(0, 999999)),
        "tmz": "%02d:%02d:%02d.%06d%s" % (r.randint(0, 23), r.randint(0, 59), r.randint(0, 59),
                                          r.randint(0, 999999), r.choice(["+05:30", "-08", "+00"]))
        if r.random() < 0.9 else None,
    }


def insert(cur, table, row):
    cols = list(row)
    cur.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ",".join(cols), ",".join(["%s"] * len(cols))),
                [row[c] for c in cols])


def workload(dsn, seed, n):
    r = random.Random(seed)
    c = connect(dsn)
    cur = c.cursor()
    live = {}
    for t in ("t_default", "t_full"):
        cur.execute("SELECT id FROM %s" % t)
        live[t] = {x[0] for x in cur.fetchall()}
    cur.execute("SELECT coalesce(max(id), 0) + 1 FROM t_default")
    next_id = {"t_default": cur.fetchone()[0] + 1000000 * seed}
    next_id["t_full"] = next_id["t_default"]
    cur.execute("SELECT a, b FROM t_comp")
    comp = {(x[0], x[1]) for x in cur.fetchall()}
    c.commit()
    for _ in range(n):
        for _ in range(r.randint(1, 5)):
            op = r.random()
            t = r.choice(["t_default", "t_full"])
            if op < 0.4 or not live[t]:
                i = next_id[t]
                next_id[t] += 1
                insert(cur, t, rand_row(r, i))
                live[t].add(i)
            elif op < 0.55:
                i = r.choice(sorted(live[t]))
                row = rand_row(r, i)
                keep = r.sample(list(row), r.randint(1, len(row) - 1))
                sets = [k for k in row if k != "id" and k not in keep]
                if "doc" in sets and r.random() < 0.5:
                    sets.remove("doc")  # leave TOAST unchanged
                if sets:
                    cur.execute("UPDATE %s SET %s WHERE id = %%s" % (t, ",".join("%s = %%s" % k for k in sets)),
                                [row[k] for k in sets] + [i])
            elif op < 0.65:
                i = r.choice(sorted(live[t]))
                j = next_id[t]
                next_id[t] += 1
                cur.execute("UPDATE %s SET id = %%s, name = %%s WHERE id = %%s" % t, [j, rand_text(r), i])
                live[t].discard(i)
                live[t].add(j)
            elif op < 0.8:
                i = r.choice(sorted(live[t]))
                cur.execute("DELETE FROM %s WHERE id = %%s" % t, [i])
                live[t].discard(i)
            elif op < 0.95:
                a, b = r.randint(0, 20), r.choice(["x", "y", "ü"])
                if (a, b) in comp:
                    if r.random() < 0.5:
                        cur.execute("UPDATE t_comp SET v = %s WHERE a = %s AND b = %s", [rand_text(r), a, b])
                    else:
                        cur.execute("DELETE FROM t_comp WHERE a = %s AND b = %s", [a, b])
                        comp.discard((a, b))
                else:
                    cur.execute("INSERT INTO t_comp VALUES (%s, %s, %s)", [a, b, rand_text(r)])
                    comp.add((a, b))
            elif op < 0.97:
                cur.execute("TRUNCATE t_comp")
                comp.clear()
        if r.random() < 0.05:
            c.rollback()  # nothing of it may show up
            # ids handed out stay unused; the live sets may be off: resync
            for t in live:
                cur.execute("SELECT id FROM %s" % t)
                live[t] = {x[0] for x in cur.fetchall()}
            cur.execute("SELECT a, b FROM t_comp")
            comp = {(x[0], x[1]) for x in cur.fetchall()}
            c.commit()
        else:
            c.commit()


def column_casts(cur, table):
    cur.execute("SELECT column_name, data_type, udt_name FROM information_schema.columns "
                "WHERE table_name = %s ORDER BY ordinal_position", [table])
    casts = {}
    for name, dtype, udt in cur.fetchall():
        if dtype == "timestamp without time zone":
            casts[name] = ("'epoch'::timestamp + %s * interval '1 microsecond'", None)
        elif dtype == "time without time zone":
            casts[name] = ("'00:00'::time + %s * interval '1 microsecond'", None)
        elif dtype == "date":
            casts[name] = ("'1970-01-01'::date + %s", None)
        elif dtype == "bytea":
            casts[name] = ("%s", lambda v: psycopg2.Binary(base64.b64decode(v)))
        elif dtype == "ARRAY":
            casts[name] = ("%%s::%s[]" % udt[1:], None)
        else:
            casts[name] = ("%%s::%s" % udt, None)
    return casts


def replay(dsn, events_path):
    c = connect(dsn)
    cur = c.cursor()
    casts = {}
    last_deleted = {}
    applied = 0
    with open(events_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            ev = json.loads(line)
            if "value" in ev and "before" not in ev:
                ev = ev["value"]
            if "status" in ev:
                continue
            table = ev["source"]["table"]
            if table not in casts:
                casts[table] = column_casts(cur, table)
            cs = casts[table]
            pk = [k for k in ("id", "a", "b") if k in cs]
            if table != "t_comp":
                pk = ["id"]

            def lit(col, v):
                expr, conv = cs[col]
                if v is None:
                    return "NULL", []
                return expr, [conv(v) if conv else v]

            op = ev["op"]
            if op == "t":
                cur.execute("TRUNCATE %s" % table)
            elif op in ("c", "r"):
                row = dict(ev["after"])
                prev = last_deleted.get(table)
                for k, v in row.items():
                    if v == UNAVAILABLE:
                        if not prev or prev[0] != ev["source"]["lsn"]:
                            raise SystemExit("unavailable value without a preceding delete: %s" % line[:200])
                        row[k] = prev[1][k]
                cols, exprs, params = [], [], []
                for k, v in row.items():
                    if isinstance(v, tuple):  # raw value copied from the replica
                        cols.append(k); exprs.append("%s"); params.append(v[0])
                        continue
                    e, p = lit(k, v)
                    cols.append(k); exprs.append(e); params += p
                cur.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ",".join(cols), ",".join(exprs)), params)
            elif op == "u":
                row = ev["after"]
                sets, params = [], []
                for k, v in row.items():
                    if k in pk or v == UNAVAILABLE:
                        continue
                    e, p = lit(k, v)
                    sets.append("%s = %s" % (k, e)); params += p
                where = " AND ".join("%s = %%s" % k for k in pk)
                cur.execute("UPDATE %s SET %s WHERE %s" % (table, ",".join(sets), where), params + [row[k] for k in pk])
                if cur.rowcount != 1:
                    raise SystemExit("update matched %d rows: %s" % (cur.rowcount, line[:300]))
            elif op == "d":
                before = ev["before"]
                where = " AND ".join("%s = %%s" % k for k in pk)
                cur.execute("SELECT * FROM %s WHERE %s" % (table, where), [before[k] for k in pk])
                names = [d[0] for d in cur.description]
                old = cur.fetchone()
                if old is not None:
                    last_deleted[table] = (ev["source"]["lsn"], {n: (old[i],) for i, n in enumerate(names)})
                cur.execute("DELETE FROM %s WHERE %s" % (table, where), [before[k] for k in pk])
                if cur.rowcount != 1:
                    raise SystemExit("delete matched %d rows: %s" % (cur.rowcount, line[:300]))
            applied += 1
    c.commit()
    print("applied %d events" % applied)


def comparable(v):
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, datetime.time) and v.tzinfo is not None:
        # timetz: Debezium keeps the UTC time of day (ZonedTime), not the
        # zone, so compare microseconds into the UTC day.
        us = ((v.hour * 60 + v.minute) * 60 + v.second) * 10**6 + v.microsecond
        off = v.utcoffset()
        us -= (off.days * 86400 + off.seconds) * 10**6 + off.microseconds
        return ("timetz-utc-us", us % (86400 * 10**6))
    return v


def dump(dsn):
    c = connect(dsn)
    cur = c.cursor()
    out = {}
    for t in TABLES:
        cur.execute("SELECT * FROM %s ORDER BY 1, 2" % t)
        out[t] = [tuple(comparable(v) for v in row) for row in cur.fetchall()]
    return out


def compare(a, b):
    da, db = dump(a), dump(b)
    bad = 0
    for t in TABLES:
        if da[t] != db[t]:
            bad += 1
            sa, sb = set(map(repr, da[t])), set(map(repr, db[t]))
            print("%s differs: %d rows vs %d; only in source: %d, only in replica: %d"
                  % (t, len(da[t]), len(db[t]), len(sa - sb), len(sb - sa)))
            for x in list(sa - sb)[:3]:
                print("  source:  " + x[:400])
            for x in list(sb - sa)[:3]:
                print("  replica: " + x[:400])
        else:
            print("%s: %d rows equal" % (t, len(da[t])))
    sys.exit(1 if bad else 0)


def shape(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def sample(sample_path, events_path):
    with open(sample_path, encoding="utf-8") as f:
        ref = json.load(f)
    ref = ref.get("payload", ref)
    ops = set()
    n = 0
    with open(events_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            ev = json.loads(line)
            if "status" in ev:
                continue
            n += 1
            if list(ev) != list(ref):
                raise SystemExit("top-level fields %s, sample has %s" % (list(ev), list(ref)))
            for k in ("op", "ts_ms", "source"):
                if shape(ev[k]) != shape(ref[k]):
                    raise SystemExit("field %s is %s, sample has %s" % (k, shape(ev[k]), shape(ref[k])))
            for k, v in ref["source"].items():
                if k not in ev["source"]:
                    raise SystemExit("source.%s missing" % k)
                if shape(ev["source"][k]) != shape(v) and not (v is None or ev["source"][k] is None):
                    raise SystemExit("source.%s is %s, sample has %s" % (k, shape(ev["source"][k]), shape(v)))
            if set(ev["source"]) != set(ref["source"]):
                raise SystemExit("source fields differ: %s vs %s" % (sorted(ev["source"]), sorted(ref["source"])))
            if ev["source"]["connector"] != "postgresql":
                raise SystemExit("connector is not postgresql")
            if ev["source"]["snapshot"] not in ("true", "last", "false", "first", "incremental"):
                raise SystemExit("bad snapshot value")
            seq = json.loads(ev["source"]["sequence"])
            if not (isinstance(seq, list) and len(seq) == 2 and isinstance(seq[1], str)):
                raise SystemExit("sequence is not [lastCommitLsn, lsn]")
            if int(seq[1]) != ev["source"]["lsn"]:
                raise SystemExit("sequence[1] != lsn")
            op = ev["op"]
            ops.add(op)
            if op not in "curdt":
                raise SystemExit("bad op %r" % op)
            if op in ("c", "r", "u") and not isinstance(ev["after"], dict):
                raise SystemExit("op %s without after" % op)
            if op == "d" and (ev["after"] is not None or not isinstance(ev["before"], dict)):
                raise SystemExit("delete must have before and a null after")
            if op in ("c", "r") and ev["before"] is not None:
                raise SystemExit("create/read with a before")
            if op == "c" and ref["op"] == "c":
                for k, v in ref["after"].items():
                    if k in ev["after"] and shape(ev["after"][k]) != shape(v) and ev["after"][k] is not None:
                        raise SystemExit("after.%s is %s, sample has %s" % (k, shape(ev["after"][k]), shape(v)))
    print("%d events match the sample; ops %s" % (n, "".join(sorted(ops))))


def killcheck(events_path, n):
    # runs[i]: (line number, id, lsn) of each event between restart markers.
    runs = [[]]
    bad_lines = 0
    with open(events_path, encoding="utf-8", errors="replace") as f:
        for lineno, line in enumerate(f, 1):
            if line.startswith("#restart"):
                runs.append([])
                continue
            if "#restart" in line:
                # A marker glued to a torn line: the test must start it on a
                # line of its own, or this run would merge with the next.
                raise SystemExit("line %d: restart marker inside a torn line" % lineno)
            try:
                ev = json.loads(line)
            except ValueError:
                bad_lines += 1  # a line cut by kill -9
                continue
            runs[-1].append((lineno, int(ev["after"]["id"]), int(ev["source"]["lsn"])))
    seen = set()
    for i, run in enumerate(runs):
        for prev, cur in zip(run, run[1:]):
            if cur[1] < prev[1] or cur[2] < prev[2]:
                raise SystemExit("run %d is not in commit order: line %d (id %d, lsn %d) after line %d "
                                 "(id %d, lsn %d)" % (i, cur[0], cur[1], cur[2], prev[0], prev[1], prev[2]))
        seen.update(x[1] for x in run)
    missing = set(range(1, n + 1)) - seen
    if missing:
        raise SystemExit("%d ids missing, e.g. %s" % (len(missing), sorted(missing)[:5]))
    total = sum(len(r) for r in runs)
    print("%d runs, %d events for %d rows (%d duplicates), %d torn lines"
          % (len(runs), total, n, total - n, bad_lines))
    if bad_lines > len(runs):
        raise SystemExit("too many torn lines")


# ---- golden (t4070): a fixed workload and the normaliser of its events.

GOLDEN_SCHEMA = [
    "CREATE SCHEMA other",
    "CREATE TABLE customers (id int PRIMARY KEY, name text, email text, score numeric(6,2), "
    "born date, seen timestamptz, tags text[], doc jsonb)",
    'CREATE TABLE "Order Items" (order_id int, line int, sku text, qty int, '
    "PRIMARY KEY (order_id, line))",
    "CREATE TABLE nokey (v text)",
    "CREATE TABLE other.items (id bigint PRIMARY KEY, v text, big text)",
    "CREATE TABLE full_ident (id int PRIMARY KEY, n int, big text)",
    "ALTER TABLE full_ident REPLICA IDENTITY FULL",
    "CREATE TABLE bulk (id int PRIMARY KEY, pad text)",
    'CREATE PUBLICATION pgold FOR TABLE customers, "Order Items", nokey, other.items, '
    "full_ident, bulk",
    # Incompressible enough (md5 hex) to be TOASTed out of line.
    "CREATE FUNCTION wide(seed int) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$ SELECT string_agg(md5((seed * 1000 + g)::text), '') FROM generate_series(1, 200) g $$",
    "INSERT INTO customers VALUES "
    "(1, 'Anne', 'anne@example.com', 12.50, '1980-02-29', '2024-01-02 03:04:05.5+02', "
    "'{a,\"b c\",NULL}', '{\"k\": [1, 2]}'), "
    "(2, 'Zoë ✓', NULL, -1, '1969-12-31', '1999-12-31 23:59:59.999999+00', '{}', 'null'), "
    "(3, 'tab\there \"q\" back\\slash', 'c@x', NULL, NULL, NULL, NULL, NULL)",
    "INSERT INTO \"Order Items\" VALUES (10, 1, 'sku-1', 2), (10, 2, 'sku-2', 1)",
    "INSERT INTO nokey VALUES ('first')",
    "INSERT INTO other.items VALUES (9007199254740993, 'big one', wide(1))",
    "INSERT INTO full_ident VALUES (1, 0, wide(2))",
]

GOLDEN_STEPS = [
    ["INSERT INTO customers (id, name) VALUES (4, 'Dee')"],
    ["UPDATE customers SET email = 'zoe@example.com' WHERE id = 2"],
    ["UPDATE customers SET id = 30 WHERE id = 3"],  # a primary-key change
    ["DELETE FROM customers WHERE id = 1"],
    ["INSERT INTO \"Order Items\" VALUES (11, 1, 'sku-3', 5)",
     "UPDATE other.items SET v = 'renamed' WHERE id = 9007199254740993",  # big: unchanged TOAST
     "DELETE FROM \"Order Items\" WHERE order_id = 10 AND line = 2",
     "INSERT INTO nokey VALUES ('second')"],
    ["UPDATE full_ident SET n = n + 1"],  # big: from the old tuple (REPLICA IDENTITY FULL)
    ["INSERT INTO customers (id) VALUES (99)", "ROLLBACK"],
    ["ALTER TABLE customers ADD COLUMN extra int"],
    ["INSERT INTO customers (id, name, extra) VALUES (5, 'Eve', 7)"],
    ["UPDATE \"Order Items\" SET line = 3, qty = 6 WHERE order_id = 11"],  # part of a key
]


def golden_schema(dsn):
    c = connect(dsn)
    cur = c.cursor()
    for sql in GOLDEN_SCHEMA:
        cur.execute(sql)
    c.commit()


def golden_workload(dsn):
    """Sequential transactions, then a large one (streamed in progress when
    logical_decoding_work_mem is small) with a smaller one committed inside
    it and a rolled-back savepoint, then a TRUNCATE."""
    a, b = connect(dsn), connect(dsn)
    cur = a.cursor()
    for step in GOLDEN_STEPS:
        for sql in step:
            if sql == "ROLLBACK":
                a.rollback()
                break
            cur.execute(sql)
        else:
            a.commit()
    cur.execute("INSERT INTO bulk SELECT g, repeat(chr(97 + g % 26), 600) "
                "FROM generate_series(1, 150) g")
    b.cursor().execute("INSERT INTO other.items (id, v) VALUES (2, 'between')")
    b.commit()
    cur.execute("SAVEPOINT s")
    cur.execute("INSERT INTO bulk SELECT g, 'gone' FROM generate_series(1000, 1100) g")
    cur.execute("ROLLBACK TO SAVEPOINT s")
    cur.execute("UPDATE bulk SET pad = 'short' WHERE id <= 3")
    cur.execute("DELETE FROM bulk WHERE id > 140")
    a.commit()
    cur.execute("TRUNCATE other.items")
    a.commit()


def golden_normalize(paths):
    """Prints the lines of the files with every run-dependent value replaced:
    timestamps, LSNs, the version; transaction ids become X1, X2... in the
    order they first appear, so that equal ids stay equal. A string longer
    than 100 characters becomes <N chars md5 H>. The rest is kept byte for
    byte."""
    import hashlib
    import re
    xids = {}

    def xid(m):
        return xids.setdefault(m.group(1), "X%d" % (len(xids) + 1))

    subs = [
        (re.compile(r'"ts_ms":-?\d+'), lambda m: '"ts_ms":T'),
        (re.compile(r'"version":"[^"]*"'), lambda m: '"version":"V"'),
        (re.compile(r'"lsn":\d+'), lambda m: '"lsn":L'),
        (re.compile(r'\\"\d+\\"'), lambda m: r'\"L\"'),  # inside source.sequence
        (re.compile(r'"txId":(\d+)'), lambda m: '"txId":' + xid(m)),
        (re.compile(r'"id":"(\d+):\d+"'), lambda m: '"id":"%s:L"' % xid(m)),
        (re.compile(r'127\.0\.0\.1:\d+'), lambda m: "127.0.0.1:PORT"),
    ]
    long_string = re.compile(r'"((?:[^"\\]|\\.){101,}?)"(?=[,}\]:])')

    def shorten(m):
        s = m.group(1)
        return '"<%d chars md5 %s>"' % (len(s), hashlib.md5(s.encode()).hexdigest()[:12])

    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            for line in f:
                for pattern, repl in subs:
                    line = pattern.sub(repl, line)
                line = long_string.sub(shorten, line)
                sys.stdout.write(line)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "schema":
        schema(sys.argv[2])
    elif cmd == "workload":
        workload(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "replay":
        replay(sys.argv[2], sys.argv[3])
    elif cmd == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif cmd == "sample":
        sample(sys.argv[2], sys.argv[3])
    elif cmd == "killcheck":
        killcheck(sys.argv[2], int(sys.argv[3]))
    elif cmd == "golden-schema":
        golden_schema(sys.argv[2])
    elif cmd == "golden-workload":
        golden_workload(sys.argv[2])
    elif cmd == "normalize":
        golden_normalize(sys.argv[2:])
    else:
        raise SystemExit("unknown command " + cmd)
