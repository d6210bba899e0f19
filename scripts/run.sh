#!/usr/bin/env bash
# scripts/run.sh -- install what is missing, build, and start secantusdb in the foreground
# on 127.0.0.1:27017 with its data in ./data (created if needed).
#
# Usage: scripts/run.sh [EXTRA-SECANTUSDB-FLAGS...]   e.g. scripts/run.sh --workers 4
#   Environment: SDB_PORT (27017), SDB_BIND_IP (127.0.0.1), SDB_DBPATH (./data).
# Stop it with Ctrl-C or SIGTERM (a clean shutdown).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh"
cd "$top"
dbpath=${SDB_DBPATH:-./data}
mkdir -p "$dbpath"
exec ./secantusdb --port "${SDB_PORT:-27017}" --bind_ip "${SDB_BIND_IP:-127.0.0.1}" \
    --dbpath "$dbpath" "$@"
