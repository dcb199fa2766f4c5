"""A real SMTP server for the outbox tests (aiosmtpd on loopback).

Stores every accepted message in a Maildir, and answers chosen recipients with a
permanent (550) or temporary (451) refusal:

    /usr/bin/python3 smtp_sink.py PORT MAILDIR [--reject ADDR]... [--defer ADDR]... [--tls CERT KEY]

With --tls it speaks implicit TLS (SMTPS) with that certificate and key.

Prints "ready" on stdout once it is listening.
"""
import ssl
import sys
import time
import mailbox

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, maildir, reject, defer):
        self.box = mailbox.Maildir(maildir, create=True)
        self.reject = {a.lower() for a in reject}
        self.defer = {a.lower() for a in defer}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 Mailbox unavailable: no such user here"
        if address.lower() in self.defer:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.box.add(envelope.original_content)
        return "250 OK: queued"


def serve(controller):
    """Start `controller`, say "ready" on stdout (the test waits for it), serve until killed."""
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def main():
    port, maildir = int(sys.argv[1]), sys.argv[2]
    reject, defer, tls = [], [], None
    args = sys.argv[3:]
    while args:
        if args[0] == "--tls":
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(args[1], args[2])
            args = args[3:]
            continue
        flag, addr = args[0], args[1]
        args = args[2:]
        (reject if flag == "--reject" else defer).append(addr)
    controller = Controller(
        Sink(maildir, reject, defer), hostname="127.0.0.1", port=port, ssl_context=tls
    )
    serve(controller)


if __name__ == "__main__":
    main()
