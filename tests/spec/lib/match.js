'use strict';
// Evaluating matches, as the unified test format defines it: expected values (parsed from
// canonical Extended JSON, so numbers are Int32/Double/Long wrappers) against actual values
// (what the driver returned, so mostly promoted JS numbers).
//
// - a root-level document may carry extra keys, a nested one may not;
// - arrays must have the same length, element by element;
// - numbers compare by value across int, long and double (not decimal);
// - special operators: $$exists, $$type, $$unsetOrMatches, $$matchesEntity, $$sessionLsid,
//   $$lte, $$matchAsDocument, $$matchAsRoot, $$matchesHexBytes.

const { BSON } = require('mongodb');

const { EJSON } = BSON;

class MatchError extends Error {}

// A failure caused by the test file or by this runner (undefined entity, unknown operator),
// never by the server: reported as a failure like any other, but with this marker.
class RunnerError extends Error {}

function bsonType(v) {
    return v !== null && typeof v === 'object' && typeof v._bsontype === 'string' ? v._bsontype : null;
}

function isPlainDocument(v) {
    if (v === null || typeof v !== 'object') return false;
    if (Array.isArray(v) || bsonType(v) || v instanceof Date || v instanceof RegExp || v instanceof Map) return false;
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return false;
    return true;
}

function isNumeric(v) {
    if (typeof v === 'number' || typeof v === 'bigint') return true;
    const t = bsonType(v);
    return t === 'Int32' || t === 'Double' || t === 'Long';
}

// A number as a JS number, or a BigInt when a Long does not fit a double exactly.
function numericValue(v) {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    const t = bsonType(v);
    if (t === 'Int32' || t === 'Double') return v.valueOf();
    if (t === 'Long') {
        const big = v.toBigInt();
        const n = Number(big);
        return BigInt(n) === big ? n : big;
    }
    throw new RunnerError(`not a number: ${show(v)}`);
}

function numbersEqual(a, b) {
    const x = numericValue(a);
    const y = numericValue(b);
    if (typeof x === 'number' && typeof y === 'number') {
        return x === y || (Number.isNaN(x) && Number.isNaN(y));
    }
    // One side is a BigInt: equal only for integral values.
    try {
        return BigInt(x) === BigInt(y);
    } catch {
        return false;
    }
}

function numberLte(a, b) {
    const x = numericValue(a);
    const y = numericValue(b);
    if (typeof x === 'number' && typeof y === 'number') return x <= y;
    if (typeof x === 'number' && !Number.isInteger(x)) return Number(y) >= x;
    if (typeof y === 'number' && !Number.isInteger(y)) return Number(x) <= y;
    return BigInt(x) <= BigInt(y);
}

function show(v) {
    let s;
    try {
        if (v === undefined) s = '(missing)';
        else s = EJSON.stringify(v, { relaxed: true });
    } catch {
        s = String(v);
    }
    if (s === undefined) s = String(v);
    return s.length > 200 ? s.slice(0, 197) + '...' : s;
}

function fail(path, msg) {
    throw new MatchError(`${path || '(root)'}: ${msg}`);
}

// The $type names an actual value answers to. The driver promotes int32, int64 and double to
// JS numbers, so a promoted number answers to every numeric name its value allows.
function typeNames(v) {
    if (v === undefined) return [];
    if (v === null) return ['null'];
    if (typeof v === 'string') return ['string'];
    if (typeof v === 'boolean') return ['bool'];
    if (typeof v === 'number') {
        const names = ['double', 'number'];
        if (Number.isInteger(v)) {
            names.push('long');
            if (v >= -2147483648 && v <= 2147483647) names.push('int');
        }
        return names;
    }
    if (typeof v === 'bigint') return ['long', 'number'];
    if (v instanceof Date) return ['date'];
    if (v instanceof RegExp) return ['regex'];
    if (Array.isArray(v)) return ['array'];
    switch (bsonType(v)) {
        case 'Int32': return ['int', 'number'];
        case 'Double': return ['double', 'number'];
        case 'Long': return ['long', 'number'];
        case 'Decimal128': return ['decimal', 'number'];
        case 'ObjectId': return ['objectId'];
        case 'Binary': return ['binData'];
        case 'BSONRegExp': return ['regex'];
        case 'Timestamp': return ['timestamp'];
        case 'Code': return v.scope ? ['javascriptWithScope'] : ['javascript'];
        case 'BSONSymbol': return ['symbol'];
        case 'MinKey': return ['minKey'];
        case 'MaxKey': return ['maxKey'];
        case 'DBRef': return ['object'];
        case 'DBPointer': return ['dbPointer'];
        default: break;
    }
    if (isPlainDocument(v)) return ['object'];
    return [];
}

