// tests/e2e/node_driver.test.mjs -- the Node `mongodb` driver (latest) and Mongoose against a
// real secantusdb: connect, insert, find with a cursor of many batches, update, delete,
// findOneAndUpdate, distinct, listCollections, drop, duplicate-key errors, withTransaction,
// clean shutdown.
// Run with `node --test`; the server is started on port 0 with a temp dbpath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MongoClient, MongoServerError } from 'mongodb';
import mongoose from 'mongoose';
import { startServer, withParams } from './server.mjs';

let server;
let client;
let url;
const started = [];

before(async () => {
  server = await startServer();
  url = withParams(server.uri, { directConnection: true, serverSelectionTimeoutMS: 10000 });
  client = new MongoClient(url, { monitorCommands: true });
  client.on('commandStarted', (ev) => started.push(ev.commandName));
  await client.connect();
});

after(async () => {
  await client?.close();
  if (server) {
    const { code, signal } = await server.stop();
    assert.equal(code, 0, `server exit code ${code} signal ${signal} on SIGTERM`);
  }
});

test('handshake and ping', async () => {
  const admin = client.db('admin');
  assert.equal((await admin.command({ ping: 1 })).ok, 1);
  const hello = await admin.command({ hello: 1 });
  assert.equal(hello.isWritablePrimary, true);
  assert.equal(hello.maxWireVersion, 21);
  assert.equal(typeof hello.setName, 'string');
  const info = await admin.command({ buildInfo: 1 });
  assert.match(info.version, /^7\.0\./);
});

test('insert and find with a cursor of many batches', async () => {
  const coll = client.db('e2e_node').collection('many');
  const docs = Array.from({ length: 1000 }, (_, i) => ({ _id: i, sq: i * i, tag: `t${i % 10}` }));
  const res = await coll.insertMany(docs);
  assert.equal(res.insertedCount, 1000);
  const gmBefore = started.filter((n) => n === 'getMore').length;
  const got = await coll.find({}, { batchSize: 10 }).sort({ _id: 1 }).toArray();
  const getMores = started.filter((n) => n === 'getMore').length - gmBefore;
  assert.equal(got.length, 1000);
  got.forEach((d, i) => {
    assert.equal(d._id, i);
    assert.equal(d.sq, i * i);
  });
  assert.ok(getMores >= 99, `expected >= 99 getMore batches, saw ${getMores}`);
  const filtered = await coll.find({ tag: 't3', _id: { $lt: 100 } }).project({ sq: 1 }).toArray();
  assert.deepEqual(filtered.map((d) => d._id), [3, 13, 23, 33, 43, 53, 63, 73, 83, 93]);
  assert.deepEqual(Object.keys(filtered[0]).sort(), ['_id', 'sq']);
  assert.equal(await coll.estimatedDocumentCount(), 1000);
  const one = await coll.findOne({ _id: 500 });
  assert.equal(one.sq, 250000);
});

test('insertOne generates an ObjectId; duplicate _id is E11000', async () => {
  const coll = client.db('e2e_node').collection('ids');
  const { insertedId } = await coll.insertOne({ a: 1 });
  assert.equal(insertedId._bsontype, 'ObjectId');
  const back = await coll.findOne({ _id: insertedId });
  assert.equal(back.a, 1);
  await coll.insertOne({ _id: 'dup' });
  await assert.rejects(coll.insertOne({ _id: 'dup' }), (err) => {
    assert.ok(err instanceof MongoServerError);
    assert.equal(err.code, 11000);
    assert.deepEqual(err.keyValue, { _id: 'dup' });
    return true;
  });
});

test('update, upsert, replace, findOneAndUpdate', async () => {
  const coll = client.db('e2e_node').collection('upd');
  await coll.insertMany([{ _id: 1, n: 1 }, { _id: 2, n: 2 }, { _id: 3, n: 3 }]);
  let r = await coll.updateOne({ _id: 1 }, { $set: { name: 'one' } });
  assert.equal(r.matchedCount, 1);
  assert.equal(r.modifiedCount, 1);
  r = await coll.updateMany({ n: { $gte: 2 } }, { $inc: { n: 10 } });
  assert.equal(r.matchedCount, 2);
  assert.equal(r.modifiedCount, 2);
  r = await coll.updateOne({ _id: 9 }, { $set: { n: 9 } }, { upsert: true });
  assert.equal(r.upsertedCount, 1);
  assert.equal(r.upsertedId, 9);
  r = await coll.replaceOne({ _id: 2 }, { replaced: true });
  assert.equal(r.modifiedCount, 1);
  assert.deepEqual(await coll.findOne({ _id: 2 }), { _id: 2, replaced: true });
  const post = await coll.findOneAndUpdate({ _id: 3 }, { $unset: { n: '' }, $set: { m: 1 } },
    { returnDocument: 'after' });
  assert.deepEqual(post, { _id: 3, m: 1 });
  assert.deepEqual((await coll.distinct('n')).sort((a, b) => a - b), [1, 9]);
});

