// tests/e2e/node_changestream.test.mjs -- change streams through the Node `mongodb` driver:
// collection.watch() yields insert / update / replace / delete events in order with
// updateLookup; a stream keeps going, without losing or repeating an event, when every worker
// (so also the one serving it) is killed with SIGKILL: the driver resumes on a new
// connection with its resume token, as it would against mongod; db.watch() and
// client.watch() see their scopes; startAfter continues after an invalidate.
// Run with `node --test`; the server is started on port 0 with a temp dbpath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

// workerPids -- the master's children (the workers), from /proc.
function workerPids(pid) {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)
    .filter(Boolean).map(Number);
}

test('collection.watch yields CRUD events in order', { timeout: 30000 }, async () => {
  const coll = client.db('e2e_cs').collection('crud');
  await coll.insertOne({ _id: 0 });
  const cs = coll.watch([], { fullDocument: 'updateLookup', maxAwaitTimeMS: 500 });
  await cs.tryNext(); // the stream is open before the writes
  const w = writer.db('e2e_cs').collection('crud');
  await w.insertOne({ _id: 1, a: 1 });
  await w.updateOne({ _id: 1 }, { $set: { a: 2 } });
  await w.replaceOne({ _id: 1 }, { b: 1 });
  await w.deleteOne({ _id: 1 });
  const ev = [];
  for (let i = 0; i < 4; i++) ev.push(await cs.next());
  assert.deepEqual(ev.map((e) => e.operationType), ['insert', 'update', 'replace', 'delete']);
  assert.deepEqual(ev[0].fullDocument, { _id: 1, a: 1 });
  assert.deepEqual(ev[1].updateDescription.updatedFields, { a: 2 });
  assert.ok('fullDocument' in ev[1]); // updateLookup ran (null once deleted)
  assert.deepEqual(ev[2].fullDocument, { _id: 1, b: 1 });
  assert.deepEqual(ev[3].documentKey, { _id: 1 });
  for (let i = 1; i < 4; i++) assert.ok(ev[i]._id._data > ev[i - 1]._id._data);
  await cs.close();
});

test('a stream survives SIGKILL of its worker', { timeout: 60000 }, async () => {
  const coll = client.db('e2e_cs').collection('k9');
  const cs = coll.watch([], { maxAwaitTimeMS: 300 });
  await cs.tryNext();
  const w = writer.db('e2e_cs').collection('k9');
  await w.insertOne({ _id: 1 });
  assert.equal((await cs.next()).documentKey._id, 1);
  const dead = workerPids(server.pid);
  for (const pid of dead) process.kill(pid, 'SIGKILL');
  // the master respawns them (a bounded poll, not a timing assertion)
  for (let t = 0; t < 300; t++) {
    const now = workerPids(server.pid);
    if (now.length === dead.length && now.every((p) => !dead.includes(p))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // the writer's pooled connection died too: the driver retries the write on a new one
  for (let i = 2; i <= 5; i++) await w.insertOne({ _id: i });
  const ids = [];
  for (let i = 2; i <= 5; i++) ids.push((await cs.next()).documentKey._id);
  assert.deepEqual(ids, [2, 3, 4, 5]);
  await cs.close();
});

test('db.watch and client.watch see their scopes; startAfter passes an invalidate', { timeout: 30000 }, async () => {
  const db = client.db('e2e_cs_db');
  const dbcs = db.watch([], { maxAwaitTimeMS: 300 });
  const all = client.watch([], { maxAwaitTimeMS: 300 });
  const one = db.collection('gone').watch([], { maxAwaitTimeMS: 300 });
  await dbcs.tryNext();
  await all.tryNext();
  await one.tryNext();
  await writer.db('e2e_cs_db').collection('gone').insertOne({ _id: 1 });
  await writer.db('e2e_cs_other').collection('x').insertOne({ _id: 2 });
  await writer.db('e2e_cs_db').collection('gone').drop();
  const d = [await dbcs.next(), await dbcs.next()];
  assert.deepEqual(d.map((e) => e.operationType), ['insert', 'drop']);
  const a = [await all.next(), await all.next(), await all.next()];
  assert.deepEqual(a.map((e) => `${e.operationType}:${e.ns.db}`),
    ['insert:e2e_cs_db', 'insert:e2e_cs_other', 'drop:e2e_cs_db']);
  assert.equal((await one.next()).operationType, 'insert');
  assert.equal((await one.next()).operationType, 'drop');
  const inv = await one.next();
  assert.equal(inv.operationType, 'invalidate');
  const again = db.collection('gone').watch([], { startAfter: inv._id, maxAwaitTimeMS: 300 });
  await again.tryNext();
  await writer.db('e2e_cs_db').collection('gone').insertOne({ _id: 3 });
  assert.equal((await again.next()).documentKey._id, 3);
  for (const s of [dbcs, all, one, again]) await s.close();
});
