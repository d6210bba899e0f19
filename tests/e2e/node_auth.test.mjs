// tests/e2e/node_auth.test.mjs -- authentication through the Node `mongodb` driver: a server
// started as the official Docker image is (--initdbRootUsername/--initdbRootPassword) takes
// the root:secret@ URI with authSource=admin (the driver authenticates speculatively inside
// its hello), SCRAM-SHA-1 and SCRAM-SHA-256 by name, a wrong password is 18, a read-only user
// cannot write (13), hello answers speculativeAuthenticate's first step, and MONGODB-X509 over
// TLS logs in the $external user its client certificate names (certificates made at test time
// by tests/tls_certs.sh).
// Run with `node --test`; the server is started on port 0 with a temp dbpath.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient, MongoServerError } from 'mongodb';
import { startServer } from './server.mjs';

let server;

function url(user, pwd, params = {}) {
  const u = new URL(server.uri);
  u.username = user;
  u.password = pwd;
  u.searchParams.set('directConnection', 'true');
  u.searchParams.set('serverSelectionTimeoutMS', '10000');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

before(async () => {
  server = await startServer({ args: ['--initdbRootUsername', 'root', '--initdbRootPassword', 'secret'] });
});

after(async () => {
  if (server) {
    const { code, signal } = await server.stop();
    assert.equal(code, 0, `server exit code ${code} signal ${signal} on SIGTERM`);
  }
});

test('the Docker-style root URI connects, with either mechanism', async () => {
  for (const mech of [undefined, 'SCRAM-SHA-256', 'SCRAM-SHA-1']) {
    const params = { authSource: 'admin' };
    if (mech) params.authMechanism = mech;
    const client = new MongoClient(url('root', 'secret', params));
    try {
      await client.connect();
      const st = await client.db('admin').command({ connectionStatus: 1 });
      assert.deepEqual(st.authInfo.authenticatedUsers, [{ user: 'root', db: 'admin' }]);
      await client.db('e2eauth').collection('c').insertOne({ mech: mech ?? 'default' });
    } finally {
      await client.close();
    }
  }
});

test('a wrong password is AuthenticationFailed', async () => {
  const client = new MongoClient(url('root', 'nope', { authSource: 'admin' }));
  await assert.rejects(client.connect(), (e) => e instanceof MongoServerError && e.code === 18);
  await client.close();
});

test('a read-only user cannot write', async () => {
  const root = new MongoClient(url('root', 'secret', { authSource: 'admin' }));
  await root.connect();
  try {
    await root.db('e2eauth').command({ createUser: 'ro', pwd: 'ropw', roles: ['read'] });
    const ro = new MongoClient(url('ro', 'ropw', { authSource: 'e2eauth' }));
    await ro.connect();
    try {
      assert.ok((await ro.db('e2eauth').collection('c').countDocuments()) >= 3);
      await assert.rejects(ro.db('e2eauth').collection('c').insertOne({ x: 1 }),
        (e) => e instanceof MongoServerError && e.code === 13 &&
          e.message.startsWith('not authorized on e2eauth to execute command { insert: "c"'));
    } finally {
      await ro.close();
    }
  } finally {
    await root.close();
  }
});

test('hello answers the first step of a speculative SCRAM-SHA-256 authentication', async () => {
  const anon = new MongoClient(url('', ''));
  await anon.connect();
  try {
    const payload = Buffer.from('n,,n=root,r=0123456789abcdefghijklmn');
    const r = await anon.db('admin').command({
      hello: 1,
      speculativeAuthenticate: { saslStart: 1, mechanism: 'SCRAM-SHA-256', payload, db: 'admin' },
    });
    assert.equal(r.speculativeAuthenticate.conversationId, 1);
    assert.equal(r.speculativeAuthenticate.done, false);
    const first = r.speculativeAuthenticate.payload.toString('utf8');
    assert.match(first, /^r=0123456789abcdefghijklmn.+,s=.+,i=15000$/);
    await assert.rejects(anon.db('e2eauth').collection('c').findOne({}),
      (e) => e instanceof MongoServerError && e.code === 13);
  } finally {
    await anon.close();
  }
});

test('MONGODB-X509 through the driver: the client certificate names a $external user', async () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const certs = mkdtempSync(path.join(tmpdir(), 'sdb-e2e-x509-'));
  const cert = (name) => path.join(certs, name);
  execFileSync(path.join(here, '..', 'tls_certs.sh'), [certs]);
  const tlsServer = await startServer({
    args: ['--initdbRootUsername', 'root', '--initdbRootPassword', 'secret', '--tlsMode',
      'requireTLS', '--tlsCertificateKeyFile', cert('server.pem'), '--tlsCAFile', cert('ca.pem')],
  });
  const subject = 'CN=client,OU=test,O=Secantus,L=Paris,ST=IDF,C=FR';
  const tlsUrl = (userinfo, params) => {
    const u = new URL(tlsServer.uri);
    u.hostname = 'localhost';
    u.search = '';
    if (userinfo) [u.username, u.password] = userinfo;
    const all = { directConnection: true, serverSelectionTimeoutMS: 10000, tls: true,
      tlsCAFile: cert('ca.pem'), tlsCertificateKeyFile: cert('client.pem'), ...params };
    for (const [k, v] of Object.entries(all)) u.searchParams.set(k, String(v));
    return u.toString();
  };
  try {
    const root = new MongoClient(tlsUrl(['root', 'secret'], { authSource: 'admin' }));
    await root.connect();
    await root.db('$external').command({ createUser: subject, roles: [{ role: 'readWrite', db: 'x509' }] });
    await root.close();
    const c = new MongoClient(tlsUrl(null, { authMechanism: 'MONGODB-X509' }));
    await c.connect();
    try {
      const st = await c.db('admin').command({ connectionStatus: 1 });
      assert.deepEqual(st.authInfo.authenticatedUsers, [{ user: subject, db: '$external' }]);
      await c.db('x509').collection('c').insertOne({ a: 1 });
      await assert.rejects(c.db('other').collection('c').findOne({}),
        (e) => e instanceof MongoServerError && e.code === 13);
    } finally {
      await c.close();
    }
  } finally {
    const { code } = await tlsServer.stop();
    rmSync(certs, { recursive: true, force: true });
    assert.equal(code, 0);
  }
});
