#!/usr/bin/env python3
"""A stand-in for a Confluent schema registry, for the Avro tests.

Speaks the part of the REST API that flux and tap use:
  POST /subjects/S/versions     {"schema": "..."} -> {"id": N} (the same
                                schema under any subject keeps its id)
  GET  /subjects/S/versions/latest -> {"subject","version","id","schema"}
  GET  /schemas/ids/N           -> {"schema": "..."}, or 404 error 40403
Unknown paths get 404 error 40401. With --auth USER:PASSWORD every request
must carry that HTTP basic auth (401 otherwise). Each request line is
appended to --log, so a test can count how often an id was fetched.

Usage: schema-registry.py PORT_FILE [--auth USER:PASSWORD] [--log FILE]
Binds 127.0.0.1 on a free port and writes the port to PORT_FILE.
"""
import base64
import http.server
import json
import sys
import threading

port_file = sys.argv[1]
auth = None
log = None
args = sys.argv[2:]
while args:
    if args[0] == "--auth":
        auth = "Basic " + base64.b64encode(args[1].encode()).decode()
        args = args[2:]
    elif args[0] == "--log":
        log = args[1]
        args = args[2:]
    else:
        sys.exit("schema-registry.py: unknown argument " + args[0])

lock = threading.Lock()
ids = {}       # schema text -> id
schemas = {}   # id -> schema text
subjects = {}  # subject -> [id, ...]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def allowed(self):
        if log:
            with open(log, "a") as f:
                f.write(self.command + " " + self.path + "\n")
        if auth and self.headers.get("Authorization") != auth:
            self.reply(401, {"error_code": 401, "message": "Unauthorized"})
            return False
        return True

    def do_GET(self):
        if not self.allowed():
            return
        parts = self.path.strip("/").split("/")
        with lock:
            if len(parts) == 3 and parts[:2] == ["schemas", "ids"] and parts[2].isdigit():
                sid = int(parts[2])
                if sid in schemas:
                    return self.reply(200, {"schema": schemas[sid]})
                return self.reply(404, {"error_code": 40403, "message": "Schema not found"})
            if len(parts) == 4 and parts[0] == "subjects" and parts[2:] == ["versions", "latest"]:
                versions = subjects.get(parts[1])
                if versions:
                    sid = versions[-1]
                    return self.reply(200, {"subject": parts[1], "version": len(versions),
                                            "id": sid, "schema": schemas[sid]})
                return self.reply(404, {"error_code": 40401, "message": "Subject not found"})
        self.reply(404, {"error_code": 40401, "message": "Not found"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not self.allowed():
            return
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "subjects" or parts[2] != "versions":
            return self.reply(404, {"error_code": 40401, "message": "Not found"})
        try:
            text = json.loads(body)["schema"]
            json.loads(text)
        except (ValueError, KeyError, TypeError):
            return self.reply(422, {"error_code": 42201, "message": "Invalid schema"})
        with lock:
            sid = ids.setdefault(text, len(ids) + 1)
            schemas[sid] = text
            versions = subjects.setdefault(parts[1], [])
            if sid not in versions:
                versions.append(sid)
        self.reply(200, {"id": sid})


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os  # noqa: E402
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
