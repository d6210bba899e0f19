#!/usr/bin/env bash
# tests/packaging/deb.sh -- the Debian package: build it from this tree
# (packaging/build-deb.sh), then check what a user installs:
#   - its files: the binary, /etc/secantusdb.conf (a conffile), the systemd unit, the
#     logrotate policy, the data and log folders, the manual page, the docs;
#   - lintian reports nothing (errors, warnings);
#   - the unit parses (systemd-analyze verify, against the package's own files) and has
#     Type=notify, the service user and the hardening options;
#   - postinst creates the secantusdb system user;
#   - the installed /etc/secantusdb.conf parses: the packaged binary starts from it (with
#     the port, data and log folders overridden by flags, which win over the file), tells
#     a NOTIFY_SOCKET "READY=1" once it serves, answers a real client (PyMongo), reopens its
#     log on SIGUSR1 after logrotate moved it (logRotate: reopen), and says
#     "STOPPING=1" and exits 0 on SIGTERM.
# Skipped (77) in a sanitizer build: the package is built with the normal flags, and the
# normal phase of scripts/test.sh runs this test.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
if grep -q -- '--enable-sanitizers' "$top/config.status" 2>/dev/null; then
    echo "SKIP: sanitizer build (the normal build's test run builds the package)"
    exit 77
fi
for tool in dpkg-buildpackage lintian systemd-analyze; do
    if ! command -v "$tool" >/dev/null; then
        echo "$tool is missing: run scripts/deps.sh" >&2
        exit 1
    fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sdb-deb.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
ok() { echo "ok: $*"; }

"$top/packaging/build-deb.sh" "$tmp/out" || exit 1
deb=$(ls "$tmp"/out/secantusdb_*_*.deb | head -n1)
[ -f "$deb" ] || { echo "no .deb built" >&2; exit 1; }

# ---- files ---------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|; s|/$||' >"$tmp/files"
for f in /usr/bin/secantusdb /etc/secantusdb.conf /lib/systemd/system/secantusdb.service \
    /etc/logrotate.d/secantusdb /var/lib/secantusdb /var/log/secantusdb \
    /usr/share/man/man1/secantusdb.1.gz /usr/share/doc/secantusdb/copyright \
    /usr/share/doc/secantusdb/README.md.gz; do
    if grep -qx "$f" "$tmp/files"; then ok "ships $f"; else fail "does not ship $f"; fi
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xf - -C "$tmp" ./conffiles ./postinst
grep -qx /etc/secantusdb.conf "$tmp/conffiles" && ok "/etc/secantusdb.conf is a conffile" ||
    fail "/etc/secantusdb.conf is not a conffile"
grep -q 'adduser --system' "$tmp/postinst" && ok "postinst creates the system user" ||
    fail "postinst does not create the secantusdb system user"
grep -q 'deb-systemd-helper' "$tmp/postinst" && ok "postinst enables the unit" ||
    fail "postinst does not enable the unit"

# ---- lintian -------------------------------------------------------------------------
lintian --fail-on error,warning "$deb" >"$tmp/lintian" 2>&1
lrc=$?
grep -v 'running with root privileges' "$tmp/lintian" >"$tmp/lintian.tags"
if [ "$lrc" -eq 0 ] && ! grep -q '^[EW]:' "$tmp/lintian.tags"; then
    ok "lintian: no errors or warnings"
else
    fail "lintian (exit $lrc):"
    cat "$tmp/lintian.tags"
fi

# ---- the unit ------------------------------------------------------------------------
root=$tmp/root
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
unit=$root/lib/systemd/system/secantusdb.service
# systemd-analyze verify resolves the units the service depends on (targets) in the same
# root: give it the host's, without overwriting the package's own file.
cp -rn /lib/systemd/system/. "$root/lib/systemd/system/" 2>/dev/null
if systemd-analyze verify --root="$root" secantusdb.service >"$tmp/verify" 2>&1 &&
    [ ! -s "$tmp/verify" ]; then
    ok "systemd-analyze verify: clean"
else
    fail "systemd-analyze verify:"
    cat "$tmp/verify"
fi
for line in Type=notify User=secantusdb NoNewPrivileges=yes PrivateTmp=yes \
    ProtectSystem=strict 'ExecStart=/usr/bin/secantusdb --config /etc/secantusdb.conf' \
    RestartPreventExitStatus=2; do
    grep -qx "$line" "$unit" && ok "unit: $line" || fail "unit lacks $line"
done

# ---- the installed config, the binary and readiness -----------------------------------
mkdir -p "$tmp/data"
/usr/bin/python3 - "$root/usr/bin/secantusdb" "$root/etc/secantusdb.conf" "$tmp" <<'PY' || fails=$((fails + 1))
import os, signal, socket, subprocess, sys, time
import pymongo

binary, conf, tmp = sys.argv[1:4]
sock_path = os.path.join(tmp, "notify.sock")
ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ns.bind(sock_path)
ns.settimeout(60)
env = dict(os.environ, NOTIFY_SOCKET=sock_path)
log = os.path.join(tmp, "server.log")
p = subprocess.Popen([binary, "--config", conf, "--port", "0", "--dbpath",
                      os.path.join(tmp, "data"), "--logpath", log],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
def die(msg):
    p.kill()
    out, err = p.communicate()
    print("FAIL:", msg, "\nstdout:", out, "\nstderr:", err)
    if os.path.exists(log):
        print(open(log).read()[-3000:])
    sys.exit(1)
uri = p.stdout.readline().strip()
if not uri.startswith("mongodb://"):
    die("the packaged binary did not start from /etc/secantusdb.conf")
print("ok: the packaged binary starts from /etc/secantusdb.conf:", uri)
try:
    msg = ns.recv(4096).decode()
except socket.timeout:
    die("no sd_notify message within 60 s")
if "READY=1" not in msg.split("\n"):
    die("first sd_notify message is not READY=1: %r" % msg)
print("ok: sd_notify READY=1 (%r)" % msg.replace("\n", " | "))
c = pymongo.MongoClient(uri, directConnection=True, serverSelectionTimeoutMS=10000)
c.pkg.t.insert_one({"_id": 1})
if c.pkg.t.find_one({"_id": 1}) != {"_id": 1}:
    die("a write through the packaged server was not read back")
opts = c.admin.command("getCmdLineOpts")
if opts["parsed"].get("config") != conf:
    die("getCmdLineOpts does not name the config file: %r" % opts["parsed"])
print("ok: PyMongo writes and reads; getCmdLineOpts names the config file")
# logrotate's way (packaging/debian/secantusdb.logrotate with the config's logRotate: reopen):
# the file is moved away, SIGUSR1 makes the server open a new one at the same path.
os.rename(log, log + ".1")
p.send_signal(signal.SIGUSR1)
c.admin.command("ping")
for _ in range(100):
    if os.path.exists(log):
        break
    time.sleep(0.1)
if not os.path.exists(log):
    die("SIGUSR1 did not reopen the log file after it was moved (systemLog.logRotate: reopen)")
print("ok: SIGUSR1 reopens the moved log file")
c.close()
p.send_signal(signal.SIGTERM)
try:
    msg = ns.recv(4096).decode()
except socket.timeout:
    die("no STOPPING=1 on SIGTERM")
if "STOPPING=1" not in msg.split("\n"):
    die("sd_notify on SIGTERM is not STOPPING=1: %r" % msg)
rc = p.wait(timeout=60)
if rc != 0:
    die("exit status %d after SIGTERM (want 0)" % rc)
print("ok: STOPPING=1 and exit status 0 on SIGTERM")
PY

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all package checks passed"
