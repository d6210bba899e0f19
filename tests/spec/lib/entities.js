'use strict';
// The entity map of one test: clients (with their observed events), databases, collections,
// sessions, cursors and saved BSON values.

const { MongoClient, ReadPreference, GridFSBucket } = require('mongodb');
const { RunnerError, bsonType, isPlainDocument, numericValue, isNumeric } = require('./match');

// Spec event name -> [Node driver event name, category].
const EVENTS = {
    commandStartedEvent: ['commandStarted', 'command'],
    commandSucceededEvent: ['commandSucceeded', 'command'],
    commandFailedEvent: ['commandFailed', 'command'],
    poolCreatedEvent: ['connectionPoolCreated', 'cmap'],
    poolReadyEvent: ['connectionPoolReady', 'cmap'],
    poolClearedEvent: ['connectionPoolCleared', 'cmap'],
    poolClosedEvent: ['connectionPoolClosed', 'cmap'],
    connectionCreatedEvent: ['connectionCreated', 'cmap'],
    connectionReadyEvent: ['connectionReady', 'cmap'],
    connectionClosedEvent: ['connectionClosed', 'cmap'],
    connectionCheckOutStartedEvent: ['connectionCheckOutStarted', 'cmap'],
    connectionCheckOutFailedEvent: ['connectionCheckOutFailed', 'cmap'],
    connectionCheckedOutEvent: ['connectionCheckedOut', 'cmap'],
    connectionCheckedInEvent: ['connectionCheckedIn', 'cmap'],
    serverDescriptionChangedEvent: ['serverDescriptionChanged', 'sdam'],
    serverHeartbeatStartedEvent: ['serverHeartbeatStarted', 'sdam'],
    serverHeartbeatSucceededEvent: ['serverHeartbeatSucceeded', 'sdam'],
    serverHeartbeatFailedEvent: ['serverHeartbeatFailed', 'sdam'],
    topologyDescriptionChangedEvent: ['topologyDescriptionChanged', 'sdam']
};

// storeEventsAsEntities names (CMAP and command monitoring spellings) -> spec event name.
const STORE_NAMES = {
    PoolCreatedEvent: 'poolCreatedEvent',
    PoolReadyEvent: 'poolReadyEvent',
    PoolClearedEvent: 'poolClearedEvent',
    PoolClosedEvent: 'poolClosedEvent',
    ConnectionCreatedEvent: 'connectionCreatedEvent',
    ConnectionReadyEvent: 'connectionReadyEvent',
    ConnectionClosedEvent: 'connectionClosedEvent',
    ConnectionCheckOutStartedEvent: 'connectionCheckOutStartedEvent',
    ConnectionCheckOutFailedEvent: 'connectionCheckOutFailedEvent',
    ConnectionCheckedOutEvent: 'connectionCheckedOutEvent',
    ConnectionCheckedInEvent: 'connectionCheckedInEvent',
    CommandStartedEvent: 'commandStartedEvent',
    CommandSucceededEvent: 'commandSucceededEvent',
    CommandFailedEvent: 'commandFailedEvent'
};

const SENSITIVE_COMMANDS = new Set(['authenticate', 'saslstart', 'saslcontinue', 'getnonce', 'createuser',
    'updateuser', 'copydbgetnonce', 'copydbsaslstart', 'copydb']);
const HELLO_COMMANDS = new Set(['hello', 'ismaster']);

// Plain JS numbers for option values (the driver checks typeof === 'number').
function plain(v) {
    if (isNumeric(v)) {
        const n = numericValue(v);
        return typeof n === 'bigint' ? v : n;
    }
    if (Array.isArray(v)) return v.map(plain);
    if (isPlainDocument(v)) {
        const out = {};
        for (const [k, x] of Object.entries(v)) out[k] = plain(x);
        return out;
    }
    return v;
}

function readPreference(rp) {
    if (rp === undefined) return undefined;
    const opts = {};
    if (rp.maxStalenessSeconds !== undefined) opts.maxStalenessSeconds = plain(rp.maxStalenessSeconds);
    if (rp.hedge !== undefined) opts.hedge = rp.hedge;
    return new ReadPreference(rp.mode, rp.tagSets, opts);
}

