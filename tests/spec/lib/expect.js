'use strict';
// expectError and expectEvents assertions.

const mongodb = require('mongodb');
const { MatchError, RunnerError, show } = require('./match');
const { EVENTS } = require('./entities');
const { bulkWriteResultDoc, clientBulkWriteResultDoc } = require('./operations');

const { MongoError, MongoServerError, MongoBulkWriteError, MongoClientBulkWriteError, BSON } = mongodb;
const MongoOperationTimeoutError = mongodb.MongoOperationTimeoutError;

// Code names the runner may need when a bulk write error carries a code but no codeName.
const CODE_NAMES = {
    1: 'InternalError', 2: 'BadValue', 4: 'NoSuchKey', 8: 'UnknownError', 9: 'FailedToParse', 11: 'UserNotFound',
    13: 'Unauthorized', 14: 'TypeMismatch', 20: 'IllegalOperation', 26: 'NamespaceNotFound', 27: 'IndexNotFound',
    28: 'PathNotViable', 40: 'ConflictingUpdateOperators', 43: 'CursorNotFound', 48: 'NamespaceExists',
    50: 'MaxTimeMSExpired', 52: 'DollarPrefixedFieldName', 56: 'EmptyFieldName', 57: 'DottedFieldName',
    59: 'CommandNotFound', 66: 'ImmutableField', 67: 'CannotCreateIndex', 72: 'InvalidOptions', 85: 'IndexOptionsConflict',
    86: 'IndexKeySpecsConflict', 91: 'ShutdownInProgress', 96: 'OperationFailed', 112: 'WriteConflict',
    115: 'CommandNotSupported', 121: 'DocumentValidationFailure', 166: 'CommandNotSupportedOnView',
    189: 'PrimarySteppedDown', 251: 'NoSuchTransaction', 256: 'TransactionCommitted',
    263: 'OperationNotSupportedInTransaction', 10107: 'NotWritablePrimary', 11000: 'DuplicateKey',
    11600: 'InterruptedAtShutdown', 11601: 'Interrupted', 11602: 'InterruptedDueToReplStateChange',
    13435: 'NotPrimaryNoSecondaryOk', 13436: 'NotPrimaryOrSecondary', 64: 'WriteConcernFailed',
    100: 'UnsatisfiableWriteConcern', 262: 'ExceededTimeLimit', 6: 'HostUnreachable', 7: 'HostNotFound',
    89: 'NetworkTimeout', 9001: 'SocketException', 79: 'UnknownReplWriteConcern'
};

function isDriverError(err) {
    if (err instanceof MongoError) return true;
    return Boolean(BSON.BSONError && BSON.BSONError.isBSONError && BSON.BSONError.isBSONError(err));
}

function describeError(err) {
    if (!err) return String(err);
    const parts = [`${err.name || 'Error'}: ${err.message}`];
    if (err.code !== undefined) parts.push(`code ${err.code}${err.codeName ? ` ${err.codeName}` : ''}`);
    if (Array.isArray(err.writeErrors) && err.writeErrors.length) {
        parts.push(`writeErrors ${err.writeErrors.map((w) => `[${w.index}] ${w.code}: ${w.errmsg}`).join('; ')}`);
    }
    if (err.cause && err.cause.message) parts.push(`cause: ${err.cause.message}`);
    return parts.join(', ');
}

// Server errors aggregated in a collection bulk write error (not client bulk write: its
// writeErrors/writeConcernErrors are asserted only through expectError.writeErrors/...).
function aggregated(err) {
    const list = [err];
    if (err.cause && typeof err.cause === 'object') list.push(err.cause);
    if (Array.isArray(err.writeErrors)) {
        for (const w of err.writeErrors) list.push({ code: w.code, codeName: w.codeName ?? (w.err && w.err.codeName), message: w.errmsg });
    }
    const wce = err.writeConcernError || (err.result && typeof err.result.getWriteConcernError === 'function' &&
        err.result.getWriteConcernError());
    if (wce) list.push({ code: wce.code, codeName: wce.codeName, message: wce.errmsg || wce.message });
    return list;
}

function fail(msg) {
    return new MatchError(msg);
}

