// tests/e2e/mongosh_auth.js -- run by mongosh_auth.sh as root: db.createUser, db.auth as the
// new user on the same connection, its read allowed and its write refused (13).
const t = db.getSiblingDB('shauth');
t.createUser({ user: 'shuser', pwd: 'shpw', roles: ['read'] });
const info = t.getUser('shuser');
if (info === null || info.user !== 'shuser' || info.roles[0].role !== 'read') {
  throw new Error('getUser: ' + JSON.stringify(info));
}
t.c.insertOne({ a: 1 });
const ok = t.auth('shuser', 'shpw');
if (!ok || (ok.ok !== undefined && ok.ok !== 1)) throw new Error('db.auth failed: ' + JSON.stringify(ok));
if (t.c.countDocuments() !== 1) throw new Error('the read user cannot read');
let refused = false;
try {
  t.c.insertOne({ a: 2 });
} catch (e) {
  refused = e.code === 13;
}
if (!refused) throw new Error('the read user could write');
print('mongosh auth ok');
