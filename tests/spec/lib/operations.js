'use strict';
// Entity and testRunner operations. Each operation declares the arguments it accepts (an
// unknown argument is an error, as the format requires), runs on the Node driver, and turns
// the driver's result into the document the test format expects.

const { setTimeout: sleep } = require('node:timers/promises');
const { MongoRuntimeError } = require('mongodb');
const { RunnerError, isPlainDocument } = require('./match');
const {
    plain, readPreference, writeConcern, readConcern, transactionOptions, dbOrCollOptions
} = require('./entities');

// ---- argument handling ------------------------------------------------------------------

const NUMERIC_OPTIONS = new Set(['batchSize', 'limit', 'skip', 'maxTimeMS', 'maxAwaitTimeMS', 'timeoutMS',
    'maxCommitTimeMS', 'expireAfterSeconds', 'size', 'max', 'min', 'wtimeoutMS', 'chunkSizeBytes', 'revision']);

// Driver options from the test's arguments, minus the positional ones.
function options(ctx, args, positional = []) {
    const out = {};
    for (const [k, v] of Object.entries(args)) {
        if (positional.includes(k)) continue;
        switch (k) {
            case 'session': out.session = ctx.entities.get(v, 'session'); break;
            case 'readConcern': out.readConcern = readConcern(v); break;
            case 'readPreference': out.readPreference = readPreference(v); break;
            case 'writeConcern': out.writeConcern = writeConcern(v); break;
            case 'returnDocument': {
                const s = String(v).toLowerCase();
                if (s !== 'before' && s !== 'after') throw new RunnerError(`returnDocument must be Before or After, not ${v}`);
                out.returnDocument = s;
                break;
            }
            case 'sort':
            case 'keys':
                out[k] = plain(v);
                break;
            default:
                out[k] = NUMERIC_OPTIONS.has(k) && (k !== 'max' && k !== 'min' || !isPlainDocument(v)) ? plain(v) : v;
        }
    }
    return out;
}

function checkArgs(opName, args, allowed, required = []) {
    for (const k of Object.keys(args)) {
        if (!allowed.includes(k) && !required.includes(k)) {
            throw new RunnerError(`${opName}: unsupported argument ${k}`);
        }
    }
    for (const k of required) {
        if (!(k in args)) throw new RunnerError(`${opName}: missing argument ${k}`);
    }
}

// ---- result conversion ------------------------------------------------------------------

function mapToDoc(m, convert = (x) => x) {
    if (!m) return undefined;
    const out = {};
    for (const [k, v] of m instanceof Map ? m.entries() : Object.entries(m)) out[String(k)] = convert(v);
    return out;
}

function updateResultDoc(r) {
    const d = { matchedCount: r.matchedCount, modifiedCount: r.modifiedCount, upsertedCount: r.upsertedCount };
    if (r.acknowledged !== undefined) d.acknowledged = r.acknowledged;
    if (r.upsertedCount > 0 || (r.upsertedId !== null && r.upsertedId !== undefined)) d.upsertedId = r.upsertedId;
    return d;
}

function bulkWriteResultDoc(r) {
    if (!r) return r;
    const d = {
        insertedCount: r.insertedCount,
        matchedCount: r.matchedCount,
        modifiedCount: r.modifiedCount,
        deletedCount: r.deletedCount,
        upsertedCount: r.upsertedCount,
        upsertedIds: mapToDoc(r.upsertedIds) || {},
        insertedIds: mapToDoc(r.insertedIds) || {}
    };
    if (r.acknowledged !== undefined) d.acknowledged = r.acknowledged;
    return d;
}

function clientBulkWriteResultDoc(r) {
    if (!r) return r;
    const d = {
        insertedCount: r.insertedCount,
        upsertedCount: r.upsertedCount,
        matchedCount: r.matchedCount,
        modifiedCount: r.modifiedCount,
        deletedCount: r.deletedCount
    };
    if (r.acknowledged !== undefined) d.acknowledged = r.acknowledged;
    if (r.insertResults) d.insertResults = mapToDoc(r.insertResults, (x) => ({ insertedId: x.insertedId }));
    if (r.updateResults) {
        d.updateResults = mapToDoc(r.updateResults, (x) => {
            const u = { matchedCount: x.matchedCount, modifiedCount: x.modifiedCount };
            if (x.upsertedId !== undefined) u.upsertedId = x.upsertedId;
            return u;
        });
    }
    if (r.deleteResults) d.deleteResults = mapToDoc(r.deleteResults, (x) => ({ deletedCount: x.deletedCount }));
    return d;
}

// ---- write models -----------------------------------------------------------------------

