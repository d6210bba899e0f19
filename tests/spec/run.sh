#!/bin/sh
# tests/spec/run.sh -- `make check` hook for the MongoDB driver specification tests.
#
# Runs tests/spec/runner.js (unified test format, official Node driver) against a server it
# starts itself: $SDB_BINARY (set by tests/Makefile.inc), else ./secantusdb at the top of the
# tree. Installs the runner's npm dependencies from the committed package-lock.json when they
# are missing or stale. Extra arguments go to the runner (see README.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

if ! command -v node >/dev/null 2>&1; then
    echo "spec: node is not installed (scripts/deps.sh --node installs it)" >&2
    exit 77 # automake: SKIP
fi

stamp=$here/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ "$here/package-lock.json" -nt "$stamp" ] ||
    [ ! -f "$here/node_modules/mongodb/package.json" ]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "spec: npm is not installed and tests/spec/node_modules is missing" >&2
        exit 99 # automake: hard error
    fi
    echo "spec: npm ci in tests/spec"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || {
        echo "spec: npm ci failed" >&2
        exit 99
    }
fi

: "${SDB_BINARY:=$top/secantusdb}"
export SDB_BINARY
exec node "$here/runner.js" "$@"
