#!/usr/bin/env bash
# Peak memory of `redress poll` over big mail (issue 11, item 2): the size of a message
# is checked before it is read, oversized mail keeps only its headers, and batches are
# cut by bytes. Six runs, each against a fresh database and mailbox:
#
#   maildir-600MB   a Maildir holding one 600 MB message (over the 50 MB default limit)
#   imap-600MB      a throwaway Dovecot holding the same
#   maildir-6x46MB  six 46 MB messages (each under the 50 MB limit), one Maildir
#   imap-6x46MB     the same six in Dovecot
#   maildir-40x5MB  forty 5 MB messages: batches cut by bytes (three to a batch)
#   imap-40x5MB     the same forty in Dovecot (two batches in flight at most)
#
#   scripts/bench_big_mail.sh                 # all six
#   CASES="maildir-600MB imap-600MB" scripts/bench_big_mail.sh
#   SKIP_BUILD=1 scripts/bench_big_mail.sh    # use the existing release binary
#   BIN=/path/to/redress scripts/bench_big_mail.sh   # measure another build
#   KEEP=1 scripts/bench_big_mail.sh          # keep the temp dir afterwards
#
# The messages are generated here (a short text part and a base64 attachment) into a
# temp dir, which is removed on exit. Peak RSS is /usr/bin/time -v's "Maximum resident
# set size" of the redress process alone (Dovecot is another process). Exits 3 when a
# run is at or over TARGET_MB (150) or fails (a failed run is reported, the rest go on). Figures: docs/benchmarks.md, "Big mail".
# Needs: dovecot-imapd, openssl, python3, /usr/bin/time; about 1 GB free in TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
TARGET_MB=${TARGET_MB:-150}
CASES=${CASES:-maildir-600MB imap-600MB maildir-6x46MB imap-6x46MB maildir-40x5MB imap-40x5MB}
# shellcheck source=scripts/lib/dovecot.sh
. "$ROOT/scripts/lib/dovecot.sh"

