/*
 * src/master/sessions.c -- the logical session cache behind $listLocalSessions.
 *
 * mongod keeps the sessions it has seen in a local cache, which $listLocalSessions lists as
 * {_id: {id, uid}, lastUse[, user]}.  Here a worker reports an lsid the first time it sees it
 * (and again when its last report is a minute old), SESSION_NOTE inserts or refreshes it
 * (startSession, refreshSessions), endSessions removes it (SESSION_END), and
 * ms_sessions_expire drops sessions idle for logicalSessionTimeoutMinutes
 * (ms_sessions_set_timeout, default 30).  The cache is a chained hash table on the
 * session key {id, uid} (common/lsid.h: two users sending the same id have two sessions, as
 * in mongod); it grows by doubling and holds at most SESS_MAX sessions (mongod's
 * maxSessions), beyond which new sessions are refused (261 TooManyLogicalSessions: startSession
 * and refreshSessions fail with it; a command's own lsid simply goes unrecorded).
 *
 * What belongs to a session ends with it (DESIGN.md rule 4): an ended (SESSION_END),
 * killed (SESSION_KILL: killSessions, killAllSessions, killAllSessionsByPattern) or expired
 * session loses its cursors (ms_cursors_kill_session) and its open transaction
 * (ms_xact_end_session).  A killed session stays in the cache, as in mongod ("the killed
 * session may still be listed").
 *
 * Invariants: sess_mu guards the table below; it is never held across a call out of this
 * file (ids to release are collected under it and released after).  Entries live in master
 * memory only (sessions do not survive a restart, as in mongod's local cache).  SESSION_END
 * also drops the sessions' retryable write records (txns.c), after releasing sess_mu.
 */
#include "sessions.h"

#include "../common/log.h"
#include "../common/lsid.h"
#include "../common/sdb.h"
#include "cursors.h"
#include "store.h"
#include "storereq.h"
#include "txns.h"
#include "xact.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#define SESS_MAX 1000000
typedef struct sess {
    struct sess *next;
    sdb_lsid_t key;   /* {id, uid} */
    int64_t last_use; /* ms since the epoch */
} sess_t;

static pthread_mutex_t sess_mu = PTHREAD_MUTEX_INITIALIZER;
static sess_t **sess_tab;
static size_t sess_nb, sess_n;
static _Atomic int64_t sess_timeout_ms = 30 * 60 * 1000;

void
ms_sessions_set_timeout(int64_t minutes)
{
    atomic_store(&sess_timeout_ms, (minutes > 0 ? minutes : 30) * 60 * 1000);
}

int64_t
ms_sessions_timeout_ms(void)
{
    return atomic_load(&sess_timeout_ms);
}

/* release -- what ends with session key: its cursors and its open transaction. */
static void
release(const sdb_lsid_t *key)
{
    ms_cursors_kill_session(key);
    ms_xact_end_session(key);
}

/* ids_t -- session keys collected under sess_mu, released after it. */
typedef struct ids {
    sdb_lsid_t *v;
    size_t n, cap;
} ids_t;

static void
ids_push(ids_t *ids, const sdb_lsid_t *key)
{
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? ids->cap * 2 : 16;
        ids->v = bson_realloc(ids->v, ids->cap * sizeof(*ids->v));
    }
    ids->v[ids->n++] = *key;
}

/* ids_release -- release every collected session and free the list; returns how many. */
static size_t
ids_release(ids_t *ids)
{
    size_t n = ids->n;

    for (size_t i = 0; i < ids->n; i++)
        release(&ids->v[i]);
    bson_free(ids->v);
    memset(ids, 0, sizeof(*ids));
    return n;
}

static size_t
hash_key(const sdb_lsid_t *key, size_t nb)
{
    return (size_t)(sdb_lsid_hash(key) % nb);
}

/* grow_locked -- double the bucket array (or create it). */
static void
grow_locked(void)
{
    size_t nb = sess_nb ? sess_nb * 2 : 1024;
    sess_t **tab = bson_malloc0(nb * sizeof(*tab));

    for (size_t i = 0; i < sess_nb; i++) {
        while (sess_tab[i] != NULL) {
            sess_t *s = sess_tab[i];
            size_t h = hash_key(&s->key, nb);

            sess_tab[i] = s->next;
            s->next = tab[h];
            tab[h] = s;
        }
    }
    bson_free(sess_tab);
    sess_tab = tab;
    sess_nb = nb;
}

