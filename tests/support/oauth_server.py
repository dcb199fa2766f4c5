"""A small OAuth2 authorisation server for the OAuth2 tests (Python stdlib, loopback).

    /usr/bin/python3 oauth_server.py PORT STATE_DIR CLIENT_ID SECRET USER EXPIRES_IN

POST /token       client-credentials grant (client_id and client_secret in the form
                  body or by HTTP Basic); issues a random token living EXPIRES_IN
                  seconds, and counts it in STATE_DIR/issued.
POST /introspect  RFC 7662, for Dovecot's oauth2 passdb and the XOAUTH2 SMTP sink:
                  {"active": true, "username": USER} for a live token, else
                  {"active": false}; counted in STATE_DIR/introspected.

Options after those, as NAME=VALUE:
  cert=PEM          an Entra ID app's registered certificate: the client-credentials
                    grant also takes a client assertion (RFC 7523: client_assertion_type
                    jwt-bearer) signed by its key, checked for real: PS256 signature,
                    x5t (and x5t#S256 if sent), aud = this endpoint, iss = sub =
                    CLIENT_ID, exp in the future, nbf not in it, a jti.
  sa_cert=PEM sa_email=E sa_kid=K
                    a Google service account: the jwt-bearer authorization grant with
                    an assertion signed by its key, kid K, iss E, aud = this endpoint,
                    a scope, exp in the future and at most an hour after iat; its token
                    is for the user in the assertion's sub.
  tls_port=N tls_cert=PEM tls_key=PEM
                    also serve on https://localhost:N with that certificate.
A refused assertion is answered 400 {"error": "invalid_client" or "invalid_grant",
"error_description": why}. Each grant is written to STATE_DIR/grants ("secret",
"assertion CLIENT_ID" or "jwt-bearer SUB").

When STATE_DIR/forget appears, the next request finds every token issued so far
dropped (as after a secret rotation) and the file removed.
While STATE_DIR/revoked exists the client is revoked: /token answers 401
{"error": "invalid_client", "error_description": "client revoked"} and no token
is active. Prints "ready" on stdout once it is listening.
"""
import base64
import hashlib
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
OPTS = dict(a.split("=", 1) for a in sys.argv[7:])
LOCK = threading.Lock()
TOKENS = {}  # token -> (expiry (time.time()), username)
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_cert(path):
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(open(path, "rb").read())
    der = cert.public_bytes(serialization.Encoding.DER)
    return {
        "key": cert.public_key(),
        "x5t": b64url(hashlib.sha1(der).digest()),
        "x5t#S256": b64url(hashlib.sha256(der).digest()),
    }


class Refused(Exception):
    def __init__(self, error, description):
        super().__init__(description)
        self.error, self.description = error, description


