#!/usr/bin/env bash
# Redis for the queued batch tests and benchmark.
#   bash scripts/redis.sh install      installs Debian's redis-server when missing (quiet when present)
#   bash scripts/redis.sh start PORT   installs if needed, then starts a throwaway server on 127.0.0.1:PORT
#                                      with a temporary folder and no persistence; prints its pid and
#                                      returns once it answers. Stop it with: kill PID
set -euo pipefail

install() {
  command -v redis-server >/dev/null 2>&1 && return 0
  echo "redis.sh: installing redis-server (apt)" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends redis-server >/dev/null
}

start() {
  local port="${1:?usage: redis.sh start PORT}"
  install
  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/cnnlens-redis.XXXXXX")"
  # no RDB snapshots, no AOF, loopback only; the folder is removed when the server exits
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --protected-mode yes --daemonize no --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
  local pid=$!
  ( while kill -0 "$pid" 2>/dev/null; do sleep 1; done; rm -rf "$dir" ) >/dev/null 2>&1 &
  disown -a
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
      echo "$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "redis.sh: redis-server exited; see $dir/redis.log" >&2; cat "$dir/redis.log" >&2 || true; exit 1; }
    sleep 0.05
  done
  echo "redis.sh: redis-server on port $port did not answer within 5 s" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

case "${1:-}" in
  install) install ;;
  start) shift; start "$@" ;;
  *) echo "usage: bash scripts/redis.sh install | start PORT" >&2; exit 2 ;;
esac
