#!/usr/bin/env bash
# scripts/deps.sh -- install what SecantusDB needs to build and test, and nothing twice.
#
# Usage: scripts/deps.sh [--node]
#   Debian packages: installed with apt-get only when some are missing and we are root
#   (otherwise the missing ones are listed and the script fails).
#   --node: also install the end-to-end test clients from npm (mongodb, mongosh, mongoose)
#   into tests/e2e/node_modules, from the committed package-lock.json, when missing or stale.
# Idempotent: a second run installs nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(build-essential autoconf automake libtool pkg-config binutils git ca-certificates procps
      libwiredtiger-dev libbson-dev libmongoc-dev libevent-dev libjemalloc-dev libssl-dev
      check libsubunit-dev libpcre2-dev libicu-dev libsnappy-dev zlib1g-dev libzstd-dev python3 python3-pymongo clang-format
      clang libclang-rt-14-dev libmozjs-102-dev g++
      libstemmer-dev libs2-dev libgeos-dev libyaml-dev libsystemd-dev
      debhelper fakeroot lintian systemd)
with_node=no
[ "${1:-}" = "--node" ] && with_node=yes

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

missing=()
for p in "${pkgs[@]}"; do
    installed "$p" || missing+=("$p")
done
# Node.js may come from Debian (nodejs + npm) or from elsewhere (npm bundled): ask for the
# commands, not the package names.
if [ "$with_node" = yes ]; then
    command -v node >/dev/null 2>&1 || missing+=(nodejs)
    command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing Debian packages: ${missing[*]}" >&2
        echo "deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$with_node" = yes ]; then
    e2e=$top/tests/e2e
    major=$(node -p 'process.versions.node.split(".")[0]')
    if [ "$major" -lt 20 ]; then
        echo "deps: warning: Node.js $(node --version) is older than the mongodb driver wants (>= 20.19)" >&2
    fi
    stamp=$e2e/node_modules/.package-lock.json
    if [ ! -f "$stamp" ] || [ "$e2e/package-lock.json" -nt "$stamp" ] ||
        [ ! -x "$e2e/node_modules/.bin/mongosh" ]; then
        echo "deps: npm ci in tests/e2e"
        (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
    fi
fi