function checkExpectedError(ctx, exp, err) {
    const known = ['isError', 'isClientError', 'isTimeoutError', 'errorContains', 'errorCode', 'errorCodeName',
        'errorLabelsContain', 'errorLabelsOmit', 'writeErrors', 'writeConcernErrors', 'errorResponse', 'expectResult'];
    for (const k of Object.keys(exp)) {
        if (!known.includes(k)) throw new RunnerError(`unsupported expectError field ${k}`);
    }
    if (!isDriverError(err)) {
        // Not raised by the driver (a TypeError, ...): a runner or driver bug, never a match.
        throw new RunnerError(`operation raised a non-driver error: ${describeError(err)}`);
    }
    const what = describeError(err);
    const isServer = err instanceof MongoServerError;
    if (exp.isClientError === true && isServer) throw fail(`expected a client error, got a server error: ${what}`);
    if (exp.isClientError === false && !isServer) throw fail(`expected a server error, got a client error: ${what}`);
    if (exp.isTimeoutError !== undefined) {
        const isTimeout = MongoOperationTimeoutError ? err instanceof MongoOperationTimeoutError : false;
        if (exp.isTimeoutError !== isTimeout) throw fail(`expected isTimeoutError ${exp.isTimeoutError}, got ${what}`);
    }
    const all = aggregated(err);
    if (exp.errorContains !== undefined) {
        const want = String(exp.errorContains).toLowerCase();
        if (!all.some((e) => String(e.message || '').toLowerCase().includes(want))) {
            throw fail(`expected the error message to contain ${JSON.stringify(exp.errorContains)}, got ${what}`);
        }
    }
    if (exp.errorCode !== undefined) {
        const want = Number(exp.errorCode.valueOf());
        if (!all.some((e) => e.code !== undefined && Number(e.code) === want)) {
            throw fail(`expected error code ${want}, got ${what}`);
        }
    }
    if (exp.errorCodeName !== undefined) {
        const want = String(exp.errorCodeName).toLowerCase();
        const match = all.some((e) => {
            if (typeof e.codeName === 'string') return e.codeName.toLowerCase() === want;
            if (e.code === undefined) return false;
            const name = CODE_NAMES[Number(e.code)];
            if (name === undefined) {
                throw new RunnerError(`cannot compare codeName ${exp.errorCodeName} with code ${e.code} (no codeName)`);
            }
            return name.toLowerCase() === want;
        });
        if (!match) throw fail(`expected error code name ${exp.errorCodeName}, got ${what}`);
    }
    const hasLabel = (l) => (typeof err.hasErrorLabel === 'function' && err.hasErrorLabel(l)) ||
        (err.cause && typeof err.cause.hasErrorLabel === 'function' && err.cause.hasErrorLabel(l));
    for (const l of exp.errorLabelsContain || []) {
        if (!hasLabel(l)) throw fail(`expected error label ${l}, got labels [${(err.errorLabels || []).join(', ')}] on ${what}`);
    }
    for (const l of exp.errorLabelsOmit || []) {
        if (hasLabel(l)) throw fail(`expected no error label ${l} on ${what}`);
    }
    if (exp.errorResponse !== undefined) {
        const resp = err.errorResponse || (err.cause && err.cause.errorResponse);
        if (!resp) throw fail(`expected a server response in the error, got ${what}`);
        ctx.matcher.match(exp.errorResponse, resp, 'errorResponse', true);
    }
    if (exp.expectResult !== undefined) {
        let result;
        if (err instanceof MongoBulkWriteError) result = bulkWriteResultDoc(err.result);
        else if (MongoClientBulkWriteError && err instanceof MongoClientBulkWriteError) result = clientBulkWriteResultDoc(err.partialResult);
        ctx.matcher.match(exp.expectResult, result, 'expectError.expectResult', true);
    }
    if (exp.writeErrors !== undefined) {
        const actual = {};
        if (err.writeErrors instanceof Map) {
            for (const [k, v] of err.writeErrors) actual[String(k)] = v;
        } else {
            throw fail(`expected writeErrors on a client bulk write error, got ${what}`);
        }
        for (const [k, v] of Object.entries(exp.writeErrors)) {
            if (!(k in actual)) throw fail(`expected a write error at index ${k}, got ${show(actual)}`);
            ctx.matcher.match(v, actual[k], `writeErrors.${k}`, true);
        }
        const extra = Object.keys(actual).filter((k) => !(k in exp.writeErrors));
        if (extra.length) throw fail(`unexpected write error(s) at index ${extra.join(', ')}`);
    }
    if (exp.writeConcernErrors !== undefined) {
        const actual = err.writeConcernErrors;
        if (!Array.isArray(actual)) throw fail(`expected writeConcernErrors, got ${what}`);
        if (actual.length !== exp.writeConcernErrors.length) {
            throw fail(`expected ${exp.writeConcernErrors.length} write concern error(s), got ${actual.length}`);
        }
        exp.writeConcernErrors.forEach((w, i) => ctx.matcher.match(w, actual[i], `writeConcernErrors[${i}]`, true));
    }
}

// ---- events -----------------------------------------------------------------------------

