'use strict';
// The runner's own checks, run before any spec test: a matcher that accepted everything
// would turn every spec test into one that cannot fail. Each case states whether the match
// must succeed; returns the list of broken cases.

const { BSON, MongoServerError, MongoInvalidArgumentError } = require('mongodb');
const { Matcher, MatchError, exactEqual } = require('./match');
const { checkExpectedError } = require('./expect');

const { Int32, Double, Long, Decimal128, ObjectId, EJSON } = BSON;

function ej(s) {
    return EJSON.parse(s, { relaxed: false });
}

function selfTest() {
    const entities = (id) => {
        if (id === 'saved') return 42;
        throw new Error(`no entity ${id}`);
    };
    const m = new Matcher(entities);
    const broken = [];
    const matches = (expected, actual, root = true) => {
        try {
            m.match(expected, actual, '', root);
            return true;
        } catch (e) {
            if (e instanceof MatchError) return false;
            throw e;
        }
    };
    const cases = [
        ['root document allows extra keys', matches({ a: new Int32(1) }, { a: 1, b: 2 }), true],
        ['nested document forbids extra keys', matches({ a: { b: new Int32(1) } }, { a: { b: 1, c: 2 } }), false],
        ['missing key fails', matches({ a: new Int32(1), b: new Int32(2) }, { a: 1 }), false],
        ['different value fails', matches({ a: new Int32(1) }, { a: 2 }), false],
        ['int matches double of the same value', matches({ a: new Int32(1) }, { a: new Double(1) }), true],
        ['int does not match 1.5', matches({ a: new Int32(1) }, { a: 1.5 }), false],
        ['long matches int', matches({ a: new Long(5) }, { a: 5 }), true],
        ['decimal does not match int', matches({ a: Decimal128.fromString('1') }, { a: 1 }), false],
        ['string does not match number', matches({ a: '1' }, { a: 1 }), false],
        ['null does not match missing', matches({ a: null }, {}), false],
        ['arrays need the same length', matches([new Int32(1), new Int32(2)], [1, 2, 3]), false],
        ['arrays match element-wise', matches([new Int32(1), new Int32(2)], [1, 2]), true],
        ['array elements are not root documents', matches([{ a: new Int32(1) }], [{ a: 1, b: 1 }]), false],
        ['key order does not matter', matches({ a: new Int32(1), b: new Int32(2) }, { b: 2, a: 1 }), true],
        ['$$exists true on a missing key fails', matches(ej('{"a": {"$$exists": true}}'), {}), false],
        ['$$exists false on a present key fails', matches(ej('{"a": {"$$exists": false}}'), { a: null }), false],
        ['$$exists false on a missing key', matches(ej('{"a": {"$$exists": false}}'), {}), true],
        ['$$type string', matches(ej('{"a": {"$$type": "string"}}'), { a: 'x' }), true],
        ['$$type wrong type fails', matches(ej('{"a": {"$$type": ["int", "long"]}}'), { a: 'x' }), false],
        ['$$type on a missing key fails', matches(ej('{"a": {"$$type": "string"}}'), {}), false],
        ['$$type objectId', matches(ej('{"a": {"$$type": "objectId"}}'), { a: new ObjectId() }), true],
        ['$$unsetOrMatches missing', matches(ej('{"a": {"$$unsetOrMatches": 1}}'), {}), true],
        ['$$unsetOrMatches mismatch fails', matches(ej('{"a": {"$$unsetOrMatches": 1}}'), { a: 2 }), false],
        ['$$unsetOrMatches keeps root-ness', matches(ej('{"$$unsetOrMatches": {"a": 1}}'), { a: 1, b: 2 }), true],
        ['$$lte', matches(ej('{"a": {"$$lte": 5}}'), { a: 5 }), true],
        ['$$lte greater fails', matches(ej('{"a": {"$$lte": 5}}'), { a: 6 }), false],
        ['$$matchesEntity', matches(ej('{"a": {"$$matchesEntity": "saved"}}'), { a: 42 }), true],
        ['$$matchesEntity mismatch fails', matches(ej('{"a": {"$$matchesEntity": "saved"}}'), { a: 41 }), false],
        ['$$matchAsDocument', matches(ej('{"a": {"$$matchAsDocument": {"x": 1}}}'), { a: '{"x": {"$numberInt": "1"}}' }), true],
        ['$$matchAsDocument forbids extra keys', matches(ej('{"a": {"$$matchAsDocument": {"x": 1}}}'), { a: '{"x": 1, "y": 2}' }), false],
        ['$$matchAsRoot allows extra keys', matches(ej('{"a": {"$$matchAsRoot": {"x": 1}}}'), { a: { x: 1, y: 2 } }), true],
        ['Map actual values are documents', matches({ sort: { _id: new Int32(1) } }, { sort: new Map([['_id', 1]]) }), true],
        ['outcome: exact match', exactEqual(ej('{"_id": 1, "x": 2}'), { x: 2, _id: 1 }), true],
        ['outcome: extra key fails', exactEqual(ej('{"_id": 1}'), { _id: 1, x: 2 }), false],
        ['outcome: missing key fails', exactEqual(ej('{"_id": 1, "x": 2}'), { _id: 1 }), false],
        ['outcome: nested difference fails', exactEqual(ej('{"a": {"b": [1, 2]}}'), { a: { b: [1, 3] } }), false]
    ];
    for (const [name, got, want] of cases) {
        if (got !== want) broken.push(`${name}: got ${got}, expected ${want}`);
    }

    // expectError against errors of known origin.
    const ctx = { matcher: m };
    const server = new MongoServerError({ ok: 0, code: 11000, codeName: 'DuplicateKey', errmsg: 'E11000 duplicate key' });
    const client = new MongoInvalidArgumentError('bad argument');
    const errorCases = [
        ['isClientError false on a server error', { isClientError: false }, server, true],
        ['isClientError true on a server error fails', { isClientError: true }, server, false],
        ['isClientError true on a client error', { isClientError: true }, client, true],
        ['errorCode', { errorCode: 11000 }, server, true],
        ['wrong errorCode fails', { errorCode: 11001 }, server, false],
        ['errorCodeName', { errorCodeName: 'duplicatekey' }, server, true],
        ['errorContains is case-insensitive', { errorContains: 'DUPLICATE' }, server, true],
        ['errorContains mismatch fails', { errorContains: 'nope' }, server, false],
        ['errorLabelsContain missing label fails', { errorLabelsContain: ['TransientTransactionError'] }, server, false],
        ['errorResponse', { errorResponse: { code: new Int32(11000) } }, server, true],
        ['errorResponse mismatch fails', { errorResponse: { code: new Int32(1) } }, server, false]
    ];
    for (const [name, exp, err, want] of errorCases) {
        let got;
        try {
            checkExpectedError(ctx, exp, err);
            got = true;
        } catch (e) {
            if (!(e instanceof MatchError)) throw e;
            got = false;
        }
        if (got !== want) broken.push(`${name}: got ${got}, expected ${want}`);
    }
    return broken;
}

module.exports = { selfTest };
