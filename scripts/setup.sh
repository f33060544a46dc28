#!/usr/bin/env bash
# Installs what Livelog needs, idempotently and quickly when it is already there:
#   bash scripts/setup.sh          npm packages, FerretDB (built once, cached in ~/.cache/livelog), client bundle
#   bash scripts/setup.sh --test   the same, plus Debian's Chromium for the Playwright tests
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '[setup] %s\n' "$*" >&2; }

with_test=false
[ "${1:-}" = "--test" ] && with_test=true

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  step "Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))"
  exit 1
fi

if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  step "npm packages: up to date"
else
  step "npm packages: installing (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

step "FerretDB: checking the cached build"
bash scripts/build-ferretdb.sh >/dev/null

if $with_test; then
  if [ -x /usr/bin/chromium ]; then
    step "Chromium: present"
  else
    step "Chromium: installing Debian's package (Playwright's own browser download does not work here)"
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  fi
fi

step "client bundle: building"
npm run -s build >/dev/null
step "ready"
