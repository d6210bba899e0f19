#!/usr/bin/env bash
# tests/e2e/mongosh_crud.sh -- mongosh (from npm, tests/e2e/node_modules) against a real
# secantusdb: starts one on port 0, runs mongosh_crud.js with --eval, checks the exit code
# and that the server then shuts down cleanly (sdb_mongosh, server.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/server.sh"
sdb_start || exit 1
case $SDB_URI in
*\?*) uri="$SDB_URI&directConnection=true&serverSelectionTimeoutMS=10000" ;;
*/) uri="${SDB_URI}?directConnection=true&serverSelectionTimeoutMS=10000" ;;
*) uri="$SDB_URI/?directConnection=true&serverSelectionTimeoutMS=10000" ;;
esac
sdb_mongosh "$uri" "$here/mongosh_crud.js"
