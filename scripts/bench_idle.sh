#!/usr/bin/env bash
# Idle daemon benchmark (issue 5, "Speed"): `redress run` against a throwaway Dovecot on
# loopback (IMAP plain on 127.0.0.1, file outbox), left alone for a minute. Reports:
#   - resident memory (VmRSS, VmHWM) from /proc/PID/status, before and after one message;
#   - CPU time used during the idle minute (time on CPU from /proc/PID/task/*/schedstat,
#     with utime + stime from /proc/PID/stat as a cross-check, and per thread), and
#     wake-ups (context switches summed over all threads);
#   - IMAP logins in dovecot.log (must stay 1: one session in IDLE, not reconnect-polling);
# then delivers one complaint into the Maildir and times how long until its case is in
# the database (IDLE wakes the watcher) and its acknowledgement is in the file outbox,
# measures a second idle minute (memory now includes the PDF font and templates), and
# finally sends SIGTERM and checks the exit status is 0.
#
#   scripts/bench_idle.sh                   # 60 s idle, empty database
#   IDLE_SECONDS=120 scripts/bench_idle.sh  # longer idle window (POST_IDLE_SECONDS: the one after the letter)
#   DB=/path/redress.db scripts/bench_idle.sh   # start from a copy of this database
#                                              (e.g. the 1,000,000 cases bench_tick saves
#                                              with BENCH_TICK_SAVE; make it the same day)
#   KEEP=1 scripts/bench_idle.sh            # keep the temp dir (logs, database) afterwards
#   SKIP_BUILD=1 scripts/bench_idle.sh      # use the existing target/release/redress
#   REDRESS_BIN=/path/redress scripts/bench_idle.sh   # measure another build of it
#   STRICT=1 scripts/bench_idle.sh          # exit 3 when a target is missed
#
# Targets: < 20 MB resident, no busy polling (one IMAP login; the scheduler and outbox
# wake by design every tick_seconds = 60 s and every 5 s: their cost is reported).
# Needs: dovecot-imapd, openssl, python3. Figures: docs/benchmarks.md ("## Workflow daemon").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
IDLE_SECONDS=${IDLE_SECONDS:-60}
SETTLE_SECONDS=${SETTLE_SECONDS:-10}
POST_IDLE_SECONDS=${POST_IDLE_SECONDS:-60}
PY=${PYTHON:-python3}
# shellcheck source=scripts/lib/dovecot.sh
. "$(dirname "$0")/lib/dovecot.sh"

need=()
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# 1. Build.
if [ "${SKIP_BUILD:-0}" != 1 ] && [ -z "${REDRESS_BIN:-}" ]; then
  echo "== cargo build --release"
  cargo build --release
fi
BIN=${REDRESS_BIN:-$ROOT/target/release/redress}
[ -x "$BIN" ] || { echo "no $BIN" >&2; exit 1; }