function writeConcern(wc) {
    if (wc === undefined) return undefined;
    const out = {};
    for (const [k, v] of Object.entries(plain(wc))) {
        if (k === 'w' || k === 'journal' || k === 'wtimeoutMS') out[k] = v;
        else throw new RunnerError(`unsupported writeConcern field ${k}`);
    }
    return out;
}

function readConcern(rc) {
    if (rc === undefined) return undefined;
    return plain(rc);
}

// collectionOrDatabaseOptions -> driver options.
function dbOrCollOptions(o = {}) {
    const out = {};
    for (const [k, v] of Object.entries(o)) {
        if (k === 'readConcern') out.readConcern = readConcern(v);
        else if (k === 'readPreference') out.readPreference = readPreference(v);
        else if (k === 'writeConcern') out.writeConcern = writeConcern(v);
        else if (k === 'timeoutMS') out.timeoutMS = plain(v);
        else throw new RunnerError(`unsupported collection/database option ${k}`);
    }
    return out;
}

function transactionOptions(o = {}) {
    const out = {};
    for (const [k, v] of Object.entries(o)) {
        if (k === 'readConcern') out.readConcern = readConcern(v);
        else if (k === 'readPreference') out.readPreference = readPreference(v);
        else if (k === 'writeConcern') out.writeConcern = writeConcern(v);
        else if (k === 'maxCommitTimeMS') out.maxCommitTimeMS = plain(v);
        else throw new RunnerError(`unsupported transaction option ${k}`);
    }
    return out;
}

// A test client's URI. setName: the replica set the server reports; the client then
// discovers it as drivers' own spec runners do (topology ReplicaSetWithPrimary, so no
// $readPreference is added for the primary). Without it (the runner's own client, or a
// server that is no replica set member) the connection is direct.
function uriWithOptions(baseUri, uriOptions = {}, setName = null) {
    const url = new URL(baseUri);
    if (setName && !('directConnection' in uriOptions)) url.searchParams.set('replicaSet', setName);
    else url.searchParams.set('directConnection', 'true');
    if (!('serverSelectionTimeoutMS' in uriOptions)) url.searchParams.set('serverSelectionTimeoutMS', '10000');
    for (const [k, raw] of Object.entries(uriOptions)) {
        if (isPlainDocument(raw) && '$$placeholder' in raw) throw new RunnerError(`uriOptions.${k} is a $$placeholder`);
        const v = plain(raw);
        if (k === 'readPreferenceTags') {
            url.searchParams.delete(k);
            for (const tagSet of v) url.searchParams.append(k, tagSet);
        } else if (k === 'authMechanismProperties' && isPlainDocument(v)) {
            url.searchParams.set(k, Object.entries(v).map(([a, b]) => `${a}:${b}`).join(','));
        } else if (isPlainDocument(v) || Array.isArray(v)) {
            throw new RunnerError(`unsupported uriOptions.${k} value`);
        } else {
            url.searchParams.set(k, String(v));
        }
    }
    return url.toString();
}

