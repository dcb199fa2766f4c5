#!/usr/bin/env python3
"""Helpers for scripts/bench_ingest.sh (standard library only).

  fill MAILDIR N         write N distinct ~2 KB complaint emails into MAILDIR/new/
  fetch PORT [RUNS]      time a plain IMAP fetch of the whole INBOX (complaints/secret):
                         login, EXAMINE INBOX, UID FETCH 1:* (BODY.PEEK[]), logout;
                         prints one JSON line per run
  open PORT              log in and SELECT INBOX read-write once (Dovecot then moves
                         new/ to cur/, as after any mail client's first visit); prints
                         the seconds the SELECT took
  verify DB MAILDIR N    count what the ingestion left behind (SQLite rows, \\Seen flags)
"""

import email.utils
import imaplib
import json
import os
import random
import sqlite3
import sys
import time

FIRST = ["Alice", "Bilal", "Catherine", "David", "Eleanor", "Fatima", "George", "Harriet", "Imran", "Joan",
         "Kwame", "Lucy", "Mohammed", "Niamh", "Oliver", "Priya", "Quentin", "Rosa", "Stephen", "Tariq",
         "Ursula", "Victor", "Wendy", "Xavier", "Yasmin", "Zoe", "Agnieszka", "Bronwen", "Callum", "Deepa"]
LAST = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
        "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
        "Khan", "Patel", "O'Brien", "Kowalski", "Okafor", "Nguyen", "MacDonald", "Lewis", "Harris", "Clarke"]
DOMAINS = ["example.org", "example.com", "mail.example.net", "example.co.uk", "homemail.example"]
STREETS = ["Pulteney Road", "Wellsway", "Bloomfield Avenue", "London Road", "Combe Down Lane", "Widcombe Hill",
           "Lansdown Crescent", "Oldfield Lane", "Midford Road", "Bathwick Street", "Kingsmead Square",
           "Moorland Road", "Englishcombe Lane", "Weston Lane", "Claverton Street"]
TOPICS = [
    ("missed bin collections", "my general waste bin has been missed"),
    ("the state of the pavement", "the pavement outside my house is broken and uneven"),
    ("council tax billing", "my council tax bill was calculated on the wrong band"),
    ("noise from roadworks", "the contractors start drilling before seven in the morning"),
    ("the recycling centre", "I was turned away from the recycling centre with a valid permit"),
    ("a blocked drain", "the drain at the end of the road has been blocked for months"),
    ("housing repairs", "the damp in my flat has still not been repaired"),
    ("the library opening hours", "the library was closed during its published opening hours"),
    ("garden waste charges", "I paid for garden waste collection and it has not been collected"),
    ("the way my call was handled", "the person I spoke to on the phone put the phone down on me"),
]
SENTENCES = [
    "I have reported this several times through the website and by telephone and nothing has changed.",
    "Each time I am told that it has been logged and that somebody will be in touch, but nobody ever is.",
    "My neighbours on {street} have had the same experience, so I do not believe this is a one-off.",
    "I am elderly and do not drive, so this causes me real difficulty in getting on with daily life.",
    "I would like an explanation of what went wrong and what the council will do to put it right.",
    "I have kept a record of the dates and the reference numbers I was given on each occasion.",
    "Frankly the service has been unacceptable and I am dissatisfied with how this has been handled.",
    "I pay my council tax in full and on time and I expect a basic level of service in return.",
    "The problem started in the spring and it has got steadily worse over the summer and autumn.",
    "I have attached nothing to this email but I can send photographs if that would help your investigation.",
    "Please could you also confirm how long it will take for me to receive a full response to this complaint.",
    "If I do not hear back within the time your policy sets out I will take this further.",
    "I understand that budgets are tight but this is a matter of basic safety for people who live here.",
    "When I called the contact centre last week I waited for forty minutes before the line went dead.",
    "The crew were seen driving past our road without stopping, which several residents witnessed.",
    "I would be grateful if an officer could visit so that they can see the situation for themselves.",
]


