#!/usr/bin/env bash
# tests/lint.sh -- `make lint`: formatting, banned functions and the master/worker boundary.
#
# Usage: tests/lint.sh [--fix] [SRCDIR]
#   Run from the build directory (where libsdb*.a live; they are built if missing).
#   --fix   rewrite the C files in place with clang-format instead of checking them.
#
# Checks, each printing what broke it (STYLE.md rules 3, 12, 13):
#   1. clang-format --dry-run --Werror over src/ and the C tests (.clang-format at the top);
#   2. no sprintf, strcpy, strcat, atoi, alloca or bare assert( in src/ (comments ignored);
#   3. nm: no libsdbworker.a object references ms_* or WiredTiger symbols, no libsdbmaster.a
#      object references wk_*, libevent or OpenSSL symbols, libsdbcommon.a references none;
#   4. src/worker never includes master headers, src/master never includes worker headers,
#      src/common includes neither.
# Exit status: 0 clean, 1 on any finding, 2 when a tool is missing.

# `make lint` runs this with $(SHELL), i.e. /bin/sh: continue under bash.
if [ -z "${BASH_VERSION:-}" ]; then
    exec bash "$0" "$@"
fi
set -u

fix=no
if [ "${1:-}" = "--fix" ]; then
    fix=yes
    shift
fi
srcdir=$(cd "${1:-$(dirname "$0")/..}" && pwd)
builddir=$(pwd)
fail=0

note() { printf 'lint: %s\n' "$*" >&2; }

command -v clang-format >/dev/null 2>&1 ||
    { note "clang-format is missing (apt-get install clang-format)"; exit 2; }
command -v nm >/dev/null 2>&1 || { note "nm is missing (apt-get install binutils)"; exit 2; }

# ---- 1. formatting ---------------------------------------------------------------------
mapfile -t cfiles < <(cd "$srcdir" && find src tests/unit tests/integration tests/bench \
    tests/fuzz \( -name '*.c' -o -name '*.h' \) -type f 2>/dev/null | sort)
if [ "${#cfiles[@]}" -eq 0 ]; then
    note "no C files found under $srcdir"
    exit 2
fi
if [ "$fix" = yes ]; then
    (cd "$srcdir" && clang-format -i --style=file "${cfiles[@]}")
    note "reformatted ${#cfiles[@]} files"
    exit 0
fi
if ! (cd "$srcdir" && clang-format --dry-run --Werror --style=file "${cfiles[@]}"); then
    note "formatting: the files above differ from .clang-format (run tests/lint.sh --fix)"
    fail=1
fi

# ---- 2. banned functions ---------------------------------------------------------------
# Comments are stripped with the preprocessor's -fpreprocessed mode (no macro expansion),
# so a comment that names a banned function is fine; code that calls one is not.
banned='(^|[^A-Za-z0-9_])(sprintf|strcpy|strcat|atoi|alloca|assert)[[:space:]]*\('
while IFS= read -r f; do
    hits=$(gcc -fpreprocessed -dD -E -P -x c "$srcdir/$f" 2>/dev/null | grep -nE "$banned")
    if [ -n "$hits" ]; then
        note "banned function in $f (use snprintf, memcpy/strlcpy-style helpers, strtol, SDB_ASSERT):"
        printf '%s\n' "$hits" | sed "s|^|    $f: |" >&2
        fail=1
    fi
done < <(cd "$srcdir" && find src \( -name '*.c' -o -name '*.h' \) -type f | sort)

# ---- 3. symbol boundary (nm) -----------------------------------------------------------
libs_ok=yes
for lib in libsdbcommon.a libsdbmaster.a libsdbworker.a; do
    [ -f "$builddir/$lib" ] || libs_ok=no
done
if [ "$libs_ok" = no ]; then
    make -s libsdbcommon.a libsdbmaster.a libsdbworker.a >/dev/null || {
        note "could not build the libraries for the nm check"
        fail=1
    }
fi
# check_lib LIB WHAT REGEX: fail if any object of LIB has an undefined symbol matching REGEX.
check_lib() {
    local lib=$1 what=$2 re=$3 hits
    [ -f "$builddir/$lib" ] || return 0
    hits=$(nm -A -u "$builddir/$lib" 2>/dev/null | awk '{print $1, $NF}' | grep -E " ($re)")
    if [ -n "$hits" ]; then
        note "$lib references $what:"
        printf '%s\n' "$hits" | sed 's/^/    /' >&2
        fail=1
    fi
}
wt_re='wiredtiger_|__wt_|WT_'
ev_re='event_|evconnlistener_|bufferevent_|evbuffer_|evutil_|evthread_|SSL_|OPENSSL_|TLS_'
check_lib libsdbworker.a "master or WiredTiger symbols" "ms_|$wt_re"
check_lib libsdbmaster.a "worker, libevent or OpenSSL symbols" "wk_|$ev_re"
check_lib libsdbcommon.a "side-specific symbols" "ms_|wk_|$wt_re|$ev_re"

# ---- 4. include boundary ---------------------------------------------------------------
inc_check() {
    local dir=$1 re=$2 hits
    [ -d "$srcdir/$dir" ] || return 0
    hits=$(cd "$srcdir" && grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($re)" \
        --include='*.c' --include='*.h' "$dir")
    if [ -n "$hits" ]; then
        note "$dir crosses the process boundary:"
        printf '%s\n' "$hits" | sed 's/^/    /' >&2
        fail=1
    fi
}
inc_check src/worker '(\.\./)*master/|wiredtiger'
inc_check src/master '(\.\./)*worker/|event2?/|openssl/'
inc_check src/common '(\.\./)*(master|worker)/|wiredtiger|event2?/|openssl/'

if [ "$fail" -eq 0 ]; then
    echo "lint: OK (${#cfiles[@]} files formatted, banned functions, nm and include boundaries)"
fi
exit "$fail"