const KNOWN_TYPES = new Set([
    'double', 'string', 'object', 'array', 'binData', 'undefined', 'objectId', 'bool', 'date',
    'null', 'regex', 'dbPointer', 'javascript', 'symbol', 'javascriptWithScope', 'int',
    'timestamp', 'long', 'decimal', 'minKey', 'maxKey', 'number'
]);

// Equality of two non-document, non-array values.
function scalarsEqual(e, a) {
    if (isNumeric(e) || isNumeric(a)) return isNumeric(e) && isNumeric(a) && numbersEqual(e, a);
    if (e === null || a === null) return e === a;
    if (typeof e !== 'object' || typeof a !== 'object') return e === a;
    if (e instanceof Date || a instanceof Date) {
        return e instanceof Date && a instanceof Date && e.getTime() === a.getTime();
    }
    const te = bsonType(e) || (e instanceof RegExp ? 'BSONRegExp' : null);
    const ta = bsonType(a) || (a instanceof RegExp ? 'BSONRegExp' : null);
    if (te !== ta) return false;
    switch (te) {
        case 'Decimal128':
            return e.toString() === a.toString();
        case 'ObjectId':
            return e.equals(a);
        case 'Binary':
            return e.sub_type === a.sub_type && Buffer.from(e.buffer).equals(Buffer.from(a.buffer));
        case 'BSONRegExp': {
            const pe = e instanceof RegExp ? e.source : e.pattern;
            const pa = a instanceof RegExp ? a.source : a.pattern;
            const sort = (s) => s.split('').sort().join('');
            return pe === pa && sort(e.options ?? e.flags) === sort(a.options ?? a.flags);
        }
        case 'Timestamp':
            return e.equals(a);
        case 'MinKey':
        case 'MaxKey':
            return true;
        case 'BSONSymbol':
            return e.valueOf() === a.valueOf();
        case 'Code':
            return e.code === a.code && exactEqual(e.scope ?? null, a.scope ?? null);
        case 'DBRef':
            return e.collection === a.collection && exactEqual(e.oid, a.oid) && e.db === a.db;
        default:
            return EJSON.stringify(e) === EJSON.stringify(a);
    }
}

// Exact comparison (key order free, numbers flexible): collection outcomes and values nested
// in types like CodeWScope.
function exactEqual(e, a) {
    if (a instanceof Map) a = Object.fromEntries(a);
    if (Array.isArray(e)) {
        return Array.isArray(a) && e.length === a.length && e.every((v, i) => exactEqual(v, a[i]));
    }
    if (isPlainDocument(e)) {
        if (!isPlainDocument(a)) return false;
        const ke = Object.keys(e).filter((k) => e[k] !== undefined);
        const ka = Object.keys(a).filter((k) => a[k] !== undefined);
        return ke.length === ka.length && ke.every((k) => k in a && exactEqual(e[k], a[k]));
    }
    return scalarsEqual(e, a);
}

function specialKey(v) {
    if (!isPlainDocument(v)) return null;
    const keys = Object.keys(v);
    return keys.length === 1 && keys[0].startsWith('$$') ? keys[0] : null;
}

class Matcher {
    // entities: a function name -> value (throws RunnerError when undefined).
    constructor(entities) {
        this.entities = entities;
    }

    match(expected, actual, path = '', isRoot = true) {
        // The driver builds some command fields (sort, hint) as Maps.
        if (actual instanceof Map) actual = Object.fromEntries(actual);
        const op = specialKey(expected);
        if (op) return this.operator(op, expected[op], actual, path, isRoot);

        if (isPlainDocument(expected)) {
            if (!isPlainDocument(actual)) fail(path, `expected a document ${show(expected)}, got ${show(actual)}`);
            for (const key of Object.keys(expected)) {
                const ev = expected[key];
                const av = actual[key];
                const p = path ? `${path}.${key}` : key;
                const kop = specialKey(ev);
                if (kop === '$$exists') {
                    const want = ev[kop];
                    if (typeof want !== 'boolean') throw new RunnerError(`${p}: $$exists needs a boolean`);
                    if (want && av === undefined) fail(p, 'expected the key to exist');
                    if (!want && av !== undefined) fail(p, `expected no such key, got ${show(av)}`);
                    continue;
                }
                if (kop === '$$unsetOrMatches') {
                    if (av === undefined) continue;
                    this.match(ev[kop], av, p, false);
                    continue;
                }
                if (av === undefined) fail(p, `expected ${show(ev)}, the key is missing`);
                this.match(ev, av, p, false);
            }
            if (!isRoot) {
                const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !(k in expected));
                if (extra.length) fail(path, `unexpected key(s) ${extra.join(', ')} in ${show(actual)}`);
            }
            return;
        }