/* find_locked -- the link that points at the entry for key (or at the NULL ending its chain). */
static sess_t **
find_locked(const sdb_lsid_t *key)
{
    sess_t **p = &sess_tab[hash_key(key, sess_nb)];

    while (*p != NULL && !sdb_lsid_eq(&(*p)->key, key))
        p = &(*p)->next;
    return p;
}

/* note_locked -- insert or refresh one {id, uid} entry; false when the cache is full. */
static bool
note_locked(const bson_t *e, int64_t now)
{
    sdb_lsid_t key;
    sess_t **p, *s;

    if (!sdb_lsid_from_doc(e, &key))
        return true;
    if (sess_nb == 0 || sess_n >= sess_nb * 2)
        grow_locked();
    p = find_locked(&key);
    if (*p == NULL) {
        if (sess_n >= SESS_MAX)
            return false;
        s = bson_malloc0(sizeof(*s));
        s->key = key;
        *p = s;
        sess_n++;
    }
    (*p)->last_use = now;
    return true;
}

int
ms_sessions_op_note(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int64_t now = ms_now_ms();
    bson_iter_t it;
    bool present, full = false;
    bson_t e;

    SDB_RET(ms_req_array(req, "sessions", false, &it, &present, err));
    pthread_mutex_lock(&sess_mu);
    while (bson_iter_next(&it))
        if (ms_req_iter_doc(&it, "sessions", &e, err) == 0 && !note_locked(&e, now))
            full = true;
    pthread_mutex_unlock(&sess_mu);
    if (full) /* mongod's maxSessions */
        return sdb_error_set(err, SDB_CODE_TooManyLogicalSessions,
                             "Unable to add session into the cache because the number of active "
                             "sessions is too high");
    return 0;
}

/* forget_txns -- drop the session's retryable write records (txns.c); a failure only logs. */
static void
forget_txns(ms_ctx_t *ctx, const sdb_lsid_t *key)
{
    int ret = ms_txns_forget(ctx->session, key);

    if (ret != 0)
        sdb_logf(SDB_LOG_W, "STORAGE", 22503, "could not drop retryable write records", "error=%d",
                 ret);
}

/* end_all -- drop the retryable write records (txns.c) of every session the SESSION_END
 * array names (cached or not) and release it. */
static void
end_all(ms_ctx_t *ctx, const bson_t *req)
{
    sdb_lsid_t key;
    sdb_error_t err;
    bson_iter_t it;
    bson_t e;

    if (ms_req_array(req, "sessions", true, &it, NULL, &err) != 0)
        return;
    while (bson_iter_next(&it))
        if (ms_req_iter_doc(&it, "sessions", &e, &err) == 0 && sdb_lsid_from_doc(&e, &key)) {
            forget_txns(ctx, &key);
            release(&key);
        }
}

int
ms_sessions_op_end(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int32_t ended = 0;
    sdb_lsid_t key;
    bson_iter_t it;
    bool present;
    bson_t e;

    SDB_RET(ms_req_array(req, "sessions", false, &it, &present, err));
    pthread_mutex_lock(&sess_mu);
    while (bson_iter_next(&it) && sess_nb > 0) {
        sess_t **p, *s;

        if (ms_req_iter_doc(&it, "sessions", &e, err) != 0 || !sdb_lsid_from_doc(&e, &key))
            continue;
        if ((s = *(p = find_locked(&key))) == NULL)
            continue;
        *p = s->next;
        bson_free(s);
        sess_n--;
        ended++;
    }
    pthread_mutex_unlock(&sess_mu);
    end_all(ctx, req);
    BSON_APPEND_INT32(reply, "ended", ended);
    return 0;
}

