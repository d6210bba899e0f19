#!/usr/bin/python3
# tests/fuzz/capture.py -- record real client traffic for the fuzz corpus (run by hand, not in CI).
#
# Stands in for the server binary: every test fixture starts "$SDB_BINARY --port 0 ..." and
# reads the URI from the first stdout line, so
#
#   SDB_BINARY=$PWD/tests/fuzz/capture.py make check TESTS='tests/e2e/pymongo_crud.py ...'
#
# runs those tests through a recording proxy.  This script starts the real server
# ($SDB_CAPTURE_BINARY, default ./secantusdb next to tests/) with the same arguments, listens
# on 127.0.0.1 port 0 itself, prints its own URI (the server's with the port replaced) as the
# first line, and relays every connection to the server byte for byte.  Each whole message a
# client sends is also written to $SDB_CAPTURE_DIR/wire/<sha1>.bin (default
# build-fuzz/capture; identical messages are stored once).  SIGTERM and SIGINT are passed to
# the server; the script exits with the server's status.  tests/fuzz/seeds.py turns a capture
# into the committed corpus.
#
# Tests that look for the server's worker processes or kill it directly do not work through
# the proxy (the workers are not our children); use the e2e and spec suites.
import hashlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
REAL = os.environ.get("SDB_CAPTURE_BINARY", os.path.join(TOP, "secantusdb"))
OUT = os.path.join(os.environ.get("SDB_CAPTURE_DIR", os.path.join(TOP, "build-fuzz", "capture")), "wire")


def read_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def record(msg):
    name = hashlib.sha1(msg).hexdigest() + ".bin"
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        with open(path + ".tmp", "wb") as f:
            f.write(msg)
        os.replace(path + ".tmp", path)


def client_to_server(client, server):
    """Frame the client's stream into messages, record each, pass it on."""
    try:
        while True:
            head = read_exact(client, 4)
            if head is None:
                break
            (length,) = struct.unpack("<i", head)
            if length < 16 or length > 48000000:
                server.sendall(head)  # let the server judge the bad frame
                break
            body = read_exact(client, length - 4)
            if body is None:
                break
            record(head + body)
            server.sendall(head + body)
    except OSError:
        pass
    for s in (server, client):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def server_to_client(server, client):
    try:
        while True:
            chunk = server.recv(65536)
            if not chunk:
                break
            client.sendall(chunk)
    except OSError:
        pass
    try:
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def serve(listener, port):
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection(("127.0.0.1", port))
        except OSError:
            client.close()
            continue
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=client_to_server, args=(client, server), daemon=True).start()
        threading.Thread(target=server_to_client, args=(server, client), daemon=True).start()


def pump(src, dst):
    for line in src:
        dst.write(line)
        dst.flush()


def main():
    os.makedirs(OUT, exist_ok=True)
    child = subprocess.Popen([REAL] + sys.argv[1:], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, f: child.send_signal(s))
    first = child.stdout.readline().decode()
    if not first.startswith("mongodb://"):
        sys.stdout.write(first)
        sys.stdout.flush()
        sys.exit(child.wait())
    hostport, rest = first.strip()[len("mongodb://"):].split("/", 1)
    port = int(hostport.rsplit(":", 1)[1])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    print("mongodb://127.0.0.1:%d/%s" % (listener.getsockname()[1], rest), flush=True)
    threading.Thread(target=serve, args=(listener, port), daemon=True).start()
    threading.Thread(target=pump, args=(child.stdout, sys.stdout.buffer), daemon=True).start()
    code = child.wait()
    sys.stdout.flush()
    os._exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
