'use strict';
// runOnRequirements, evaluated against the server under test.

const { RunnerError, exactEqual } = require('./match');

function parseVersion(s) {
    if (typeof s !== 'string' || !/^\d+(\.\d+){0,2}$/.test(s)) throw new RunnerError(`bad version string ${JSON.stringify(s)}`);
    const parts = s.split('.').map(Number);
    while (parts.length < 3) parts.push(0);
    return parts;
}

function compareVersions(a, b) {
    for (let i = 0; i < 3; i++) {
        if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

// What the runner learns once about the server (see ServerInfo.load in runner.js):
// { version: [7, 0, 0], topology: 'replicaset', auth: false, serverless: false,
//   csfle: false, getParameter: async (name) => value | undefined }
class Requirements {
    constructor(info) {
        this.info = info;
    }

    describeServer() {
        return `server ${this.info.version.join('.')} ${this.info.topology}`;
    }

    // null when the requirement is met, otherwise why not (one short phrase).
    async unmet(req) {
        const info = this.info;
        for (const key of Object.keys(req)) {
            if (!['minServerVersion', 'maxServerVersion', 'topologies', 'serverless', 'serverParameters',
                'auth', 'authMechanism', 'csfle'].includes(key)) {
                throw new RunnerError(`unknown runOnRequirement field ${key}`);
            }
        }
        if (req.minServerVersion !== undefined &&
            compareVersions(info.version, parseVersion(req.minServerVersion)) < 0) {
            return `minServerVersion ${req.minServerVersion}`;
        }
        if (req.maxServerVersion !== undefined &&
            compareVersions(info.version, parseVersion(req.maxServerVersion)) > 0) {
            return `maxServerVersion ${req.maxServerVersion}`;
        }
        if (req.topologies !== undefined) {
            const ok = req.topologies.some((t) => t === info.topology ||
                (t === 'sharded-replicaset' && info.topology === 'sharded'));
            if (!ok) return `topologies ${JSON.stringify(req.topologies)}`;
        }
        if (req.serverless === 'require' && !info.serverless) return 'serverless "require"';
        if (req.serverless === 'forbid' && info.serverless) return 'serverless "forbid"';
        if (req.auth === true && !info.auth) return 'auth true';
        if (req.auth === false && info.auth) return 'auth false';
        if (req.authMechanism !== undefined) {
            const mechs = (await info.getParameter('authenticationMechanisms')) || [];
            const want = String(req.authMechanism).toLowerCase();
            if (!info.auth || !mechs.some((m) => String(m).toLowerCase() === want)) {
                return `authMechanism ${req.authMechanism}`;
            }
        }
        if (req.csfle === true && !info.csfle) return 'csfle true';
        if (req.csfle === false && info.csfle) return 'csfle false';
        if (req.serverParameters !== undefined) {
            for (const [name, want] of Object.entries(req.serverParameters)) {
                const have = await info.getParameter(name);
                if (have === undefined || !exactEqual(want, have)) {
                    return `serverParameters ${name}`;
                }
            }
        }
        return null;
    }

    // null when at least one requirement of the list is met (or there is no list), otherwise
    // the reason naming the declared requirement(s).
    async check(list) {
        if (list === undefined || list === null) return null;
        if (!Array.isArray(list) || list.length === 0) throw new RunnerError('runOnRequirements must be a non-empty array');
        const reasons = [];
        for (const req of list) {
            const why = await this.unmet(req);
            if (why === null) return null;
            reasons.push(why);
        }
        return `runOnRequirements not met (${this.describeServer()}): ${reasons.join(' / ')}`;
    }
}

module.exports = { Requirements, parseVersion, compareVersions };