def check_jwt(jwt, cert, aud, error, alg):
    """The header and claims of a JWT signed by `cert`'s key with `alg` (PS256, as
    Entra ID documents it, or RS256, as Google does), else Refused."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    try:
        h, c, sig = jwt.split(".")
        header, claims = json.loads(unb64url(h)), json.loads(unb64url(c))
        sig = unb64url(sig)
    except Exception:
        raise Refused(error, "the assertion is not a JWT")
    if header.get("alg") != alg or header.get("typ") != "JWT":
        raise Refused(error, "the assertion's header must be alg %s, typ JWT" % alg)
    if alg == "PS256":
        pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    else:
        pad = padding.PKCS1v15()
    try:
        cert["key"].verify(sig, (h + "." + c).encode(), pad, hashes.SHA256())
    except InvalidSignature:
        raise Refused(error, "the assertion's signature does not verify")
    if claims.get("aud") != aud:
        raise Refused(error, "the assertion's aud %r is not %r" % (claims.get("aud"), aud))
    now = time.time()
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise Refused(error, "the assertion has expired")
    if claims.get("nbf", 0) > now + 60 or claims.get("iat", 0) > now + 60:
        raise Refused(error, "the assertion is not valid yet")
    return header, claims


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

    def endpoint(self):
        scheme = "https" if self.server.server_port == int(OPTS.get("tls_port", 0)) else "http"
        return "%s://%s%s" % (scheme, self.headers.get("Host"), self.path)

    def issue(self, username, grant):
        token = secrets.token_urlsafe(24)
        with LOCK:
            TOKENS[token] = (time.time() + EXPIRES_IN, username)
        bump("issued")
        with open(os.path.join(STATE, "grants"), "a") as g:
            g.write(grant + "\n")
        return self.answer(
            200, {"access_token": token, "token_type": "Bearer", "expires_in": EXPIRES_IN}
        )

    def client_assertion(self, f):
        """Entra ID certificate credentials."""
        if "cert" not in OPTS:
            raise Refused("invalid_client", "no certificate is registered for this app")
        if f.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise Refused("invalid_client", "client_assertion_type must be jwt-bearer")
        if f.get("client_secret"):
            raise Refused("invalid_request", "a client secret and an assertion")
        cert = load_cert(OPTS["cert"])
        jwt = f.get("client_assertion", "")
        try:
            header = json.loads(unb64url(jwt.split(".")[0]))
        except Exception:
            raise Refused("invalid_client", "the assertion is not a JWT")
        if header.get("x5t") != cert["x5t"] or header.get("x5t#S256", cert["x5t#S256"]) != cert["x5t#S256"]:
            raise Refused(
                "invalid_client",
                "AADSTS700027: The certificate with identifier used to sign the client "
                "assertion is not registered on application.",
            )
        _, claims = check_jwt(jwt, cert, self.endpoint(), "invalid_client", "PS256")
        if claims.get("iss") != CLIENT_ID or claims.get("sub") != CLIENT_ID:
            raise Refused("invalid_client", "the assertion's iss and sub must be the client id")
        if f.get("client_id", CLIENT_ID) != CLIENT_ID:
            raise Refused("invalid_client", "client_id is not the assertion's")
        if not claims.get("jti"):
            raise Refused("invalid_client", "the assertion has no jti")
        return "assertion " + CLIENT_ID

    def grant(self, f):
        """A Google service account's authorization grant: the token is for its sub."""
        if "sa_cert" not in OPTS:
            raise Refused("unsupported_grant_type", "no service account")
        jwt = f.get("assertion", "")
        header, claims = check_jwt(jwt, load_cert(OPTS["sa_cert"]), self.endpoint(), "invalid_grant", "RS256")
        if header.get("kid") != OPTS["sa_kid"]:
            raise Refused("invalid_grant", "Invalid JWT Signature.")
        if claims.get("iss") != OPTS["sa_email"]:
            raise Refused("invalid_grant", "Invalid email or User ID")
        if not claims.get("sub") or not claims.get("scope"):
            raise Refused("invalid_grant", "the assertion needs a sub and a scope")
        if claims["exp"] - claims.get("iat", 0) > 3600:
            raise Refused("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes)")
        with open(os.path.join(STATE, "scopes"), "a") as s:
            s.write(claims["scope"] + "\n")
        return claims["sub"]

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
            grant_type = f.get("grant_type")
            if grant_type not in ("client_credentials", JWT_BEARER):
                return self.answer(400, {"error": "unsupported_grant_type"})
            if revoked():
                return self.answer(
                    401, {"error": "invalid_client", "error_description": "client revoked"}
                )
            try:
                if grant_type == JWT_BEARER:
                    sub = self.grant(f)
                    return self.issue(sub, "jwt-bearer " + sub)
                if "client_assertion" in f or "client_assertion_type" in f:
                    grant = self.client_assertion(f)
                    with open(os.path.join(STATE, "scopes"), "a") as s:
                        s.write(f.get("scope", "") + "\n")
                    return self.issue(USER, grant)
            except Refused as r:
                return self.answer(400, {"error": r.error, "error_description": r.description})
            if cid != CLIENT_ID or sec != SECRET:
                return self.answer(
                    401,
                    {"error": "invalid_client", "error_description": "wrong client id or secret"},
                )
            with open(os.path.join(STATE, "scopes"), "a") as s:
                s.write(f.get("scope", "") + "\n")
            return self.issue(USER, "secret")
        if self.path == "/introspect":
            bump("introspected")
            token = f.get("token", "")
            with LOCK:
                expiry, username = TOKENS.get(token, (0, None))
            if expiry > time.time() and not revoked():
                return self.answer(200, {"active": True, "username": username})
            return self.answer(200, {"active": False})
        self.answer(404, {"error": "not_found"})

    def log_message(self, fmt, *args):
        with open(os.path.join(STATE, "requests.log"), "a") as log:
            log.write("%s %s\n" % (self.path, fmt % args))


def main():
    server = ThreadingHTTPServer(("127.0.0.1", int(PORT)), Handler)
    if "tls_port" in OPTS:
        import ssl

        tls = ThreadingHTTPServer(("127.0.0.1", int(OPTS["tls_port"])), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(OPTS["tls_cert"], OPTS["tls_key"])
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        threading.Thread(target=tls.serve_forever, daemon=True).start()
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