class ClientEntity {
    constructor(spec, baseUri, setName) {
        const known = ['id', 'uriOptions', 'useMultipleMongoses', 'observeEvents', 'ignoreCommandMonitoringEvents',
            'observeSensitiveCommands', 'storeEventsAsEntities', 'serverApi'];
        for (const k of Object.keys(spec)) {
            if (!known.includes(k)) throw new RunnerError(`client option ${k} is not supported by this runner`);
        }
        this.id = spec.id;
        this.observe = new Set(spec.observeEvents || []);
        for (const name of this.observe) {
            if (!EVENTS[name]) throw new RunnerError(`unknown event type ${name} in observeEvents`);
        }
        this.ignoreCommands = new Set((spec.ignoreCommandMonitoringEvents || []).map((c) => c.toLowerCase()));
        this.ignoreCommands.add('configurefailpoint');
        this.observeSensitive = spec.observeSensitiveCommands === true;
        this.events = []; // { name, event } observed during the test's operations
        this.capturing = true;
        this.stores = []; // { names: Set(spec event names), list }
        this.ignoredRequests = new Set();
        this.checkedOut = 0;

        // minHeartbeatFrequencyMS 50 (the driver's default is 500, its own spec runner lowers
        // it too): after a "not primary" error from a failpoint the driver re-checks the
        // server before retrying, and each of those checks would otherwise wait half a second.
        const options = { monitorCommands: true, __skipPingOnConnect: true, minHeartbeatFrequencyMS: 50 };
        if (spec.serverApi) {
            options.serverApi = {
                version: spec.serverApi.version,
                strict: spec.serverApi.strict,
                deprecationErrors: spec.serverApi.deprecationErrors
            };
        }
        this.uri = uriWithOptions(baseUri, spec.uriOptions, setName);
        this.client = new MongoClient(this.uri, options);
        for (const [specName, [nodeName]] of Object.entries(EVENTS)) {
            this.client.on(nodeName, (ev) => this.onEvent(specName, ev));
        }
    }

    commandIgnored(specName, ev) {
        const [, category] = EVENTS[specName];
        if (category !== 'command') return false;
        const name = String(ev.commandName || '').toLowerCase();
        if (specName !== 'commandStartedEvent') {
            if (this.ignoredRequests.has(ev.requestId)) return true;
        }
        let ignore = this.ignoreCommands.has(name);
        if (!this.observeSensitive) {
            if (SENSITIVE_COMMANDS.has(name)) ignore = true;
            // hello is sensitive when it carries speculativeAuthenticate; the driver then
            // redacts the command and reply to empty documents.
            if (HELLO_COMMANDS.has(name)) {
                const doc = specName === 'commandStartedEvent' ? ev.command : ev.reply;
                if (!doc || Object.keys(doc).length === 0 || (ev.command && ev.command.speculativeAuthenticate)) ignore = true;
            }
        }
        if (ignore && specName === 'commandStartedEvent') this.ignoredRequests.add(ev.requestId);
        return ignore;
    }

    onEvent(specName, ev) {
        if (specName === 'connectionCheckedOutEvent') this.checkedOut++;
        if (specName === 'connectionCheckedInEvent') this.checkedOut--;
        for (const store of this.stores) {
            if (!store.names.has(specName)) continue;
            const doc = { name: Object.keys(STORE_NAMES).find((k) => STORE_NAMES[k] === specName), observedAt: Date.now() / 1000 };
            for (const [k, v] of Object.entries(ev)) {
                if (v === undefined || typeof v === 'function') continue;
                if (k === 'failure') doc.failure = v && v.message ? v.message : String(v);
                else if (typeof v === 'bigint') doc[k] = Number(v);
                else doc[k] = v;
            }
            store.list.push(doc);
        }
        if (!this.capturing || !this.observe.has(specName)) return;
        if (this.commandIgnored(specName, ev)) return;
        this.events.push({ name: specName, event: ev });
    }

    async close() {
        this.capturing = false;
        await this.client.close(true).catch(() => {});
    }
}

class EntityMap {
    constructor(baseUri, setName = null) {
        this.baseUri = baseUri;
        this.setName = setName;
        this.map = new Map(); // id -> { type, value }
    }

    set(id, type, value) {
        if (this.map.has(id)) throw new RunnerError(`entity ${id} already exists`);
        this.map.set(id, { type, value });
    }

    has(id) {
        return this.map.has(id);
    }

    entry(id) {
        const e = this.map.get(id);
        if (!e) throw new RunnerError(`no entity named ${id}`);
        return e;
    }

    get(id, type) {
        const e = this.entry(id);
        const types = Array.isArray(type) ? type : type ? [type] : null;
        if (types && !types.includes(e.type)) throw new RunnerError(`entity ${id} is a ${e.type}, not a ${types.join('/')}`);
        return e.value;
    }

    // For $$matchesEntity / $$sessionLsid.
    lookup() {
        return (id, type) => this.get(id, type);
    }

