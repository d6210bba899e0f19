// tests/e2e/node_sessions.test.mjs -- logical sessions through the Node `mongodb` driver: a
// snapshot session's find keeps reading its snapshot across getMores while another client
// writes, a causally consistent session reads its own write through another client's
// connection pool, a cursor cannot be continued from another session (mongod's 50738), and
// ending a session kills its cursors.
// Run with `node --test`; the server is started on port 0 with a temp dbpath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';
import { startWithClients } from './server.mjs';

let run;
let client;
let writer;

before(async () => {
  run = await startWithClients(2);
  [client, writer] = run.clients;
});

after(async () => {
  if (run) {
    const { code, signal } = await run.stop();
    assert.equal(code, 0, `server exit code ${code} signal ${signal} on SIGTERM`);
  }
});

test('a snapshot session reads one point in time across getMores', async () => {
  const coll = client.db('e2esess').collection('snap');
  await coll.insertMany(Array.from({ length: 20 }, (_, i) => ({ _id: i, v: 'old' })));
  const session = client.startSession({ snapshot: true });
  try {
    const cursor = coll.find({}, { session, batchSize: 5 }).sort({ _id: 1 });
    const first = await cursor.next();
    assert.equal(first.v, 'old');
    assert.ok(session.snapshotTime, 'the reply carried atClusterTime');
    await writer.db('e2esess').collection('snap').updateMany({}, { $set: { v: 'new' } });
    await writer.db('e2esess').collection('snap').insertOne({ _id: 100, v: 'new' });
    const rest = await cursor.toArray();
    assert.equal(rest.length, 19);
    assert.ok(rest.every((d) => d.v === 'old'), JSON.stringify(rest));
    // a later read in the same session still sees the snapshot
    assert.equal(await coll.countDocuments({ v: 'old' }, { session }), 20);
    // outside it, the new data
    assert.equal(await coll.countDocuments({ v: 'new' }), 21);
  } finally {
    await session.endSession();
  }
});

test('a causally consistent session reads its writes', async () => {
  const session = writer.startSession({ causalConsistency: true });
  try {
    const coll = writer.db('e2esess').collection('causal');
    await coll.insertOne({ _id: 1 }, { session });
    assert.ok(session.operationTime, 'the write reported its operationTime');
    assert.equal((await coll.findOne({ _id: 1 }, { session }))._id, 1);
  } finally {
    await session.endSession();
  }
});

test('a cursor belongs to its session', async () => {
  const coll = client.db('e2esess').collection('bound');
  await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i })));
  const owner = client.startSession();
  const other = client.startSession();
  try {
    const reply = await client.db('e2esess').command({ find: 'bound', batchSize: 2 }, { session: owner });
    const id = reply.cursor.id;
    await assert.rejects(
      client.db('e2esess').command({ getMore: id, collection: 'bound' }, { session: other }),
      (e) => e instanceof MongoServerError && e.code === 50738 &&
        /^Cannot run getMore on cursor \d+, which was created in session /.test(e.message));
    const more = await client.db('e2esess').command({ getMore: id, collection: 'bound' }, { session: owner });
    assert.equal(more.cursor.nextBatch.length, 8);
  } finally {
    await owner.endSession();
    await other.endSession();
  }
});

test('ending a session kills its cursors', async () => {
  const coll = client.db('e2esess').collection('ended');
  await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i })));
  const session = client.startSession();
  const reply = await client.db('e2esess').command({ find: 'ended', batchSize: 2 }, { session });
  const id = reply.cursor.id;
  await client.db('admin').command({ endSessions: [session.id] });
  await assert.rejects(
    client.db('e2esess').command({ getMore: id, collection: 'ended' }, { session }),
    (e) => e instanceof MongoServerError && e.code === 43);
  await session.endSession();
});
