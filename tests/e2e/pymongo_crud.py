#!/usr/bin/python3
"""tests/e2e/pymongo_crud.py -- PyMongo (Debian's python3-pymongo) against a real secantusdb.

Starts the server on port 0 with a temporary dbpath (URI read from the first stdout line),
then connects and does CRUD with unittest: insert (with a duplicate-key error), find with
many batches, update/upsert/replace, delete, find_one_and_update, distinct,
list_collection_names, drop.  Prints "N passed, N failed"; exit status 1 on any failure.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import pymongo
from pymongo import MongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.environ.get("SDB_BINARY") or os.path.join(HERE, "..", "..", "secantusdb")


class Server:
    """A secantusdb child process with stdout in a file (nothing to drain)."""

    def __init__(self, args=()):
        self.dir = tempfile.mkdtemp(prefix="sdb-e2e-py-")
        os.mkdir(os.path.join(self.dir, "db"))
        self.out_path = os.path.join(self.dir, "stdout")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(
            [BINARY, "--port", "0", "--bind_ip", "127.0.0.1",
             "--dbpath", os.path.join(self.dir, "db"), "--workers", "2"] + list(args),
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=None)
        deadline = time.monotonic() + 30  # hang guard, not a timing assertion
        self.uri = None
        while time.monotonic() < deadline:
            with open(self.out_path, "rb") as f:
                data = f.read(65536)
            if b"\n" in data:
                self.uri = data.split(b"\n", 1)[0].decode().strip()
                break
            if self.proc.poll() is not None:
                raise RuntimeError("secantusdb exited (%s) before printing its URI"
                                   % self.proc.returncode)
            time.sleep(0.01)
        if not self.uri or not self.uri.startswith("mongodb://"):
            self.stop()
            raise RuntimeError("no URI line from secantusdb: %r" % self.uri)

    def stop(self):
        """SIGTERM and wait; returns the exit code (0 = clean)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class PyMongoCrud(unittest.TestCase):
    server = None
    client = None

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.client = MongoClient(cls.server.uri, directConnection=True,
                                 serverSelectionTimeoutMS=10000)
        cls.db = cls.client.e2e_pymongo

    @classmethod
    def tearDownClass(cls):
        if cls.client is not None:
            cls.client.close()
        if cls.server is not None:
            code = cls.server.stop()
            if code != 0:
                raise AssertionError("secantusdb exit code %r on SIGTERM (want 0)" % code)

    def test_00_handshake(self):
        self.assertEqual(self.client.admin.command("ping")["ok"], 1)
        info = self.client.server_info()
        self.assertTrue(info["version"].startswith("7.0."), info["version"])
        hello = self.client.admin.command("isMaster")
        self.assertTrue(hello["ismaster"])
        self.assertEqual(hello["maxWireVersion"], 21)

    def test_insert_and_duplicate(self):
        c = self.db.ins
        r = c.insert_one({"a": 1})
        self.assertIsNotNone(c.find_one({"_id": r.inserted_id}))
        c.insert_one({"_id": "dup"})
        with self.assertRaises(DuplicateKeyError) as ctx:
            c.insert_one({"_id": "dup"})
        self.assertEqual(ctx.exception.code, 11000)
        self.assertEqual(ctx.exception.details.get("keyValue"), {"_id": "dup"})
        r = c.insert_many([{"_id": i} for i in range(10)])
        self.assertEqual(len(r.inserted_ids), 10)

    def test_find_many_batches(self):
        c = self.db.many
        c.insert_many([{"_id": i, "sq": i * i, "even": i % 2 == 0} for i in range(500)])
        got = list(c.find({}, batch_size=10).sort("_id", pymongo.ASCENDING))
        self.assertEqual([d["_id"] for d in got], list(range(500)))
        self.assertTrue(all(d["sq"] == d["_id"] ** 2 for d in got))
        evens = list(c.find({"even": True, "_id": {"$lt": 10}}, {"sq": 1}))
        self.assertEqual(sorted(d["_id"] for d in evens), [0, 2, 4, 6, 8])
        self.assertEqual(set(evens[0].keys()), {"_id", "sq"})
        page = list(c.find().sort("_id", -1).skip(5).limit(3))
        self.assertEqual([d["_id"] for d in page], [494, 493, 492])
        self.assertEqual(c.estimated_document_count(), 500)

    def test_update(self):
        c = self.db.upd
        c.insert_many([{"_id": i, "n": i} for i in range(5)])
        r = c.update_one({"_id": 1}, {"$set": {"name": "one"}})
        self.assertEqual((r.matched_count, r.modified_count), (1, 1))
        r = c.update_many({"n": {"$gte": 3}}, {"$inc": {"n": 10}})
        self.assertEqual((r.matched_count, r.modified_count), (2, 2))
        r = c.update_one({"_id": 99}, {"$set": {"n": 99}}, upsert=True)
        self.assertEqual(r.upserted_id, 99)
        r = c.replace_one({"_id": 2}, {"replaced": True})
        self.assertEqual(r.modified_count, 1)
        self.assertEqual(c.find_one({"_id": 2}), {"_id": 2, "replaced": True})
        doc = c.find_one_and_update({"_id": 0}, {"$inc": {"n": 5}},
                                    return_document=ReturnDocument.AFTER)
        self.assertEqual(doc, {"_id": 0, "n": 5})
        self.assertEqual(sorted(c.distinct("n")), [1, 5, 13, 14, 99])

    def test_delete(self):
        c = self.db.dele
        c.insert_many([{"_id": i, "odd": i % 2 == 1} for i in range(10)])
        self.assertEqual(c.delete_one({"odd": True}).deleted_count, 1)
        self.assertEqual(c.delete_many({"odd": True}).deleted_count, 4)
        self.assertEqual(c.find_one_and_delete({"_id": 0})["_id"], 0)
        self.assertEqual(len(list(c.find())), 4)

    def test_collections(self):
        db = self.client.e2e_pymongo_cat
        db.a.insert_one({"x": 1})
        db.create_collection("b")
        self.assertEqual(sorted(db.list_collection_names()), ["a", "b"])
        self.assertIn("e2e_pymongo_cat", self.client.list_database_names())
        db.drop_collection("a")
        self.assertEqual(db.list_collection_names(), ["b"])
        self.client.drop_database("e2e_pymongo_cat")
        self.assertEqual(db.list_collection_names(), [])


def run_case(case):
    """Run one TestCase class, print "N passed, N failed" and exit 1 on any failure."""
    result = unittest.TextTestRunner(verbosity=2).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(case))
    bad = len(result.failures) + len(result.errors)
    print("%d passed, %d failed" % (result.testsRun - bad if result.testsRun else 0, bad))
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)


if __name__ == "__main__":
    run_case(PyMongoCrud)