const MODEL_FIELDS = {
    insertOne: ['document'],
    updateOne: ['filter', 'update', 'upsert', 'arrayFilters', 'collation', 'hint', 'sort'],
    updateMany: ['filter', 'update', 'upsert', 'arrayFilters', 'collation', 'hint'],
    replaceOne: ['filter', 'replacement', 'upsert', 'collation', 'hint', 'sort'],
    deleteOne: ['filter', 'collation', 'hint'],
    deleteMany: ['filter', 'collation', 'hint']
};

function writeModel(req, withNamespace) {
    const keys = Object.keys(req);
    if (keys.length !== 1 || !MODEL_FIELDS[keys[0]]) throw new RunnerError(`unsupported write model ${keys.join(',')}`);
    const [type] = keys;
    const fields = req[type];
    const out = {};
    for (const [k, v] of Object.entries(fields)) {
        if (k === 'namespace' && withNamespace) out.namespace = v;
        else if (!MODEL_FIELDS[type].includes(k)) throw new RunnerError(`unsupported ${type} field ${k}`);
        else out[k] = k === 'sort' ? plain(v) : v;
    }
    if (withNamespace) return { name: type, ...out };
    return { [type]: out };
}

// ---- operation table --------------------------------------------------------------------

const READ = ['session', 'readConcern', 'readPreference', 'comment', 'maxTimeMS', 'timeoutMS', 'rawData'];
const WRITE = ['session', 'writeConcern', 'comment', 'timeoutMS', 'rawData'];
const FIND_OPTS = [...READ, 'sort', 'skip', 'limit', 'batchSize', 'projection', 'hint', 'collation', 'let',
    'allowDiskUse', 'max', 'min', 'maxAwaitTimeMS', 'returnKey', 'showRecordId', 'noCursorTimeout',
    'singleBatch', 'cursorType', 'timeoutMode', 'oplogReplay', 'allowPartialResults'];
const UPDATE_OPTS = [...WRITE, 'upsert', 'arrayFilters', 'collation', 'hint', 'let', 'bypassDocumentValidation', 'sort'];
const FAM_OPTS = [...WRITE, 'projection', 'sort', 'collation', 'hint', 'let', 'maxTimeMS'];

async function findCursor(ctx, coll, a) {
    const opts = options(ctx, a, ['filter']);
    if (opts.cursorType !== undefined) {
        const t = opts.cursorType;
        delete opts.cursorType;
        if (t === 'tailable') opts.tailable = true;
        else if (t === 'tailableAwait') { opts.tailable = true; opts.awaitData = true; }
        else if (t !== 'nonTailable') throw new RunnerError(`unknown cursorType ${t}`);
    }
    return coll.find(a.filter || {}, opts);
}

const CHANGE_STREAM_OPTS = ['pipeline', 'session', 'batchSize', 'comment', 'fullDocument', 'fullDocumentBeforeChange',
    'maxAwaitTimeMS', 'resumeAfter', 'startAfter', 'startAtOperationTime', 'showExpandedEvents', 'timeoutMS'];

// A change stream on a client, database or collection. The driver sends the aggregate on
// first use; the test format expects it sent when the stream is created, so the stream's
// cursor is initialised here (its first batch stays buffered for the first iteration).
async function changeStream(ctx, target, a) {
    const stream = target.watch(a.pipeline || [], options(ctx, a, ['pipeline']));
    try {
        if (stream.cursor && typeof stream.cursor.cursorInit === 'function') await stream.cursor.cursorInit();
        else throw new RunnerError('createChangeStream: the driver\'s change stream cursor has no cursorInit');
    } catch (e) {
        await stream.close().catch(() => {});
        throw e;
    }
    stream.unifiedType = 'changeStream';
    return stream;
}

