/*
 * src/common/channel.c -- the shared-memory channel between one worker and the master.
 *
 * Layout of the memfd mapping: the sdb_chan_shm_t header at offset 0, the request ring
 * (worker produces, master consumes) at req_off, the reply ring (master produces, worker
 * consumes) at rep_off, each offset page-aligned.  A message is one or more ring frames, each
 * an sdb_msg_hdr_t followed by a chunk of the body; every frame but the last has
 * SDB_MSG_MORE.  The receiver copies chunks into its private buffer and checks that every
 * continuation repeats the first frame's reqid, op and len and that the chunks add up to len.
 *
 * Waiting.  A side that needs data (recv) or space (send) first spins for SDB_CHAN_SPIN_NS
 * (skipped on a single CPU), then sets its sleeping flag in the ring (consumer_sleeping on
 * `in`, producer_sleeping on `out`), issues a seq_cst fence, re-checks and polls its own
 * eventfd.  The other side, after publishing a frame or releasing one, issues a seq_cst fence
 * and writes the peer's eventfd only if the matching flag is set (the fence pair makes the
 * flag/counter handshake a Dekker pattern, so no wake-up is lost).  A sender waiting for space
 * also sets consumer_sleeping and pulls inbound frames into a private backlog, so two sides
 * sending large messages to each other at once both make progress: each waits only on its own
 * eventfd, and each keeps consuming what the other produces.
 *
 * Invariants:
 *   - one thread per side; the master side and the worker side are different sdb_chan_t
 *     handles (different processes, or different threads in the unit test);
 *   - shared memory is untrusted: attach validates every header field, every call checks the
 *     ring size against the private copy, the ring checks every counter and length, and frames
 *     are copied out before they are parsed;
 *   - `dead` is written with an atomic store by sdb_chan_mark_dead (async-signal-safe: an
 *     atomic store and write(2)) and read by every wait, which then returns SDB_EPEER;
 *   - a worker-side wait polls with SDB_CHAN_PPID_POLL_MS and gives up with SDB_EPEER when
 *     getppid() no longer names the master it attached to.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create; configure also passes -D_GNU_SOURCE */
#endif
#include "channel.h"

#include "sdb.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHAN_PAGE 4096u
#define CHAN_ALIGN(n) (((uint64_t)(n) + CHAN_PAGE - 1) & ~(uint64_t)(CHAN_PAGE - 1))
#define CHAN_BACKLOG_MAX ((size_t)128 << 20)
#define CHAN_HDR ((uint32_t)sizeof(sdb_msg_hdr_t))

/* ---- small helpers --------------------------------------------------------------------- */

static int64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void
cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield" ::: "memory");
#endif
}

/* spin_ns -- how long to spin before sleeping: 0 on a single CPU, where spinning only
 * delays the peer we are waiting for. */
static int64_t
spin_ns(void)
{
    static _Atomic long ncpu;
    long n = atomic_load_explicit(&ncpu, memory_order_relaxed);

    if (n == 0) {
        n = sysconf(_SC_NPROCESSORS_ONLN);
        if (n < 1)
            n = 1;
        atomic_store_explicit(&ncpu, n, memory_order_relaxed);
    }
    return n > 1 ? SDB_CHAN_SPIN_NS : 0;
}

static int
chan_is_dead(const sdb_chan_t *ch)
{
    return __atomic_load_n((const int *)&ch->dead, __ATOMIC_ACQUIRE);
}

static int
own_fd(const sdb_chan_t *ch)
{
    return ch->side == SDB_CHAN_SIDE_MASTER ? ch->wake_master : ch->wake_worker;
}

static int
peer_fd(const sdb_chan_t *ch)
{
    return ch->side == SDB_CHAN_SIDE_MASTER ? ch->wake_worker : ch->wake_master;
}

/* poke -- add 1 to an eventfd; async-signal-safe.  A full counter (EAGAIN) is still awake. */
static void
poke(int fd)
{
    uint64_t one = 1;
    ssize_t n;

    if (fd < 0)
        return;
    do
        n = write(fd, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
}

static void
drain_fd(int fd)
{
    uint64_t v;
    ssize_t n;

    if (fd < 0)
        return;
    do
        n = read(fd, &v, sizeof(v));
    while (n < 0 && errno == EINTR);
}

/* signal_consumer -- after publishing on `out`: wake the peer if it sleeps for data. */
static void
signal_consumer(sdb_chan_t *ch)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&ch->out->consumer_sleeping, memory_order_relaxed))
        poke(peer_fd(ch));
}

