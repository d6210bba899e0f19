// tests/e2e/node_capped.test.mjs -- capped collections and tailable cursors through the Node
// `mongodb` driver: createCollection with capped/size/max keeps only the newest documents in
// insertion order, and a `find({}, {tailable: true, awaitData: true})` cursor on it yields the
// existing documents, then documents another client inserts while it waits.
// Run with `node --test`; the server is started on port 0 with a temp dbpath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { startServer, withParams } from './server.mjs';

let server;
let client;
let writer;

before(async () => {
  server = await startServer();
  const url = withParams(server.uri, { directConnection: true, serverSelectionTimeoutMS: 10000 });
  client = new MongoClient(url);
  writer = new MongoClient(url);
  await client.connect();
  await writer.connect();
});

after(async () => {
  await client?.close();
  await writer?.close();
  if (server) {
    const { code, signal } = await server.stop();
    assert.equal(code, 0, `server exit code ${code} signal ${signal} on SIGTERM`);
  }
});

test('capped collection keeps the newest documents in insertion order', async () => {
  const db = client.db('e2e_capped');
  const coll = await db.createCollection('ring', { capped: true, size: 4096, max: 3 });
  for (const id of [5, 1, 4, 2, 3]) await coll.insertOne({ _id: id });
  assert.deepEqual((await coll.find().toArray()).map((d) => d._id), [4, 2, 3]);
  assert.deepEqual((await coll.find().sort({ $natural: -1 }).toArray()).map((d) => d._id), [3, 2, 4]);
  assert.equal(await coll.isCapped(), true);
  const [info] = await db.listCollections({ name: 'ring' }).toArray();
  assert.deepEqual(info.options, { capped: true, size: 4096, max: 3 });
});

test('a tailable awaitData cursor sees inserts from another client', { timeout: 30000 }, async () => {
  const db = client.db('e2e_capped');
  const coll = await db.createCollection('tail', { capped: true, size: 100000 });
  await coll.insertMany([{ _id: 1 }, { _id: 2 }]);
  const cursor = coll.find({}, { tailable: true, awaitData: true, maxAwaitTimeMS: 5000 });
  const seen = [];
  seen.push((await cursor.next())._id, (await cursor.next())._id);
  const later = writer.db('e2e_capped').collection('tail');
  setTimeout(() => { later.insertOne({ _id: 3 }).catch(() => {}); }, 200);
  seen.push((await cursor.next())._id);
  await later.insertOne({ _id: 4 });
  seen.push((await cursor.next())._id);
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(cursor.closed, false);
  await cursor.close();
});