def make_message(i: int, now: float) -> bytes:
    rnd = random.Random(i)
    first, last = rnd.choice(FIRST), rnd.choice(LAST)
    addr = f"{first.lower()}.{last.lower().replace(chr(39), '')}.{i}@{rnd.choice(DOMAINS)}"
    street = rnd.choice(STREETS)
    topic, detail = rnd.choice(TOPICS)
    house = rnd.randint(1, 180)
    when = now - (i % 3600) - 60  # within the last hour: never older than the backlog cut-off
    paras = [
        "Dear Sir or Madam,",
        f"I wish to make a formal complaint about {topic} at {house} {street}. "
        f"Over the past few weeks {detail}, and I have had no satisfactory answer from the council.",
    ]
    pool = SENTENCES[:]
    rnd.shuffle(pool)
    body_sentences = [s.format(street=street) for s in pool]
    # Three paragraphs of four sentences, then sign-off: about 2 KB in all.
    for k in range(3):
        paras.append(" ".join(body_sentences[k * 4:(k + 1) * 4]))
    paras.append("I look forward to hearing from you.")
    paras.append(f"Yours faithfully,\n{first} {last}\n{house} {street}\nBath\nTel: 01225 {rnd.randint(100000, 999999)}")
    body = "\n\n".join(paras)
    # Wrap at about 72 columns, as mail clients do.
    lines = []
    for para_line in body.split("\n"):
        cur = ""
        for w in para_line.split(" "):
            if cur and len(cur) + 1 + len(w) > 72:
                lines.append(cur)
                cur = w
            else:
                cur = f"{cur} {w}" if cur else w
        lines.append(cur)
    text = "\r\n".join(lines) + "\r\n"
    headers = [
        f"Return-Path: <{addr}>",
        f"Received: from mx.{addr.split('@')[1]} (mx.{addr.split('@')[1]} [192.0.2.{i % 250 + 1}])\r\n"
        f"\tby mx.example.gov.uk with ESMTPS id bench{i:06d}\r\n\tfor <complaints@example.gov.uk>; "
        + email.utils.formatdate(when + 2, usegmt=True),
        f"From: {first} {last} <{addr}>",
        "To: Complaints <complaints@example.gov.uk>",
        f"Subject: Complaint about {topic} - {house} {street}",
        f"Date: {email.utils.formatdate(when, usegmt=True)}",
        f"Message-ID: <bench.{i}.{rnd.getrandbits(48):012x}@{addr.split('@')[1]}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
        "User-Agent: Mozilla/5.0 Thunderbird/115.0",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + text).encode("utf-8")


def fill(maildir: str, n: int) -> None:
    now = time.time()
    new = os.path.join(maildir, "new")
    tmp = os.path.join(maildir, "tmp")
    total = 0
    base = int(now)
    for i in range(n):
        raw = make_message(i, now)
        total += len(raw)
        name = f"{base}.M{i}P{os.getpid()}.bench"
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(raw)
        os.rename(os.path.join(tmp, name), os.path.join(new, name))
    print(json.dumps({"messages": n, "bytes": total, "mean_bytes": round(total / max(n, 1))}))


def fetch(port: int, runs: int) -> None:
    for _ in range(runs):
        t0 = time.perf_counter()
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login("complaints", "secret")
        typ, data = m.select("INBOX", readonly=True)
        assert typ == "OK", data
        t1 = time.perf_counter()
        typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[])")
        t2 = time.perf_counter()
        assert typ == "OK", data
        msgs = [d for d in data if isinstance(d, tuple)]
        nbytes = sum(len(d[1]) for d in msgs)
        m.logout()
        t3 = time.perf_counter()
        print(json.dumps({"messages": len(msgs), "bytes": nbytes, "fetch_s": round(t2 - t1, 4),
                          "session_s": round(t3 - t0, 4)}), flush=True)


def open_rw(port: int) -> None:
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login("complaints", "secret")
    t0 = time.perf_counter()
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    print(round(time.perf_counter() - t0, 4))
    m.logout()


def verify(db: str, maildir: str, n: int) -> None:
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    q = lambda sql: c.execute(sql).fetchone()[0]
    out = {
        "messages": q("SELECT COUNT(*) FROM messages"),
        "distinct_ingest_keys": q("SELECT COUNT(DISTINCT ingest_key) FROM messages"),
        "cases": q("SELECT COUNT(*) FROM cases"),
        "complaints": q("SELECT COUNT(*) FROM cases WHERE kind = 'complaint'"),
        "letters_pending": q("SELECT COUNT(*) FROM letters WHERE status = 'pending'"),
        "quarantined": q("SELECT COUNT(*) FROM quarantine"),
    }
    seen = 0
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(maildir, sub)):
            flags = name.rsplit(":2,", 1)[1] if ":2," in name else ""
            seen += "S" in flags
    out["seen_flags"] = seen
    ok = (out["messages"] == n and out["distinct_ingest_keys"] == n and out["cases"] == n
          and out["letters_pending"] == n and out["quarantined"] == 0 and seen == n)
    out["ok"] = ok
    print(json.dumps(out))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "fill":
        fill(sys.argv[2], int(sys.argv[3]))
    elif cmd == "fetch":
        fetch(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    elif cmd == "open":
        open_rw(int(sys.argv[2]))
    elif cmd == "verify":
        verify(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(__doc__)
