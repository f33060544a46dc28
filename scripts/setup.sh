#!/usr/bin/env bash
# Installs what Livelog needs, idempotently and quickly when it is already there:
#   bash scripts/setup.sh          npm packages, FerretDB (built once, cached in ~/.cache/livelog), client bundle
#   bash scripts/setup.sh --test   the same, plus Debian's Chromium and nginx for the Playwright tests
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '[setup] %s\n' "$*" >&2; }

with_test=false
[ "${1:-}" = "--test" ] && with_test=true

# package.json's engines field: Node.js 20.19 or newer (require(esm) and the test runner we rely on).
node_version=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
  step "Node.js 20.19 or newer is needed (found: ${node_version}); see https://nodejs.org/en/download"
  exit 1
fi
step "Node.js ${node_version}: ok"

if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  step "npm packages: up to date"
else
  step "npm packages: installing (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

step "FerretDB: checking the cached build"
bash scripts/build-ferretdb.sh >/dev/null

sudo_cmd=""
[ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
# Installs one of Debian's packages; apt's package lists are fetched once per run.
lists_fetched=false
apt_install() {
  $lists_fetched || { $sudo_cmd apt-get update -qq && lists_fetched=true; }
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "$@" >/dev/null
}

if $with_test; then
  if [ -x /usr/bin/chromium ]; then
    step "Chromium: present"
  else
    step "Chromium: installing Debian's package (Playwright's own browser download does not work here)"
    apt_install chromium
  fi
  # e2e/behind-nginx.spec.ts runs an nginx process of its own on loopback ports: the package's
  # service is not wanted, so a policy-rc.d (Debian's switch for it) keeps it from starting on
  # install unless the machine already has one (containers usually do, refusing every start).
  if [ -x /usr/sbin/nginx ]; then
    step "nginx: present"
  else
    step "nginx: installing Debian's package (its service is not started)"
    policy_added=false
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee /usr/sbin/policy-rc.d >/dev/null
      $sudo_cmd chmod 755 /usr/sbin/policy-rc.d
      policy_added=true
    fi
    install_status=0
    apt_install --no-install-recommends nginx || install_status=$?
    if $policy_added; then $sudo_cmd rm -f /usr/sbin/policy-rc.d; fi
    [ "$install_status" -eq 0 ] || exit "$install_status"
  fi
fi

step "client bundle: building"
npm run -s build >/dev/null
step "ready"
