// tests/e2e/mongosh_diag.js -- evaluated by `mongosh --quiet <uri> --eval` (mongosh_diag.sh).
// mongosh's admin helpers of issue 11: db.currentOp(), db.killOp(), db.setProfilingLevel(),
// db.getProfilingStatus(), show profile, db.coll.validate() and db.serverStatus() (check():
// mongosh_check.js); prints
// "N passed, N failed" and exits 1 on failure.
const d = db.getSiblingDB('e2e_diag');
d.dropDatabase();
d.items.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }, { _id: 3, a: [3, 4] }]);
d.items.createIndex({ a: 1 });

check('db.currentOp() lists itself', () => {
  const r = db.currentOp();
  // mongosh runs it as an aggregation with $currentOp
  return r.ok === 1 && r.inprog.some((op) => op.active && op.command && op.command.pipeline &&
    op.command.pipeline[0].$currentOp) ? true : r;
});
check('db.currentOp(true) lists idle connections too', () => {
  const r = db.currentOp(true);
  return r.ok === 1 && Array.isArray(r.inprog) && r.inprog.length >= 1 ? true : r;
});
check('db.killOp()', () => {
  const r = db.killOp(123456);
  return r.ok === 1 && r.info === 'attempting to kill op' ? true : r;
});
check('db.setProfilingLevel(2)', () => {
  const r = d.setProfilingLevel(2);
  return r.ok === 1 && r.was === 0 && r.slowms === 100 ? true : r;
});
check('db.getProfilingStatus()', () => {
  const r = d.getProfilingStatus();
  return r.was === 2 && r.slowms === 100 && r.sampleRate === 1 ? true : r;
});
check('profiled find', () => {
  d.items.find({ a: 2 }).toArray();
  const p = d.system.profile.findOne({ op: 'query', 'command.filter.a': 2 });
  return p && p.ns === 'e2e_diag.items' && p.nreturned === 1 && p.planSummary === 'IXSCAN { a: 1 }'
    ? true : p;
});
check('show profile', () => {
  use('e2e_diag'); // show profile reads the current database's system.profile
  const r = show('profile');
  const v = r && r.value !== undefined ? r.value : r;
  return v && v.count >= 1 ? true : r;
});
check('db.setProfilingLevel(0)', () => d.setProfilingLevel(0).was === 2);
check('db.coll.validate()', () => {
  const r = d.items.validate();
  return r.ok === 1 && r.valid === true && r.nrecords === 3 && r.keysPerIndex.a_1 === 4 ? true : r;
});
check('db.coll.validate({full: true})', () => d.items.validate({ full: true }).valid === true);
check('db.serverStatus()', () => {
  const s = db.serverStatus();
  return s.ok === 1 && s.network.numRequests > 0 && s.opLatencies.reads.ops > 0 &&
    s.asserts.user >= 0 && s.wiredTiger.cache['maximum bytes configured'] > 0 &&
    s.metrics.document.inserted >= 3 && s.secantusdb.workers.count >= 1 ? true : s;
});
check('dropDatabase', () => d.dropDatabase().ok === 1);

print(`${passed} passed, ${failed} failed`);
if (failed > 0) quit(1);