    clients() {
        return [...this.map.values()].filter((e) => e.type === 'client').map((e) => e.value);
    }

    async create(list) {
        for (const entity of list) {
            const keys = Object.keys(entity);
            if (keys.length !== 1) throw new RunnerError('an entity must have exactly one key');
            const [kind] = keys;
            const spec = entity[kind];
            switch (kind) {
                case 'client': {
                    const c = new ClientEntity(spec, this.baseUri, this.setName);
                    this.set(spec.id, 'client', c);
                    for (const store of spec.storeEventsAsEntities || []) {
                        const names = new Set(store.events.map((n) => {
                            if (!STORE_NAMES[n]) throw new RunnerError(`unsupported storeEventsAsEntities event ${n}`);
                            return STORE_NAMES[n];
                        }));
                        const list = [];
                        this.set(store.id, 'eventList', list);
                        c.stores.push({ names, list });
                    }
                    // Start monitoring now (SDAM events), but without the driver's ping on
                    // connect, so the first operation still opens the first connection.
                    await c.client.connect();
                    break;
                }
                case 'database': {
                    const c = this.get(spec.client, 'client');
                    const db = c.client.db(spec.databaseName, dbOrCollOptions(spec.databaseOptions));
                    this.set(spec.id, 'database', db);
                    break;
                }
                case 'collection': {
                    const db = this.get(spec.database, 'database');
                    const coll = db.collection(spec.collectionName, dbOrCollOptions(spec.collectionOptions));
                    this.set(spec.id, 'collection', coll);
                    break;
                }
                case 'session': {
                    const c = this.get(spec.client, 'client');
                    const o = spec.sessionOptions || {};
                    const opts = {};
                    let snapshotTime = null;
                    for (const [k, v] of Object.entries(o)) {
                        if (k === 'causalConsistency' || k === 'snapshot') opts[k] = v;
                        else if (k === 'snapshotTime') snapshotTime = this.get(v); // a saved entity
                        else if (k === 'defaultTransactionOptions') opts[k] = transactionOptions(v);
                        else if (k === 'defaultTimeoutMS') opts[k] = plain(v);
                        else throw new RunnerError(`unsupported session option ${k}`);
                    }
                    const session = c.client.startSession(opts);
                    // The Node driver (7.9) has no snapshotTime session option; it reads at the
                    // session's snapshotTime once set, which is what the option means.
                    if (snapshotTime != null) session.snapshotTime = snapshotTime;
                    session.unifiedClient = c;
                    this.set(spec.id, 'session', session);
                    break;
                }
                case 'bucket': {
                    const db = this.get(spec.database, 'database');
                    const o = {};
                    for (const [k, v] of Object.entries(spec.bucketOptions || {})) {
                        if (k === 'bucketName') o.bucketName = v;
                        else if (k === 'chunkSizeBytes') o.chunkSizeBytes = plain(v);
                        else if (k === 'readConcern') o.readConcern = readConcern(v);
                        else if (k === 'readPreference') o.readPreference = readPreference(v);
                        else if (k === 'writeConcern') o.writeConcern = writeConcern(v);
                        else throw new RunnerError(`unsupported bucket option ${k}`);
                    }
                    this.set(spec.id, 'bucket', new GridFSBucket(db, o));
                    break;
                }
                default:
                    throw new RunnerError(`entity type ${kind} is not supported by this runner`);
            }
        }
    }

    // End sessions, close cursors and change streams, close clients.
    async close() {
        for (const { type, value } of this.map.values()) {
            if (type === 'cursor' || type === 'changeStream') await value.close().catch(() => {});
        }
        for (const { type, value } of this.map.values()) {
            if (type === 'session') await value.endSession().catch(() => {});
        }
        for (const { type, value } of this.map.values()) {
            if (type === 'client') await value.close();
        }
        this.map.clear();
    }
}

module.exports = {
    EntityMap, ClientEntity, EVENTS, plain, readPreference, writeConcern, readConcern, dbOrCollOptions,
    transactionOptions, uriWithOptions, bsonType
};
