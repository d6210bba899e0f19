#!/usr/bin/env bash
# scripts/test.sh -- install what is missing, build, and run every test; the CI entry point.
#
# Usage: scripts/test.sh [--quick]
#   Phase 1 (skipped with --quick): sanitizer build (--enable-sanitizers --enable-werror),
#     every test (unit, integration, e2e, spec) against the sanitized server: the real
#     clients and the spec suite reach code paths the C tests do not.
#   Phase "fuzz" (skipped with --quick): scripts/fuzz.sh builds the libFuzzer targets with clang
#     in build-fuzz/ (out of tree: the in-tree build is untouched) and runs each for 60 s from
#     its corpus under ASan and UBSan; any finding fails it.  Executions per target are
#     printed and kept in test-results/fuzz/.
#   Phase 2: normal build (--enable-werror), every test (unit, integration, e2e), make lint.
#   Phase 2 runs last so the tree is left with a normal build for scripts/run.sh.
# Each phase's test logs are kept in test-results/<phase>/ (the build tree's own logs are
# removed by the next configure).  Exit status: 0 only when every phase passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
quick=no
[ "${1:-}" = "--quick" ] && quick=yes
jobs=${JOBS:-$(nproc)}
results=$top/test-results
rm -rf "$results"
mkdir -p "$results"
status=0

"$top/scripts/deps.sh" --node || exit 1

# save_logs PHASE: copy the automake test logs of the current build into test-results/PHASE.
save_logs() {
    local dest=$results/$1
    mkdir -p "$dest"
    for f in test-suite.log tests/*/*.log tests/*/*.trs; do
        [ -f "$f" ] || continue
        mkdir -p "$dest/$(dirname "$f")"
        cp "$f" "$dest/$f"
    done
}

# phase NAME CMD...: run a step, report it, remember a failure.
phase() {
    local name=$1
    shift
    echo "==== $name: $*"
    if "$@"; then
        echo "==== $name: PASS"
        echo "PASS $name" >>"$results/summary"
    else
        echo "==== $name: FAIL"
        echo "FAIL $name" >>"$results/summary"
        status=1
    fi
}

if [ "$quick" = no ]; then
    # Sanitizer builds skip jemalloc (Makefile.am); leaks are reported by LeakSanitizer.
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
    if phase "sanitize-build" "$top/scripts/build.sh" --enable-sanitizers --enable-werror; then
        phase "sanitize-check" make -j"$jobs" check
    fi
    save_logs sanitize
    unset UBSAN_OPTIONS
    phase "fuzz" "$top/scripts/fuzz.sh" 60
    mkdir -p "$results/fuzz"
    cp "$top"/build-fuzz/logs/*.log "$results/fuzz/" 2>/dev/null || true
fi

if phase "build" "$top/scripts/build.sh" --enable-werror; then
    phase "check" make -j"$jobs" check
    save_logs normal
    phase "lint" make lint
else
    save_logs normal
fi

echo "==== summary"
cat "$results/summary"
exit "$status"
