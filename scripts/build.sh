#!/usr/bin/env bash
# scripts/build.sh -- configure (once) and build ./secantusdb in the source tree.
#
# Usage: scripts/build.sh [CONFIGURE-FLAGS...]
#   Regenerates configure when configure.ac or Makefile.am changed; configures when there is
#   no Makefile, or when flags are given and differ from the last configure (without flags an
#   existing configuration is kept); then runs make -j$(nproc).  Idempotent.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-$(nproc)}

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ] ||
    [ tests/Makefile.inc -nt Makefile.in ]; then
    autoreconf -fi
fi
want="$*"
have=""
[ -f config.status ] && have=$(./config.status --config | sed "s/'//g")
if [ ! -f Makefile ] || { [ $# -gt 0 ] && [ "$have" != "$want" ]; }; then
    [ -f Makefile ] && make -s distclean >/dev/null 2>&1 || true
    ./configure -q "$@"
fi
make -j"$jobs"
