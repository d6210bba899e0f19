/*
 * src/common/ring.c -- single-producer single-consumer ring of length-prefixed frames.
 *
 * The data area is `size` bytes (a power of two).  `head` counts bytes ever published by the
 * producer, `tail` bytes ever released by the consumer; both only grow, and both are always
 * multiples of 8 because every frame occupies ALIGN8(4 + len) bytes: a uint32 length, the
 * payload, zero padding.  A frame never wraps.  When the bytes left before the end of the data
 * area cannot hold the next frame, the producer writes a PAD length (SDB_RING_PAD) there and
 * puts the frame at offset 0; the PAD and the frame are published together by one store of
 * `head`, so the consumer never sees a PAD without the frame after it.
 *
 * Invariants:
 *   - the producer writes `head`, `producer_sleeping` and the data bytes between head and
 *     tail + size; the consumer writes `tail`, `consumer_sleeping` and `peeked`;
 *   - `head` is stored with release after the frame bytes, and loaded with acquire by the
 *     consumer; `tail` is stored with release after the consumer is done reading the bytes,
 *     and loaded with acquire by the producer before it overwrites them;
 *   - the other side's counter and every length read from the data area is untrusted: each is
 *     checked against the ring geometry, and a bad one is SDB_ECORRUPT, never a wild access;
 *   - `size` is read once per call, so a changed value cannot split one call's view of it.
 * Wake-ups are not handled here; channel.c owns them.
 */
#include "ring.h"

#include "sdb.h"

#include <string.h>

#define RING_ALIGN8(n) (((uint64_t)(n) + 7u) & ~(uint64_t)7u)
#define RING_LENSZ ((uint32_t)sizeof(uint32_t))

/* ring_size -- read the size once; 0 when it is not a valid power of two in range. */
static uint32_t
ring_size(const sdb_ring_t *r)
{
    uint32_t size = *(const volatile uint32_t *)&r->size;

    if (size < SDB_RING_MIN_SIZE || size > SDB_RING_MAX_SIZE || (size & (size - 1)) != 0)
        return 0;
    return size;
}

/*
 * sdb_ring_bytes -- bytes of shared memory a ring with `size` data bytes needs.
 */
size_t
sdb_ring_bytes(uint32_t size)
{
    return sizeof(sdb_ring_t) + (size_t)size;
}

/*
 * sdb_ring_init -- format a ring in place; only the creator calls it, before the ring is
 * shared (or after the peer is gone, on reset).
 */
void
sdb_ring_init(sdb_ring_t *r, uint32_t size)
{
    memset(r, 0, sizeof(*r));
    r->magic = SDB_RING_MAGIC;
    r->version = SDB_RING_VERSION;
    r->size = size;
    atomic_store_explicit(&r->head, 0, memory_order_relaxed);
    atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
    atomic_store_explicit(&r->producer_sleeping, 0, memory_order_relaxed);
    atomic_store_explicit(&r->consumer_sleeping, 0, memory_order_relaxed);
    r->peeked = 0;
    atomic_thread_fence(memory_order_release);
}

/*
 * sdb_ring_check -- validate magic, version, size and counters of a ring seen in shared
 * memory, where `mapped_bytes` bytes are mapped from r onwards.
 */
int
sdb_ring_check(const sdb_ring_t *r, size_t mapped_bytes)
{
    uint64_t head, tail;
    uint32_t size;

    if (mapped_bytes < sizeof(sdb_ring_t))
        return SDB_ECORRUPT;
    if (r->magic != SDB_RING_MAGIC || r->version != SDB_RING_VERSION)
        return SDB_ECORRUPT;
    if ((size = ring_size(r)) == 0 || sdb_ring_bytes(size) > mapped_bytes)
        return SDB_ECORRUPT;
    head = atomic_load_explicit(&r->head, memory_order_acquire);
    tail = atomic_load_explicit(&((sdb_ring_t *)r)->tail, memory_order_acquire);
    if (tail > head || head - tail > size || (head & 7u) != 0 || (tail & 7u) != 0)
        return SDB_ECORRUPT;
    return 0;
}

/*
 * sdb_ring_max_frame -- largest payload one frame may carry: a quarter of the ring less the
 * length word and padding, so a frame plus a PAD always fits in an empty ring.
 */
