#!/usr/bin/python3
"""tests/e2e/pymongo_auth.py -- PyMongo (Debian's python3-pymongo 3.11) authenticating.

Starts a server with the Docker-style root user, then with unittest: SCRAM-SHA-1 and
SCRAM-SHA-256 logins as root, a user created through the driver, a wrong password
(OperationFailure 18) and a read-only user refused a write (13).  Prints "N passed, N
failed"; exit status 1 on any failure.
"""
import sys
import unittest

from pymongo import MongoClient
from pymongo.errors import OperationFailure

from pymongo_crud import Server


class PyMongoAuth(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server(["--initdbRootUsername", "root", "--initdbRootPassword", "secret"])
        cls.host = cls.server.uri.split("//", 1)[1].split("/", 1)[0]

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        if code != 0:
            raise AssertionError("server exit status %s on SIGTERM" % code)

    def client(self, user, pwd, source="admin", mech=None):
        kw = {"username": user, "password": pwd, "authSource": source,
              "directConnection": True, "serverSelectionTimeoutMS": 10000}
        if mech:
            kw["authMechanism"] = mech
        return MongoClient("mongodb://%s/" % self.host, **kw)

    def test_both_mechanisms(self):
        for mech in ("SCRAM-SHA-1", "SCRAM-SHA-256", None):
            c = self.client("root", "secret", mech=mech)
            try:
                st = c.admin.command("connectionStatus")
                self.assertEqual(st["authInfo"]["authenticatedUsers"],
                                 [{"user": "root", "db": "admin"}])
                c.e2e_pyauth.c.insert_one({"mech": mech or "default"})
            finally:
                c.close()

    def test_wrong_password(self):
        c = self.client("root", "wrong", mech="SCRAM-SHA-256")
        try:
            with self.assertRaises(OperationFailure) as ctx:
                c.admin.command("ping")
            self.assertEqual(ctx.exception.code, 18)
        finally:
            c.close()

    def test_read_user(self):
        root = self.client("root", "secret")
        try:
            root.e2e_pyauth.command("createUser", "pyro", pwd="pw", roles=["read"])
            ro = self.client("pyro", "pw", source="e2e_pyauth", mech="SCRAM-SHA-1")
            try:
                ro.e2e_pyauth.c.find_one()
                with self.assertRaises(OperationFailure) as ctx:
                    ro.e2e_pyauth.c.insert_one({"x": 1})
                self.assertEqual(ctx.exception.code, 13)
            finally:
                ro.close()
        finally:
            root.close()


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(PyMongoAuth)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - failed, failed))
    sys.exit(1 if failed else 0)