# 2. A throwaway Dovecot, as tests/support/mod.rs starts it.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/redress-idle.XXXXXX")
DC="$WORK/dovecot"
RD="$WORK/redress"
RPID=""
cleanup() {
  local rc=$?
  if [ -n "$RPID" ] && [ -d "/proc/$RPID" ]; then
    kill "$RPID" 2>/dev/null || true
    wait "$RPID" 2>/dev/null || true
  fi
  stop_dovecot
  if [ "${KEEP:-0}" = 1 ]; then
    echo "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_dovecot
chmod 755 "$WORK" "$DC"
[ "$(id -u)" -eq 0 ] && chown -R dovecot:dovecot "$DC/mail"
dovecot -c "$DC/dovecot.conf" || { echo "dovecot did not start:" >&2; tail -20 "$DC/dovecot.log" >&2 || true; exit 1; }
for _ in $(seq 200); do
  (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && break
  sleep 0.05
done
(exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null || { echo "dovecot not listening on $IMAP_PORT" >&2; tail -20 "$DC/dovecot.log" >&2; exit 1; }
echo "== dovecot $(dovecot --version | cut -d' ' -f1) on 127.0.0.1:$IMAP_PORT (dir $DC)"
# The probe connections above are not logins; count from here on.
logins() { grep -c 'imap-login: Info: Login:' "$DC/dovecot.log" 2>/dev/null || true; }

# 3. The daemon: IMAP plain on loopback, file outbox, LGSCO Code preset.
mkdir -p "$RD/data"
printf 'secret\n' >"$RD/imap-password"
if [ -n "${DB:-}" ]; then
  echo "== copying $DB into $RD/data/redress.db"
  cp "$DB" "$RD/data/redress.db"
fi
cat >"$RD/redress.toml" <<EOF
policy = "lgsco-code"
data_dir = "data"
[council]
name = "Example Council"
email = "complaints@example.gov.uk"
reference_prefix = "EX"
[mailbox]
kind = "imap"
host = "127.0.0.1"
port = $IMAP_PORT
tls = "plain"
user = "complaints"
password_file = "$RD/imap-password"
[outbox]
kind = "file"
path = "outbox"
EOF
echo "== $BIN --config $RD/redress.toml run"
"$BIN" --config "$RD/redress.toml" run >"$WORK/run.out" 2>"$WORK/run.err" &
RPID=$!
for _ in $(seq 200); do
  grep -q 'IMAP connected' "$WORK/run.err" 2>/dev/null && break
  [ -d "/proc/$RPID" ] || { echo "redress run exited:" >&2; cat "$WORK/run.err" >&2; exit 1; }
  sleep 0.05
done
grep -q 'IMAP connected' "$WORK/run.err" || { echo "redress did not connect:" >&2; cat "$WORK/run.err" >&2; exit 1; }
# Let start-up finish (first mailbox pass into IDLE, first tick, first outbox pass).
sleep "$SETTLE_SECONDS"

CLK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$RPID/stat"; }
# Time on CPU in ns, summed over the threads alive (schedstat: finer than the 10 ms ticks).
cpu_ns() { cat /proc/"$RPID"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%d", s}'; }
status_kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$RPID/status"; }
ctxt() { cat /proc/"$RPID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }
threads() {
  for t in /proc/"$RPID"/task/*; do
    printf '%s:%s ' "$(cat "$t/comm")" "$(awk '{print $14 + $15}' "$t/stat")"
  done
}

RSS0=$(status_kb VmRSS)
THREADS0=$(status_kb Threads)
LOGINS0=$(logins)
CPU0=$(cpu_ticks)
NS0=$(cpu_ns)
CTX0=$(ctxt)
TH0=$(threads)
T0=$(date +%s.%N)
echo "== idle for $IDLE_SECONDS s (RSS ${RSS0} kB, $THREADS0 threads, $LOGINS0 IMAP login(s) so far)"
sleep "$IDLE_SECONDS"
T1=$(date +%s.%N)
CPU1=$(cpu_ticks)
NS1=$(cpu_ns)
CTX1=$(ctxt)
TH1=$(threads)
RSS1=$(status_kb VmRSS)
HWM1=$(status_kb VmHWM)
ANON1=$(status_kb RssAnon)
FILE1=$(status_kb RssFile)
LOGINS1=$(logins)
echo "   per-thread CPU ticks before: $TH0"
echo "   per-thread CPU ticks after:  $TH1"

# 4. One complaint into the Maildir: IDLE should wake the watcher within a second or so.
cases() { $PY -c '
import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=10)
print(c.execute("SELECT COUNT(*) FROM cases").fetchone()[0])' "$RD/data/redress.db"; }
since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }
CASES0=$(cases)
NAME="$(date +%s).bench-idle.$(hostname)"
NOWH=$(date -R)
printf 'From: Resident One <resident.one@example.org>\r\nTo: complaints@example.gov.uk\r\nSubject: Complaint about missed bin collection\r\nMessage-ID: <bench-idle-%s@example.org>\r\nDate: %s\r\n\r\nMy bin has not been collected for three weeks. I wish to complain.\r\n' \
  "$(date +%s%N)" "$NOWH" >"$MAILDIR/tmp/$NAME"
[ "$(id -u)" -eq 0 ] && chown dovecot:dovecot "$MAILDIR/tmp/$NAME"
D0=$(date +%s.%N)
mv "$MAILDIR/tmp/$NAME" "$MAILDIR/new/$NAME"
CASE_S=""
for _ in $(seq 300); do
  if [ "$(cases)" -gt "$CASES0" ]; then CASE_S=$(since "$D0"); break; fi
  sleep 0.05
done
LETTER_S=""
for _ in $(seq 300); do
  if ls "$RD/outbox" 2>/dev/null | grep -q 'acknowledgement'; then LETTER_S=$(since "$D0"); break; fi
  sleep 0.05
done
LOGINS2=$(logins)
# Idle again after that work (the PDF font and templates have now been loaded).
echo "== idle again for $POST_IDLE_SECONDS s after the letter"
sleep 2
NS2=$(cpu_ns)
CTX2=$(ctxt)
P0=$(date +%s.%N)
sleep "$POST_IDLE_SECONDS"
P1=$(date +%s.%N)
NS3=$(cpu_ns)
CTX3=$(ctxt)
RSS2=$(status_kb VmRSS)
HWM2=$(status_kb VmHWM)
ANON2=$(status_kb RssAnon)
FILE2=$(status_kb RssFile)
LOGINS3=$(logins)

# 5. SIGTERM: a clean exit, status 0.
S0=$(date +%s.%N)
kill -TERM "$RPID"
set +e
wait "$RPID"
RC=$?
set -e
STOP_S=$(since "$S0")
RPID=""

# 6. Summary.
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
set +e
$PY - <<EOF
idle = $T1 - $T0
cpu_s = ($NS1 - $NS0) / 1e9
cpu_ticks_s = ($CPU1 - $CPU0) / $CLK
wakes = $CTX1 - $CTX0
post = $P1 - $P0
post_cpu = ($NS3 - $NS2) / 1e9
post_wakes = $CTX3 - $CTX2
mb = lambda kb: kb / 1024
case_s, letter_s = "${CASE_S}", "${LETTER_S}"
logins = ($LOGINS0, $LOGINS1, $LOGINS2, $LOGINS3)
ok_rss = max($RSS1, $HWM1) / 1024 < 20
ok_rss_after = $RSS2 / 1024 < 20
ok_login = logins == (1, 1, 1, 1)
ok_cpu = cpu_s / idle < 0.01 and post_cpu / post < 0.01  # under 1% of one core
ok_case = case_s != "" and float(case_s) < 5
ok_exit = $RC == 0
yn = lambda b: "met" if b else "MISSED"
print()
print(f"machine        : $(nproc) cores, $CPU; dovecot $(dovecot --version | cut -d' ' -f1)")
print(f"database       : {'copy of ${DB:-}' if '${DB:-}' else 'new, empty'}")
print(f"idle window    : {idle:.1f} s after {$SETTLE_SECONDS} s settling, {$THREADS0} threads")
print(f"memory (idle)  : VmRSS {mb($RSS0):.1f} MB at start, {mb($RSS1):.1f} MB at end "
      f"(anon {mb($ANON1):.1f}, file {mb($FILE1):.1f}), VmHWM {mb($HWM1):.1f} MB")
print(f"CPU (idle)     : {cpu_s:.3f} s over {idle:.0f} s = {100 * cpu_s / idle:.3f}% of one core "
      f"(utime+stime {cpu_ticks_s:.2f} s); {wakes} context switches ({wakes / idle:.1f}/s)")
print(f"IMAP logins    : {logins[0]} before, {logins[1]} after the idle window, {logins[2]} after the delivery, {logins[3]} at the end")
print(f"one message    : case in the database after {float(case_s):.2f} s, acknowledgement in the outbox after {float(letter_s):.2f} s"
      if case_s and letter_s else f"one message    : case {case_s or 'NOT seen'}, letter {letter_s or 'NOT seen'} (within 15 s)")
print(f"idle after it  : {post:.0f} s: CPU {post_cpu:.3f} s = {100 * post_cpu / post:.3f}% of one core, {post_wakes} context switches; "
      f"VmRSS {mb($RSS2):.1f} MB (anon {mb($ANON2):.1f}, file {mb($FILE2):.1f}), VmHWM {mb($HWM2):.1f} MB")
print(f"SIGTERM        : exit status $RC after {$STOP_S:.2f} s")
print(f"targets        : < 20 MB resident while idle: {yn(ok_rss)} before any letter, {yn(ok_rss_after)} after one; "
      f"one IMAP login (IDLE): {yn(ok_login)}; idle CPU < 1% of a core: {yn(ok_cpu)}; case within 5 s: {yn(ok_case)}; exit 0: {yn(ok_exit)}")
raise SystemExit(0 if (ok_rss and ok_rss_after and ok_login and ok_cpu and ok_case and ok_exit) else 3)
EOF
MET=$?
set -e
echo "   daemon log: $(grep -c . "$WORK/run.err") lines; last: $(tail -1 "$WORK/run.err" | cut -c1-160)"
if [ $MET -ne 0 ] && [ "${STRICT:-0}" = 1 ]; then
  exit 3
fi
exit 0
