// tests/e2e/mongosh_crud.js -- evaluated by `mongosh --quiet <uri> --eval` (mongosh_crud.sh).
// Connect, insert, find with a cursor of many batches, update, delete, listCollections,
// drop, db.stats() and db.coll.stats() (check(): mongosh_check.js); prints "N passed, N
// failed" and exits 1 on failure.
const d = db.getSiblingDB('e2e_mongosh');
const c = d.items;

check('ping', () => d.adminCommand({ ping: 1 }).ok === 1);
check('insertOne', () => {
  const r = c.insertOne({ _id: 1, name: 'one' });
  return r.acknowledged && r.insertedId === 1 ? true : r;
});
check('insertMany 1000', () => {
  const docs = [];
  for (let i = 2; i <= 1001; i++) docs.push({ _id: i, n: i % 7 });
  const r = c.insertMany(docs);
  return Object.keys(r.insertedIds).length === 1000 ? true : r;
});
check('find with batchSize 10 over 1000 documents', () => {
  let count = 0;
  let last = 0;
  let ordered = true;
  c.find({ n: { $gte: 0 } }).sort({ _id: 1 }).batchSize(10).forEach((doc) => {
    count++;
    if (doc._id <= last) ordered = false;
    last = doc._id;
  });
  return count === 1000 && ordered ? true : { count, ordered };
});
check('find with projection, skip and limit', () => {
  const docs = c.find({}, { n: 1 }).sort({ _id: 1 }).skip(1).limit(3).toArray();
  return docs.length === 3 && docs[0]._id === 2 && docs[0].n === 2 && docs[0].name === undefined
    ? true : docs;
});
check('updateOne', () => {
  const r = c.updateOne({ _id: 1 }, { $set: { name: 'uno' } });
  return r.matchedCount === 1 && r.modifiedCount === 1 ? true : r;
});
check('findOne sees the update', () => c.findOne({ _id: 1 }).name === 'uno');
const threes = c.find({ n: 3 }).toArray().length;
check('updateMany', () => {
  const r = c.updateMany({ n: 3 }, { $inc: { n: 100 } });
  return r.matchedCount === threes && r.modifiedCount === threes && threes > 100 ? true : r;
});
check('upsert', () => {
  const r = c.updateOne({ _id: 'new' }, { $set: { n: -1 } }, { upsert: true });
  return r.upsertedCount === 1 && r.insertedId === 'new' ? true : r;
});
check('deleteOne', () => c.deleteOne({ _id: 1 }).deletedCount === 1);
check('deleteMany', () => {
  const r = c.deleteMany({ n: 103 });
  return r.deletedCount === threes ? true : r;
});
check('count after deletes', () => c.find().toArray().length === 1000 - threes + 1);
check('db.stats()', () => {
  const s = d.stats();
  return s.ok === 1 && s.collections >= 1 && s.objects === 1000 - threes + 1 ? true : s;
});
check('db.items.stats()', () => {
  const s = c.stats();
  return s.ok === 1 && s.count === 1000 - threes + 1 ? true : s;
});
// .explain() as mongosh sends it: the plan the server runs, with its counts
const leaf = (st) => (st.inputStage ? leaf(st.inputStage) : st);
check('createIndex', () => c.createIndex({ n: 1 }) === 'n_1');
check('find().explain()', () => {
  const e = c.find({ n: 5 }).explain();
  const ix = leaf(e.queryPlanner.winningPlan);
  return ix.stage === 'IXSCAN' && ix.indexName === 'n_1' ? true : e;
});
check('explain executionStats', () => {
  const e = c.find({ n: { $gte: 0 } }).sort({ n: 1 }).limit(3).explain('executionStats');
  const s = e.executionStats;
  return s.nReturned === 3 && s.totalKeysExamined <= 4 && s.executionStages.stage === 'LIMIT'
    ? true : e;
});
check('explain().aggregate', () => {
  const e = c.explain().aggregate([{ $match: { n: 5 } }, { $group: { _id: null, k: { $sum: 1 } } }]);
  return leaf(e.stages[0].$cursor.queryPlanner.winningPlan).indexName === 'n_1' ? true : e;
});
check('explain().count', () => {
  const e = c.explain('executionStats').count({ n: 5 });
  return e.queryPlanner.winningPlan.stage === 'COUNT' ? true : e;
});
check('listCollections', () => d.getCollectionNames().includes('items'));
check('drop', () => c.drop() === true);
check('dropped', () => !d.getCollectionNames().includes('items'));
check('dropDatabase', () => d.dropDatabase().ok === 1);

print(`${passed} passed, ${failed} failed`);
if (failed > 0) quit(1);