uint32_t
sdb_ring_max_frame(const sdb_ring_t *r)
{
    uint32_t size = ring_size(r);

    return size == 0 ? 0 : size / 4 - 8;
}

/*
 * sdb_ring_try_write -- producer: append one frame of hdr then body, or report why not.
 */
int
sdb_ring_try_write(sdb_ring_t *r, const void *hdr, uint32_t hlen, const void *body, uint32_t blen)
{
    uint64_t head, tail, need, skip, used;
    uint32_t size, pos, len;

    if ((size = ring_size(r)) == 0)
        return SDB_ECORRUPT;
    if ((uint64_t)hlen + blen > sdb_ring_max_frame(r))
        return SDB_ETOOBIG;
    len = hlen + blen;
    head = atomic_load_explicit(&r->head, memory_order_relaxed);
    tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    if (tail > head || head - tail > size || (tail & 7u) != 0 || (head & 7u) != 0)
        return SDB_ECORRUPT;
    used = head - tail;
    pos = (uint32_t)(head & (size - 1));
    need = RING_ALIGN8(RING_LENSZ + len);
    skip = (pos + need > size) ? size - pos : 0;
    if (size - used < skip + need)
        return SDB_EAGAIN;
    if (skip != 0) {
        memcpy(r->data + pos, &(uint32_t){SDB_RING_PAD}, RING_LENSZ);
        pos = 0;
    }
    memcpy(r->data + pos, &len, RING_LENSZ);
    if (hlen != 0)
        memcpy(r->data + pos + RING_LENSZ, hdr, hlen);
    if (blen != 0)
        memcpy(r->data + pos + RING_LENSZ + hlen, body, blen);
    if (need > RING_LENSZ + (uint64_t)len)
        memset(r->data + pos + RING_LENSZ + len, 0, need - RING_LENSZ - len);
    atomic_store_explicit(&r->head, head + skip + need, memory_order_release);
    return 0;
}

/*
 * sdb_ring_peek -- consumer: point at the next frame without consuming it, skipping a PAD.
 */
int
sdb_ring_peek(sdb_ring_t *r, const void **payload, uint32_t *len)
{
    uint64_t head, tail, avail, need;
    uint32_t size, pos, flen;

    if ((size = ring_size(r)) == 0)
        return SDB_ECORRUPT;
    tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    head = atomic_load_explicit(&r->head, memory_order_acquire);
    if (tail > head || head - tail > size || (head & 7u) != 0 || (tail & 7u) != 0)
        return SDB_ECORRUPT;
    r->peeked = 0;
    if (head == tail)
        return SDB_EAGAIN;
    avail = head - tail;
    pos = (uint32_t)(tail & (size - 1));
    memcpy(&flen, r->data + pos, RING_LENSZ);
    if (flen == SDB_RING_PAD) {
        /* The PAD was published together with the frame after it. */
        if (pos == 0 || avail <= (uint64_t)(size - pos))
            return SDB_ECORRUPT;
        tail += size - pos;
        avail -= size - pos;
        atomic_store_explicit(&r->tail, tail, memory_order_release);
        pos = 0;
        memcpy(&flen, r->data, RING_LENSZ);
    }
    if (flen > sdb_ring_max_frame(r))
        return SDB_ECORRUPT;
    need = RING_ALIGN8(RING_LENSZ + flen);
    if (need > avail || pos + need > size)
        return SDB_ECORRUPT;
    r->peeked = (uint32_t)need;
    *payload = r->data + pos + RING_LENSZ;
    *len = flen;
    return 0;
}

/*
 * sdb_ring_consume -- consumer: release the frame returned by the last sdb_ring_peek.
 */
void
sdb_ring_consume(sdb_ring_t *r)
{
    uint64_t tail;

    if (r->peeked == 0)
        return;
    tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + r->peeked, memory_order_release);
    r->peeked = 0;
}

/*
 * sdb_ring_empty -- consumer: true when head has not moved past tail.
 */
int
sdb_ring_empty(sdb_ring_t *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) ==
           atomic_load_explicit(&r->tail, memory_order_relaxed);
}
