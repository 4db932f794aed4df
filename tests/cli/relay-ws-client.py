#!/usr/bin/python3
"""A scripted WebSocket client for the relay-ws tests (Python websockets).

relay-ws-client.py [OPTIONS] URL STEP...

Steps, run in order on one connection:
  send JSON      send a text frame
  data N         read frames until N data frames (with a "topic") came
  frames N       read N frames of any kind
  until SEQ      read frames until a data frame with this seq
  closed         read until the server closes; then print "close CODE REASON"
  touch PATH     create PATH (tells the test script a point was reached)
  wait PATH      wait until PATH exists (the test script says go on)
  quit           close from the client side (code 1000)
  extensions     print "extensions NAME,..." (negotiated), or "extensions none"
  sleep SECONDS  wait without reading
Every frame read is printed on stdout, one a line, as received.

Options:
  --header "Name: value"   extra header on the upgrade request (repeatable)
  --origin ORIGIN          the Origin header
  --rcvbuf BYTES           a small socket receive buffer (a slow reader)
  --timeout SECONDS        per read (default 20)
  --no-compress            do not offer permessage-deflate (offered by default)
Exit status: 0 done; 3 a read timed out; 4 the upgrade was refused (the
HTTP status is printed as "refused STATUS"); 5 closed early (the close is
printed).
"""
import argparse
import asyncio
import os
import socket
import sys
import urllib.parse

import websockets


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--origin")
    ap.add_argument("--rcvbuf", type=int)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--no-compress", action="store_true")
    ap.add_argument("url")
    ap.add_argument("steps", nargs="*")
    a = ap.parse_intermixed_args()
    headers = []
    for h in a.header:
        name, _, value = h.partition(":")
        headers.append((name.strip(), value.strip()))
    kw = {"extra_headers": headers, "max_size": None, "ping_interval": None,
          "open_timeout": a.timeout, "close_timeout": 5}
    if a.no_compress:
        kw["compression"] = None
    if a.origin:
        kw["origin"] = a.origin
    if a.rcvbuf:
        u = urllib.parse.urlparse(a.url)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
        s.connect((u.hostname, u.port))
        kw["sock"] = s
        kw["max_queue"] = 1
    try:
        ws = await websockets.connect(a.url, **kw)
    except websockets.exceptions.InvalidStatusCode as e:
        out("refused %d" % e.status_code)
        return 4
    except (websockets.exceptions.InvalidHandshake, ConnectionError, OSError) as e:
        out("refused %s" % type(e).__name__)
        return 4

    async def read():
        try:
            f = await asyncio.wait_for(ws.recv(), a.timeout)
        except asyncio.TimeoutError:
            sys.stderr.write("relay-ws-client: timed out reading a frame\n")
            sys.exit(3)
        except websockets.exceptions.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else 1006
            reason = e.rcvd.reason if e.rcvd else ""
            out("close %d %s" % (code, reason))
            return None
        out(f)
        return f

    for step in a.steps:
        verb, _, arg = step.partition(" ")
        if verb == "send":
            try:
                await ws.send(arg)
            except websockets.exceptions.ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd else 1006
                out("close %d %s" % (code, e.rcvd.reason if e.rcvd else ""))
                return 5
        elif verb in ("data", "frames"):
            n = int(arg)
            while n > 0:
                f = await read()
                if f is None:
                    return 5
                if verb == "frames" or f.startswith('{"topic"'):
                    n -= 1
        elif verb == "until":
            while True:
                f = await read()
                if f is None:
                    return 5
                if f.startswith('{"topic"') and ('"seq":%s,' % arg) in f:
                    break
        elif verb == "closed":
            while await read() is not None:
                pass
        elif verb == "touch":
            open(arg, "w").close()
        elif verb == "wait":
            for _ in range(int(a.timeout * 50)):
                if os.path.exists(arg):
                    break
                await asyncio.sleep(0.02)
            else:
                sys.stderr.write("relay-ws-client: %s never came\n" % arg)
                return 3
        elif verb == "extensions":
            names = [e.name for e in ws.extensions]
            out("extensions " + (",".join(names) if names else "none"))
        elif verb == "sleep":
            await asyncio.sleep(float(arg))
        elif verb == "quit":
            await ws.close()
            return 0
        else:
            sys.stderr.write("relay-ws-client: unknown step %r\n" % step)
            return 2
    await ws.close()
    return 0


sys.exit(asyncio.run(main()))
