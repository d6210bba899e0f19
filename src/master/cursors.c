/*
 * src/master/cursors.c -- the cursor table: id -> {ns, state, spool, checkout}.
 *
 * A chained hash table of MS cursors keyed by a random positive non-zero int64 id.  The spool
 * is the concatenated bytes of the remaining documents (each validated as BSON when the
 * cursor is created) with a read offset, so handing out a batch is a walk over lengths.
 * CURSOR_GET returns at most n documents and at most CURSOR_BATCH_BYTES (always one at
 * least) and reports how many remain.
 *
 * Invariants: cur_mu guards the whole table and every cursor in it; nothing here touches
 * WiredTiger, so it is never held across storage work.  A checked-out cursor is never
 * expired; CURSOR_KILL removes a cursor even when it is checked out (its CURSOR_PUT then
 * answers CursorNotFound, as a killed cursor's getMore does in mongod).
 */
#include "cursors.h"

#include "../common/sdb.h"
#include "storereq.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define CURSOR_BUCKETS 256
#define CURSOR_BATCH_BYTES (16 * 1024 * 1024)

typedef struct cursor {
    struct cursor *next; /* hash chain */
    int64_t id;
    char *ns;
    bson_t *state;
    uint8_t *spool; /* concatenated BSON documents */
    size_t spool_len, spool_pos;
    int64_t spool_left; /* documents not yet handed out */
    int out_slot;       /* checked out by this worker slot, -1 when in the table */
    int64_t last_used_ms;
} cursor_t;

static pthread_mutex_t cur_mu = PTHREAD_MUTEX_INITIALIZER;
static cursor_t *cur_buckets[CURSOR_BUCKETS];
static size_t cur_count;

static cursor_t **
slot_of_locked(int64_t id)
{
    cursor_t **p = &cur_buckets[(uint64_t)id % CURSOR_BUCKETS];

    while (*p != NULL && (*p)->id != id)
        p = &(*p)->next;
    return p;
}

static void
cursor_free(cursor_t *c)
{
    bson_free(c->ns);
    if (c->state != NULL)
        bson_destroy(c->state);
    bson_free(c->spool);
    bson_free(c);
}

static int64_t
new_id_locked(void)
{
    int64_t id;

    do {
        uint64_t r = 0;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            r = (uint64_t)ms_now_ms() * 6364136223846793005ull + cur_count;
        id = (int64_t)(r & INT64_MAX);
    } while (id == 0 || *slot_of_locked(id) != NULL);
    return id;
}

/* spool_fill -- copy the documents of array `docs` into c's spool. */
static int
spool_fill(cursor_t *c, bson_iter_t *docs, sdb_error_t *err)
{
    size_t cap = 0;
    bson_t d;

    while (bson_iter_next(docs)) {
        SDB_RET(ms_req_iter_doc(docs, "docs", &d, err));
        if (c->spool_len + d.len > cap) {
            cap = (c->spool_len + d.len) * 2;
            c->spool = bson_realloc(c->spool, cap);
        }
        memcpy(c->spool + c->spool_len, bson_get_data(&d), d.len);
        c->spool_len += d.len;
        c->spool_left++;
    }
    return 0;
}

int
ms_cursors_op_new(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    const char *ns;
    bson_t state;
    bson_iter_t docs;
    bool has_docs;
    cursor_t *c;
    int ret = 0;

    SDB_RET(ms_req_str(req, "ns", false, &ns, err));
    SDB_RET(ms_req_doc(req, "state", false, &state, NULL, err));
    SDB_RET(ms_req_array(req, "docs", true, &docs, &has_docs, err));
    c = bson_malloc0(sizeof(*c));
    c->ns = bson_strdup(ns);
    c->state = bson_copy(&state);
    c->out_slot = -1;
    c->last_used_ms = ms_now_ms();
    if (has_docs)
        SDB_ERR(spool_fill(c, &docs, err));
    pthread_mutex_lock(&cur_mu);
    c->id = new_id_locked();
    c->next = cur_buckets[(uint64_t)c->id % CURSOR_BUCKETS];
    cur_buckets[(uint64_t)c->id % CURSOR_BUCKETS] = c;
    cur_count++;
    BSON_APPEND_INT64(reply, "id", c->id);
    pthread_mutex_unlock(&cur_mu);
    return 0;
err:
    cursor_free(c);
    return ret;
}

static int
not_found(sdb_error_t *err, int64_t id)
{
    return sdb_error_set(err, SDB_CODE_CursorNotFound, "cursor id %" PRId64 " not found", id);
}

/* spool_out_locked -- append up to n spooled documents (n <= 0: no count limit) to arr. */
static void
spool_out_locked(cursor_t *c, int64_t n, bson_t *arr)
{
    size_t bytes = 0;
    char k[24];
    int64_t i = 0;
    bson_t d;

    while (c->spool_left > 0 && (n <= 0 || i < n)) {
        uint32_t len;
        memcpy(&len, c->spool + c->spool_pos, 4);
        len = BSON_UINT32_FROM_LE(len);
        if (i > 0 && bytes + len > CURSOR_BATCH_BYTES)
            break;
        if (!bson_init_static(&d, c->spool + c->spool_pos, len))
            break;
        snprintf(k, sizeof(k), "%" PRId64, i++);
        bson_append_document(arr, k, -1, &d);
        c->spool_pos += len;
        c->spool_left--;
        bytes += len;
    }
}