/* signal_producer -- after releasing on `in`: wake the peer if it sleeps for space. */
static void
signal_producer(sdb_chan_t *ch)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&ch->in->producer_sleeping, memory_order_relaxed))
        poke(peer_fd(ch));
}

/* check_rings -- the shared sizes must still be what we validated at create/attach. */
static int
check_rings(const sdb_chan_t *ch)
{
    if (ch->shm == NULL || ch->in->size != ch->ring_size || ch->out->size != ch->ring_size)
        return SDB_ECORRUPT;
    return 0;
}

static int
backlog_pending(const sdb_chan_t *ch)
{
    return ch->boff < ch->blen;
}

/* repoke -- before returning: if this call ate wake-ups but frames remain, or the backlog
 * holds frames the peer never signalled, make the own eventfd readable again. */
static void
repoke(sdb_chan_t *ch)
{
    if (backlog_pending(ch) || (ch->drained && !sdb_ring_empty(ch->in)))
        poke(own_fd(ch));
}

/* ---- creation, attachment, teardown ---------------------------------------------------- */

static void
chan_layout(uint32_t ring_size, uint64_t *req_off, uint64_t *rep_off, uint64_t *total)
{
    *req_off = CHAN_ALIGN(sizeof(sdb_chan_shm_t));
    *rep_off = *req_off + CHAN_ALIGN(sdb_ring_bytes(ring_size));
    *total = *rep_off + CHAN_ALIGN(sdb_ring_bytes(ring_size));
}

/* chan_bind -- point in/out at the rings for this side. */
static void
chan_bind(sdb_chan_t *ch, sdb_chan_side_t side)
{
    sdb_ring_t *req = (sdb_ring_t *)((unsigned char *)ch->shm + ch->shm->req_off);
    sdb_ring_t *rep = (sdb_ring_t *)((unsigned char *)ch->shm + ch->shm->rep_off);

    ch->side = side;
    ch->in = side == SDB_CHAN_SIDE_MASTER ? req : rep;
    ch->out = side == SDB_CHAN_SIDE_MASTER ? rep : req;
}

static void
chan_clear(sdb_chan_t *ch)
{
    memset(ch, 0, sizeof(*ch));
    ch->memfd = ch->wake_master = ch->wake_worker = -1;
}

/*
 * sdb_chan_create -- master: make a memfd with both rings and the two eventfds.
 */
