/*
 * tests/unit/check_ring.c -- unit tests for the SPSC ring (ring.c) and the channel
 * (channel.c).
 *
 * Ring tests run on a private heap buffer; channel tests use a channel made by
 * sdb_chan_create (the master side) and a second handle made by sdb_chan_attach on dup()'d
 * fds (the worker side), driven from two threads of this process.
 *
 * Invariants: every test cleans up its channels; every blocking test has a watchdog in the
 * form of the tcase timeout.
 */
#include "../../src/common/channel.h"
#include "../../src/common/ring.h"
#include "../../src/common/sdb.h"

#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------------------- */

static sdb_ring_t *
ring_new(uint32_t size)
{
    sdb_ring_t *r = aligned_alloc(64, (sdb_ring_bytes(size) + 63) & ~(size_t)63);

    ck_assert_ptr_nonnull(r);
    sdb_ring_init(r, size);
    ck_assert_int_eq(sdb_ring_check(r, sdb_ring_bytes(size)), 0);
    return r;
}

static uint64_t
rng_next(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* fill -- a reproducible byte pattern for (seed, length). */
static void
fill(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    size_t i;

    for (i = 0; i < n; i++)
        p[i] = (unsigned char)(rng_next(&s) >> 24);
}

static int
matches(const unsigned char *p, size_t n, uint64_t seed)
{
    unsigned char *want = malloc(n ? n : 1);
    int ok;

    fill(want, n, seed);
    ok = memcmp(p, want, n) == 0;
    free(want);
    return ok;
}

static void
chan_pair(sdb_chan_t *m, sdb_chan_t *w)
{
    ck_assert_int_eq(sdb_chan_create(m), 0);
    ck_assert_int_eq(sdb_chan_attach(w, dup(m->memfd), dup(m->wake_master), dup(m->wake_worker)),
                     0);
    ck_assert_uint_eq(atomic_load(&m->shm->worker_pid), (uint32_t)getpid());
}

static void
sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

    nanosleep(&ts, NULL);
}

/* ---- ring ------------------------------------------------------------------------------ */

START_TEST(test_ring_wraparound)
{
    sdb_ring_t *r = ring_new(4096);
    uint64_t s = 42, wseq = 0, rseq = 0;
    unsigned char buf[1024], hdr[8];
    const void *p;
    uint32_t len, maxf = sdb_ring_max_frame(r);
    int i, rc;

    ck_assert_uint_eq(maxf, 4096 / 4 - 8);
    for (i = 0; i < 50000; i++) {
        /* Write a burst, then read a burst, of frames of random size. */
        int nw = (int)(rng_next(&s) % 8), nr = (int)(rng_next(&s) % 8);
        while (nw-- > 0) {
            uint32_t blen = (uint32_t)(rng_next(&s) % (maxf - sizeof(hdr) + 1));
            memcpy(hdr, &wseq, sizeof(hdr));
            fill(buf, blen, wseq);
            rc = sdb_ring_try_write(r, hdr, sizeof(hdr), buf, blen);
            if (rc == SDB_EAGAIN)
                break;
            ck_assert_int_eq(rc, 0);
            wseq++;
        }
        while (nr-- > 0) {
            uint64_t seq;
            rc = sdb_ring_peek(r, &p, &len);
            if (rc == SDB_EAGAIN) {
                ck_assert_uint_eq(rseq, wseq);
                break;
            }
            ck_assert_int_eq(rc, 0);
            ck_assert_uint_ge(len, sizeof(hdr));
            memcpy(&seq, p, sizeof(seq));
            ck_assert_uint_eq(seq, rseq);
            ck_assert(matches((const unsigned char *)p + sizeof(hdr), len - sizeof(hdr), seq));
            sdb_ring_consume(r);
            rseq++;
        }
    }
    ck_assert_uint_gt(atomic_load(&r->head), 100u * 4096u); /* wrapped many times */
    ck_assert_int_eq(sdb_ring_check(r, sdb_ring_bytes(4096)), 0);
    free(r);
}
END_TEST