test('delete', async () => {
  const coll = client.db('e2e_node').collection('del');
  await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ _id: i, odd: i % 2 === 1 })));
  assert.equal((await coll.deleteOne({ odd: true })).deletedCount, 1);
  assert.equal((await coll.deleteMany({ odd: true })).deletedCount, 4);
  assert.equal((await coll.find().toArray()).length, 5);
  const removed = await coll.findOneAndDelete({ _id: 0 });
  assert.equal(removed._id, 0);
  assert.equal(await coll.estimatedDocumentCount(), 4);
});

test('listCollections and drop', async () => {
  const db = client.db('e2e_node_cat');
  await db.collection('a').insertOne({ x: 1 });
  await db.createCollection('b');
  let names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  assert.deepEqual(names, ['a', 'b']);
  const onlyA = await db.listCollections({ name: 'a' }).toArray();
  assert.equal(onlyA.length, 1);
  assert.equal(onlyA[0].type, 'collection');
  assert.equal(await db.collection('a').drop(), true);
  names = (await db.listCollections().toArray()).map((c) => c.name);
  assert.deepEqual(names, ['b']);
  const dbs = await client.db('admin').admin().listDatabases();
  assert.ok(dbs.databases.some((d) => d.name === 'e2e_node_cat'));
  assert.equal(await db.dropDatabase(), true);
  assert.deepEqual(await db.listCollections().toArray(), []);
});

test('sessions: explicit session with a retryable write', async () => {
  const coll = client.db('e2e_node').collection('sess');
  const session = client.startSession();
  try {
    await coll.insertOne({ _id: 1 }, { session });
    assert.equal((await coll.findOne({ _id: 1 }, { session }))._id, 1);
  } finally {
    await session.endSession();
  }
});

test('withTransaction commits all statements at once; a throwing callback leaves nothing', async () => {
  const coll = client.db('e2e_node').collection('txn');
  const other = client.db('e2e_node').collection('txn_other');
  await coll.insertOne({ _id: 'pre', n: 0 });
  const session = client.startSession();
  try {
    await session.withTransaction(async () => {
      await coll.insertOne({ _id: 'in-txn' }, { session });
      await coll.updateOne({ _id: 'pre' }, { $inc: { n: 1 } }, { session });
      await other.insertOne({ _id: 'in-txn' }, { session });
      // reads its own writes; outside the transaction nothing is visible yet
      assert.equal(await coll.countDocuments({}, { session }), 2);
      assert.equal(await coll.countDocuments({ _id: 'in-txn' }), 0);
    }, { writeConcern: { w: 'majority' } });
    assert.equal(await coll.countDocuments({ _id: 'in-txn' }), 1);
    assert.equal(await other.countDocuments({ _id: 'in-txn' }), 1);
    assert.equal((await coll.findOne({ _id: 'pre' })).n, 1);
    await assert.rejects(
      session.withTransaction(async () => {
        await coll.insertOne({ _id: 'aborted' }, { session });
        throw new Error('callback gives up');
      }),
      /callback gives up/,
    );
    assert.equal(await coll.countDocuments({ _id: 'aborted' }), 0);
    // a duplicate key inside fails the statement with 11000 and aborts the transaction
    await assert.rejects(
      session.withTransaction(async () => {
        await coll.insertOne({ _id: 'dup-new' }, { session });
        await coll.insertOne({ _id: 'pre' }, { session });
      }),
      (e) => e instanceof MongoServerError && e.code === 11000,
    );
    assert.equal(await coll.countDocuments({ _id: 'dup-new' }), 0);
  } finally {
    await session.endSession();
  }
});