// kind: how expectResult is matched: 'root' (default: the result is a root-level value),
// 'docs' (an array of root-level documents).
const COLLECTION_OPS = {
    aggregate: {
        args: [...READ, 'writeConcern', 'allowDiskUse', 'batchSize', 'bypassDocumentValidation', 'collation',
            'hint', 'let', 'maxAwaitTimeMS'],
        required: ['pipeline'],
        kind: 'docs',
        run: (ctx, coll, a) => coll.aggregate(a.pipeline, options(ctx, a, ['pipeline'])).toArray()
    },
    bulkWrite: {
        args: [...WRITE, 'ordered', 'bypassDocumentValidation', 'let'],
        required: ['requests'],
        run: async (ctx, coll, a) => bulkWriteResultDoc(
            await coll.bulkWrite(a.requests.map((r) => writeModel(r, false)), options(ctx, a, ['requests'])))
    },
    countDocuments: {
        args: [...READ, 'skip', 'limit', 'collation', 'hint'],
        required: ['filter'],
        run: (ctx, coll, a) => coll.countDocuments(a.filter, options(ctx, a, ['filter']))
    },
    count: {
        args: [...READ, 'skip', 'limit', 'collation', 'hint'],
        required: ['filter'],
        run: (ctx, coll, a) => coll.count(a.filter, options(ctx, a, ['filter']))
    },
    estimatedDocumentCount: {
        args: READ,
        run: (ctx, coll, a) => coll.estimatedDocumentCount(options(ctx, a))
    },
    distinct: {
        args: [...READ, 'collation', 'hint'],
        required: ['fieldName', 'filter'],
        run: (ctx, coll, a) => coll.distinct(a.fieldName, a.filter, options(ctx, a, ['fieldName', 'filter']))
    },
    deleteOne: {
        args: [...WRITE, 'collation', 'hint', 'let'],
        required: ['filter'],
        run: async (ctx, coll, a) => {
            const r = await coll.deleteOne(a.filter, options(ctx, a, ['filter']));
            return { acknowledged: r.acknowledged, deletedCount: r.deletedCount };
        }
    },
    deleteMany: {
        args: [...WRITE, 'collation', 'hint', 'let'],
        required: ['filter'],
        run: async (ctx, coll, a) => {
            const r = await coll.deleteMany(a.filter, options(ctx, a, ['filter']));
            return { acknowledged: r.acknowledged, deletedCount: r.deletedCount };
        }
    },
    find: {
        args: FIND_OPTS,
        required: ['filter'],
        kind: 'docs',
        run: async (ctx, coll, a) => (await findCursor(ctx, coll, a)).toArray()
    },
    findOne: {
        args: FIND_OPTS,
        required: ['filter'],
        run: (ctx, coll, a) => coll.findOne(a.filter, options(ctx, a, ['filter']))
    },
    createFindCursor: {
        args: FIND_OPTS,
        required: ['filter'],
        noExpectResult: true,
        run: async (ctx, coll, a) => {
            const cursor = await findCursor(ctx, coll, a);
            // The server-side cursor must exist now: hasNext sends find and keeps the first
            // batch buffered, so the next iteration still returns the first document.
            await cursor.hasNext();
            cursor.unifiedType = 'cursor';
            return cursor;
        }
    },
    findOneAndDelete: {
        args: FAM_OPTS,
        required: ['filter'],
        run: (ctx, coll, a) => coll.findOneAndDelete(a.filter, options(ctx, a, ['filter']))
    },
    findOneAndReplace: {
        args: [...FAM_OPTS, 'upsert', 'returnDocument', 'bypassDocumentValidation'],
        required: ['filter', 'replacement'],
        run: (ctx, coll, a) => coll.findOneAndReplace(a.filter, a.replacement, options(ctx, a, ['filter', 'replacement']))
    },
    findOneAndUpdate: {
        args: [...FAM_OPTS, 'upsert', 'returnDocument', 'bypassDocumentValidation', 'arrayFilters'],
        required: ['filter', 'update'],
        run: (ctx, coll, a) => coll.findOneAndUpdate(a.filter, a.update, options(ctx, a, ['filter', 'update']))
    },
    insertOne: {
        args: [...WRITE, 'bypassDocumentValidation'],
        required: ['document'],
        run: async (ctx, coll, a) => {
            const r = await coll.insertOne(a.document, options(ctx, a, ['document']));
            return { acknowledged: r.acknowledged, insertedId: r.insertedId };
        }
    },
    insertMany: {
        args: [...WRITE, 'ordered', 'bypassDocumentValidation'],
        required: ['documents'],
        run: async (ctx, coll, a) => {
            const r = await coll.insertMany(a.documents, options(ctx, a, ['documents']));
            return { acknowledged: r.acknowledged, insertedCount: r.insertedCount, insertedIds: mapToDoc(r.insertedIds) };
        }
    },
    replaceOne: {
        args: UPDATE_OPTS.filter((k) => k !== 'arrayFilters'),
        required: ['filter', 'replacement'],
        run: async (ctx, coll, a) => updateResultDoc(
            await coll.replaceOne(a.filter, a.replacement, options(ctx, a, ['filter', 'replacement'])))
    },
    updateOne: {
        args: UPDATE_OPTS,
        required: ['filter', 'update'],
        run: async (ctx, coll, a) => updateResultDoc(
            await coll.updateOne(a.filter, a.update, options(ctx, a, ['filter', 'update'])))
    },
    updateMany: {
        args: UPDATE_OPTS.filter((k) => k !== 'sort'),
        required: ['filter', 'update'],
        run: async (ctx, coll, a) => updateResultDoc(
            await coll.updateMany(a.filter, a.update, options(ctx, a, ['filter', 'update'])))
    },
    createIndex: {
        args: ['session', 'name', 'unique', 'sparse', 'expireAfterSeconds', 'partialFilterExpression', 'collation',
            'hidden', 'background', 'commitQuorum', 'comment', 'timeoutMS', 'writeConcern', 'maxTimeMS', 'rawData'],
        required: ['keys'],
        run: (ctx, coll, a) => coll.createIndex(plain(a.keys), options(ctx, a, ['keys']))
    },
    dropIndex: {
        args: ['session', 'comment', 'timeoutMS', 'writeConcern', 'maxTimeMS', 'rawData'],
        required: ['name'],
        run: async (ctx, coll, a) => {
            await coll.dropIndex(a.name, options(ctx, a, ['name']));
            return undefined;
        }
    },
    dropIndexes: {
        args: ['session', 'comment', 'timeoutMS', 'writeConcern', 'maxTimeMS', 'rawData'],
        run: async (ctx, coll, a) => {
            await coll.dropIndexes(options(ctx, a));
            return undefined;
        }
    },
    listIndexes: {
        args: ['session', 'batchSize', 'comment', 'timeoutMS', 'rawData'],
        kind: 'docs',
        run: (ctx, coll, a) => coll.listIndexes(options(ctx, a)).toArray()
    },
    listIndexNames: {
        args: ['session', 'batchSize', 'comment', 'timeoutMS'],
        run: async (ctx, coll, a) => (await coll.listIndexes(options(ctx, a)).toArray()).map((i) => i.name)
    },
    // The Node driver has no mapReduce helper any more: the command, as drivers sent it.
    mapReduce: {
        args: ['session', 'readConcern', 'readPreference', 'comment', 'maxTimeMS', 'finalize', 'query', 'sort',
            'limit', 'scope', 'jsMode', 'verbose', 'bypassDocumentValidation', 'collation'],
        required: ['map', 'reduce', 'out'],
        run: async (ctx, coll, a) => {
            const cmd = { mapReduce: coll.collectionName };
            const opts = {};
            for (const [k, v] of Object.entries(a)) {
                if (k === 'session') opts.session = ctx.entities.get(v, 'session');
                else if (k === 'readPreference') opts.readPreference = readPreference(v);
                else if (k === 'readConcern') cmd.readConcern = readConcern(v);
                else cmd[k] = v;
            }
            const r = await coll.client.db(coll.dbName).command(cmd, opts);
            return r.results !== undefined ? r.results : r;
        }
    },
    createChangeStream: {
        args: CHANGE_STREAM_OPTS,
        noExpectResult: true,
        run: (ctx, coll, a) => changeStream(ctx, coll, a)
    },
    createSearchIndex: {
        args: [],
        required: ['model'],
        run: (ctx, coll, a) => coll.createSearchIndex(a.model)
    },
    createSearchIndexes: {
        args: [],
        required: ['models'],
        run: (ctx, coll, a) => coll.createSearchIndexes(a.models)
    },
    dropSearchIndex: {
        args: [],
        required: ['name'],
        run: async (ctx, coll, a) => {
            await coll.dropSearchIndex(a.name);
            return undefined;
        }
    },
    updateSearchIndex: {
        args: [],
        required: ['name', 'definition'],
        run: async (ctx, coll, a) => {
            await coll.updateSearchIndex(a.name, a.definition);
            return undefined;
        }
    },
    listSearchIndexes: {
        args: ['name', 'aggregationOptions'],
        kind: 'docs',
        run: (ctx, coll, a) => {
            const opts = a.aggregationOptions ? options(ctx, a.aggregationOptions) : {};
            return (a.name !== undefined ? coll.listSearchIndexes(a.name, opts) : coll.listSearchIndexes(opts)).toArray();
        }
    },
    drop: {
        args: ['session', 'comment', 'writeConcern', 'timeoutMS'],
        run: async (ctx, coll, a) => {
            await coll.drop(options(ctx, a));
            return undefined;
        }
    },
    rename: {
        args: ['session', 'dropTarget', 'comment', 'writeConcern'],
        required: ['to'],
        run: async (ctx, coll, a) => {
            await coll.rename(a.to, options(ctx, a, ['to']));
            return undefined;
        }
    }
};

