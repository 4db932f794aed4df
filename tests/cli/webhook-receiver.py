#!/usr/bin/env python3
"""A webhook receiver for the trigger tests (tests/cli/t6020-trigger-webhook.sh).

    webhook-receiver.py PORTFILE LOGFILE [--secret whsec_...]

Listens on 127.0.0.1 on a free port (written to PORTFILE once listening),
HTTP/1.1 with keep-alive, one thread per connection. Each request is
logged as one JSON line to LOGFILE: path, webhook-id, webhook-timestamp,
whether webhook-signature verifies against --secret (null without one),
the body, the time, the answer and the client port (to see keep-alive).
What it answers depends on the path:

    /ok            200
    /flaky/N       503 to the first N requests of each webhook-id, then 200
    /reject        400
    /gone          410
    /busy/S        429 with Retry-After: S to the first request of each id, then 200
    /hang          never answers (sleeps 60 s)
    /stall         logs the request (code 0) at once, then never answers
"""
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

portfile, logfile = sys.argv[1], sys.argv[2]
secret = None
if len(sys.argv) > 4 and sys.argv[3] == "--secret":
    secret = base64.b64decode(sys.argv[4][len("whsec_"):])
seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        wid = self.headers.get("webhook-id")
        ts = self.headers.get("webhook-timestamp")
        sig = self.headers.get("webhook-signature")
        sig_ok = None
        if secret is not None:
            mac = hmac.new(secret, f"{wid}.{ts}.".encode() + body, hashlib.sha256).digest()
            sig_ok = sig == "v1," + base64.b64encode(mac).decode()
        with lock:
            n = seen.get((self.path, wid), 0) + 1
            seen[(self.path, wid)] = n
        parts = self.path.strip("/").split("/")
        code, headers = 200, []
        if parts[0] == "flaky" and n <= int(parts[1]):
            code = 503
        elif parts[0] == "reject":
            code = 400
        elif parts[0] == "gone":
            code = 410
        elif parts[0] == "busy" and n == 1:
            code, headers = 429, [("Retry-After", parts[1])]
        elif parts[0] == "hang":
            time.sleep(60)
            return
        elif parts[0] == "stall":
            code = 0
        entry = {"path": self.path, "id": wid, "ts": ts, "sig_ok": sig_ok,
                 "body": body.decode("utf-8", "replace"), "time": time.time(), "code": code,
                 "method": self.command, "client_port": self.client_address[1],
                 "chunked": "chunked" in self.headers.get("Transfer-Encoding", ""),
                 "x_test": self.headers.get("X-Test")}
        with lock, open(logfile, "a") as f:
            f.write(json.dumps(entry) + "\n")
        if code == 0:
            time.sleep(60)
            return
        self.answer(code, headers)

    do_PUT = do_POST


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
