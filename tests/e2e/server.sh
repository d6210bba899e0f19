# tests/e2e/server.sh -- sourced by shell e2e tests: start and stop a real secantusdb.
#
# sdb_start: runs "$SDB_BINARY" --port 0 with a fresh temp dbpath (and the arguments given to
#   sdb_start), stdout to a file, and
#   waits (30 s hang guard) for the first line; sets SDB_URI, SDB_PID, SDB_DIR.
# sdb_stop: SIGTERM, wait; sets SDB_EXIT (0 = clean shutdown); removes SDB_DIR.
# An EXIT trap stops the server if the test dies first.

: "${SDB_BINARY:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/secantusdb}"

sdb_start() {
    SDB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sdb-e2e.XXXXXX")
    mkdir -p "$SDB_DIR/db"
    "$SDB_BINARY" --port 0 --bind_ip 127.0.0.1 --dbpath "$SDB_DIR/db" --workers 2 "$@" \
        >"$SDB_DIR/stdout" 2>"$SDB_DIR/stderr" </dev/null &
    SDB_PID=$!
    trap 'sdb_stop >/dev/null 2>&1' EXIT
    local i
    for ((i = 0; i < 3000; i++)); do
        # only a complete (newline-terminated) first line counts
        if [ "$(head -c 65536 "$SDB_DIR/stdout" | wc -l)" -ge 1 ]; then
            SDB_URI=$(head -n1 "$SDB_DIR/stdout" | tr -d '\r')
            case $SDB_URI in
            mongodb://*) return 0 ;;
            *) echo "first stdout line is not a URI: $SDB_URI" >&2; return 1 ;;
            esac
        fi
        if ! kill -0 "$SDB_PID" 2>/dev/null; then
            echo "secantusdb exited before printing its URI" >&2
            cat "$SDB_DIR/stdout" "$SDB_DIR/stderr" >&2
            return 1
        fi
        sleep 0.01
    done
    echo "no URI line from secantusdb within 30 s" >&2
    return 1
}

sdb_stop() {
    SDB_EXIT=
    if [ -n "${SDB_PID:-}" ] && kill -0 "$SDB_PID" 2>/dev/null; then
        kill -TERM "$SDB_PID"
        local i
        for ((i = 0; i < 3000; i++)); do
            kill -0 "$SDB_PID" 2>/dev/null || break
            sleep 0.01
        done
        kill -0 "$SDB_PID" 2>/dev/null && kill -KILL "$SDB_PID"
    fi
    if [ -n "${SDB_PID:-}" ]; then
        wait "$SDB_PID" 2>/dev/null
        SDB_EXIT=$?
        SDB_PID=
    fi
    [ -n "${SDB_DIR:-}" ] && rm -rf "$SDB_DIR"
    SDB_DIR=
    trap - EXIT
    return 0
}

# sdb_mongosh URI SCRIPT: run mongosh (tests/e2e/node_modules) on URI with the file SCRIPT
#   (--eval), in a private HOME (its history and config go there; no telemetry, no update
#   check); then stop the server.  Returns 1 when mongosh is missing or failed, or when the
#   server did not shut down cleanly.
sdb_mongosh() {
    local mongosh here home rc
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    mongosh=$here/node_modules/.bin/mongosh
    if [ ! -x "$mongosh" ]; then
        echo "mongosh is not installed: run scripts/deps.sh --node" >&2
        sdb_stop
        return 1
    fi
    home=$(mktemp -d "${TMPDIR:-/tmp}/sdb-mongosh-home.XXXXXX")
    HOME=$home DO_NOT_TRACK=1 MONGOSH_NO_UPDATE_CHECK=1 timeout 300 \
        "$mongosh" --quiet --norc "$1" --eval "$(cat "$2")"
    rc=$?
    rm -rf "$home"
    sdb_stop
    if [ "$SDB_EXIT" != 0 ]; then
        echo "secantusdb exit status $SDB_EXIT on SIGTERM (want 0)" >&2
        rc=1
    fi
    return $rc
}