const DATABASE_OPS = {
    aggregate: {
        args: [...READ, 'writeConcern', 'allowDiskUse', 'batchSize', 'bypassDocumentValidation', 'collation',
            'hint', 'let', 'maxAwaitTimeMS'],
        required: ['pipeline'],
        kind: 'docs',
        run: (ctx, db, a) => db.aggregate(a.pipeline, options(ctx, a, ['pipeline'])).toArray()
    },
    createCollection: {
        args: ['session', 'writeConcern', 'comment', 'timeoutMS', 'viewOn', 'pipeline', 'capped', 'size', 'max',
            'validator', 'validationLevel', 'validationAction', 'collation', 'timeseries', 'expireAfterSeconds',
            'clusteredIndex', 'changeStreamPreAndPostImages', 'storageEngine', 'indexOptionDefaults',
            'encryptedFields'],
        required: ['collection'],
        run: async (ctx, db, a) => {
            const coll = await db.createCollection(a.collection, options(ctx, a, ['collection']));
            coll.unifiedType = 'collection';
            return coll;
        }
    },
    dropCollection: {
        args: ['session', 'writeConcern', 'comment', 'timeoutMS', 'encryptedFields'],
        required: ['collection'],
        run: async (ctx, db, a) => {
            await db.dropCollection(a.collection, options(ctx, a, ['collection']));
            return undefined;
        }
    },
    listCollections: {
        args: ['session', 'filter', 'batchSize', 'nameOnly', 'authorizedCollections', 'comment', 'timeoutMS', 'rawData'],
        kind: 'docs',
        run: (ctx, db, a) => db.listCollections(a.filter || {}, options(ctx, a, ['filter'])).toArray()
    },
    // "Objects": the driver's collection info documents, as listCollections returns them.
    listCollectionObjects: {
        args: ['session', 'filter', 'batchSize', 'authorizedCollections', 'comment', 'timeoutMS'],
        kind: 'docs',
        run: (ctx, db, a) => db.listCollections(a.filter || {}, options(ctx, a, ['filter'])).toArray()
    },
    createChangeStream: {
        args: CHANGE_STREAM_OPTS,
        noExpectResult: true,
        run: (ctx, db, a) => changeStream(ctx, db, a)
    },
    listCollectionNames: {
        args: ['session', 'filter', 'batchSize', 'authorizedCollections', 'comment', 'timeoutMS'],
        run: async (ctx, db, a) => (await db.listCollections(a.filter || {}, { ...options(ctx, a, ['filter']), nameOnly: true })
            .toArray()).map((c) => c.name)
    },
    runCommand: {
        args: ['session', 'readPreference', 'timeoutMS'],
        required: ['command', 'commandName'],
        run: (ctx, db, a) => db.command(a.command, options(ctx, a, ['command', 'commandName']))
    },
    runCursorCommand: {
        args: ['session', 'readPreference', 'batchSize', 'maxTimeMS', 'comment', 'cursorType', 'timeoutMode', 'timeoutMS'],
        required: ['command', 'commandName'],
        kind: 'docs',
        run: (ctx, db, a) => db.runCursorCommand(a.command, options(ctx, a, ['command', 'commandName'])).toArray()
    },
    createCommandCursor: {
        args: ['session', 'readPreference', 'batchSize', 'maxTimeMS', 'comment', 'cursorType', 'timeoutMode', 'timeoutMS'],
        required: ['command', 'commandName'],
        noExpectResult: true,
        run: async (ctx, db, a) => {
            const cursor = db.runCursorCommand(a.command, options(ctx, a, ['command', 'commandName']));
            await cursor.hasNext();
            cursor.unifiedType = 'cursor';
            return cursor;
        }
    },
    modifyCollection: {
        args: ['session', 'validator', 'validationLevel', 'validationAction', 'index', 'expireAfterSeconds',
            'changeStreamPreAndPostImages', 'timeseries', 'viewOn', 'pipeline'],
        required: ['collection'],
        run: (ctx, db, a) => {
            const cmd = { collMod: a.collection };
            for (const [k, v] of Object.entries(a)) {
                if (k !== 'collection' && k !== 'session') cmd[k] = v;
            }
            return db.command(cmd, options(ctx, a, Object.keys(a).filter((k) => k !== 'session')));
        }
    }
};

