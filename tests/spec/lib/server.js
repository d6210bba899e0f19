'use strict';
// Start ./secantusdb on port 0 with a temporary dbpath, read its URI from the first stdout
// line, and stop it with SIGTERM.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const START_TIMEOUT_MS = 30000;
const STOP_TIMEOUT_MS = 10000;

class Server {
    constructor(binary, { workers = 2, keep = false } = {}) {
        this.binary = binary;
        this.workers = workers;
        this.keep = keep;
        this.dir = null;
        this.proc = null;
        this.uri = null;
        this.exited = null; // { code, signal } once the process is gone
        this.stopping = false;
        this.tail = []; // last lines of output, for crash reports
        this.onExit = null;
    }

    get logPath() {
        return this.dir ? path.join(this.dir, 'server.log') : null;
    }

    get alive() {
        return this.proc !== null && this.exited === null;
    }

    remember(chunk) {
        for (const line of chunk.toString('utf8').split('\n')) {
            if (!line) continue;
            this.tail.push(line);
            if (this.tail.length > 40) this.tail.shift();
        }
    }

    async start() {
        if (!fs.existsSync(this.binary)) throw new Error(`server binary not found: ${this.binary}`);
        if (!this.dir) this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'secantusdb-spec-'));
        const dbpath = path.join(this.dir, 'db');
        fs.mkdirSync(dbpath, { recursive: true });
        const log = fs.openSync(this.logPath, 'a');
        this.exited = null;
        this.uri = null;
        this.stopping = false;
        const proc = spawn(this.binary,
            ['--port', '0', '--dbpath', dbpath, '--workers', String(this.workers)],
            { stdio: ['ignore', 'pipe', 'pipe'] });
        this.proc = proc;

        const uri = await new Promise((resolve, reject) => {
            let buffered = '';
            let settled = false;
            const timer = setTimeout(() => {
                settled = true;
                reject(new Error(`server printed no URI within ${START_TIMEOUT_MS} ms (log: ${this.logPath})`));
            }, START_TIMEOUT_MS);
            proc.stdout.on('data', (chunk) => {
                fs.writeSync(log, chunk);
                this.remember(chunk);
                if (settled) return;
                buffered += chunk.toString('utf8');
                const nl = buffered.indexOf('\n');
                if (nl < 0) return;
                settled = true;
                clearTimeout(timer);
                const first = buffered.slice(0, nl).trim();
                if (/^mongodb:\/\//.test(first)) resolve(first);
                else reject(new Error(`first stdout line is not a URI: ${JSON.stringify(first)}`));
            });
            proc.stderr.on('data', (chunk) => {
                fs.writeSync(log, chunk);
                this.remember(chunk);
            });
            proc.on('error', (err) => {
                if (settled) return;
                settled = true;
                clearTimeout(timer);
                reject(err);
            });
            proc.on('exit', (code, signal) => {
                this.exited = { code, signal };
                try {
                    fs.closeSync(log);
                } catch {
                    // already closed
                }
                if (!settled) {
                    settled = true;
                    clearTimeout(timer);
                    reject(new Error(`server exited before printing its URI (code ${code}, signal ${signal}); ` +
                        `last output:\n${this.tail.join('\n')}`));
                }
                if (!this.stopping && this.onExit) this.onExit(code, signal);
            });
        });
        this.uri = uri;
        return uri;
    }

    async stop() {
        if (!this.proc) return null;
        this.stopping = true;
        const proc = this.proc;
        if (this.exited === null) {
            const gone = new Promise((resolve) => proc.once('exit', () => resolve()));
            proc.kill('SIGTERM');
            const timer = new Promise((resolve) => setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS));
            if ((await Promise.race([gone, timer])) === 'timeout') {
                process.stderr.write(`server did not stop within ${STOP_TIMEOUT_MS} ms of SIGTERM; sending SIGKILL\n`);
                proc.kill('SIGKILL');
                await gone;
            }
        }
        this.proc = null;
        return this.exited;
    }

    cleanup() {
        if (this.dir && !this.keep) {
            fs.rmSync(this.dir, { recursive: true, force: true });
            this.dir = null;
        }
    }
}

module.exports = { Server };
