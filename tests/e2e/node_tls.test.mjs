// tests/e2e/node_tls.test.mjs -- TLS through the Node `mongodb` driver and mongosh.
//
// Certificates are made at test time by tests/tls_certs.sh into a temp dir (nothing secret
// is committed).  One server runs with --tlsMode requireTLS, a CA file and
// --tlsAllowConnectionsWithoutCertificates: the driver connects with tls=true&tlsCAFile=...
// with and without a client certificate, does CRUD, sees transportSecurity count it, and a
// plaintext client is refused; mongosh connects with --tls.  A second server requires client
// certificates: without one the driver cannot connect, with one it can.
// Run with `node --test`; servers are started on port 0 with temp dbpaths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { startServer } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const certs = mkdtempSync(path.join(tmpdir(), 'sdb-e2e-tls-'));
const cert = (name) => path.join(certs, name);
let open;     // requireTLS, client certificates optional
let strict;   // requireTLS, client certificates required

// url -- a localhost URI (the server certificate names localhost) with query parameters.
function url(server, params) {
  const u = new URL(server.uri);
  u.hostname = 'localhost';
  u.search = '';
  const all = { directConnection: true, serverSelectionTimeoutMS: 5000, ...params };
  for (const [k, v] of Object.entries(all)) u.searchParams.set(k, String(v));
  return u.toString();
}

// pingWith -- connect with `params`, ping, close; resolves with the ping reply.
async function pingWith(server, params) {
  const client = new MongoClient(url(server, params));
  try {
    await client.connect();
    return await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

before(async () => {
  execFileSync(path.join(here, '..', 'tls_certs.sh'), [certs]);
  const common = ['--tlsMode', 'requireTLS', '--tlsCertificateKeyFile', cert('server.pem'),
    '--tlsCAFile', cert('ca.pem')];
  open = await startServer({ args: [...common, '--tlsAllowConnectionsWithoutCertificates'] });
  strict = await startServer({ args: common });
});

after(async () => {
  for (const s of [open, strict]) {
    if (!s) continue;
    const { code, signal } = await s.stop();
    assert.equal(code, 0, `server exit code ${code} signal ${signal} on SIGTERM`);
  }
  rmSync(certs, { recursive: true, force: true });
});

test('tls=true&tlsCAFile: CRUD and transportSecurity', async () => {
  const client = new MongoClient(url(open, { tls: true, tlsCAFile: cert('ca.pem') }));
  await client.connect();
  try {
    const coll = client.db('e2e_tls').collection('c');
    await coll.insertMany([{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }]);
    assert.deepEqual(await coll.find({}, { sort: { _id: 1 } }).toArray(),
      [{ _id: 1, v: 'a' }, { _id: 2, v: 'b' }]);
    const status = await client.db('admin').command({ serverStatus: 1 });
    assert.ok(status.transportSecurity['1.3'] >= 1, JSON.stringify(status.transportSecurity));
    assert.equal(status.security.SSLServerHasCertificateAuthority, true);
  } finally {
    await client.close();
  }
});

test('a client certificate is accepted; plaintext is refused', async () => {
  const reply = await pingWith(open, { tls: true, tlsCAFile: cert('ca.pem'),
    tlsCertificateKeyFile: cert('client.pem') });
  assert.equal(reply.ok, 1);
  await assert.rejects(pingWith(open, { serverSelectionTimeoutMS: 1500 }));
});

test('a server that requires client certificates', async () => {
  await assert.rejects(pingWith(strict, { tls: true, tlsCAFile: cert('ca.pem'),
    serverSelectionTimeoutMS: 1500 }));
  await assert.rejects(pingWith(strict, { tls: true, tlsCAFile: cert('ca.pem'),
    tlsCertificateKeyFile: cert('client-expired.pem'), serverSelectionTimeoutMS: 1500 }));
  const reply = await pingWith(strict, { tls: true, tlsCAFile: cert('ca.pem'),
    tlsCertificateKeyFile: cert('client.pem') });
  assert.equal(reply.ok, 1);
});

test('mongosh --tls', (t) => {
  const mongosh = path.join(here, 'node_modules', '.bin', 'mongosh');
  if (!existsSync(mongosh)) {
    t.skip('mongosh is not installed: run scripts/deps.sh --node');
    return;
  }
  const home = mkdtempSync(path.join(tmpdir(), 'sdb-mongosh-home-'));
  try {
    const out = execFileSync(mongosh, ['--quiet', '--norc', '--tls', '--tlsCAFile', cert('ca.pem'),
      '--tlsCertificateKeyFile', cert('client.pem'), url(strict, {}),
      '--eval', 'db.getSiblingDB("e2e_tls").m.insertOne({x: 1}); ' +
        'print(db.getSiblingDB("e2e_tls").m.countDocuments({x: 1}))'],
    { env: { ...process.env, HOME: home, DO_NOT_TRACK: '1', MONGOSH_NO_UPDATE_CHECK: '1' },
      timeout: 120000 }).toString().trim();
    assert.equal(out, '1');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
