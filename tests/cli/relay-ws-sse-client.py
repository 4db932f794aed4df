#!/usr/bin/env python3
"""A Server-Sent Events client for the relay-ws tests (t7110): GET PATH on
HOST:PORT with http.client and print what comes back, one line each:

  status CODE BODY          a non-200 answer (its one-line body), then exit
  header NAME VALUE         Content-Type and Cache-Control of a 200
  event TYPE ID DATA        an event (TYPE "message" when none was named;
                            ID "-" when it had none)
  id ID                     a block with an id and no data (no event fires;
                            EventSource keeps ID as the last event id)
  comment TEXT              a comment line (": keep-alive")
  eof                       the server closed the stream

Options: --header 'Name: value' (repeatable), --count N (exit after N
message events), --id-blocks N (exit after N blocks of an id only),
--until-id ID (exit after the message event with id ID),
--comments N (exit after N comments), --rcvbuf BYTES (a small socket
receive buffer: a slow reader), --touch FILE (create FILE once the
headers came: subscribed), --wait FILE (then read no further until FILE
exists), --timeout SECONDS (no line for that long: exit 2).
"""
import argparse
import http.client
import os
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("path")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--comments", type=int, default=0)
    ap.add_argument("--id-blocks", type=int, default=0)
    ap.add_argument("--until-id")
    ap.add_argument("--rcvbuf", type=int)
    ap.add_argument("--touch")
    ap.add_argument("--wait")
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()
    headers = {"Accept": "text/event-stream"}
    for h in a.header:
        name, _, value = h.partition(":")
        headers[name.strip()] = value.strip()
    conn = http.client.HTTPConnection(a.host, a.port, timeout=a.timeout)
    if a.rcvbuf:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
        sock.settimeout(a.timeout)
        sock.connect((a.host, a.port))
        conn.sock = sock
    conn.request("GET", a.path, headers=headers)
    resp = conn.getresponse()
    out = sys.stdout
    if resp.status != 200:
        body = resp.read().decode("utf-8", "replace").strip()
        out.write("status %d %s\n" % (resp.status, body))
        return 0
    for name in ("Content-Type", "Cache-Control"):
        out.write("header %s %s\n" % (name, resp.getheader(name)))
    if resp.getheader("Content-Length") is not None:
        out.write("header Content-Length %s\n" % resp.getheader("Content-Length"))
    out.flush()
    if a.touch:
        open(a.touch, "w").close()
    if a.wait:
        deadline = time.monotonic() + 10 * a.timeout
        while not os.path.exists(a.wait):
            if time.monotonic() > deadline:
                out.write("timeout\n")
                return 2
            time.sleep(0.05)
    messages = comments = id_blocks = 0
    event, ident, data = None, None, []
    try:
        while True:
            raw = resp.readline()
            if not raw:
                out.write("eof\n")
                return 0
            line = raw.decode("utf-8").rstrip("\n").rstrip("\r")
            if line == "":
                if data or event:
                    out.write("event %s %s %s\n" % (event or "message", ident or "-", "\n".join(data)))
                    out.flush()
                    if (event or "message") == "message":
                        messages += 1
                        if a.count and messages >= a.count:
                            return 0
                        if a.until_id is not None and ident == a.until_id:
                            return 0
                elif ident is not None:
                    out.write("id %s\n" % ident)
                    out.flush()
                    id_blocks += 1
                    if a.id_blocks and id_blocks >= a.id_blocks:
                        return 0
                event, ident, data = None, None, []
                continue
            if line.startswith(":"):
                out.write("comment %s\n" % line[1:].strip())
                out.flush()
                comments += 1
                if a.comments and comments >= a.comments:
                    return 0
                continue
            field, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
            if field == "event":
                event = value
            elif field == "id":
                ident = value
            elif field == "data":
                data.append(value)
    except TimeoutError:
        out.write("timeout\n")
        return 2
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
