#!/usr/bin/env bash
# Setup for the explorer's browser tests: Debian's Chromium when it is missing, and the page
# (web/dist) rebuilt when it is missing or older than its sources or the library.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "scripts/web.sh: /usr/bin/chromium is missing; install Debian's chromium package (as root: apt-get install chromium)" >&2
    exit 1
  fi
fi
if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/vite.config.ts src package-lock.json -newer web/dist/index.html -type f -print -quit)" ]; then
  npx vite build web --logLevel warn
fi
