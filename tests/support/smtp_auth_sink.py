"""The SMTP sink of smtp_sink.py behind STARTTLS with a password, as a council's
submission server is: mail is accepted only after AUTH with USER and PASSWORD.

    /usr/bin/python3 smtp_auth_sink.py PORT MAILDIR CERT KEY USER PASSWORD

Prints "ready" on stdout once it is listening.
"""
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_sink import Sink, serve  # noqa: E402


def main():
    port, maildir, cert, key, user, password = sys.argv[1:7]
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    controller = Controller(
        Sink(maildir, [], []),
        hostname="127.0.0.1",
        port=int(port),
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_require_tls=True,
        auth_required=True,
    )
    serve(controller)


if __name__ == "__main__":
    main()
