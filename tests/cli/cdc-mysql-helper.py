#!/usr/bin/python3
"""Helpers for the cdc-mysql CLI tests (run with /usr/bin/python3: pymysql).

  workload SOCKET DB N SEED   a random workload on table `typed` (created
                              here): inserts, updates of random columns,
                              primary-key changes, deletes, multi-statement
                              transactions and rollbacks; NULLs, unicode
  replay EVENTS SNAPSHOT      applies the change events of EVENTS (one
                              Debezium value per line; op c/u/d/r) to an
                              empty copy kept by key, and compares it with
                              the rows of SNAPSHOT (cdc-mysql --snapshot
                              only of the final table): prints "equal N"
                              or the first difference and exits 1
  order EVENTS N              checks that the ids 1..N of table `load`
                              appear as creates, each at least once, first
                              seen in increasing order: prints "ok N"
"""
import json
import random
import sys


def connect(sock, db):
    import pymysql
    return pymysql.connect(unix_socket=sock, user="root", database=db, charset="utf8mb4",
                           autocommit=True)


TYPED = """CREATE TABLE typed (
  id INT PRIMARY KEY, ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, i INT,
  bu BIGINT UNSIGNED, bs BIGINT, dc DECIMAL(20,6), f FLOAT, d DOUBLE,
  c CHAR(10), v VARCHAR(100) CHARACTER SET utf8mb4, tx TEXT, bl BLOB, vb VARBINARY(20),
  e ENUM('red','green','blue'), s SET('a','b','c','d'), b BIT(12), b1 BIT(1),
  dt DATE, tm TIME(6), dtm DATETIME(3), dtm6 DATETIME(6), ts TIMESTAMP(6) NULL, y YEAR, j JSON
)"""

COLS = ["ti", "si", "mi", "i", "bu", "bs", "dc", "f", "d", "c", "v", "tx", "bl", "vb", "e", "s",
        "b", "b1", "dt", "tm", "dtm", "dtm6", "ts", "y", "j"]


def value(rnd, col):
    if rnd.random() < 0.1:
        return None
    if col == "ti":
        return rnd.randint(-128, 127)
    if col == "si":
        return rnd.randint(0, 65535)
    if col == "mi":
        return rnd.randint(-8388608, 8388607)
    if col == "i":
        return rnd.randint(-2**31, 2**31 - 1)
    if col == "bu":
        return rnd.choice([0, 2**63, 2**64 - 1, rnd.randint(0, 2**64 - 1)])
    if col == "bs":
        return rnd.randint(-2**63, 2**63 - 1)
    if col == "dc":
        return "%s%d.%06d" % (rnd.choice(["", "-"]), rnd.randint(0, 10**14 - 1), rnd.randint(0, 999999))
    if col == "f":
        return rnd.choice([0.5, -1.25, 3.0, 1024.75])
    if col == "d":
        return rnd.choice([0.1, -2.5e-10, 1e300, 123456.789])
    if col == "c":
        return rnd.choice(["", "ab", "x y", "zzzzzzzzzz"])
    if col == "v":
        return rnd.choice(["héllo", "日本語", "emoji 😀", "quote \" and \\ back", "tab\tnl\n"])
    if col == "tx":
        return "t" * rnd.randint(0, 300)
    if col in ("bl", "vb"):
        return bytes(rnd.randint(0, 255) for _ in range(rnd.randint(0, 20)))
    if col == "e":
        return rnd.choice(["red", "green", "blue"])
    if col == "s":
        return ",".join(sorted(rnd.sample(["a", "b", "c", "d"], rnd.randint(0, 4))))
    if col == "b":
        return rnd.randint(0, 4095)
    if col == "b1":
        return rnd.randint(0, 1)
    if col == "dt":
        return "%04d-%02d-%02d" % (rnd.randint(1000, 9999), rnd.randint(1, 12), rnd.randint(1, 28))
    if col == "tm":
        return "%s%d:%02d:%02d.%06d" % (rnd.choice(["", "-"]), rnd.randint(0, 838), rnd.randint(0, 59),
                                        rnd.randint(0, 59), rnd.randint(0, 999999))
    if col in ("dtm", "dtm6"):
        return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (
            rnd.randint(1000, 9999), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
            rnd.randint(0, 59), rnd.randint(0, 59), rnd.randint(0, 999999) // (1000 if col == "dtm" else 1) * (1000 if col == "dtm" else 1))
    if col == "ts":
        return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (
            rnd.randint(1971, 2037), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 23),
            rnd.randint(0, 59), rnd.randint(0, 59), rnd.randint(0, 999999))
    if col == "y":
        return rnd.randint(1901, 2155)
    if col == "j":
        return json.dumps({"k": rnd.randint(0, 9), "arr": [1, "two", None, True], "s": "é"})
    raise ValueError(col)