int
ms_sessions_op_list(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_t arr, d;
    uint32_t n = 0;
    char key[16];
    const char *k;

    BSON_APPEND_ARRAY_BEGIN(reply, "sessions", &arr);
    pthread_mutex_lock(&sess_mu);
    for (size_t i = 0; i < sess_nb; i++) {
        for (const sess_t *s = sess_tab[i]; s != NULL; s = s->next) {
            bson_uint32_to_string(n++, &k, key, sizeof(key));
            bson_append_document_begin(&arr, k, -1, &d);
            sdb_lsid_append(&d, "_id", &s->key);
            BSON_APPEND_DATE_TIME(&d, "lastUse", s->last_use);
            bson_append_document_end(&arr, &d);
        }
    }
    pthread_mutex_unlock(&sess_mu);
    bson_append_array_end(reply, &arr);
    return 0;
}

size_t
ms_sessions_expire(int64_t now_ms)
{
    int64_t before = now_ms - atomic_load(&sess_timeout_ms);
    ids_t gone = {NULL, 0, 0};

    pthread_mutex_lock(&sess_mu);
    for (size_t i = 0; i < sess_nb; i++) {
        sess_t **p = &sess_tab[i];

        while (*p != NULL) {
            sess_t *s = *p;
            if (s->last_use < before) {
                ids_push(&gone, &s->key);
                *p = s->next;
                bson_free(s);
                sess_n--;
            } else {
                p = &s->next;
            }
        }
    }
    pthread_mutex_unlock(&sess_mu);
    return ids_release(&gone);
}

/* uid_listed -- whether uid is one of the `uids` array's binaries. */
static bool
uid_listed(const uint8_t uid[SDB_LSID_UID_LEN], const bson_iter_t *uids)
{
    bson_iter_t it = *uids;
    bson_subtype_t st;
    const uint8_t *u;
    uint32_t n;

    while (bson_iter_next(&it)) {
        if (!BSON_ITER_HOLDS_BINARY(&it))
            continue;
        bson_iter_binary(&it, &st, &n, &u);
        if (n == SDB_LSID_UID_LEN && memcmp(u, uid, SDB_LSID_UID_LEN) == 0)
            return true;
    }
    return false;
}

/* publish_kill -- tell the workers that session key (NULL: every session) was killed, so its
 * running operations stop (global.h). */
static void
publish_kill(const sdb_lsid_t *key)
{
    sdb_global_t *g = ms_store_global();
    uint64_t seq = atomic_load(&g->session_kill_seq), w[SDB_LSID_WORDS];

    memset(w, 0xff, sizeof(w));
    if (key != NULL)
        sdb_lsid_words(key, w);
    for (int i = 0; i < SDB_LSID_WORDS; i++)
        atomic_store(&g->session_killed[seq % SDB_GLOBAL_KILL_RING][i], w[i]);
    atomic_store(&g->session_kill_seq, seq + 1);
}

int
ms_sessions_op_kill(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    ids_t hit = {NULL, 0, 0};
    bson_iter_t ids, uids;
    bool all, has_ids, has_uids;
    sdb_lsid_t key;
    bson_t e;

    SDB_RET(ms_req_bool(req, "all", false, &all, err));
    SDB_RET(ms_req_array(req, "ids", true, &ids, &has_ids, err));
    SDB_RET(ms_req_array(req, "uids", true, &uids, &has_uids, err));
    while (has_ids && bson_iter_next(&ids))
        if (ms_req_iter_doc(&ids, "ids", &e, err) == 0 && sdb_lsid_from_doc(&e, &key))
            ids_push(&hit, &key);
    pthread_mutex_lock(&sess_mu);
    for (size_t i = 0; (all || has_uids) && i < sess_nb; i++)
        for (const sess_t *s = sess_tab[i]; s != NULL; s = s->next)
            if (all || uid_listed(s->key.uid, &uids))
                ids_push(&hit, &s->key);
    pthread_mutex_unlock(&sess_mu);
    if (all) /* and cursors of sessions the cache never recorded (full) */
        ms_cursors_kill_session(NULL);
    if (all)
        publish_kill(NULL);
    for (size_t i = 0; !all && i < hit.n; i++)
        publish_kill(&hit.v[i]);
    BSON_APPEND_INT32(reply, "killed", (int32_t)ids_release(&hit));
    return 0;
}
