/*
 * src/common/logring.c -- the recent log lines getLog serves, kept in shared memory.
 *
 * Append: the owning process (log.c, under its process-local lock) claims the next slot of
 * its own ring, zeroes its seq, writes time, length and text, then publishes seq = line + 1
 * with release order, and bumps `written`.  Collect (a worker's getLog): a first pass reads
 * each slot's seq and time under the seqlock rule (same non-zero seq before and after), keeps
 * the newest `max` by time, and a second pass copies their text, dropping any slot rewritten
 * meanwhile.  Nothing here trusts the shared bytes: lengths are clamped to the slot.
 *
 * Invariants: one writer per ring (its process); readers never write.
 */
#include "logring.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

/*
 * sdb_logring_append --
 *     Keep one line in this process's ring.
 */
void
sdb_logring_append(sdb_logring_t *r, const char *text, size_t len, bool startup)
{
    uint64_t n = atomic_load_explicit(&r->written, memory_order_relaxed);
    sdb_logring_line_t *l = &r->lines[n % SDB_LOGRING_LINES];
    struct timeval tv;

    if (len > sizeof(l->text))
        len = sizeof(l->text);
    atomic_store_explicit(&l->seq, 0, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    gettimeofday(&tv, NULL);
    l->t_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    l->len = (uint32_t)len;
    l->startup = startup ? 1 : 0;
    memcpy(l->text, text, len);
    atomic_store_explicit(&l->seq, n + 1, memory_order_release);
    atomic_store_explicit(&r->written, n + 1, memory_order_release);
}

typedef struct pick {
    int64_t t_us;
    uint64_t seq;
    const sdb_logring_line_t *l;
} pick_t;

static int
by_time(const void *a, const void *b)
{
    const pick_t *x = a, *y = b;

    if (x->t_us != y->t_us)
        return x->t_us < y->t_us ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* stable_seq -- the slot's seq when it is a whole line (seqlock), else 0; its time in *t. */
static uint64_t
stable_seq(const sdb_logring_line_t *l, int64_t *t, uint32_t *startup)
{
    uint64_t a = atomic_load_explicit(&l->seq, memory_order_acquire);

    *t = l->t_us;
    *startup = l->startup;
    atomic_thread_fence(memory_order_acquire);
    return a != 0 && a == atomic_load_explicit(&l->seq, memory_order_relaxed) ? a : 0;
}

/*
 * sdb_logring_collect --
 *     The newest lines of every ring, oldest first.
 */
void
sdb_logring_collect(sdb_logring_t *rings, int n, int max, bool startup, bson_t *out, int64_t *total)
{
    pick_t *p = NULL;
    size_t np = 0, cap = 0, i, first;
    char key[16], text[SDB_LOGRING_LINE];
    int k, j;

    *total = 0;
    for (k = 0; k < n; k++) {
        uint64_t w = atomic_load_explicit(&rings[k].written, memory_order_acquire);
        *total += (int64_t)w;
        for (j = 0; j < SDB_LOGRING_LINES && (uint64_t)j < w; j++) {
            const sdb_logring_line_t *l = &rings[k].lines[j];
            int64_t t;
            uint32_t st;
            uint64_t seq = stable_seq(l, &t, &st);
            if (seq == 0 || (startup && st == 0))
                continue;
            if (np == cap) {
                cap = cap == 0 ? 256 : cap * 2;
                p = realloc(p, cap * sizeof(*p));
                if (p == NULL)
                    return;
            }
            p[np++] = (pick_t){t, seq, l};
        }
    }
    if (np > 0)
        qsort(p, np, sizeof(*p), by_time);
    first = np > (size_t)max ? np - (size_t)max : 0;
    for (i = first, j = 0; i < np; i++) {
        const sdb_logring_line_t *l = p[i].l;
        uint32_t len = l->len;
        if (len > sizeof(l->text))
            len = sizeof(l->text);
        memcpy(text, l->text, len);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&l->seq, memory_order_relaxed) != p[i].seq)
            continue; /* rewritten while we copied */
        snprintf(key, sizeof(key), "%d", j++);
        bson_append_utf8(out, key, -1, text, (int)len);
    }
    free(p);
}
