"""A small OAuth2 authorisation server for the OAuth2 tests (Python stdlib, loopback).

    /usr/bin/python3 oauth_server.py PORT STATE_DIR CLIENT_ID SECRET USER EXPIRES_IN

POST /token       client-credentials grant (client_id and client_secret in the form
                  body or by HTTP Basic); issues a random token living EXPIRES_IN
                  seconds, and counts it in STATE_DIR/issued.
POST /introspect  RFC 7662, for Dovecot's oauth2 passdb and the XOAUTH2 SMTP sink:
                  {"active": true, "username": USER} for a live token, else
                  {"active": false}; counted in STATE_DIR/introspected.

When STATE_DIR/forget appears, the next request finds every token issued so far
dropped (as after a secret rotation) and the file removed.
While STATE_DIR/revoked exists the client is revoked: /token answers 401
{"error": "invalid_client", "error_description": "client revoked"} and no token
is active. Prints "ready" on stdout once it is listening.
"""
import base64
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, STATE, CLIENT_ID, SECRET, USER, EXPIRES_IN = sys.argv[1:7]
EXPIRES_IN = int(EXPIRES_IN)
LOCK = threading.Lock()
TOKENS = {}  # token -> expiry (time.time())


def bump(name):
    path = os.path.join(STATE, name)
    with LOCK:
        n = int(open(path).read()) if os.path.exists(path) else 0
        with open(path + ".tmp", "w") as f:
            f.write(str(n + 1))
        os.replace(path + ".tmp", path)


def revoked():
    return os.path.exists(os.path.join(STATE, "revoked"))


class Handler(BaseHTTPRequestHandler):
    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}

    def do_POST(self):
        f = self.form()
        forget = os.path.join(STATE, "forget")
        with LOCK:
            if os.path.exists(forget):
                TOKENS.clear()
                os.remove(forget)
        if self.path == "/token":
            cid, sec = f.get("client_id"), f.get("client_secret")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                cid, sec = urllib.parse.unquote(u), urllib.parse.unquote(p)
            if f.get("grant_type") != "client_credentials":
                return self.answer(400, {"error": "unsupported_grant_type"})
            if revoked():
                return self.answer(
                    401, {"error": "invalid_client", "error_description": "client revoked"}
                )
            if cid != CLIENT_ID or sec != SECRET:
                return self.answer(
                    401,
                    {"error": "invalid_client", "error_description": "wrong client id or secret"},
                )
            token = secrets.token_urlsafe(24)
            with LOCK:
                TOKENS[token] = time.time() + EXPIRES_IN
            bump("issued")
            with open(os.path.join(STATE, "scopes"), "a") as s:
                s.write(f.get("scope", "") + "\n")
            return self.answer(
                200, {"access_token": token, "token_type": "Bearer", "expires_in": EXPIRES_IN}
            )
        if self.path == "/introspect":
            bump("introspected")
            token = f.get("token", "")
            with LOCK:
                live = TOKENS.get(token, 0) > time.time()
            if live and not revoked():
                return self.answer(200, {"active": True, "username": USER})
            return self.answer(200, {"active": False})
        self.answer(404, {"error": "not_found"})

    def log_message(self, fmt, *args):
        with open(os.path.join(STATE, "requests.log"), "a") as log:
            log.write("%s %s\n" % (self.path, fmt % args))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