START_TEST(test_ring_pad)
{
    sdb_ring_t *r = ring_new(4096);
    unsigned char buf[1016];
    const void *p;
    uint32_t len, word;
    int i;

    /* Three frames of 1016 payload = 1024 bytes each, consumed: head at 3072. */
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 1000), 0);
        ck_assert_int_eq(sdb_ring_peek(r, &p, &len), 0);
        sdb_ring_consume(r);
    }
    ck_assert_uint_eq(atomic_load(&r->head), 3u * 1008u);
    /* 4096 - 3024 = 1072 bytes left: a 1016-byte payload needs 1024 and fits ... */
    fill(buf, sizeof(buf), 7);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 1016), 0);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), 0);
    sdb_ring_consume(r);
    /* ... now 48 bytes are left before the end: the next frame must PAD and wrap. */
    ck_assert_uint_eq(atomic_load(&r->head), 4048u);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 100), 0);
    memcpy(&word, r->data + 4048, sizeof(word));
    ck_assert_uint_eq(word, SDB_RING_PAD);
    ck_assert_uint_eq(atomic_load(&r->head), 4096u + 104u);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), 0);
    ck_assert_uint_eq(len, 100);
    ck_assert_ptr_eq(p, r->data + 4);
    ck_assert(matches(p, 100, 7));
    sdb_ring_consume(r);
    ck_assert_uint_eq(atomic_load(&r->tail), 4096u + 104u);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_EAGAIN);
    free(r);
}
END_TEST

START_TEST(test_ring_full)
{
    sdb_ring_t *r = ring_new(4096);
    unsigned char buf[2048] = {0};
    const void *p;
    uint32_t len, maxf = sdb_ring_max_frame(r);
    int n = 0;

    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, maxf + 1), SDB_ETOOBIG);
    ck_assert_int_eq(sdb_ring_try_write(r, buf, 8, buf, maxf - 7), SDB_ETOOBIG);
    while (sdb_ring_try_write(r, NULL, 0, buf, maxf) == 0)
        n++;
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, maxf), SDB_EAGAIN);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 1), SDB_EAGAIN);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), 0);
    ck_assert_uint_eq(len, maxf);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 1), SDB_EAGAIN); /* peek is not consume */
    sdb_ring_consume(r);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 1), 0);
    /* Empty frames are frames too: 8 bytes each. */
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, NULL, 0), 0);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 1005), SDB_EAGAIN);
    free(r);
}
END_TEST

START_TEST(test_ring_corrupt)
{
    sdb_ring_t *r = ring_new(4096);
    unsigned char buf[64] = {0};
    const void *p;
    uint32_t len, bad;

    /* A length larger than a frame may be. */
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 16), 0);
    bad = 5000;
    memcpy(r->data, &bad, sizeof(bad));
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_ECORRUPT);
    /* A length that runs past head. */
    bad = 40;
    memcpy(r->data, &bad, sizeof(bad));
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_ECORRUPT);
    /* A PAD at offset 0 (nothing to skip) is corrupt. */
    bad = SDB_RING_PAD;
    memcpy(r->data, &bad, sizeof(bad));
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_ECORRUPT);
    /* A head beyond tail + size, or misaligned. */
    sdb_ring_init(r, 4096);
    atomic_store(&r->head, 8192);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_ECORRUPT);
    ck_assert_int_eq(sdb_ring_check(r, sdb_ring_bytes(4096)), SDB_ECORRUPT);
    atomic_store(&r->head, 12);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_ECORRUPT);
    /* A tail past head, seen by the producer. */
    sdb_ring_init(r, 4096);
    atomic_store(&r->tail, 64);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 8), SDB_ECORRUPT);
    /* Header fields. */
    sdb_ring_init(r, 4096);
    ck_assert_int_eq(sdb_ring_check(r, sdb_ring_bytes(4096) - 1), SDB_ECORRUPT);
    r->size = 3000;
    ck_assert_int_eq(sdb_ring_check(r, sdb_ring_bytes(4096)), SDB_ECORRUPT);
    ck_assert_int_eq(sdb_ring_try_write(r, NULL, 0, buf, 8), SDB_ECORRUPT);
    ck_assert_int_eq(sdb_ring_peek(r, &p, &len), SDB_ECORRUPT);
    r->size = 4096;
    r->magic = 0;
    ck_assert_int_eq(sdb_ring_check(r, sdb_ring_bytes(4096)), SDB_ECORRUPT);
    free(r);
}
END_TEST

/* ---- channel: threads ------------------------------------------------------------------ */

typedef struct xfer {
    sdb_chan_t *ch;
    uint32_t n; /* messages */
    const uint32_t *sizes;
    int send_first; /* for the duplex test: send, then receive */
    int rc;
    int ok;
} xfer_t;

static void *
sender_main(void *arg)
{
    xfer_t *x = arg;
    unsigned char *buf;
    uint32_t i;

    x->rc = 0;
    for (i = 0; i < x->n && x->rc == 0; i++) {
        buf = malloc(x->sizes[i] ? x->sizes[i] : 1);
        fill(buf, x->sizes[i], 1000 + i);
        x->rc = sdb_chan_send(x->ch, 7, SDB_MSG_ERROR, 1000 + i, buf, x->sizes[i]);
        free(buf);
    }
    return NULL;
}

