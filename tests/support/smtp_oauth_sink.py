"""The SMTP sink of smtp_sink.py behind STARTTLS accepting only AUTH XOAUTH2, as
Exchange Online's submission server does for an app: the bearer token is checked by
asking the OAuth2 test server's /introspect (oauth_server.py).

    /usr/bin/python3 smtp_oauth_sink.py PORT MAILDIR CERT KEY INTROSPECT_URL USER

Prints "ready" on stdout once it is listening.
"""
import base64
import json
import os
import ssl
import sys
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_sink import Sink, serve  # noqa: E402


class OauthSink(Sink):
    def __init__(self, maildir, introspect, user):
        super().__init__(maildir, [], [])
        self.introspect = introspect
        self.user = user

    def active(self, token):
        body = urllib.parse.urlencode({"token": token}).encode()
        with urllib.request.urlopen(self.introspect, data=body, timeout=10) as r:
            info = json.load(r)
        return info.get("active") is True and info.get("username") == self.user

    async def auth_XOAUTH2(self, server, args):
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        fields = dict(
            p.split("=", 1) for p in blob.decode().split("\x01") if "=" in p
        )
        user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        if user == self.user and token and self.active(token):
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)


def main():
    port, maildir, cert, key, introspect, user = sys.argv[1:7]
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    controller = Controller(
        OauthSink(maildir, introspect, user),
        hostname="127.0.0.1",
        port=int(port),
        tls_context=tls,
        require_starttls=True,
        auth_require_tls=True,
        auth_required=True,
        # Only XOAUTH2: a password would not get in.
        auth_exclude_mechanism=["PLAIN", "LOGIN"],
    )
    serve(controller)


if __name__ == "__main__":
    main()
