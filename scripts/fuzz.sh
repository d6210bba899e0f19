#!/usr/bin/env bash
# scripts/fuzz.sh -- build the libFuzzer targets (tests/fuzz) in build-fuzz/ and run them.
#
# Usage: scripts/fuzz.sh [--build-only] [SECONDS]
#   Builds with clang, --enable-fuzzing (ASan + UBSan + coverage), then runs every target for
#   SECONDS (default 60) from its seed corpus (tests/fuzz/corpus/<t>) and past findings
#   (tests/fuzz/regress/<t>), and prints each target's executions (libFuzzer's
#   stat::number_of_executed_units).  Exit status 0 only when every target built and ran
#   without a finding; a finding's input is left in build-fuzz/findings/<t>/ (keep it as a
#   regression input in tests/fuzz/regress/<t>/ once fixed).
#
# The in-tree build is never touched: automake refuses a VPATH build from a configured source
# tree (and make would take the in-tree objects through VPATH), so the sources git knows
# (tracked, plus untracked files not ignored) are copied to build-fuzz/src with their times --
# an unchanged file is not rebuilt -- and configured out of tree in build-fuzz/obj.  New
# inputs libFuzzer finds go to build-fuzz/work/<t>, never into the committed corpus.
# Idempotent; the copy is refreshed on every run.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build_only=no
if [ "${1:-}" = "--build-only" ]; then
    build_only=yes
    shift
fi
seconds=${1:-60}
jobs=${JOBS:-$(nproc)}
base=$top/build-fuzz
src=$base/src
obj=$base/obj
targets=(wire bson matcher update projection agg)

# ---- build ------------------------------------------------------------------------------
git -C "$top" rev-parse --git-dir >/dev/null 2>&1 ||
    { echo "fuzz: $top is not a git checkout (the source copy asks git)" >&2; exit 2; }
mkdir -p "$src" "$obj"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
    tar -c --null -T - -f -) | tar -x -C "$src" -f -
cd "$src"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ] ||
    [ tests/Makefile.inc -nt Makefile.in ] || [ tests/fuzz/Makefile.inc -nt Makefile.in ]; then
    autoreconf -fi >/dev/null
fi
cd "$obj"
if [ ! -f Makefile ] || [ "$src/configure" -nt config.status ]; then
    "$src/configure" -q CC=clang --enable-fuzzing
fi
make -s -j"$jobs" fuzz
[ "$build_only" = yes ] && exit 0

# ---- run --------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
summary=()
for t in "${targets[@]}"; do
    work=$base/work/$t
    found=$base/findings/$t
    log=$base/logs/fuzz_$t.log
    mkdir -p "$work" "$found" "$base/logs"
    dirs=("$work")
    for d in "$top/tests/fuzz/corpus/$t" "$top/tests/fuzz/regress/$t"; do
        [ -d "$d" ] && dirs+=("$d")
    done
    echo "fuzz: fuzz_$t for ${seconds} s (log: $log)"
    if "$obj/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$found/" "${dirs[@]}" >"$log" 2>&1; then
        result=ok
    else
        result=FINDING
        status=1
        grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -5 |
            sed 's/^/    /' || true
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    summary+=("$(printf '%-16s %-8s %12s executions in %s s' "fuzz_$t" "$result" \
        "${execs:-?}" "$seconds")")
done
echo "==== fuzz summary"
printf '%s\n' "${summary[@]}"
exit "$status"
