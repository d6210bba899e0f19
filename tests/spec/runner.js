#!/usr/bin/env node
'use strict';
// Unified test format runner for SecantusDB.
//
// Starts ./secantusdb (port 0, temporary dbpath, 2 workers), runs the MongoDB driver
// specification tests in the unified test format (every suite under tests/spec by default) on the
// official Node driver, prints one line per test and ends with "N passed, M failed, K
// skipped". tests/spec/expected-failures.txt lists tests known to fail (XFAIL); a listed
// test that passes (XPASS) fails the run, so the list can only shrink. See README.md.

const fs = require('node:fs');
const path = require('node:path');
const { MongoClient, BSON } = require('mongodb');
const { Server } = require('./lib/server');
const { EntityMap, uriWithOptions } = require('./lib/entities');
const { Matcher, MatchError, RunnerError, exactEqual, show } = require('./lib/match');
const { Requirements, parseVersion } = require('./lib/requirements');
const { lookupOperation, checkArgs } = require('./lib/operations');
const { selfTest } = require('./lib/selftest');
const {
    checkExpectedError, checkExpectedEvents, eventMatches, describeError, isDriverError
} = require('./lib/expect');

const { EJSON } = BSON;

const HERE = __dirname;
const TOP = path.resolve(HERE, '..', '..');
const SCHEMA_VERSION = [1, 21]; // the newest schema version whose features this runner covers
// The suites copied from mongodb/specifications (README.md), run when no path is given.
const SUITES = ['crud', 'collection-management', 'index-management', 'run-command', 'retryable-reads',
    'retryable-writes', 'sessions', 'read-write-concern', 'versioned-api', 'causal-consistency',
    'change-streams', 'transactions', 'transactions-convenient-api', 'gridfs', 'unified-test-format-valid-pass'];
const DEFAULT_SUITES = SUITES.map((s) => path.join(HERE, s));
const DEFAULT_EXPECTED = path.join(HERE, 'expected-failures.txt');

// ---- command line -----------------------------------------------------------------------

function usage() {
    return `usage: node tests/spec/runner.js [options] [file.json|dir ...]
  --binary PATH            server binary (default: $SDB_BINARY or ${path.join(TOP, 'secantusdb')})
  --uri URI                use a running server instead of starting one
  --expected-failures F    expected-failures list (default: ${path.relative(process.cwd(), DEFAULT_EXPECTED) || DEFAULT_EXPECTED})
  --no-expected-failures   ignore the list: every failure is a FAIL
  --write-expected-failures F
                           write every failing test (FAIL and XFAIL) to F with its reason
  --filter TEXT            run only tests whose id (file:description) contains TEXT
  --timeout MS             per-test time limit (default 60000)
  --keep                   keep the server's dbpath and log
  --verbose                print stacks of runner errors
Paths are test files or suite directories (several may be given); the default is every
copied suite under ${path.relative(process.cwd(), HERE) || HERE}: ${SUITES.join(', ')}.`;
}

