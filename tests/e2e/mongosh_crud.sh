#!/usr/bin/env bash
# tests/e2e/mongosh_crud.sh -- mongosh (from npm, tests/e2e/node_modules) against a real
# secantusdb: starts one on port 0, runs mongosh_crud.js (or $SDB_MONGOSH_SCRIPT, see
# mongosh_diag.sh) with --eval, checks the exit code and that the server then shuts down
# cleanly.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/server.sh"
mongosh=$here/node_modules/.bin/mongosh
if [ ! -x "$mongosh" ]; then
    echo "mongosh is not installed: run scripts/deps.sh --node" >&2
    exit 1
fi
sdb_start || exit 1
case $SDB_URI in
*\?*) uri="$SDB_URI&directConnection=true&serverSelectionTimeoutMS=10000" ;;
*/) uri="${SDB_URI}?directConnection=true&serverSelectionTimeoutMS=10000" ;;
*) uri="$SDB_URI/?directConnection=true&serverSelectionTimeoutMS=10000" ;;
esac
# A private HOME: mongosh writes its history and config there; no telemetry, no update check.
home=$(mktemp -d "${TMPDIR:-/tmp}/sdb-mongosh-home.XXXXXX")
HOME=$home DO_NOT_TRACK=1 MONGOSH_NO_UPDATE_CHECK=1 timeout 300 \
    "$mongosh" --quiet --norc "$uri" --eval "$(cat "$here/mongosh_check.js" "$here/${SDB_MONGOSH_SCRIPT:-mongosh_crud.js}")"
rc=$?
rm -rf "$home"
sdb_stop
if [ "$SDB_EXIT" != 0 ]; then
    echo "secantusdb exit status $SDB_EXIT on SIGTERM (want 0)" >&2
    rc=1
fi
exit $rc
