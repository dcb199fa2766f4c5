# Shared by the benchmark scripts: a throwaway Dovecot on free loopback ports, as in
# tests/support/mod.rs and shared/TESTING.md. Set DC (its folder) and PY (python3)
# before calling; `setup_dovecot` writes the certificate and config and sets MAILDIR,
# IMAP_PORT and IMAPS_PORT; start it with `dovecot -c "$DC/dovecot.conf"`.

setup_dovecot() {
  mkdir -p "$DC/run" "$DC/state" "$DC/mail"
  MAILDIR="$DC/mail/complaints"
  mkdir -p "$MAILDIR/new" "$MAILDIR/cur" "$MAILDIR/tmp"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
    -keyout "$DC/key.pem" -out "$DC/cert.pem" 2>/dev/null
  read -r IMAP_PORT IMAPS_PORT < <($PY -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
  local iuser luser igroup uid gid
  if [ "$(id -u)" -eq 0 ]; then
    # imap-login refuses to run as root: the Debian package's own users.
    iuser=dovecot luser=dovenull igroup=dovecot uid=dovecot gid=dovecot
  else
    iuser=$(id -un) luser=$(id -un) igroup=$(id -gn) uid=$(id -u) gid=$(id -g)
  fi
  cat >"$DC/dovecot.conf" <<EOF
base_dir = $DC/run
state_dir = $DC/state
log_path = $DC/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <$DC/cert.pem
ssl_key = <$DC/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$DC/mail/%u
default_internal_user = $iuser
default_login_user = $luser
default_internal_group = $igroup
first_valid_uid = 1
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$DC/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
  }
  chroot =
}
service anvil {
  chroot =
}
EOF
}

# Stop it (if it started) and wait for the master to exit.
stop_dovecot() {
  if [ -f "$DC/run/master.pid" ]; then
    local pid
    pid=$(cat "$DC/run/master.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 200); do
      [ -d "/proc/$pid" ] || break
      sleep 0.05
    done
  fi
}