/* recv_check -- receive x->n messages and compare each with its expected pattern. */
static void
recv_check(xfer_t *x)
{
    sdb_msg_hdr_t h;
    const void *body;
    uint32_t i;

    x->ok = 1;
    for (i = 0; i < x->n; i++) {
        if ((x->rc = sdb_chan_recv(x->ch, &h, &body, -1)) != 0) {
            x->ok = 0;
            return;
        }
        if (h.reqid != 1000 + i || h.op != 7 || h.flags != SDB_MSG_ERROR || h.len != x->sizes[i] ||
            !matches(body, h.len, 1000 + i))
            x->ok = 0;
    }
}

static void *
receiver_main(void *arg)
{
    recv_check(arg);
    return NULL;
}

static void *
duplex_main(void *arg)
{
    xfer_t *x = arg;

    sender_main(x);
    if (x->rc == 0)
        recv_check(x);
    return NULL;
}

static void
run_xfer(sdb_chan_t *from, sdb_chan_t *to, const uint32_t *sizes, uint32_t n)
{
    xfer_t s = {.ch = from, .n = n, .sizes = sizes}, r = {.ch = to, .n = n, .sizes = sizes};
    pthread_t ts, tr;

    ck_assert_int_eq(pthread_create(&tr, NULL, receiver_main, &r), 0);
    ck_assert_int_eq(pthread_create(&ts, NULL, sender_main, &s), 0);
    pthread_join(ts, NULL);
    pthread_join(tr, NULL);
    ck_assert_int_eq(s.rc, 0);
    ck_assert_int_eq(r.rc, 0);
    ck_assert(r.ok);
}

START_TEST(test_chan_small)
{
    sdb_chan_t m, w;
    sdb_msg_hdr_t h;
    const void *body;

    chan_pair(&m, &w);
    ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, 0), SDB_EAGAIN);
    ck_assert_int_eq(sdb_chan_send(&w, 3, 0, 99, "hello", 5), 0);
    ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, 0), 0);
    ck_assert_uint_eq(h.reqid, 99);
    ck_assert_uint_eq(h.op, 3);
    ck_assert_uint_eq(h.len, 5);
    ck_assert_mem_eq(body, "hello", 5);
    ck_assert_int_eq(sdb_chan_send(&m, 3, SDB_MSG_ERROR | SDB_MSG_MORE, 99, NULL, 0), 0);
    ck_assert_int_eq(sdb_chan_recv(&w, &h, &body, -1), 0);
    ck_assert_uint_eq(h.len, 0);
    ck_assert_uint_eq(h.flags, SDB_MSG_ERROR);
    ck_assert_int_eq(sdb_chan_send(&m, 1, 0, 1, NULL, SDB_CHAN_MAX_MSG + 1), SDB_ETOOBIG);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

START_TEST(test_chan_stream)
{
    static uint32_t sizes[3000];
    sdb_chan_t m, w;
    uint64_t s = 9;
    uint32_t i;

    for (i = 0; i < 3000; i++)
        sizes[i] = (uint32_t)(i % 10 == 0 ? rng_next(&s) % (3u << 20) : rng_next(&s) % 3000);
    chan_pair(&m, &w);
    run_xfer(&w, &m, sizes, 3000);
    run_xfer(&m, &w, sizes, 3000);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

START_TEST(test_chan_large)
{
    static const uint32_t sizes[] = {16u << 20, 48u << 20, 1, (4u << 20) + 3};
    sdb_chan_t m, w;

    chan_pair(&m, &w);
    run_xfer(&w, &m, sizes, 4);
    run_xfer(&m, &w, sizes, 4);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

START_TEST(test_chan_duplex)
{
    /* Both sides send a 48 MiB message first and only then receive: this needs the backlog. */
    static const uint32_t sizes[] = {48u << 20, 16u << 20};
    sdb_chan_t m, w;
    xfer_t a, b;
    pthread_t ta, tb;

    chan_pair(&m, &w);
    a = (xfer_t){.ch = &m, .n = 2, .sizes = sizes};
    b = (xfer_t){.ch = &w, .n = 2, .sizes = sizes};
    ck_assert_int_eq(pthread_create(&ta, NULL, duplex_main, &a), 0);
    ck_assert_int_eq(pthread_create(&tb, NULL, duplex_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    ck_assert_int_eq(a.rc, 0);
    ck_assert_int_eq(b.rc, 0);
    ck_assert(a.ok);
    ck_assert(b.ok);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

/* ---- channel: waking ------------------------------------------------------------------- */

typedef struct killer {
    sdb_chan_t *ch;
    int delay_ms;
} killer_t;

static void *
killer_main(void *arg)
{
    killer_t *k = arg;

    sleep_ms(k->delay_ms);
    sdb_chan_mark_dead(k->ch);
    return NULL;
}

START_TEST(test_chan_dead_consumer)
{
    sdb_chan_t m, w;
    sdb_msg_hdr_t h;
    const void *body;
    killer_t k;
    pthread_t t;

    chan_pair(&m, &w);
    k = (killer_t){.ch = &m, .delay_ms = 100};
    ck_assert_int_eq(pthread_create(&t, NULL, killer_main, &k), 0);
    ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, -1), SDB_EPEER);
    pthread_join(t, NULL);
    ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, 0), SDB_EPEER);
    /* After a reset and a new attach the channel works again. */
    sdb_chan_close(&w);
    ck_assert_int_eq(sdb_chan_reset(&m), 0);
    ck_assert_int_eq(sdb_chan_attach(&w, dup(m.memfd), dup(m.wake_master), dup(m.wake_worker)), 0);
    ck_assert_int_eq(sdb_chan_send(&w, 1, 0, 5, "x", 1), 0);
    ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, -1), 0);
    ck_assert_uint_eq(h.reqid, 5);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