test('mongoose: model save, find, update, delete', async () => {
  const conn = await mongoose.createConnection(url, { dbName: 'e2e_mongoose' }).asPromise();
  try {
    const Cat = conn.model('Cat', new mongoose.Schema({ name: String, lives: Number }));
    await Cat.create({ name: 'Tom', lives: 9 });
    await Cat.create({ name: 'Kit', lives: 3 });
    const tom = await Cat.findOne({ name: 'Tom' }).lean();
    assert.equal(tom.lives, 9);
    await Cat.updateOne({ name: 'Tom' }, { $inc: { lives: -1 } });
    assert.equal((await Cat.findOne({ name: 'Tom' }).lean()).lives, 8);
    assert.equal((await Cat.find({ lives: { $lt: 5 } }).lean()).length, 1);
    await Cat.deleteOne({ name: 'Kit' });
    assert.equal(await Cat.estimatedDocumentCount(), 1);
  } finally {
    await conn.close();
  }
});

test('streaming monitor: awaited hello replies stream with moreToCome and never fail', async () => {
  // The driver's monitor sends hello with topologyVersion + maxAwaitTimeMS and exhaustAllowed;
  // a reply without moreToCome ends its stream with "Server ended moreToCome unexpectedly",
  // marks the server Unknown and clears the pool under running operations.
  const events = { succeeded: 0, awaited: 0, failed: [] };
  const mon = new MongoClient(url, { heartbeatFrequencyMS: 500, serverMonitoringMode: 'stream' });
  mon.on('serverHeartbeatSucceeded', (ev) => {
    events.succeeded++;
    if (ev.awaited) events.awaited++;
  });
  mon.on('serverHeartbeatFailed', (ev) => events.failed.push(String(ev.failure)));
  const cleared = [];
  mon.on('connectionPoolCleared', () => cleared.push(Date.now()));
  await mon.connect();
  const coll = mon.db('e2e_node').collection('stream');
  const until = Date.now() + 3000;
  let i = 0;
  while (Date.now() < until) {
    await coll.insertOne({ i: i++ });
    await new Promise((r) => setTimeout(r, 20));
  }
  const failed = [...events.failed]; // closing the client ends the stream: not counted
  const clearedBeforeClose = [...cleared];
  await mon.close();
  assert.deepEqual(failed, []);
  assert.deepEqual(clearedBeforeClose, []);
  assert.ok(events.awaited >= 3, `expected >= 3 streamed heartbeats, saw ${events.awaited}`);
});

test('mongoose: positional $ after $elemMatch, DBRef match, hinted order', async () => {
  const conn = await mongoose.createConnection(url, { dbName: 'e2e_mongoose' }).asPromise();
  try {
    const Order = conn.model('Order', new mongoose.Schema({
      n: Number,
      items: [{ sku: String, qty: Number }],
      refs: [mongoose.Schema.Types.Mixed],
    }));
    await Order.createIndexes();
    await Order.collection.createIndex({ n: -1 }, { name: 'n_desc' });
    const o = await Order.create({
      n: 1,
      items: [{ sku: 'a', qty: 1 }, { sku: 'b', qty: 1 }, { sku: 'b', qty: 2 }],
      refs: [{ $ref: 'users', $id: 7 }],
    });
    await Order.create({ n: 3, items: [] });
    await Order.create({ n: 2, items: [] });
    const res = await Order.updateOne(
      { _id: o._id, items: { $elemMatch: { sku: 'b', qty: 2 } } },
      { $set: { 'items.$.qty': 5 } },
    );
    assert.equal(res.modifiedCount, 1);
    const back = await Order.findById(o._id).lean();
    assert.deepEqual(back.items.map((i) => i.qty), [1, 1, 5]);
    const proj = await Order.findOne({ items: { $elemMatch: { qty: 5 } } }, { 'items.$': 1 }).lean();
    assert.deepEqual(proj.items.map((i) => [i.sku, i.qty]), [['b', 5]]);
    const after = await Order.findOneAndUpdate(
      { 'items.sku': 'a' }, { $inc: { 'items.$.qty': 10 } }, { new: true },
    ).lean();
    assert.deepEqual(after.items.map((i) => i.qty), [11, 1, 5]);
    assert.equal(await Order.countDocuments({ refs: { $elemMatch: { $ref: 'users', $id: 7 } } }), 1);
    const byHint = await Order.find({}).hint('n_desc').batchSize(1).lean();
    assert.deepEqual(byHint.map((d) => d.n), [3, 2, 1]);
    const natural = await Order.find({}).hint({ $natural: -1 }).lean();
    assert.deepEqual(natural.map((d) => d.n), [2, 3, 1]);
  } finally {
    await conn.close();
  }
});
