// tests/e2e/server.mjs -- start a real secantusdb for a Node test and stop it.
//
// startServer() runs `$SDB_BINARY --port 0 --dbpath <fresh temp dir> --workers 2` (plus `args`), reads the
// URI from the first stdout line (30 s hang guard, not a timing assertion) and keeps
// draining stdout so the server never blocks on a full pipe.  stop() sends SIGTERM and
// resolves with the exit code (0 = clean shutdown), then removes the temp dir.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export function serverBinary() {
  return process.env.SDB_BINARY || path.resolve(here, '..', '..', 'secantusdb');
}

// withParams -- the URI with query parameters added (directConnection and friends).
export function withParams(uri, params) {
  const u = new URL(uri);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u.toString();
}

export async function startServer({ workers = 2, args = [] } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdb-e2e-'));
  const child = spawn(serverBinary(),
    ['--port', '0', '--bind_ip', '127.0.0.1', '--dbpath', dir, '--workers', String(workers), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const uri = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error('no URI line from secantusdb within 30 s')), 30000);
    child.stdout.on('data', (chunk) => {
      if (buf === null) return;
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        const line = buf.slice(0, nl).trim();
        buf = null;
        if (line.startsWith('mongodb://')) resolve(line);
        else reject(new Error(`first stdout line is not a URI: ${line}`));
      }
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`secantusdb exited (${code ?? signal}) before printing its URI`));
    });
  });
  return {
    uri,
    dir,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), 30000);
      const res = await exited;
      clearTimeout(guard);
      rmSync(dir, { recursive: true, force: true });
      return res;
    },
  };
}

// startWithClients(n) -- startServer() and n connected MongoClients (directConnection);
// stop() closes them and stops the server, resolving with its exit { code, signal }.
export async function startWithClients(n) {
  const { MongoClient } = await import('mongodb');
  const server = await startServer();
  const url = withParams(server.uri, { directConnection: true, serverSelectionTimeoutMS: 10000 });
  const clients = [];
  for (let i = 0; i < n; i++) {
    clients.push(new MongoClient(url));
    await clients[i].connect();
  }
  return {
    server,
    clients,
    async stop() {
      for (const c of clients) await c.close();
      return server.stop();
    }
  };
}
