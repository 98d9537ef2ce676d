#!/usr/bin/env bash
# The tests of the Redis-shared rate limits need a Redis on 127.0.0.1:6379. Starts one (no
# persistence: it holds only counters) when it is down, installing Debian's redis-server when it
# is missing and we may; otherwise says what to do.
set -euo pipefail
ping() { redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; }
command -v redis-cli >/dev/null && ping && exit 0
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Redis for the rate-limit tests (apt-get install redis-server)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "Redis is not running on 127.0.0.1:6379 and redis-server is not installed. Install it (Debian: sudo apt-get install redis-server) and start it." >&2
    exit 1
  fi
fi
echo "Starting Redis on 127.0.0.1:6379 for the rate-limit tests…"
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
for _ in $(seq 1 50); do ping && exit 0; sleep 0.2; done
echo "Redis did not answer on 127.0.0.1:6379 after starting it." >&2
exit 1