const CLIENT_OPS = {
    listDatabases: {
        args: ['session', 'filter', 'nameOnly', 'authorizedDatabases', 'comment', 'timeoutMS'],
        kind: 'docs',
        run: async (ctx, c, a) => (await c.client.db('admin').admin().listDatabases(options(ctx, a))).databases
    },
    listDatabaseObjects: {
        args: ['session', 'filter', 'authorizedDatabases', 'comment', 'timeoutMS'],
        kind: 'docs',
        run: async (ctx, c, a) => (await c.client.db('admin').admin().listDatabases(options(ctx, a))).databases
    },
    createChangeStream: {
        args: CHANGE_STREAM_OPTS,
        noExpectResult: true,
        run: (ctx, c, a) => changeStream(ctx, c.client, a)
    },
    listDatabaseNames: {
        args: ['session', 'filter', 'authorizedDatabases', 'comment', 'timeoutMS'],
        run: async (ctx, c, a) => (await c.client.db('admin').admin().listDatabases({ ...options(ctx, a), nameOnly: true }))
            .databases.map((d) => d.name)
    },
    dropDatabase: {
        args: ['session', 'writeConcern', 'comment', 'timeoutMS'],
        required: ['database'],
        run: async (ctx, c, a) => {
            await c.client.db(a.database).dropDatabase(options(ctx, a, ['database']));
            return undefined;
        }
    },
    clientBulkWrite: {
        args: [...WRITE, 'ordered', 'bypassDocumentValidation', 'let', 'verboseResults'],
        required: ['models'],
        run: async (ctx, c, a) => clientBulkWriteResultDoc(
            await c.client.bulkWrite(a.models.map((m) => writeModel(m, true)), options(ctx, a, ['models'])))
    },
    close: {
        args: [],
        run: async (ctx, c) => {
            await c.close();
            return undefined;
        }
    }
};