def workload(sock, db, n, seed):
    rnd = random.Random(seed)
    conn = connect(sock, db)
    cur = conn.cursor()
    cur.execute("SET time_zone = '+00:00'")
    cur.execute(TYPED)
    ids = set()
    next_id = 1

    def insert():
        nonlocal next_id
        row = [value(rnd, c) for c in COLS]
        cur.execute("INSERT INTO typed (id,%s) VALUES (%s)" % (",".join(COLS), ",".join(["%s"] * (len(COLS) + 1))),
                    [next_id] + row)
        ids.add(next_id)
        next_id += 1

    def update():
        if not ids:
            return insert()
        k = rnd.choice(sorted(ids))
        cols = rnd.sample(COLS, rnd.randint(1, 4))
        cur.execute("UPDATE typed SET %s WHERE id = %%s" % ",".join("%s = %%s" % c for c in cols),
                    [value(rnd, c) for c in cols] + [k])

    def change_key():
        nonlocal next_id
        if not ids:
            return insert()
        k = rnd.choice(sorted(ids))
        cur.execute("UPDATE typed SET id = %s WHERE id = %s", (next_id, k))
        ids.discard(k)
        ids.add(next_id)
        next_id += 1

    def delete():
        if not ids:
            return insert()
        k = rnd.choice(sorted(ids))
        cur.execute("DELETE FROM typed WHERE id = %s", (k,))
        ids.discard(k)

    ops = [insert, insert, insert, update, update, change_key, delete]
    done = 0
    while done < n:
        r = rnd.random()
        if r < 0.15:
            saved = (set(ids), next_id)
            cur.execute("BEGIN")
            for _ in range(rnd.randint(2, 6)):
                rnd.choice(ops)()
            if rnd.random() < 0.3:
                cur.execute("ROLLBACK")
                ids.clear()
                ids.update(saved[0])
            else:
                cur.execute("COMMIT")
            done += 1
        else:
            rnd.choice(ops)()
            done += 1
    # One multi-row statement of each kind.
    cur.execute("UPDATE typed SET ti = 1 WHERE id % 3 = 0")
    cur.execute("DELETE FROM typed WHERE id % 7 = 0")
    conn.close()


def events(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            ev = json.loads(line)
            if "value" in ev and "key" in ev:
                ev = ev["value"]
            if ev is None or "op" not in ev:
                continue
            yield ev


def key_of(row):
    return row["id"]


def replay(events_path, snapshot_path):
    table = {}
    n = 0
    for ev in events(events_path):
        n += 1
        op = ev["op"]
        if op in ("c", "r"):
            table[key_of(ev["after"])] = ev["after"]
        elif op == "u":
            table.pop(key_of(ev["before"]), None)
            table[key_of(ev["after"])] = ev["after"]
        elif op == "d":
            if key_of(ev["before"]) not in table:
                print("delete of a missing key %r" % key_of(ev["before"]))
                return 1
            del table[key_of(ev["before"])]
    want = {key_of(ev["after"]): ev["after"] for ev in events(snapshot_path)}
    if sorted(table) != sorted(want):
        print("keys differ: replay has %d, table has %d; only in replay %s, only in table %s" % (
            len(table), len(want), sorted(set(table) - set(want))[:5], sorted(set(want) - set(table))[:5]))
        return 1
    for k in sorted(want):
        if table[k] != want[k]:
            for c in want[k]:
                if table[k].get(c) != want[k][c]:
                    print("row %r column %s: replay %r, table %r" % (k, c, table[k].get(c), want[k][c]))
                    return 1
    print("equal %d rows from %d events" % (len(want), n))
    return 0


def order(events_path, n):
    seen = set()
    last = 0
    for ev in events(events_path):
        if ev["op"] != "c" or ev["source"]["table"] != "load":
            continue
        k = ev["after"]["id"]
        if k in seen:
            continue
        if k != last + 1:
            print("id %d first seen after %d (skipped or out of order)" % (k, last))
            return 1
        seen.add(k)
        last = k
    if last != n:
        print("only %d of %d ids delivered" % (last, n))
        return 1
    print("ok %d" % n)
    return 0


def main():
    cmd = sys.argv[1]
    if cmd == "workload":
        workload(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
        return 0
    if cmd == "replay":
        return replay(sys.argv[2], sys.argv[3])
    if cmd == "order":
        return order(sys.argv[2], int(sys.argv[3]))
    print("unknown command " + cmd)
    return 2


if __name__ == "__main__":
    sys.exit(main())
