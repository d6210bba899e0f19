#!/usr/bin/env bash
# tests/e2e/mongosh_auth.sh -- mongosh (from npm) against a secantusdb started with the
# Docker-style root user: connects as root:secret@ (authSource=admin) and runs
# mongosh_auth.js (db.createUser, db.auth, a refused write); checks the exit code and a
# clean shutdown.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/server.sh"
mongosh=$here/node_modules/.bin/mongosh
if [ ! -x "$mongosh" ]; then
    echo "mongosh is not installed: run scripts/deps.sh --node" >&2
    exit 1
fi
sdb_start --initdbRootUsername root --initdbRootPassword secret || exit 1
hostport=${SDB_URI#mongodb://}
hostport=${hostport%%/*}
uri="mongodb://root:secret@$hostport/?authSource=admin&directConnection=true&serverSelectionTimeoutMS=10000"
home=$(mktemp -d "${TMPDIR:-/tmp}/sdb-mongosh-home.XXXXXX")
HOME=$home DO_NOT_TRACK=1 MONGOSH_NO_UPDATE_CHECK=1 timeout 300 \
    "$mongosh" --quiet --norc "$uri" --eval "$(cat "$here/mongosh_auth.js")"
rc=$?
rm -rf "$home"
sdb_stop
if [ "$SDB_EXIT" != 0 ]; then
    echo "secantusdb exit status $SDB_EXIT on SIGTERM (want 0)" >&2
    rc=1
fi
exit $rc