int
sdb_chan_create(sdb_chan_t *ch)
{
    uint64_t req_off, rep_off, total;
    void *map;
    int ret = 0;

    chan_clear(ch);
    chan_layout(SDB_CHAN_RING_SIZE, &req_off, &rep_off, &total);
    if ((ch->memfd = memfd_create("secantusdb-chan", MFD_CLOEXEC)) < 0)
        SDB_ERR(errno);
    if (ftruncate(ch->memfd, (off_t)total) != 0)
        SDB_ERR(errno);
    map = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, ch->memfd, 0);
    if (map == MAP_FAILED)
        SDB_ERR(errno);
    ch->shm = map;
    ch->map_bytes = total;
    if ((ch->wake_master = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        SDB_ERR(errno);
    if ((ch->wake_worker = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        SDB_ERR(errno);
    ch->shm->magic = SDB_CHAN_MAGIC;
    ch->shm->version = SDB_CHAN_VERSION;
    ch->shm->req_off = req_off;
    ch->shm->rep_off = rep_off;
    ch->shm->total_bytes = total;
    ch->ring_size = SDB_CHAN_RING_SIZE;
    chan_bind(ch, SDB_CHAN_SIDE_MASTER);
    return sdb_chan_reset(ch);

err:
    sdb_chan_close(ch);
    return ret;
}

/*
 * sdb_chan_reset -- master: after the worker died, reformat both rings and clear state.  Also
 * used by create for the first format.
 */
int
sdb_chan_reset(sdb_chan_t *ch)
{
    if (ch->shm == NULL || ch->side != SDB_CHAN_SIDE_MASTER)
        return SDB_ECORRUPT;
    sdb_ring_init(ch->in, ch->ring_size);
    sdb_ring_init(ch->out, ch->ring_size);
    atomic_store(&ch->shm->state, 0);
    atomic_store(&ch->shm->worker_pid, 0);
    drain_fd(ch->wake_master);
    drain_fd(ch->wake_worker);
    __atomic_store_n((int *)&ch->dead, 0, __ATOMIC_RELEASE);
    ch->rbusy = 0;
    ch->rlen = 0;
    ch->blen = ch->boff = 0;
    ch->drained = 0;
    return 0;
}

/* attach_check -- validate the header of a mapping of `total` bytes. */
static int
attach_check(const sdb_chan_shm_t *shm, uint64_t total)
{
    const unsigned char *base = (const unsigned char *)shm;
    const sdb_ring_t *req, *rep;
    uint64_t req_off = shm->req_off, rep_off = shm->rep_off;

    if (shm->magic != SDB_CHAN_MAGIC || shm->version != SDB_CHAN_VERSION)
        return SDB_ECORRUPT;
    if (shm->total_bytes != total || req_off < sizeof(*shm) || rep_off < sizeof(*shm))
        return SDB_ECORRUPT;
    if ((req_off & 63) != 0 || (rep_off & 63) != 0 || req_off >= total || rep_off >= total)
        return SDB_ECORRUPT;
    req = (const sdb_ring_t *)(base + req_off);
    rep = (const sdb_ring_t *)(base + rep_off);
    SDB_RET(sdb_ring_check(req, total - req_off));
    SDB_RET(sdb_ring_check(rep, total - rep_off));
    if (req->size != SDB_CHAN_RING_SIZE || rep->size != SDB_CHAN_RING_SIZE)
        return SDB_ECORRUPT;
    /* The two rings must not overlap each other. */
    if (req_off < rep_off ? req_off + sdb_ring_bytes(req->size) > rep_off
                          : rep_off + sdb_ring_bytes(rep->size) > req_off)
        return SDB_ECORRUPT;
    return 0;
}

/*
 * sdb_chan_attach -- worker: map an inherited memfd and validate every header field.
 */
int
sdb_chan_attach(sdb_chan_t *ch, int memfd, int wake_master, int wake_worker)
{
    struct stat st;
    void *map = MAP_FAILED;
    int ret = 0;

    chan_clear(ch);
    if (fstat(memfd, &st) != 0)
        SDB_ERR(errno);
    if (st.st_size < (off_t)sizeof(sdb_chan_shm_t) || st.st_size > ((off_t)1 << 31))
        SDB_ERR(SDB_ECORRUPT);
    map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
    if (map == MAP_FAILED)
        SDB_ERR(errno);
    SDB_ERR(attach_check(map, (uint64_t)st.st_size));
    ch->shm = map;
    ch->map_bytes = (size_t)st.st_size;
    ch->memfd = memfd;
    ch->wake_master = wake_master;
    ch->wake_worker = wake_worker;
    ch->ring_size = SDB_CHAN_RING_SIZE;
    ch->ppid = getppid();
    chan_bind(ch, SDB_CHAN_SIDE_WORKER);
    atomic_store(&ch->shm->worker_pid, (uint32_t)getpid());
    return 0;

err:
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    chan_clear(ch);
    return ret;
}

/*
 * sdb_chan_set_active -- worker: the dead-man switch; ACTIVE while running, 0 on orderly exit.
 */
void
sdb_chan_set_active(sdb_chan_t *ch, int active)
{
    if (ch->shm != NULL)
        atomic_store(&ch->shm->state, active ? SDB_CHAN_ACTIVE : 0u);
}

/*
 * sdb_chan_close -- unmap, close the fds and free the private buffers (either side).
 */
void
sdb_chan_close(sdb_chan_t *ch)
{
    if (ch->shm != NULL)
        munmap(ch->shm, ch->map_bytes);
    if (ch->memfd >= 0)
        close(ch->memfd);
    if (ch->wake_master >= 0)
        close(ch->wake_master);
    if (ch->wake_worker >= 0)
        close(ch->wake_worker);
    free(ch->rbuf);
    free(ch->bbuf);
    chan_clear(ch);
}

/* ---- waiting --------------------------------------------------------------------------- */

/*
 * chan_sleep -- poll the own eventfd until it is written, the deadline passes (SDB_EAGAIN,
 * deadline < 0 = never) or the peer is known dead (SDB_EPEER).  0 means "look again".
 */
static int
chan_sleep(sdb_chan_t *ch, int64_t deadline)
{
    struct pollfd pfd = {.fd = own_fd(ch), .events = POLLIN};
    int64_t now;
    int ms = -1;

    if (chan_is_dead(ch))
        return SDB_EPEER;
    if (deadline >= 0) {
        if ((now = now_ns()) >= deadline)
            return SDB_EAGAIN;
        ms = (int)((deadline - now + 999999) / 1000000);
    }
    if (ch->side == SDB_CHAN_SIDE_WORKER && (ms < 0 || ms > SDB_CHAN_PPID_POLL_MS))
        ms = SDB_CHAN_PPID_POLL_MS;
    if (poll(&pfd, 1, ms) > 0 && (pfd.revents & POLLIN) != 0) {
        drain_fd(pfd.fd);
        ch->drained = 1;
    }
    if (chan_is_dead(ch))
        return SDB_EPEER;
    if (ch->side == SDB_CHAN_SIDE_WORKER && getppid() != ch->ppid)
        return SDB_EPEER;
    return 0;
}

/*
 * wait_data -- block until the inbound ring holds a frame.  Returns 0 (look again),
 * SDB_EAGAIN at the deadline (leaving consumer_sleeping set: armed for an event loop) or
 * SDB_EPEER.
 */
static int
wait_data(sdb_chan_t *ch, int64_t deadline)
{
    int64_t start = now_ns(), spin_end = start + spin_ns();

    if (deadline >= 0 && deadline < spin_end)
        spin_end = deadline;
    while (now_ns() < spin_end) {
        if (!sdb_ring_empty(ch->in))
            return 0;
        if (chan_is_dead(ch))
            return SDB_EPEER;
        cpu_pause();
    }
    for (;;) {
        atomic_store(&ch->in->consumer_sleeping, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (!sdb_ring_empty(ch->in))
            return 0;
        SDB_RET(chan_sleep(ch, deadline));
    }
}

/*
 * backlog_pull -- move every frame waiting on `in` into the private backlog (up to
 * CHAN_BACKLOG_MAX) and tell a sleeping peer producer that space was freed.
 */
static int
backlog_pull(sdb_chan_t *ch)
{
    const void *p;
    uint32_t n;
    size_t need, cap;
    unsigned char *nb;
    int ret = 0, moved = 0;

    while (ch->blen < CHAN_BACKLOG_MAX) {
        if ((ret = sdb_ring_peek(ch->in, &p, &n)) != 0)
            break;
        need = ch->blen + sizeof(n) + n;
        if (need > ch->bcap) {
            cap = ch->bcap ? ch->bcap * 2 : ((size_t)1 << 20);
            while (cap < need)
                cap *= 2;
            if ((nb = realloc(ch->bbuf, cap)) == NULL) {
                ret = ENOMEM;
                break;
            }
            ch->bbuf = nb;
            ch->bcap = cap;
        }
        memcpy(ch->bbuf + ch->blen, &n, sizeof(n));
        memcpy(ch->bbuf + ch->blen + sizeof(n), p, n);
        ch->blen = need;
        sdb_ring_consume(ch->in);
        moved = 1;
    }
    if (moved)
        signal_producer(ch);
    return ret == SDB_EAGAIN ? 0 : ret;
}

/*
 * wait_space -- block until the consumer of `out` moves its tail past `seen`, pulling inbound
 * frames into the backlog meanwhile.  Returns 0 (try again), SDB_EPEER or an error.
 */
static int
wait_space(sdb_chan_t *ch, uint64_t seen)
{
    int64_t spin_end = now_ns() + spin_ns();
    int ret = 0;

    while (now_ns() < spin_end) {
        if (atomic_load_explicit(&ch->out->tail, memory_order_acquire) != seen)
            return 0;
        if (chan_is_dead(ch))
            return SDB_EPEER;
        if (!sdb_ring_empty(ch->in))
            SDB_RET(backlog_pull(ch));
        cpu_pause();
    }
    for (;;) {
        atomic_store(&ch->out->producer_sleeping, 1);
        if (ch->blen < CHAN_BACKLOG_MAX)
            atomic_store(&ch->in->consumer_sleeping, 1);
        atomic_thread_fence(memory_order_seq_cst);
        if (atomic_load_explicit(&ch->out->tail, memory_order_acquire) != seen)
            break;
        if (!sdb_ring_empty(ch->in) && ch->blen < CHAN_BACKLOG_MAX) {
            SDB_ERR(backlog_pull(ch));
            continue;
        }
        SDB_ERR(chan_sleep(ch, -1));
    }
err:
    atomic_store(&ch->out->producer_sleeping, 0);
    return ret;
}

/* ---- sending --------------------------------------------------------------------------- */

/* send_frame -- put one frame on `out`, waiting for space as long as it takes. */
static int
send_frame(sdb_chan_t *ch, const sdb_msg_hdr_t *h, const unsigned char *chunk, uint32_t n)
{
    uint64_t seen;
    int ret;

    for (;;) {
        if (chan_is_dead(ch))
            return SDB_EPEER;
        seen = atomic_load_explicit(&ch->out->tail, memory_order_acquire);
        ret = sdb_ring_try_write(ch->out, h, CHAN_HDR, chunk, n);
        if (ret == 0)
            break;
        if (ret != SDB_EAGAIN)
            return ret;
        SDB_RET(wait_space(ch, seen));
    }
    signal_consumer(ch);
    return 0;
}

/*
 * sdb_chan_send -- send one message, split into frames of at most the ring's frame size.
 */
int
sdb_chan_send(sdb_chan_t *ch, uint16_t op, uint16_t flags, uint64_t reqid, const void *body,
              uint32_t len)
{
    const unsigned char *p = body;
    sdb_msg_hdr_t h = {.len = len, .op = op, .reqid = reqid};
    uint32_t off = 0, chunk, maxchunk;
    int ret = 0;

    if (len > SDB_CHAN_MAX_MSG)
        return SDB_ETOOBIG;
    SDB_RET(check_rings(ch));
    maxchunk = sdb_ring_max_frame(ch->out) - CHAN_HDR;
    ch->drained = 0;
    do {
        chunk = len - off < maxchunk ? len - off : maxchunk;
        h.flags = (uint16_t)((flags & ~SDB_MSG_MORE) | (off + chunk < len ? SDB_MSG_MORE : 0));
        SDB_ERR(send_frame(ch, &h, chunk != 0 ? p + off : NULL, chunk));
        off += chunk;
    } while (off < len);

err:
    repoke(ch);
    return ret;
}

/* ---- receiving ------------------------------------------------------------------------- */

/* next_frame -- the oldest inbound frame: from the backlog first, else from the ring. */
static int
next_frame(sdb_chan_t *ch, const unsigned char **p, uint32_t *n, int *from_backlog)
{
    const void *rp;

    if (backlog_pending(ch)) {
        memcpy(n, ch->bbuf + ch->boff, sizeof(*n));
        *p = ch->bbuf + ch->boff + sizeof(*n);
        *from_backlog = 1;
        return 0;
    }
    *from_backlog = 0;
    SDB_RET(sdb_ring_peek(ch->in, &rp, n));
    *p = rp;
    return 0;
}

static void
release_frame(sdb_chan_t *ch, uint32_t n, int from_backlog)
{
    if (from_backlog) {
        ch->boff += sizeof(n) + n;
        if (ch->boff >= ch->blen)
            ch->boff = ch->blen = 0;
        return;
    }
    sdb_ring_consume(ch->in);
    signal_producer(ch);
}

/* rbuf_reserve -- room for a message body of `len` bytes; shrink after a huge one. */
static int
rbuf_reserve(sdb_chan_t *ch, size_t len)
{
    size_t cap;
    unsigned char *nb;

    if (ch->rcap > ((size_t)16 << 20) && len <= ((size_t)1 << 20)) {
        free(ch->rbuf);
        ch->rbuf = NULL;
        ch->rcap = 0;
    }
    if (len <= ch->rcap)
        return 0;
    cap = len < ((size_t)64 << 10) ? ((size_t)64 << 10) : len;
    if ((nb = realloc(ch->rbuf, cap)) == NULL)
        return ENOMEM;
    ch->rbuf = nb;
    ch->rcap = cap;
    return 0;
}

/*
 * accept_frame -- add one frame to the message being reassembled.  Returns 0 when the
 * message is complete, SDB_EAGAIN when more frames must follow, SDB_ECORRUPT or ENOMEM.
 */
static int
accept_frame(sdb_chan_t *ch, const unsigned char *p, uint32_t n)
{
    sdb_msg_hdr_t h;
    uint32_t chunk;

    if (n < CHAN_HDR)
        return SDB_ECORRUPT;
    memcpy(&h, p, CHAN_HDR);
    chunk = n - CHAN_HDR;
    if (h.len > SDB_CHAN_MAX_MSG)
        return SDB_ECORRUPT;
    if (!ch->rbusy) {
        SDB_RET(rbuf_reserve(ch, h.len));
        ch->rhdr = h;
        ch->rlen = 0;
        ch->rbusy = 1;
    } else if (h.reqid != ch->rhdr.reqid || h.op != ch->rhdr.op || h.len != ch->rhdr.len) {
        return SDB_ECORRUPT;
    }
    if (chunk > ch->rhdr.len - ch->rlen)
        return SDB_ECORRUPT;
    if (chunk != 0)
        memcpy(ch->rbuf + ch->rlen, p + CHAN_HDR, chunk);
    ch->rlen += chunk;
    if ((h.flags & SDB_MSG_MORE) != 0)
        return chunk != 0 && ch->rlen < ch->rhdr.len ? SDB_EAGAIN : SDB_ECORRUPT;
    if (ch->rlen != ch->rhdr.len)
        return SDB_ECORRUPT;
    ch->rhdr.flags = (uint16_t)(h.flags & ~SDB_MSG_MORE);
    ch->rbusy = 0;
    return 0;
}

/*
 * sdb_chan_recv -- receive one whole message into the channel's private buffer.
 */
int
sdb_chan_recv(sdb_chan_t *ch, sdb_msg_hdr_t *hdr, const void **body, int timeout_ms)
{
    static const unsigned char empty[1];
    const unsigned char *p;
    int64_t deadline = timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
    uint32_t n;
    int ret = 0, from_backlog, acc;

    SDB_RET(check_rings(ch));
    ch->drained = 0;
    for (;;) {
        if (chan_is_dead(ch))
            SDB_ERR(SDB_EPEER);
        ret = next_frame(ch, &p, &n, &from_backlog);
        if (ret == SDB_EAGAIN) {
            SDB_ERR(wait_data(ch, deadline));
            continue;
        }
        SDB_ERR(ret);
        acc = accept_frame(ch, p, n);
        release_frame(ch, n, from_backlog);
        if (acc == 0)
            break;
        if (acc != SDB_EAGAIN)
            SDB_ERR(acc);
    }
    atomic_store_explicit(&ch->in->consumer_sleeping, 0, memory_order_relaxed);
    *hdr = ch->rhdr;
    *body = ch->rbuf != NULL ? ch->rbuf : empty;

err:
    repoke(ch);
    return ret;
}

/* ---- event-loop helpers ---------------------------------------------------------------- */

/*
 * sdb_chan_wake_fd -- the eventfd this side sleeps on (for an event loop to poll).
 */
int
sdb_chan_wake_fd(const sdb_chan_t *ch)
{
    return own_fd(ch);
}

/*
 * sdb_chan_drain_wake -- read the own eventfd counter so a level-triggered poller quiets.
 */
void
sdb_chan_drain_wake(sdb_chan_t *ch)
{
    drain_fd(own_fd(ch));
}

/*
 * sdb_chan_mark_dead -- the peer died: every wait on this handle returns SDB_EPEER.
 * Async-signal-safe: one lock-free atomic store and two write(2) calls.
 */
void
sdb_chan_mark_dead(sdb_chan_t *ch)
{
    int saved = errno;

    __atomic_store_n((int *)&ch->dead, 1, __ATOMIC_RELEASE);
    poke(ch->wake_master);
    poke(ch->wake_worker);
    errno = saved;
}
