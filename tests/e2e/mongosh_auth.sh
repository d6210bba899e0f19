#!/usr/bin/env bash
# tests/e2e/mongosh_auth.sh -- mongosh (from npm) against a secantusdb started with the
# Docker-style root user: connects as root:secret@ (authSource=admin) and runs
# mongosh_auth.js (db.createUser, db.auth, a refused write); checks the exit code and a
# clean shutdown (sdb_mongosh, server.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/server.sh"
sdb_start --initdbRootUsername root --initdbRootPassword secret || exit 1
hostport=${SDB_URI#mongodb://}
hostport=${hostport%%/*}
sdb_mongosh "mongodb://root:secret@$hostport/?authSource=admin&directConnection=true&serverSelectionTimeoutMS=10000" \
    "$here/mongosh_auth.js"