START_TEST(test_chan_dead_producer)
{
    sdb_chan_t m, w;
    unsigned char *big = calloc(1, 16u << 20);
    killer_t k;
    pthread_t t;

    chan_pair(&m, &w);
    k = (killer_t){.ch = &m, .delay_ms = 100};
    ck_assert_int_eq(pthread_create(&t, NULL, killer_main, &k), 0);
    ck_assert_int_eq(sdb_chan_send(&m, 1, 0, 1, big, 16u << 20), SDB_EPEER);
    pthread_join(t, NULL);
    free(big);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

START_TEST(test_chan_timeout_and_wake)
{
    sdb_chan_t m, w;
    sdb_msg_hdr_t h;
    const void *body;
    struct pollfd pfd;
    struct timespec t0, t1;
    long ms;

    chan_pair(&m, &w);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, 50), SDB_EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    ck_assert_int_ge(ms, 45);
    /* Event-loop contract: after EAGAIN the worker is armed and the next send wakes it. */
    sdb_chan_drain_wake(&w);
    ck_assert_int_eq(sdb_chan_recv(&w, &h, &body, 0), SDB_EAGAIN);
    pfd = (struct pollfd){.fd = sdb_chan_wake_fd(&w), .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 0), 0);
    ck_assert_int_eq(sdb_chan_send(&m, 2, 0, 8, "abc", 3), 0);
    ck_assert_int_eq(poll(&pfd, 1, 1000), 1);
    sdb_chan_drain_wake(&w);
    ck_assert_int_eq(sdb_chan_recv(&w, &h, &body, 0), 0);
    ck_assert_uint_eq(h.reqid, 8);
    ck_assert_int_eq(sdb_chan_recv(&w, &h, &body, 0), SDB_EAGAIN);
    ck_assert_int_eq(sdb_chan_wake_fd(&m), m.wake_master);
    sdb_chan_close(&w);
    sdb_chan_close(&m);
}
END_TEST

/* The worker side of a dead master: a grandchild attaches under a middle process that then
 * exits; the grandchild's blocked receive notices getppid() changed and returns SDB_EPEER. */