        if (Array.isArray(expected)) {
            if (!Array.isArray(actual)) fail(path, `expected an array ${show(expected)}, got ${show(actual)}`);
            if (expected.length !== actual.length) {
                fail(path, `expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`);
            }
            expected.forEach((e, i) => this.match(e, actual[i], `${path}[${i}]`, false));
            return;
        }

        if (actual === undefined) fail(path, `expected ${show(expected)}, got nothing`);
        if (!scalarsEqual(expected, actual)) fail(path, `expected ${show(expected)}, got ${show(actual)}`);
    }

    // An array of root-level documents (find, aggregate, listCollections...).
    matchRootElements(expected, actual, path = '') {
        if (!Array.isArray(expected)) return this.match(expected, actual, path, true);
        if (!Array.isArray(actual)) fail(path, `expected an array, got ${show(actual)}`);
        if (expected.length !== actual.length) {
            fail(path, `expected ${expected.length} document(s), got ${actual.length}: ${show(actual)}`);
        }
        expected.forEach((e, i) => this.match(e, actual[i], `${path}[${i}]`, true));
    }

    operator(op, arg, actual, path, isRoot) {
        switch (op) {
            case '$$exists':
                // As a value (not a key) it can only speak about this value.
                if (arg && actual === undefined) fail(path, 'expected a value');
                if (!arg && actual !== undefined) fail(path, `expected no value, got ${show(actual)}`);
                return;
            case '$$type': {
                const wanted = Array.isArray(arg) ? arg : [arg];
                for (const t of wanted) {
                    if (!KNOWN_TYPES.has(t)) throw new RunnerError(`${path}: unknown $$type ${t}`);
                }
                if (actual === undefined) fail(path, `expected a value of type ${wanted.join('|')}, got nothing`);
                const have = typeNames(actual);
                if (!wanted.some((t) => have.includes(t))) {
                    fail(path, `expected type ${wanted.join('|')}, got ${show(actual)} (${have.join('|') || '?'})`);
                }
                return;
            }
            case '$$unsetOrMatches':
                // Absent is fine; present must match (root-ness unchanged).
                if (actual === undefined) return;
                this.match(arg, actual, path, isRoot);
                return;
            case '$$matchesEntity':
                this.match(this.entities(arg), actual, path, isRoot);
                return;
            case '$$sessionLsid': {
                const session = this.entities(arg, 'session');
                const lsid = session.id;
                if (actual === undefined) fail(path, `expected the lsid of ${arg}, got nothing`);
                if (!exactEqual(lsid, actual)) fail(path, `expected the lsid of ${arg} ${show(lsid)}, got ${show(actual)}`);
                return;
            }
            case '$$lte':
                if (!isNumeric(arg)) throw new RunnerError(`${path}: $$lte needs a number`);
                if (!isNumeric(actual)) fail(path, `expected a number <= ${show(arg)}, got ${show(actual)}`);
                if (!numberLte(actual, arg)) fail(path, `expected <= ${show(arg)}, got ${show(actual)}`);
                return;
            case '$$matchAsDocument': {
                if (typeof actual !== 'string') fail(path, `expected an Extended JSON string, got ${show(actual)}`);
                let doc;
                try {
                    doc = EJSON.parse(actual, { relaxed: false });
                } catch (e) {
                    fail(path, `not Extended JSON: ${e.message}`);
                }
                this.match(arg, doc, path, false);
                return;
            }
            case '$$matchAsRoot':
                if (!isPlainDocument(actual)) fail(path, `expected a document, got ${show(actual)}`);
                this.match(arg, actual, path, true);
                return;
            case '$$matchesHexBytes': {
                if (typeof arg !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(arg)) {
                    throw new RunnerError(`${path}: malformed $$matchesHexBytes`);
                }
                let hex;
                if (typeof actual === 'string') hex = Buffer.from(actual, 'latin1').toString('hex');
                else if (Buffer.isBuffer(actual) || actual instanceof Uint8Array) hex = Buffer.from(actual).toString('hex');
                else fail(path, `expected bytes, got ${show(actual)}`);
                if (hex !== arg.toLowerCase()) fail(path, `expected bytes ${arg}, got ${hex}`);
                return;
            }
            default:
                throw new RunnerError(`${path}: unsupported special operator ${op}`);
        }
    }
}

module.exports = {
    Matcher, MatchError, RunnerError, exactEqual, isPlainDocument, isNumeric, numericValue,
    bsonType, show, specialKey
};