for cmd in dovecot openssl "$PY"; do
  command -v "$cmd" >/dev/null 2>&1 || { echo "needs $cmd" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${BIN:-}" ]; then
  echo "== cargo build --release"
  cargo build --release
fi
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/redress}
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/redress-bigmail.XXXXXX")
DC=""
cleanup() {
  local rc=$?
  [ -n "$DC" ] && stop_dovecot
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# gen DIR COUNT MB: COUNT messages of MB megabytes (MiB) each into DIR/new, CRLF lines.
gen() {
  "$PY" - "$1" "$2" "$3" <<'EOF'
import base64, os, sys
d, count, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(os.path.join(d, "new"), exist_ok=True)
# 1,000 lines of base64 (76 characters each), repeated: fast to write, and realistic
# for the parser (a scanned attachment).
raw = os.urandom(57 * 1000)
block = b"".join(base64.b64encode(raw[i:i + 57]) + b"\r\n" for i in range(0, len(raw), 57))
for n in range(count):
    head = (
        f"From: Resident {n} <resident{n}@example.org>\r\n"
        "To: complaints@example.gov.uk\r\n"
        f"Subject: Complaint {n} about planning, with the scanned letters\r\n"
        f"Message-ID: <big-{n}-{os.getpid()}@example.org>\r\n"
        "Date: Mon, 14 Dec 2026 09:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b0"\r\n\r\n'
        "--b0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "I wish to complain about the handling of my planning application. "
        "The scanned letters are attached.\r\n\r\n"
        "--b0\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename=\"scan.pdf\"\r\n\r\n"
    ).encode()
    tail = b"\r\n--b0--\r\n"
    size = mb * 1024 * 1024
    path = os.path.join(d, "new", f"{1700000000 + n}.M{n}P1.bench")
    with open(path, "wb") as f:
        f.write(head)
        left = size - len(head) - len(tail)
        while left > 0:
            chunk = block[: min(len(block), left)]
            # Keep whole lines: cut at the last line end that fits.
            if len(chunk) < len(block):
                chunk = chunk[: chunk.rfind(b"\r\n") + 2] if b"\r\n" in chunk else b""
                if not chunk:
                    break
            f.write(chunk)
            left -= len(chunk)
        f.write(tail)
EOF
}

config() { # config DIR MAILBOX_TOML
  cat >"$1/redress.toml" <<EOF
policy = "lgsco-code"
[council]
name = "Example Council"
email = "complaints@example.gov.uk"
reference_prefix = "EX"
$2
[outbox]
kind = "file"
path = "outbox"
EOF
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
FAILED=0

run_case() { # run_case NAME KIND COUNT MB
  local name=$1 kind=$2 count=$3 mb=$4
  local C="$WORK/$name"
  mkdir -p "$C/redress"
  echo "== $name: $count x $mb MB via $kind"
  if [ "$kind" = maildir ]; then
    gen "$C/maildir" "$count" "$mb"
    mkdir -p "$C/maildir/cur" "$C/maildir/tmp"
    config "$C/redress" "[mailbox]
kind = \"maildir\"
path = \"$C/maildir\""
  else
    DC="$C/dovecot"
    setup_dovecot
    gen "$MAILDIR" "$count" "$mb"
    chmod 755 "$WORK" "$C" "$DC"
    [ "$(id -u)" -eq 0 ] && chown -R dovecot:dovecot "$DC/mail"
    dovecot -c "$DC/dovecot.conf"
    for _ in $(seq 200); do
      (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && break
      sleep 0.05
    done
    # Dovecot's index (UIDs, sizes) built before the timed run, as for any mailbox a
    # client has opened before.
    doveadm -c "$DC/dovecot.conf" index -u complaints INBOX
    printf 'secret\n' >"$C/redress/imap-password"
    config "$C/redress" "[mailbox]
kind = \"imap\"
host = \"127.0.0.1\"
port = $IMAP_PORT
tls = \"plain\"
user = \"complaints\"
password_file = \"imap-password\""
  fi
  local t0 t1 rc
  t0=$(date +%s.%N)
  set +e
  /usr/bin/time -v -o "$C/time.txt" "$BIN" --config "$C/redress/redress.toml" poll --json \
    >"$C/poll.json" 2>"$C/poll.err"
  rc=$?
  set -e
  t1=$(date +%s.%N)
  local rss_kb db_kb report
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$C/time.txt")
  if [ $rc -ne 0 ]; then
    echo "redress poll failed (exit $rc):" >&2
    tail -5 "$C/poll.err" >&2
    printf '%-15s peak RSS %6.1f MB  FAILED (exit %s): %s\n' "$name" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')" "$rc" \
      "$(tail -1 "$C/poll.err")" >>"$RESULTS"
    if [ "$kind" = imap ]; then stop_dovecot; DC=""; fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$C"
    return
  fi
  db_kb=$(du -sk "$C/redress/data" | cut -f1)
  report=$(tr -d '\n ' <"$C/poll.json")
  echo "   $report"
  "$PY" - "$name" "$rss_kb" "$db_kb" "$t0" "$t1" "$report" "$TARGET_MB" >>"$RESULTS" <<'EOF'
import json, sys
name, rss_kb, db_kb, t0, t1, report, target = sys.argv[1:]
r = json.loads(report)
rss = int(rss_kb) / 1024
ok = "met" if rss < float(target) else "MISSED"
print(f"{name:<15} peak RSS {rss:6.1f} MB ({ok})  wall {float(t1) - float(t0):5.1f} s  "
      f"database {int(db_kb) / 1024:6.1f} MB  seen {r['seen']} new cases {r['new_cases']} quarantined {r['quarantined']}")
EOF
  tail -1 "$RESULTS"
  if [ "$kind" = imap ]; then stop_dovecot; DC=""; fi
  # Free the disk before the next run.
  [ "${KEEP:-0}" = 1 ] || rm -rf "$C"
}

for c in $CASES; do
  case "$c" in
    maildir-600MB) run_case "$c" maildir 1 600 ;;
    imap-600MB) run_case "$c" imap 1 600 ;;
    maildir-6x46MB) run_case "$c" maildir 6 46 ;;
    imap-6x46MB) run_case "$c" imap 6 46 ;;
    maildir-40x5MB) run_case "$c" maildir 40 5 ;;
    imap-40x5MB) run_case "$c" imap 40 5 ;;
    *) echo "unknown case $c" >&2; exit 1 ;;
  esac
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); $(dovecot --version | cut -d' ' -f1); $("$BIN" --version 2>/dev/null || echo redress)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$RESULTS"
grep -qE "MISSED|FAILED" "$RESULTS" && FAILED=1
[ $FAILED -eq 0 ] || exit 3
