#!/usr/bin/python3
"""Mints JSON Web Tokens for the relay-ws tests.

jwt-mint.py ALG CLAIMS_JSON [--secret-file F] [--key PRIVATE_PEM] [--tamper]

ALG: HS256 (HMAC with the secret), RS256 (signed with `openssl dgst`),
none (no signature). CLAIMS_JSON may use "exp": "+60" / "-60" for seconds
from now. --tamper flips a byte of the signature.
"""
import argparse
import base64
import hashlib
import hmac
import json
import subprocess
import sys
import time


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


ap = argparse.ArgumentParser()
ap.add_argument("alg")
ap.add_argument("claims")
ap.add_argument("--secret-file")
ap.add_argument("--key")
ap.add_argument("--tamper", action="store_true")
a = ap.parse_args()
claims = json.loads(a.claims)
for k in ("exp", "nbf", "iat"):
    if isinstance(claims.get(k), str):
        claims[k] = int(time.time()) + int(claims[k])
head = b64url(json.dumps({"alg": a.alg, "typ": "JWT"}).encode())
body = b64url(json.dumps(claims).encode())
signing = (head + "." + body).encode()
if a.alg == "HS256":
    secret = open(a.secret_file, "rb").read().rstrip(b"\n")
    sig = hmac.new(secret, signing, hashlib.sha256).digest()
elif a.alg == "RS256":
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", a.key], input=signing,
                         capture_output=True, check=True).stdout
else:
    sig = b""
if a.tamper and sig:
    sig = bytes([sig[0] ^ 1]) + sig[1:]
print(head + "." + body + "." + b64url(sig))
