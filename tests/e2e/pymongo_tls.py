#!/usr/bin/python3
"""tests/e2e/pymongo_tls.py -- PyMongo 3.11 (Debian's python3-pymongo) over TLS.

Certificates are made at test time by tests/tls_certs.sh (nothing secret is committed).  The
server runs --tlsMode requireTLS with a CA file: ssl=True with ssl_ca_certs and a client
certificate (ssl_certfile) connects and does CRUD; without a certificate, with an expired one
or without TLS the client cannot connect.  Prints "N passed, N failed"; exit 1 on failure.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from pymongo import MongoClient
from pymongo.errors import PyMongoError

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pymongo_crud import Server, run_case  # noqa: E402  (the same fixture and runner)


class PyMongoTls(unittest.TestCase):
    server = None
    certs = None

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="sdb-e2e-tls-py-")
        subprocess.run([os.path.join(HERE, "..", "tls_certs.sh"), cls.certs], check=True)
        cls.server = Server(["--tlsMode", "requireTLS",
                             "--tlsCertificateKeyFile", cls.cert("server.pem"),
                             "--tlsCAFile", cls.cert("ca.pem")])
        cls.port = int(cls.server.uri.rstrip("/").rsplit(":", 1)[1])

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            code = cls.server.stop()
            if code != 0:
                raise AssertionError("secantusdb exit code %r on SIGTERM (want 0)" % code)
        shutil.rmtree(cls.certs, ignore_errors=True)

    @classmethod
    def cert(cls, name):
        return os.path.join(cls.certs, name)

    def client(self, timeout_ms=10000, **kw):
        return MongoClient("localhost", self.port, directConnection=True,
                           serverSelectionTimeoutMS=timeout_ms, **kw)

    def test_client_certificate(self):
        c = self.client(ssl=True, ssl_ca_certs=self.cert("ca.pem"),
                        ssl_certfile=self.cert("client.pem"))
        try:
            self.assertEqual(c.admin.command("ping")["ok"], 1)
            coll = c.e2e_tls_py.c
            coll.insert_many([{"_id": i} for i in range(5)])
            self.assertEqual(coll.count_documents({"_id": {"$gte": 2}}), 3)
            ts = c.admin.command("serverStatus")["transportSecurity"]
            self.assertGreaterEqual(ts["1.3"], 1)
        finally:
            c.close()

    def test_refused(self):
        for label, kw in (("no certificate", {"ssl": True, "ssl_ca_certs": self.cert("ca.pem")}),
                          ("expired", {"ssl": True, "ssl_ca_certs": self.cert("ca.pem"),
                                       "ssl_certfile": self.cert("client-expired.pem")}),
                          ("untrusted server", {"ssl": True,
                                                "ssl_ca_certs": self.cert("rogue-ca.pem"),
                                                "ssl_certfile": self.cert("client.pem")}),
                          ("plaintext", {})):
            c = self.client(timeout_ms=1500, **kw)
            try:
                with self.assertRaises(PyMongoError, msg=label):
                    c.admin.command("ping")
            finally:
                c.close()


if __name__ == "__main__":
    run_case(PyMongoTls)