const SESSION_STATES = {
    NO_TRANSACTION: 'none',
    STARTING_TRANSACTION: 'starting',
    TRANSACTION_IN_PROGRESS: 'in_progress',
    TRANSACTION_COMMITTED: 'committed',
    TRANSACTION_COMMITTED_EMPTY: 'committed',
    TRANSACTION_ABORTED: 'aborted'
};

const SESSION_OPS = {
    startTransaction: {
        args: ['readConcern', 'writeConcern', 'readPreference', 'maxCommitTimeMS'],
        run: (ctx, s, a) => {
            s.startTransaction(transactionOptions(a));
            return undefined;
        }
    },
    commitTransaction: {
        args: [],
        run: async (ctx, s) => {
            await s.commitTransaction();
            return undefined;
        }
    },
    abortTransaction: {
        args: [],
        run: async (ctx, s) => {
            await s.abortTransaction();
            return undefined;
        }
    },
    // The snapshot read time the session took from its first snapshot read's reply.
    getSnapshotTime: {
        args: [],
        run: (ctx, s) => {
            if (s.snapshotTime == null) throw new RunnerError('getSnapshotTime: the session has no snapshot time yet');
            return s.snapshotTime;
        }
    },
    endSession: {
        args: [],
        run: async (ctx, s) => {
            await s.endSession();
            return undefined;
        }
    },
    withTransaction: {
        args: ['readConcern', 'writeConcern', 'readPreference', 'maxCommitTimeMS'],
        required: ['callback'],
        run: async (ctx, s, a) => {
            const opts = transactionOptions(Object.fromEntries(Object.entries(a).filter(([k]) => k !== 'callback')));
            await s.withTransaction(async () => {
                for (const op of a.callback) await ctx.runOperation(op, { rethrow: true });
            }, opts);
            return undefined;
        }
    }
};

async function readStream(stream) {
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    return Buffer.concat(chunks);
}

// The files an operation by name acts on: every revision of `filename`, as _ids. The Node
// driver (7.9, gridfs/index.js) has no deleteByName or renameByName (optional in the GridFS
// spec), so the runner takes the spec's steps on the bucket's own collections and fails
// as the driver's delete does when no file matches (MongoRuntimeError, a client error).
async function fileIdsByName(b, filename, opts) {
    const files = await b.s._filesCollection.find({ filename }, { ...opts, projection: { _id: 1 } }).toArray();
    if (files.length === 0) throw new MongoRuntimeError(`FileNotFound: no file named ${filename}`);
    return files.map((f) => f._id);
}

// GridFS buckets (GridFSBucket): upload, downloads, delete, rename, drop; by name through
// fileIdsByName.
const BUCKET_OPS = {
    download: {
        args: ['session', 'timeoutMS'],
        required: ['id'],
        run: (ctx, b, a) => readStream(b.openDownloadStream(a.id, options(ctx, a, ['id'])))
    },
    downloadByName: {
        args: ['session', 'revision', 'timeoutMS'],
        required: ['filename'],
        run: (ctx, b, a) => readStream(b.openDownloadStreamByName(a.filename, options(ctx, a, ['filename'])))
    },
    delete: {
        args: ['session', 'timeoutMS'],
        required: ['id'],
        run: async (ctx, b, a) => {
            await b.delete(a.id, options(ctx, a, ['id']));
            return undefined;
        }
    },
    deleteByName: {
        args: ['session'],
        required: ['filename'],
        run: async (ctx, b, a) => {
            const opts = options(ctx, a, ['filename']);
            const ids = await fileIdsByName(b, a.filename, opts);
            await b.s._filesCollection.deleteMany({ _id: { $in: ids } }, opts);
            await b.s._chunksCollection.deleteMany({ files_id: { $in: ids } }, opts);
            return undefined;
        }
    },
    rename: {
        args: ['session'],
        required: ['id', 'newFilename'],
        run: async (ctx, b, a) => {
            await b.rename(a.id, a.newFilename, options(ctx, a, ['id', 'newFilename']));
            return undefined;
        }
    },
    renameByName: {
        args: ['session'],
        required: ['filename', 'newFilename'],
        run: async (ctx, b, a) => {
            const r = await b.s._filesCollection.updateMany({ filename: a.filename },
                { $set: { filename: a.newFilename } }, options(ctx, a, ['filename', 'newFilename']));
            if (r.matchedCount === 0) throw new MongoRuntimeError(`FileNotFound: no file named ${a.filename}`);
            return undefined;
        }
    },
    drop: {
        args: ['session', 'timeoutMS'],
        run: async (ctx, b, a) => {
            await b.drop(options(ctx, a));
            return undefined;
        }
    },
    upload: {
        args: ['session', 'chunkSizeBytes', 'metadata', 'contentType', 'disableMD5', 'timeoutMS'],
        required: ['filename', 'source'],
        run: async (ctx, b, a) => {
            const up = b.openUploadStream(a.filename, options(ctx, a, ['filename', 'source']));
            const hex = a.source && a.source.$$hexBytes;
            if (typeof hex !== 'string') throw new RunnerError('upload: source must be {$$hexBytes: ...}');
            await new Promise((resolve, reject) => {
                up.once('error', reject);
                up.once('finish', resolve);
                up.end(Buffer.from(hex, 'hex'));
            });
            return up.id;
        }
    }
};