function checkFlagServiceId(want, ev, path) {
    const id = ev.serviceId;
    const set = id !== undefined && id !== null && !/^0+$/.test(id.toHexString ? id.toHexString() : String(id));
    if (want !== set) throw fail(`${path}: expected hasServiceId ${want}`);
}

function checkFlagServerConnectionId(want, ev, path) {
    const id = ev.serverConnectionId;
    const set = id !== undefined && id !== null && Number(id) > 0;
    if (want !== set) throw fail(`${path}: expected hasServerConnectionId ${want}, got ${id}`);
}

function matchEvent(ctx, expected, recorded, path) {
    const keys = Object.keys(expected);
    if (keys.length !== 1) throw new RunnerError(`${path}: an expected event must have exactly one key`);
    const [name] = keys;
    if (!EVENTS[name]) throw new RunnerError(`${path}: unknown event type ${name}`);
    if (recorded.name !== name) throw fail(`${path}: expected ${name}, got ${recorded.name}${recorded.event.commandName ? ` (${recorded.event.commandName})` : ''}`);
    const exp = expected[name];
    const ev = recorded.event;
    const category = EVENTS[name][1];
    for (const [k, v] of Object.entries(exp)) {
        const p = `${path}.${name}.${k}`;
        if (k === 'hasServiceId') { checkFlagServiceId(v, ev, p); continue; }
        if (k === 'hasServerConnectionId') { checkFlagServerConnectionId(v, ev, p); continue; }
        if (category === 'command') {
            if (k === 'command' && name === 'commandStartedEvent') ctx.matcher.match(v, ev.command, p, true);
            else if (k === 'reply' && name === 'commandSucceededEvent') ctx.matcher.match(v, ev.reply, p, true);
            else if (k === 'commandName' || k === 'databaseName') {
                if (ev[k] !== v) throw fail(`${p}: expected ${v}, got ${ev[k]}`);
            } else throw new RunnerError(`${p}: unsupported event assertion`);
        } else if (category === 'cmap') {
            if (k === 'interruptInUseConnections' && name === 'poolClearedEvent') {
                if (ev.interruptInUseConnections !== v) throw fail(`${p}: expected ${v}, got ${ev.interruptInUseConnections}`);
            } else if (k === 'reason' && (name === 'connectionClosedEvent' || name === 'connectionCheckOutFailedEvent')) {
                if (ev.reason !== v) throw fail(`${p}: expected ${v}, got ${ev.reason}`);
            } else throw new RunnerError(`${p}: unsupported event assertion`);
        } else if ((k === 'previousDescription' || k === 'newDescription') &&
            (name === 'serverDescriptionChangedEvent' || name === 'topologyDescriptionChangedEvent')) {
            for (const [dk, dv] of Object.entries(v)) {
                if (dk !== 'type') throw new RunnerError(`${p}.${dk}: unsupported description assertion`);
                const have = ev[k] && ev[k].type;
                if (have !== dv) throw fail(`${p}.type: expected ${dv}, got ${have}`);
            }
        } else if (k === 'awaited' && name.startsWith('serverHeartbeat')) {
            if (ev.awaited !== v) throw fail(`${p}: expected ${v}, got ${ev.awaited}`);
        } else {
            throw new RunnerError(`${p}: unsupported event assertion`);
        }
    }
}

function eventSummary(list) {
    return list.map((e) => (e.event.commandName ? `${e.name.replace(/Event$/, '')}(${e.event.commandName})` : e.name)).join(', ');
}

function checkExpectedEvents(ctx, expectEvents) {
    for (const [i, group] of expectEvents.entries()) {
        const eventType = group.eventType || 'command';
        if (!['command', 'cmap', 'sdam'].includes(eventType)) throw new RunnerError(`unknown eventType ${eventType}`);
        const c = ctx.entities.get(group.client, 'client');
        const actual = c.events.filter((e) => EVENTS[e.name][1] === eventType);
        const expected = group.events;
        const path = `expectEvents[${i}](${group.client})`;
        const tooFew = actual.length < expected.length;
        const tooMany = !group.ignoreExtraEvents && actual.length > expected.length;
        if (tooFew || tooMany) {
            throw fail(`${path}: expected ${expected.length} event(s), observed ${actual.length}: [${eventSummary(actual)}]`);
        }
        expected.forEach((e, j) => matchEvent(ctx, e, actual[j], `${path}[${j}]`));
    }
}

function eventMatches(ctx, expected, recorded) {
    try {
        matchEvent(ctx, expected, recorded, 'event');
        return true;
    } catch (e) {
        if (e instanceof MatchError) return false;
        throw e;
    }
}

module.exports = { checkExpectedError, checkExpectedEvents, eventMatches, describeError, isDriverError };
