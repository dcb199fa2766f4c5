#!/usr/bin/env bash
# Surge benchmark (issue 22, item 6): a bins contractor fails and N genuine complaints
# arrive in one poll. With the default cap of 500 automatic letters an hour, the first
# 500 are acknowledged at once and the rest are deferred; each hourly `tick` sends the
# next 500, oldest first; `send` delivers them to the file outbox. Measured: time until
# every resident is acknowledged, letters per clock hour, and that no one is
# acknowledged twice (database and outbox both counted).
#
#   scripts/bench_surge.sh                 # N=3000, Mon 14 Dec 2026 09:00 London
#   N=6000 scripts/bench_surge.sh
#   START=2026-12-11T16:00:00Z scripts/bench_surge.sh   # a Friday afternoon
#   SKIP_BUILD=1 scripts/bench_surge.sh    # use the existing target/release/redress
#   KEEP=1 scripts/bench_surge.sh          # keep the temp dir afterwards
#
# Zero set-up: a local Maildir in, the file outbox out, SQLite in the temp dir.
# Figures: docs/benchmarks.md ("## A surge of complaints").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N=${N:-3000}
START=${START:-2026-12-14T09:00:00Z}
PY=${PYTHON:-python3}

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== cargo build --release"
  cargo build --release
fi
BIN="$ROOT/target/release/redress"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/redress-surge.XXXXXX")
cleanup() {
  local rc=$?
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT
mkdir -p "$WORK/maildir/new" "$WORK/maildir/cur" "$WORK/maildir/tmp"
cat > "$WORK/redress.toml" <<EOF
policy = "bath-and-north-east-somerset"
[council]
name = "Test Council"
email = "complaints@council.example"
reference_prefix = "BNES"
phone = "01225 000000"
web = "https://council.example"
[mailbox]
kind = "maildir"
path = "maildir"
[outbox]
kind = "file"
path = "outbox"
[workflow]
duty_manager = "bob"
[[staff]]
name = "bob"
email = "bob@council.example"
EOF

echo "== $N complaints into the Maildir"
"$PY" - "$WORK/maildir/new" "$N" <<'EOF'
import sys, os
d, n = sys.argv[1], int(sys.argv[2])
streets = ["Acacia Avenue", "Beech Road", "Cedar Close", "Dove Street", "Elm Grove"]
for i in range(n):
    body = (f"Dear Sir or Madam,\r\n\r\nI wish to complain. Our bins on {streets[i % 5]} have not been "
            f"collected for two weeks and the street smells. This is the third time this year.\r\n\r\n"
            f"Resident {i}\r\n")
    raw = (f"From: Resident {i} <resident{i}@example.org>\r\nTo: complaints@council.example\r\n"
           f"Subject: Missed bin collection\r\nMessage-ID: <surge{i}@example.org>\r\n"
           f"Date: Mon, 14 Dec 2026 08:{i % 60:02d}:00 +0000\r\n\r\n{body}")
    with open(os.path.join(d, f"{i:06d}.surge"), "w") as f:
        f.write(raw)
EOF

cd "$WORK"
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o poll.rss "$BIN" --config redress.toml --now "$START" poll > poll.out
t1=$(date +%s.%N)
tail -1 poll.out
echo "poll: $(awk "BEGIN{printf \"%.2f\", $t1-$t0}") s, peak RSS $(cat poll.rss) KB"
"$BIN" --config redress.toml --now "$START" send > /dev/null

# Hourly ticks (the daemon ticks every minute; the cap counts by clock hour), each
# followed by a send, until nothing waits.
hour=0
while :; do
  hour=$((hour + 1))
  now=$("$PY" -c "import datetime,sys; t=datetime.datetime.fromisoformat('$START'.replace('Z','+00:00'))+datetime.timedelta(hours=$hour, minutes=1); print(t.strftime('%Y-%m-%dT%H:%M:%SZ'))")
  s0=$(date +%s.%N)
  out=$("$BIN" --config redress.toml --now "$now" tick)
  s1=$(date +%s.%N)
  "$BIN" --config redress.toml --now "$now" send > /dev/null
  line=$(echo "$out" | grep "deferred acknowledgements sent" || true)
  echo "tick at $now: $(awk "BEGIN{printf \"%.2f\", $s1-$s0}") s; ${line:-nothing deferred}"
  echo "$line" | grep -q " 0 still waiting" && break
  [ -z "$line" ] && break
  [ $hour -ge 48 ] && { echo "still waiting after 48 hours" >&2; exit 3; }
done

"$PY" - "$WORK" "$N" "$START" <<'EOF'
import sqlite3, sys, os, datetime, email
work, n, start = sys.argv[1], int(sys.argv[2]), sys.argv[3]
db = sqlite3.connect(os.path.join(work, "data/redress.db"))
acks = db.execute("SELECT case_id, COUNT(*) FROM letters WHERE kind='acknowledgement' GROUP BY case_id").fetchall()
cases = db.execute("SELECT COUNT(*) FROM cases").fetchone()[0]
twice = [c for c, k in acks if k > 1]
per_hour = db.execute("SELECT substr(created_at,1,13), COUNT(*) FROM letters GROUP BY 1 ORDER BY 1").fetchall()
last = db.execute("SELECT MAX(created_at) FROM letters").fetchone()[0]
days = db.execute("SELECT acknowledged_on, COUNT(*) FROM cases GROUP BY 1").fetchall()
met = db.execute("SELECT COUNT(*) FROM deadlines WHERE kind='acknowledge' AND status='met' AND met_on <= due").fetchone()[0]
sent = db.execute("SELECT COUNT(*) FROM letters WHERE status='sent'").fetchone()[0]
outbox = [f for f in os.listdir(os.path.join(work, "outbox")) if f.endswith(".eml") and not f.startswith(("notice.", "digest."))]
subjects = set()
for f in outbox:
    with open(os.path.join(work, "outbox", f), "rb") as fh:
        subjects.add(email.message_from_binary_file(fh)["Subject"])
t0 = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
t1 = datetime.datetime.fromisoformat(last.replace("Z", "+00:00"))
print(f"cases {cases}, acknowledged {len(acks)}, acknowledged twice {len(twice)}, sent {sent}, outbox files {len(outbox)} ({len(subjects)} distinct subjects)")
print("letters per clock hour (UTC):", ", ".join(f"{h[11:]}:00 {k}" for h, k in per_hour))
print(f"last acknowledgement asked for {t1 - t0} after the poll; acknowledged on: {days}; acknowledge deadlines met in time: {met}")
ok = cases == n and len(acks) == n and not twice and len(outbox) == n and met == n and max(k for _, k in per_hour) <= 500
print("OK" if ok else "TARGET MISSED")
sys.exit(0 if ok else 3)
EOF