START_TEST(test_chan_master_gone)
{
    sdb_chan_t m, w;
    int attached[2], result[2];
    struct pollfd pfd;
    char c = 0;
    pid_t mid;

    ck_assert_int_eq(sdb_chan_create(&m), 0);
    ck_assert_int_eq(pipe(attached), 0);
    ck_assert_int_eq(pipe(result), 0);
    if ((mid = fork()) == 0) {
        if (fork() == 0) {
            sdb_msg_hdr_t h;
            const void *body;
            int rc;
            if (sdb_chan_attach(&w, dup(m.memfd), dup(m.wake_master), dup(m.wake_worker)) != 0)
                _exit(3);
            c = 'a';
            if (write(attached[1], &c, 1) != 1)
                _exit(4);
            rc = sdb_chan_recv(&w, &h, &body, -1);
            c = rc == SDB_EPEER ? 'E' : 'X';
            if (write(result[1], &c, 1) != 1)
                _exit(5);
            _exit(0);
        }
        if (read(attached[0], &c, 1) != 1)
            _exit(6);
        _exit(0); /* the "master" dies */
    }
    close(result[1]);
    ck_assert_int_eq(waitpid(mid, NULL, 0), mid);
    pfd = (struct pollfd){.fd = result[0], .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
    ck_assert_int_eq(read(result[0], &c, 1), 1);
    ck_assert_int_eq(c, 'E');
    close(result[0]);
    close(attached[0]);
    close(attached[1]);
    sdb_chan_close(&m);
}
END_TEST

/* ---- channel: validation --------------------------------------------------------------- */

static void
put_frame(sdb_ring_t *r, uint64_t reqid, uint16_t op, uint32_t len, uint16_t flags, uint32_t chunk)
{
    static unsigned char zero[1024];
    sdb_msg_hdr_t h = {.len = len, .op = op, .flags = flags, .reqid = reqid};

    ck_assert_int_eq(sdb_ring_try_write(r, &h, sizeof(h), zero, chunk), 0);
}

START_TEST(test_chan_bad_frames)
{
    sdb_chan_t m, w;
    sdb_msg_hdr_t h;
    const void *body;
    int i;

    for (i = 0; i < 6; i++) {
        chan_pair(&m, &w);
        switch (i) {
        case 0: /* continuation with another reqid */
            put_frame(w.out, 1, 1, 200, SDB_MSG_MORE, 100);
            put_frame(w.out, 2, 1, 200, 0, 100);
            break;
        case 1: /* continuation with another op */
            put_frame(w.out, 1, 1, 200, SDB_MSG_MORE, 100);
            put_frame(w.out, 1, 2, 200, 0, 100);
            break;
        case 2: /* more bytes than announced */
            put_frame(w.out, 1, 1, 150, SDB_MSG_MORE, 100);
            put_frame(w.out, 1, 1, 150, 0, 100);
            break;
        case 3: /* fewer bytes than announced */
            put_frame(w.out, 1, 1, 150, 0, 100);
            break;
        case 4: /* over the message limit */
            put_frame(w.out, 1, 1, SDB_CHAN_MAX_MSG + 1, SDB_MSG_MORE, 100);
            break;
        default: /* a frame shorter than the header */
            ck_assert_int_eq(sdb_ring_try_write(w.out, "abc", 3, NULL, 0), 0);
            break;
        }
        ck_assert_int_eq(sdb_chan_recv(&m, &h, &body, 0), SDB_ECORRUPT);
        sdb_chan_close(&w);
        sdb_chan_close(&m);
    }
}
END_TEST

START_TEST(test_chan_attach_validation)
{
    sdb_chan_t m, w;
    int fds[3];

    ck_assert_int_eq(sdb_chan_create(&m), 0);
    m.shm->magic ^= 1;
    fds[0] = dup(m.memfd);
    fds[1] = dup(m.wake_master);
    fds[2] = dup(m.wake_worker);
    ck_assert_int_eq(sdb_chan_attach(&w, fds[0], fds[1], fds[2]), SDB_ECORRUPT);
    ck_assert_int_eq(w.memfd, -1);
    m.shm->magic ^= 1;
    m.shm->rep_off = m.shm->req_off + 64;
    ck_assert_int_eq(sdb_chan_attach(&w, fds[0], fds[1], fds[2]), SDB_ECORRUPT);
    m.shm->rep_off = m.shm->total_bytes;
    ck_assert_int_eq(sdb_chan_attach(&w, fds[0], fds[1], fds[2]), SDB_ECORRUPT);
    close(fds[0]);
    close(fds[1]);
    close(fds[2]);
    sdb_chan_close(&m);
}
END_TEST

static Suite *
ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("ring");
    TCase *tch = tcase_create("channel");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ring_wraparound);
    tcase_add_test(tc, test_ring_pad);
    tcase_add_test(tc, test_ring_full);
    tcase_add_test(tc, test_ring_corrupt);
    suite_add_tcase(s, tc);
    tcase_set_timeout(tch, 120);
    tcase_add_test(tch, test_chan_small);
    tcase_add_test(tch, test_chan_stream);
    tcase_add_test(tch, test_chan_large);
    tcase_add_test(tch, test_chan_duplex);
    tcase_add_test(tch, test_chan_dead_consumer);
    tcase_add_test(tch, test_chan_dead_producer);
    tcase_add_test(tch, test_chan_timeout_and_wake);
    tcase_add_test(tch, test_chan_master_gone);
    tcase_add_test(tch, test_chan_bad_frames);
    tcase_add_test(tch, test_chan_attach_validation);
    suite_add_tcase(s, tch);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(ring_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