int
ms_cursors_op_get(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    int64_t id, n;
    cursor_t *c;
    bson_t arr;
    int ret = 0;

    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    SDB_RET(ms_req_int64(req, "n", 0, &n, NULL, err));
    pthread_mutex_lock(&cur_mu);
    if ((c = *slot_of_locked(id)) == NULL) {
        ret = not_found(err, id);
        goto err;
    }
    if (c->out_slot >= 0) {
        ret =
            sdb_error_set(err, SDB_CODE_CursorInUse, "cursor id %" PRId64 " is already in use", id);
        goto err;
    }
    c->out_slot = ctx != NULL ? ctx->slot : 0;
    c->last_used_ms = ms_now_ms();
    BSON_APPEND_UTF8(reply, "ns", c->ns);
    BSON_APPEND_DOCUMENT(reply, "state", c->state);
    BSON_APPEND_ARRAY_BEGIN(reply, "docs", &arr);
    spool_out_locked(c, n, &arr);
    bson_append_array_end(reply, &arr);
    BSON_APPEND_INT64(reply, "remaining", c->spool_left);
err:
    pthread_mutex_unlock(&cur_mu);
    return ret;
}

int
ms_cursors_op_put(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    cursor_t **p, *c;
    bool has_state, done;
    bson_t state;
    int64_t id;
    int ret = 0;

    SDB_RET(ms_req_int64(req, "id", 0, &id, NULL, err));
    SDB_RET(ms_req_doc(req, "state", true, &state, &has_state, err));
    SDB_RET(ms_req_bool(req, "done", false, &done, err));
    pthread_mutex_lock(&cur_mu);
    p = slot_of_locked(id);
    if ((c = *p) == NULL) {
        ret = not_found(err, id);
        goto err;
    }
    if (done) {
        *p = c->next;
        cur_count--;
        cursor_free(c);
        goto err;
    }
    if (has_state) {
        bson_destroy(c->state);
        c->state = bson_copy(&state);
    }
    c->out_slot = -1;
    c->last_used_ms = ms_now_ms();
err:
    pthread_mutex_unlock(&cur_mu);
    return ret;
}

/* kill_one_locked -- remove cursor id; 1 if it existed. */
static int
kill_one_locked(int64_t id)
{
    cursor_t **p = slot_of_locked(id), *c = *p;

    if (c == NULL)
        return 0;
    *p = c->next;
    cur_count--;
    cursor_free(c);
    return 1;
}

int
ms_cursors_op_kill(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err)
{
    bson_t killed = BSON_INITIALIZER, missing = BSON_INITIALIZER;
    bson_iter_t ids;
    uint32_t nk = 0, nm = 0;
    char k[24];

    SDB_RET(ms_req_array(req, "ids", false, &ids, NULL, err));
    pthread_mutex_lock(&cur_mu);
    while (bson_iter_next(&ids)) {
        int64_t id = BSON_ITER_HOLDS_NUMBER(&ids) ? bson_iter_as_int64(&ids) : 0;
        if (kill_one_locked(id)) {
            snprintf(k, sizeof(k), "%" PRIu32, nk++);
            bson_append_int64(&killed, k, -1, id);
        } else {
            snprintf(k, sizeof(k), "%" PRIu32, nm++);
            bson_append_int64(&missing, k, -1, id);
        }
    }
    pthread_mutex_unlock(&cur_mu);
    BSON_APPEND_ARRAY(reply, "killed", &killed);
    BSON_APPEND_ARRAY(reply, "notFound", &missing);
    bson_destroy(&killed);
    bson_destroy(&missing);
    return 0;
}

size_t
ms_cursors_expire(int64_t now_ms)
{
    size_t n = 0;

    pthread_mutex_lock(&cur_mu);
    for (size_t b = 0; b < CURSOR_BUCKETS; b++) {
        cursor_t **p = &cur_buckets[b];
        while (*p != NULL) {
            cursor_t *c = *p;
            if (c->out_slot < 0 && c->last_used_ms + MS_CURSOR_IDLE_MS < now_ms) {
                *p = c->next;
                cur_count--;
                cursor_free(c);
                n++;
            } else {
                p = &c->next;
            }
        }
    }
    pthread_mutex_unlock(&cur_mu);
    return n;
}

void
ms_cursors_channel_died(int slot)
{
    int64_t now = ms_now_ms();

    pthread_mutex_lock(&cur_mu);
    for (size_t b = 0; b < CURSOR_BUCKETS; b++) {
        for (cursor_t *c = cur_buckets[b]; c != NULL; c = c->next) {
            if (c->out_slot == slot) {
                c->out_slot = -1;
                c->last_used_ms = now;
            }
        }
    }
    pthread_mutex_unlock(&cur_mu);
}

size_t
ms_cursors_count(void)
{
    size_t n;

    pthread_mutex_lock(&cur_mu);
    n = cur_count;
    pthread_mutex_unlock(&cur_mu);
    return n;
}

void
ms_cursors_clear(void)
{
    pthread_mutex_lock(&cur_mu);
    for (size_t b = 0; b < CURSOR_BUCKETS; b++) {
        while (cur_buckets[b] != NULL) {
            cursor_t *c = cur_buckets[b];
            cur_buckets[b] = c->next;
            cursor_free(c);
        }
    }
    cur_count = 0;
    pthread_mutex_unlock(&cur_mu);
}
