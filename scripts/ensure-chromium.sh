#!/usr/bin/env bash
# Playwright drives the system Chromium (its own browser download is not reachable here).
# Installs Debian's chromium when it is missing and we may; otherwise says what to do.
set -euo pipefail
browser="${PLAYWRIGHT_CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the end-to-end tests (apt-get install chromium)…"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "Chromium not found at $browser. Install it (Debian: sudo apt-get install chromium) or set PLAYWRIGHT_CHROMIUM_PATH." >&2
exit 1