function parseArgs(argv) {
    const o = {
        binary: process.env.SDB_BINARY || path.join(TOP, 'secantusdb'),
        uri: null,
        expected: DEFAULT_EXPECTED,
        writeExpected: null,
        filter: null,
        timeout: 60000,
        keep: false,
        verbose: false,
        paths: []
    };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = () => {
            if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
            return argv[++i];
        };
        switch (a) {
            case '--binary': o.binary = path.resolve(next()); break;
            case '--uri': o.uri = next(); break;
            case '--expected-failures': o.expected = path.resolve(next()); break;
            case '--no-expected-failures': o.expected = null; break;
            case '--write-expected-failures': o.writeExpected = path.resolve(next()); break;
            case '--filter': o.filter = next(); break;
            case '--timeout': o.timeout = Number(next()); break;
            case '--keep': o.keep = true; break;
            case '--verbose': o.verbose = true; break;
            case '-h':
            case '--help':
                process.stdout.write(`${usage()}\n`);
                process.exit(0);
                break;
            default:
                if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${usage()}`);
                o.paths.push(path.resolve(a));
        }
    }
    if (o.paths.length === 0) o.paths = DEFAULT_SUITES;
    return o;
}

function testFiles(paths) {
    const files = [];
    for (const p of paths) {
        const st = fs.statSync(p);
        if (st.isDirectory()) {
            for (const f of fs.readdirSync(p).sort()) {
                if (f.endsWith('.json')) files.push(path.join(p, f));
            }
        } else {
            files.push(p);
        }
    }
    return files;
}

// "crud/aggregate.json": the id prefix of a file's tests.
function fileId(file) {
    return `${path.basename(path.dirname(file))}/${path.basename(file)}`;
}

// ---- expected failures ------------------------------------------------------------------

// One "suite/file.json:description" per line; "#" starts a comment (whole line, or after
// whitespace at the end of an entry).
function loadExpectedFailures(file) {
    const set = new Map();
    if (!file || !fs.existsSync(file)) return set;
    fs.readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
        let line = raw.trim();
        if (!line || line.startsWith('#')) return;
        const hash = line.search(/\s#/);
        if (hash >= 0) line = line.slice(0, hash).trim();
        if (!line.includes(':')) throw new Error(`${file}:${i + 1}: expected "file:description"`);
        const comment = hash >= 0 ? raw.trim().slice(hash).replace(/^\s*#\s*/, '') : '';
        set.set(line, { line: i + 1, comment });
    });
    return set;
}

// ---- one test ---------------------------------------------------------------------------

function oneLine(s, max = 400) {
    const t = String(s).replace(/\s+/g, ' ').trim();
    return t.length > max ? `${t.slice(0, max - 3)}...` : t;
}

class TestContext {
    constructor(runner, entities) {
        this.runner = runner;
        this.entities = entities;
        this.internal = runner.internal;
        this.failPoints = [];
        this.matcher = new Matcher(entities.lookup());
    }

    failure(msg) {
        return new MatchError(msg);
    }

    eventMatches(expected, recorded) {
        return eventMatches(this, expected, recorded);
    }

    // Runs one operation and checks its expectations. rethrow: let the operation's error
    // propagate after its assertions (withTransaction callbacks).
    async runOperation(op, { rethrow = false } = {}) {
        const known = ['name', 'object', 'arguments', 'expectResult', 'expectError', 'saveResultAsEntity',
            'ignoreResultAndError'];
        for (const k of Object.keys(op)) {
            if (!known.includes(k)) throw new RunnerError(`unsupported operation field ${k}`);
        }
        const args = op.arguments || {};
        let type;
        let target = null;
        if (op.object === 'testRunner') {
            type = 'testRunner';
        } else {
            const entry = this.entities.entry(op.object);
            type = entry.type;
            target = entry.value;
        }
        const def = lookupOperation(type, op.name);
        checkArgs(op.name, args, def.args, def.required || []);

        let result;
        let error = null;
        try {
            result = await def.run(this, target, args);
        } catch (err) {
            if (err instanceof RunnerError || err instanceof MatchError) throw err;
            error = err;
        }
        const where = `${op.name} on ${op.object}`;
        if (type === 'testRunner') {
            if (error) throw new MatchError(`${where} failed: ${describeError(error)}`);
            return;
        }
        if (op.ignoreResultAndError) {
            if (error && rethrow) throw error;
            return;
        }
        if (op.expectError !== undefined) {
            if (!error) throw new MatchError(`${where}: expected an error, got result ${show(result)}`);
            try {
                checkExpectedError(this, op.expectError, error);
            } catch (e) {
                if (e instanceof MatchError) e.message = `${where}: ${e.message}`;
                throw e;
            }
            if (rethrow) throw error;
            return;
        }
        if (error) {
            if (!isDriverError(error)) throw new RunnerError(`${where}: ${describeError(error)}`);
            throw new MatchError(`${where}: unexpected error: ${describeError(error)}`);
        }
        if (op.expectResult !== undefined) {
            if (def.noExpectResult) throw new RunnerError(`${where}: expectResult is not allowed here`);
            try {
                if (def.kind === 'docs') this.matcher.matchRootElements(op.expectResult, result, 'result');
                else this.matcher.match(op.expectResult, result, 'result', true);
            } catch (e) {
                if (e instanceof MatchError) e.message = `${where}: ${e.message}`;
                throw e;
            }
        }
        if (op.saveResultAsEntity !== undefined) {
            if (result === undefined) throw new RunnerError(`${where}: no result to save as ${op.saveResultAsEntity}`);
            const t = result && result.unifiedType ? result.unifiedType : 'bson';
            this.entities.set(op.saveResultAsEntity, t, result);
        }
    }
}

class Runner {
    constructor(opts) {
        this.opts = opts;
        this.server = null;
        this.uri = null;
        this.setName = null; // the replica set the server reports: test clients discover it
        this.internal = null;
        this.requirements = null;
        this.expected = loadExpectedFailures(opts.expected);
        this.counts = { pass: 0, fail: 0, skip: 0, xfail: 0, xpass: 0 };
        this.failures = []; // { id, reason } for --write-expected-failures
        this.seen = new Set();
        this.serverCrash = null;
    }

    print(line) {
        process.stdout.write(`${line}\n`);
    }

    async startServer() {
        if (this.opts.uri) {
            this.uri = this.opts.uri;
        } else {
            if (!this.server) this.server = new Server(this.opts.binary, { keep: this.opts.keep });
            this.server.onExit = (code, signal) => {
                this.serverCrash = `server exited unexpectedly (code ${code}, signal ${signal})`;
            };
            this.uri = await this.server.start();
        }
        this.internal = new MongoClient(uriWithOptions(this.uri, {}));
        await this.internal.connect();
    }

    async restartServer() {
        await this.internal.close(true).catch(() => {});
        this.print(`# ${this.serverCrash}; last output:\n${this.server.tail.map((l) => `#   ${l}`).join('\n')}`);
        this.print('# restarting the server');
        this.serverCrash = null;
        await this.server.stop();
        await this.startServer();
    }

    async loadServerInfo() {
        const admin = this.internal.db('admin');
        const build = await admin.command({ buildInfo: 1 });
        const hello = await admin.command({ hello: 1 });
        this.setName = hello.setName || null;
        let topology = 'single';
        if (hello.msg === 'isdbgrid') topology = 'sharded';
        else if (hello.setName) topology = 'replicaset';
        if (hello.serviceId) topology = 'load-balanced';
        const params = new Map();
        const info = {
            version: build.versionArray.slice(0, 3).map(Number),
            versionString: build.version,
            topology,
            auth: false,
            serverless: false,
            csfle: false,
            getParameter: async (name) => {
                if (!params.has(name)) {
                    try {
                        const r = await admin.command({ getParameter: 1, [name]: 1 });
                        params.set(name, r[name]);
                    } catch {
                        params.set(name, undefined);
                    }
                }
                return params.get(name);
            }
        };
        this.requirements = new Requirements(info);
        return info;
    }

    async killAllSessions() {
        await this.internal.db('admin').command({ killAllSessions: [] }).catch(() => {});
    }

    async setUpInitialData(initialData) {
        const majority = { w: 'majority' };
        for (const data of initialData || []) {
            const db = this.internal.db(data.databaseName);
            const name = data.collectionName;
            try {
                await db.command({ drop: name, writeConcern: majority });
            } catch (e) {
                if (e.code !== 26) throw new MatchError(`initialData: drop ${data.databaseName}.${name} failed: ${describeError(e)}`);
            }
            try {
                if (data.createOptions) {
                    await db.command({ create: name, ...data.createOptions, writeConcern: majority });
                }
                if (data.documents.length > 0) {
                    await db.collection(name).insertMany(data.documents, { writeConcern: majority });
                } else if (!data.createOptions) {
                    await db.command({ create: name, writeConcern: majority });
                }
            } catch (e) {
                throw new MatchError(`initialData: ${data.databaseName}.${name}: ${describeError(e)}`);
            }
        }
    }

    async checkOutcome(outcome) {
        for (const data of outcome) {
            const ns = `${data.databaseName}.${data.collectionName}`;
            let actual;
            try {
                actual = await this.internal.db(data.databaseName).collection(data.collectionName)
                    .find({}, { sort: { _id: 1 }, readPreference: 'primary', readConcern: { level: 'local' } }).toArray();
            } catch (e) {
                throw new MatchError(`outcome: reading ${ns} failed: ${describeError(e)}`);
            }
            const expected = data.documents;
            const n = Math.max(expected.length, actual.length);
            for (let i = 0; i < n; i++) {
                if (i >= expected.length) throw new MatchError(`outcome ${ns}: unexpected document ${show(actual[i])}`);
                if (i >= actual.length) throw new MatchError(`outcome ${ns}: missing document ${show(expected[i])}`);
                if (!exactEqual(expected[i], actual[i])) {
                    throw new MatchError(`outcome ${ns}[${i}]: expected ${show(expected[i])}, got ${show(actual[i])}`);
                }
            }
        }
    }

    async disableFailPoints(ctx) {
        for (const name of ctx.failPoints) {
            await this.internal.db('admin').command({ configureFailPoint: name, mode: 'off' }).catch(() => {});
        }
    }

    async runTest(file, test, entities) {
        const ctx = new TestContext(this, entities);
        let error = null;
        try {
            await this.setUpInitialData(file.initialData);
            await entities.create(file.createEntities || []);
            try {
                for (const op of test.operations) await ctx.runOperation(op);
            } finally {
                for (const c of entities.clients()) c.capturing = false;
                await this.disableFailPoints(ctx);
            }
            if (test.expectEvents) checkExpectedEvents(ctx, test.expectEvents);
            if (test.outcome) await this.checkOutcome(test.outcome);
        } catch (e) {
            error = e;
        } finally {
            await entities.close().catch(() => {});
        }
        return error;
    }

    async withTimeout(promise, ms) {
        let timer;
        const timeout = new Promise((resolve) => {
            timer = setTimeout(() => {
                const e = new MatchError(`timed out after ${ms} ms`);
                e.timedOut = true;
                resolve(e);
            }, ms);
        });
        try {
            return await Promise.race([promise, timeout]);
        } finally {
            clearTimeout(timer);
        }
    }

    report(id, status, reason) {
        const listed = this.expected.has(id);
        this.seen.add(id);
        if (status === 'SKIP') {
            this.counts.skip++;
            this.print(`SKIP ${id} -- ${reason}`);
            return;
        }
        if (status === 'PASS') {
            if (listed) {
                this.counts.xpass++;
                this.print(`XPASS ${id} -- listed in expected-failures.txt but passed: remove it from the list`);
            } else {
                this.counts.pass++;
                this.print(`PASS ${id}`);
            }
            return;
        }
        this.failures.push({ id, reason });
        if (listed) {
            this.counts.xfail++;
            this.print(`XFAIL ${id} -- ${reason}`);
        } else {
            this.counts.fail++;
            this.print(`FAIL ${id} -- ${reason}`);
        }
    }

    failureReason(e) {
        if (e instanceof RunnerError) return `runner: ${oneLine(e.message)}`;
        if (e instanceof MatchError) return oneLine(e.message);
        return oneLine(describeError(e));
    }

    async runFile(file) {
        const fid = fileId(file);
        const text = fs.readFileSync(file, 'utf8');
        let doc;
        try {
            doc = EJSON.parse(text, { relaxed: false });
        } catch (e) {
            this.report(`${fid}:(file)`, 'FAIL', `cannot parse: ${oneLine(e.message)}`);
            return;
        }
        const tests = Array.isArray(doc.tests) ? doc.tests : [];
        const ids = tests.map((t) => `${fid}:${t.description}`);
        const selected = (i) => !this.opts.filter || ids[i].includes(this.opts.filter);

        // The file's runOnRequirements first: a file this server cannot run anyway (csfle,
        // sharded, ...) is a SKIP even when its schemaVersion is newer than the runner's.
        let fileProblem = null;
        let fileSkip = null;
        try {
            fileSkip = await this.requirements.check(doc.runOnRequirements);
        } catch (e) {
            fileProblem = `runner: ${oneLine(e.message)}`;
        }
        try {
            const v = parseVersion(String(doc.schemaVersion));
            if ((v[0] !== SCHEMA_VERSION[0] || v[1] > SCHEMA_VERSION[1]) && !fileProblem) {
                const newer = `schemaVersion ${doc.schemaVersion} is not supported (runner: ${SCHEMA_VERSION.join('.')})`;
                if (fileSkip) fileSkip = `${fileSkip}; ${newer}`;
                else fileProblem = `runner: ${newer}`;
            }
        } catch (e) {
            fileProblem = `runner: ${oneLine(e.message)}`;
        }
        if (tests.length === 0 && !fileProblem) fileProblem = 'runner: the file has no tests';
        if (fileProblem && tests.length === 0) {
            this.report(`${fid}:(file)`, 'FAIL', fileProblem);
            return;
        }

        for (let i = 0; i < tests.length; i++) {
            if (!selected(i)) continue;
            const id = ids[i];
            const test = tests[i];
            if (fileProblem) { this.report(id, 'FAIL', fileProblem); continue; }
            if (fileSkip) { this.report(id, 'SKIP', fileSkip); continue; }
            if (test.skipReason) { this.report(id, 'SKIP', `skipReason: ${test.skipReason}`); continue; }
            let skip;
            try {
                skip = await this.requirements.check(test.runOnRequirements);
            } catch (e) {
                this.report(id, 'FAIL', `runner: ${oneLine(e.message)}`);
                continue;
            }
            if (skip) { this.report(id, 'SKIP', skip); continue; }

            // A fresh copy of the file for each test: the driver mutates what it is given
            // (insertMany adds _id), and nothing may leak from one test to the next.
            const fresh = EJSON.parse(text, { relaxed: false });
            const entities = new EntityMap(this.uri, this.setName);
            const running = this.runTest(fresh, fresh.tests[i], entities);
            const err = await this.withTimeout(running, this.opts.timeout);
            if (err && err.timedOut) {
                // Close the test's clients so its pending operations fail, and let it finish
                // before the next test touches the same collections.
                await entities.close().catch(() => {});
                await this.withTimeout(running, 10000);
            }
            let reason = err ? this.failureReason(err) : null;
            if (err && this.opts.verbose && err.stack) process.stderr.write(`${id}\n${err.stack}\n`);
            if (this.serverCrash) {
                reason = `${this.serverCrash}${reason ? `; ${reason}` : ''}`;
            }
            this.report(id, reason ? 'FAIL' : 'PASS', reason);
            if (this.serverCrash && this.server) {
                await this.restartServer();
                await this.killAllSessions();
            } else if (err) {
                await this.killAllSessions();
            }
        }
    }

    writeExpectedFailures(file) {
        const lines = [
            '# Spec tests known to fail against SecantusDB (see tests/spec/README.md).',
            '# One "suite/file.json:description" per line, then "  # why". A listed test that passes',
            '# fails the run (XPASS): delete its line. Generated by runner.js --write-expected-failures.',
            ''
        ];
        // The comment is this run's failure reason, except for entries marked "driver:" in
        // the current list (tests the Node driver cannot pass whatever the server does),
        // whose comment is kept as written.
        for (const { id, reason } of this.failures) {
            const listed = this.expected.get(id);
            const keep = listed && listed.comment.startsWith('driver:');
            lines.push(`${id}  # ${keep ? listed.comment : oneLine(reason, 200)}`);
        }
        fs.writeFileSync(file, `${lines.join('\n')}\n`);
    }

    summary(extraFailures = 0) {
        const c = this.counts;
        this.print(`# ${c.xfail} expected failure(s) (XFAIL), ${c.xpass} unexpected pass(es) (XPASS, counted as failed)`);
        const failed = c.fail + c.xpass + extraFailures;
        this.print(`${c.pass} passed, ${failed} failed, ${c.skip} skipped`);
        return failed;
    }

    async run() {
        const files = testFiles(this.opts.paths);
        const broken = selfTest();
        for (const b of broken) this.report(`runner/selftest:${b.split(':')[0]}`, 'FAIL', b);
        if (broken.length === 0) this.print('# runner self-test: ok');
        await this.startServer();
        try {
            const info = await this.loadServerInfo();
            this.print(`# SecantusDB ${info.versionString} (${info.version.join('.')}) ${info.topology} at ${this.uri}` +
                (this.server ? ` (log: ${this.server.logPath})` : ''));
            this.print(`# ${files.length} test file(s); expected failures: ${this.opts.expected ? `${this.expected.size} listed` : 'ignored'}`);
            await this.killAllSessions();
            for (const f of files) await this.runFile(f);
        } finally {
            await this.internal.close(true).catch(() => {});
            if (this.server) {
                const exited = await this.server.stop();
                if (exited && (exited.code !== 0 || exited.signal)) {
                    this.print(`# warning: server exit status after SIGTERM: code ${exited.code}, signal ${exited.signal}`);
                }
                if (!this.opts.keep) this.server.cleanup();
            }
        }
        if (!this.opts.filter && this.opts.paths === DEFAULT_SUITES) {
            for (const [id, { line }] of this.expected) {
                if (!this.seen.has(id)) this.print(`# warning: expected-failures.txt:${line}: no such test: ${id}`);
            }
        }
        if (this.opts.writeExpected) this.writeExpectedFailures(this.opts.writeExpected);
        return this.summary() > 0 ? 1 : 0;
    }
}

async function main() {
    let opts;
    try {
        opts = parseArgs(process.argv.slice(2));
    } catch (e) {
        process.stderr.write(`${e.message}\n`);
        return 2;
    }
    const runner = new Runner(opts);
    const stop = () => {
        if (runner.server) runner.server.stop().finally(() => process.exit(130));
        else process.exit(130);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
        return await runner.run();
    } catch (e) {
        process.stdout.write(`# runner: ${opts.verbose ? e.stack : e.message}\n`);
        if (runner.server) {
            if (runner.server.tail.length) {
                process.stdout.write(`# server output:\n${runner.server.tail.map((l) => `#   ${l}`).join('\n')}\n`);
            }
            await runner.server.stop().catch(() => {});
            if (!opts.keep) runner.server.cleanup();
        }
        // The run itself broke (server did not start, ...): one more failure.
        runner.summary(1);
        return 1;
    }
}

main().then((code) => {
    process.exitCode = code;
});
