/*
 * src/worker/engine/exec_race.c -- mongod's multi-planner: race the index plans, keep the best.
 *
 * Each candidate (exec_plan.h wk_exec_plan_candidates) gets one trial: a single IXSCAN batch of
 * at most WK_EXEC_TRIAL_DOCS entries from its start, whose documents the query's matcher
 * judges.  The winner is the most productive -- results per unit of work (keys looked at plus
 * documents fetched), a candidate that reached its end winning over one that did not, a
 * provided sort breaking ties, then the planner's own order -- as mongod scores a race.  The
 * trials' counts stay in each plan (trial) for explain's allPlansExecution; the executor then
 * runs the winner from its start.  A race's winner is remembered per query shape
 * (plan_cache.h) so the next query of that shape skips the race.
 *
 * Invariants: event-loop thread only (store calls); the candidates are only read and their
 * trial fields written; nothing a trial fetched outlives it.
 */
#include "exec.h"

#include "../store_client.h"

#include <string.h>

#define WK_EXEC_TRIAL_DOCS 101

/* trial -- one candidate's trial batch. */
static int
trial(const wk_exec_t *ex, wk_exec_plan_t *p, sdb_error_t *err)
{
    bson_t req = BSON_INITIALIZER, reply;
    bson_iter_t it, docs, ent;
    int ret = 0;

    memset(&p->trial, 0, sizeof(p->trial));
    BSON_APPEND_UTF8(&req, "ns", ex->ns);
    BSON_APPEND_UTF8(&req, "index", p->name);
    BSON_APPEND_ARRAY(&req, "ranges", &p->ranges);
    BSON_APPEND_INT32(&req, "dir", p->dir);
    BSON_APPEND_INT32(&req, "limit", WK_EXEC_TRIAL_DOCS);
    wk_op_append_xact(ex->op, &req);
    if (ex->read_ts != 0)
        bson_append_timestamp(&req, "readTs", -1, (uint32_t)(ex->read_ts >> 32),
                              (uint32_t)ex->read_ts);
    ret = wk_cmdu_store(SDB_OP_IXSCAN, &req, &reply, err);
    p->trial.ran = ret == 0;
    p->trial.eof = bson_iter_init_find(&it, &reply, "eof") && bson_iter_as_bool(&it);
    if (bson_iter_init_find(&it, &reply, "keys"))
        p->trial.keys = (uint64_t)bson_iter_as_int64(&it);
    if (ret == 0 && bson_iter_init_find(&it, &reply, "docs") && bson_iter_recurse(&it, &docs)) {
        while (ret == 0 && bson_iter_next(&docs)) {
            const uint8_t *d;
            uint32_t len;
            bson_t doc;
            int64_t r = 0;
            bool matched = false, have = false;

            if (!bson_iter_recurse(&docs, &ent))
                continue;
            while (bson_iter_next(&ent)) {
                if (strcmp(bson_iter_key(&ent), "r") == 0) {
                    r = bson_iter_as_int64(&ent);
                } else if (strcmp(bson_iter_key(&ent), "d") == 0 &&
                           BSON_ITER_HOLDS_DOCUMENT(&ent)) {
                    bson_iter_document(&ent, &len, &d);
                    have = bson_init_static(&doc, d, len);
                }
            }
            if (!have || wk_exec_plan_seen(p, r)) /* a multikey record's second entry */
                continue;
            p->trial.docs++;
            ret = wk_matcher_match(ex->matcher, &doc, NULL, &matched, err);
            p->trial.advanced += matched;
        }
    }
    bson_destroy(&reply);
    /* the executor's run starts afresh: forget the records the trial met */
    bson_free(p->seen);
    p->seen = NULL;
    p->nseen = p->seencap = 0;
    bson_destroy(&req);
    return ret;
}

/* productivity -- mongod's score: results per unit of work, plus the bonuses. */
static double
productivity(const wk_exec_plan_t *p)
{
    double works = (double)(p->trial.keys + p->trial.docs) + 1.0;

    return (p->trial.eof ? 1.0 : 0.0) + (double)p->trial.advanced / works +
           (p->sorted ? 1e-4 : 0.0);
}

double
wk_exec_race_score(const wk_exec_plan_t *p)
{
    return 1.0 + productivity(p);
}

int
wk_exec_race(const wk_exec_t *ex, wk_exec_plan_t **c, size_t n, size_t *winner, sdb_error_t *err)
{
    double best = -1.0;

    *winner = 0;
    for (size_t i = 0; i < n; i++) {
        double sc;

        SDB_RET(wk_op_check(ex->op, err));
        SDB_RET(trial(ex, c[i], err));
        sc = productivity(c[i]);
        if (sc > best) { /* ties keep the planner's order */
            best = sc;
            *winner = i;
        }
    }
    return 0;
}