const CURSOR_OPS = {
    iterateUntilDocumentOrError: {
        args: [],
        run: async (ctx, cursor) => {
            const doc = await cursor.next();
            if (doc === null) throw new RunnerError('iterateUntilDocumentOrError: the cursor is exhausted');
            return doc;
        }
    },
    iterateOnce: {
        args: [],
        run: async (ctx, cursor) => {
            const doc = await cursor.tryNext();
            return doc === null ? undefined : doc;
        }
    },
    close: {
        args: [],
        run: async (ctx, cursor) => {
            await cursor.close().catch(() => {});
            return undefined;
        }
    }
};

// ---- testRunner operations --------------------------------------------------------------

function lastTwoLsids(ctx, clientId) {
    const c = ctx.entities.get(clientId, 'client');
    const started = c.events.filter((e) => e.name === 'commandStartedEvent');
    if (started.length < 2) throw new RunnerError(`fewer than two commandStartedEvents observed on ${clientId}`);
    const [a, b] = started.slice(-2).map((e) => e.event.command.lsid);
    if (!a || !b) throw new RunnerError('one of the last two commands has no lsid');
    return [a, b];
}

function sameLsid(a, b) {
    return Buffer.from(a.id.buffer).equals(Buffer.from(b.id.buffer));
}

async function collectionNames(ctx, dbName) {
    const list = await ctx.internal.db(dbName).listCollections({}, { nameOnly: true }).toArray();
    return list.map((c) => c.name);
}

async function indexNames(ctx, dbName, collName) {
    try {
        return (await ctx.internal.db(dbName).collection(collName).listIndexes().toArray()).map((i) => i.name);
    } catch (e) {
        if (e.code === 26) return [];
        throw e;
    }
}

function countMatching(ctx, clientId, event) {
    const c = ctx.entities.get(clientId, 'client');
    const [name] = Object.keys(event);
    return c.events.filter((e) => e.name === name && ctx.eventMatches(event, e)).length;
}

