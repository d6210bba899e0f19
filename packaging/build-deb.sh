#!/usr/bin/env bash
# packaging/build-deb.sh -- build the secantusdb .deb from this source tree.
#
# Usage: packaging/build-deb.sh OUTDIR
#   Copies the tree's tracked and untracked-but-not-ignored files (git ls-files) into a
#   scratch folder, puts packaging/debian/ at debian/ as dpkg-buildpackage wants it, builds
#   the binary package unsigned (dpkg-buildpackage -b -us -uc: debhelper, autotools), and
#   leaves secantusdb_*.deb (and the build's .changes/.buildinfo) in OUTDIR.  The build
#   runs on the copy, so the tree's own build is untouched.  Needs the packages that
#   scripts/deps.sh installs (debhelper among them).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: packaging/build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

src=$scratch/secantusdb-0.1.0
mkdir -p "$src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
    xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' | tar -cf - -T -) | tar -xf - -C "$src"
mv "$src/packaging/debian" "$src/debian"
cd "$src"
DEB_BUILD_OPTIONS="nocheck parallel=${JOBS:-$(nproc)}" \
    dpkg-buildpackage -b -us -uc --no-pre-clean >"$scratch/build.log" 2>&1 || {
    tail -n 60 "$scratch/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed (log above)" >&2
    exit 1
}
cp "$scratch"/*.deb "$scratch"/*.changes "$scratch"/*.buildinfo "$out"/
ls "$out"/secantusdb_*.deb
