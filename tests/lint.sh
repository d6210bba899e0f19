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
#      src/common includes neither;
#   5. the worker's folders are layers (STYLE.md rule 17), top to bottom cmd, agg, engine,
#      update, query: a folder includes headers of, and calls functions defined in, only the
#      folders below it (and src/worker's own files and src/common), never one above.
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

# ---- 5. layers inside the worker --------------------------------------------------------
# Top first.  cmd/ holds the command handlers; agg/ the pipeline; engine/ the reads and writes
# both run on; update/ the update operators; query/ the matcher, expressions, sort and
# projection.  A file may use the folders after its own, never those before it: an include
# of "../agg/x.h" from engine/ (or a call from an engine object to a function an agg object
# defines) brings back the cycle the engine folder was made to break.
layers=(cmd agg engine update query)
# layer_objects DIR: the worker objects of src/worker/DIR whose source still exists (a
# build directory keeps the objects of files that were moved away).
layer_objects() {
    local o base
    for o in "$builddir/src/worker/$1"/libsdbworker_a-*.o; do
        [ -f "$o" ] || continue
        base=${o##*/libsdbworker_a-}
        [ -f "$srcdir/src/worker/$1/${base%.o}.c" ] && printf '%s\n' "$o"
    done
}
declare -A sym_layer=()
for ((i = 0; i < ${#layers[@]}; i++)); do
    while IFS= read -r sym; do
        sym_layer[$sym]=$i
    done < <(layer_objects "${layers[i]}" | xargs -r nm -g --defined-only 2>/dev/null |
        awk 'NF == 3 {print $3}')
done
for ((i = 1; i < ${#layers[@]}; i++)); do
    dir=src/worker/${layers[i]}
    above=$(IFS='|'; echo "${layers[*]:0:i}")
    [ -d "$srcdir/$dir" ] || continue
    hits=$(cd "$srcdir" && grep -rnE \
        "^[[:space:]]*#[[:space:]]*include[[:space:]]*\"(\.\./)+(worker/)?($above)/" \
        --include='*.c' --include='*.h' "$dir")
    if [ -n "$hits" ]; then
        note "$dir includes a folder above it ($above; STYLE.md rule 17):"
        printf '%s\n' "$hits" | sed 's/^/    /' >&2
        fail=1
    fi
    hits=""
    while IFS= read -r obj; do
        while IFS= read -r sym; do
            j=${sym_layer[$sym]:-}
            if [ -n "$j" ] && [ "$j" -lt "$i" ]; then
                hits+="    ${obj#"$builddir"/}: $sym (src/worker/${layers[j]})"$'\n'
            fi
        done < <(nm -u "$obj" 2>/dev/null | awk '{print $NF}')
    done < <(layer_objects "${layers[i]}")
    if [ -n "$hits" ]; then
        note "$dir calls into a folder above it ($above; STYLE.md rule 17):"
        printf '%s' "$hits" >&2
        fail=1
    fi
done

if [ "$fail" -eq 0 ]; then
    echo "lint: OK (${#cfiles[@]} files formatted, banned functions, nm, include and layer boundaries)"
fi
exit "$fail"