const TEST_RUNNER_OPS = {
    failPoint: {
        args: [],
        required: ['client', 'failPoint'],
        run: async (ctx, _, a) => {
            const c = ctx.entities.get(a.client, 'client');
            await c.client.db('admin').command(a.failPoint);
            ctx.failPoints.push(a.failPoint.configureFailPoint);
            return undefined;
        }
    },
    assertSessionTransactionState: {
        args: [],
        required: ['session', 'state'],
        run: (ctx, _, a) => {
            const s = ctx.entities.get(a.session, 'session');
            const state = SESSION_STATES[s.transaction.state] || s.transaction.state;
            if (state !== a.state) throw ctx.failure(`session ${a.session} transaction state is ${state}, expected ${a.state}`);
            return undefined;
        }
    },
    assertSessionPinned: {
        args: [],
        required: ['session'],
        run: (ctx, _, a) => {
            const s = ctx.entities.get(a.session, 'session');
            if (!s.isPinned) throw ctx.failure(`session ${a.session} is not pinned`);
            return undefined;
        }
    },
    assertSessionUnpinned: {
        args: [],
        required: ['session'],
        run: (ctx, _, a) => {
            const s = ctx.entities.get(a.session, 'session');
            if (s.isPinned) throw ctx.failure(`session ${a.session} is pinned`);
            return undefined;
        }
    },
    assertDifferentLsidOnLastTwoCommands: {
        args: [],
        required: ['client'],
        run: (ctx, _, a) => {
            const [x, y] = lastTwoLsids(ctx, a.client);
            if (sameLsid(x, y)) throw ctx.failure('the last two commands have the same lsid');
            return undefined;
        }
    },
    assertSameLsidOnLastTwoCommands: {
        args: [],
        required: ['client'],
        run: (ctx, _, a) => {
            const [x, y] = lastTwoLsids(ctx, a.client);
            if (!sameLsid(x, y)) throw ctx.failure('the last two commands have different lsids');
            return undefined;
        }
    },
    assertSessionDirty: {
        args: [],
        required: ['session'],
        run: (ctx, _, a) => {
            const s = ctx.entities.get(a.session, 'session');
            if (!(s.serverSession && s.serverSession.isDirty)) throw ctx.failure(`session ${a.session} is not dirty`);
            return undefined;
        }
    },
    assertSessionNotDirty: {
        args: [],
        required: ['session'],
        run: (ctx, _, a) => {
            const s = ctx.entities.get(a.session, 'session');
            if (s.serverSession && s.serverSession.isDirty) throw ctx.failure(`session ${a.session} is dirty`);
            return undefined;
        }
    },
    assertCollectionExists: {
        args: [],
        required: ['databaseName', 'collectionName'],
        run: async (ctx, _, a) => {
            if (!(await collectionNames(ctx, a.databaseName)).includes(a.collectionName)) {
                throw ctx.failure(`collection ${a.databaseName}.${a.collectionName} does not exist`);
            }
            return undefined;
        }
    },
    assertCollectionNotExists: {
        args: [],
        required: ['databaseName', 'collectionName'],
        run: async (ctx, _, a) => {
            if ((await collectionNames(ctx, a.databaseName)).includes(a.collectionName)) {
                throw ctx.failure(`collection ${a.databaseName}.${a.collectionName} exists`);
            }
            return undefined;
        }
    },
    assertIndexExists: {
        args: [],
        required: ['databaseName', 'collectionName', 'indexName'],
        run: async (ctx, _, a) => {
            if (!(await indexNames(ctx, a.databaseName, a.collectionName)).includes(a.indexName)) {
                throw ctx.failure(`index ${a.indexName} does not exist on ${a.databaseName}.${a.collectionName}`);
            }
            return undefined;
        }
    },
    assertIndexNotExists: {
        args: [],
        required: ['databaseName', 'collectionName', 'indexName'],
        run: async (ctx, _, a) => {
            if ((await indexNames(ctx, a.databaseName, a.collectionName)).includes(a.indexName)) {
                throw ctx.failure(`index ${a.indexName} exists on ${a.databaseName}.${a.collectionName}`);
            }
            return undefined;
        }
    },
    createEntities: {
        args: [],
        required: ['entities'],
        run: async (ctx, _, a) => {
            await ctx.entities.create(a.entities);
            return undefined;
        }
    },
    wait: {
        args: [],
        required: ['ms'],
        run: async (ctx, _, a) => {
            await sleep(plain(a.ms));
            return undefined;
        }
    },
    assertNumberConnectionsCheckedOut: {
        args: [],
        required: ['client', 'connections'],
        run: (ctx, _, a) => {
            const c = ctx.entities.get(a.client, 'client');
            if (c.checkedOut !== plain(a.connections)) {
                throw ctx.failure(`${c.checkedOut} connection(s) checked out, expected ${plain(a.connections)}`);
            }
            return undefined;
        }
    },
    assertEventCount: {
        args: [],
        required: ['client', 'event', 'count'],
        run: (ctx, _, a) => {
            const n = countMatching(ctx, a.client, a.event);
            if (n !== plain(a.count)) throw ctx.failure(`${n} matching event(s), expected ${plain(a.count)}`);
            return undefined;
        }
    },
    waitForEvent: {
        args: [],
        required: ['client', 'event', 'count'],
        run: async (ctx, _, a) => {
            const deadline = Date.now() + 10000;
            while (countMatching(ctx, a.client, a.event) < plain(a.count)) {
                if (Date.now() > deadline) throw ctx.failure(`waitForEvent: fewer than ${plain(a.count)} matching event(s) after 10 s`);
                await sleep(20);
            }
            return undefined;
        }
    }
};

// The operation table for an entity type.
function tableFor(type) {
    switch (type) {
        case 'collection': return COLLECTION_OPS;
        case 'database': return DATABASE_OPS;
        case 'client': return CLIENT_OPS;
        case 'session': return SESSION_OPS;
        case 'cursor':
        case 'changeStream':
            return CURSOR_OPS;
        case 'bucket': return BUCKET_OPS;
        case 'testRunner': return TEST_RUNNER_OPS;
        default: return {};
    }
}

function lookupOperation(type, name) {
    const table = tableFor(type);
    if (!Object.prototype.hasOwnProperty.call(table, name)) {
        throw new RunnerError(`operation ${name} on a ${type} is not supported by this runner`);
    }
    return table[name];
}

module.exports = {
    lookupOperation, checkArgs, bulkWriteResultDoc, clientBulkWriteResultDoc, dbOrCollOptions
};
