/*
 * src/common/ring.h -- single-producer single-consumer ring of length-prefixed frames in
 * shared memory.
 *
 * A ring is a header followed by `size` data bytes (a power of two).  The producer owns
 * `head` (bytes ever written); the consumer owns `tail` (bytes ever consumed).  A frame is a
 * uint32 length followed by the payload, padded to 8 bytes; a frame never wraps: when the
 * space to the end of the data area is too small the producer writes a PAD marker
 * (length 0xFFFFFFFF) and starts again at offset 0.  Both counters are C11 atomics with
 * release stores and acquire loads, so a frame's bytes are visible before the head that
 * publishes them.  No locks: each field has one writer (rule 2 of DESIGN.md).
 *
 * The reader validates every length against the ring size; a bad length is SDB_ECORRUPT.
 * Wake-ups (eventfds, spinning) are the channel's business (channel.h), not the ring's; the
 * ring only records whether each side is sleeping so the other knows to signal.
 */
#ifndef SDB_RING_H
#define SDB_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SDB_RING_MAGIC 0x53444252u /* "SDBR" */
#define SDB_RING_VERSION 1u
#define SDB_RING_PAD 0xFFFFFFFFu     /* frame length marking "skip to offset 0" */
#define SDB_RING_MIN_SIZE 4096u      /* smallest data area sdb_ring_check accepts */
#define SDB_RING_MAX_SIZE (1u << 30) /* largest data area sdb_ring_check accepts */

typedef struct sdb_ring {
    uint32_t magic;   /* written once by the creator (master) */
    uint32_t version; /* written once by the creator */
    uint32_t size;    /* data bytes, power of two; written once by the creator */
    uint32_t pad0;
    _Alignas(64) _Atomic uint64_t head; /* producer writes */
    _Atomic uint32_t producer_sleeping; /* producer writes: waiting for space */
    _Alignas(64) _Atomic uint64_t tail; /* consumer writes */
    _Atomic uint32_t consumer_sleeping; /* consumer writes: waiting for data */
    uint32_t peeked;                    /* consumer writes: size of the last peeked frame */
    _Alignas(64) unsigned char data[];  /* producer writes frames, consumer reads */
} sdb_ring_t;

/* sdb_ring_bytes -- bytes of shared memory a ring with `size` data bytes needs. */
size_t sdb_ring_bytes(uint32_t size);

/* sdb_ring_init -- format a ring in place (creator only, before sharing). size: power of 2. */
void sdb_ring_init(sdb_ring_t *r, uint32_t size);

/* sdb_ring_check -- validate magic, version and size of a ring seen in shared memory. */
int sdb_ring_check(const sdb_ring_t *r, size_t mapped_bytes);

/* sdb_ring_max_frame -- largest payload one frame may carry (size/4 - 8). */
uint32_t sdb_ring_max_frame(const sdb_ring_t *r);

/* sdb_ring_try_write -- producer: append one frame made of two pieces (hdr then body,
 * either may be empty).  Returns 0, SDB_EAGAIN when there is not enough space now,
 * SDB_ETOOBIG when hlen+blen exceeds sdb_ring_max_frame, or SDB_ECORRUPT when the consumer's
 * counter is impossible. */
int sdb_ring_try_write(sdb_ring_t *r, const void *hdr, uint32_t hlen, const void *body,
                       uint32_t blen);

/* sdb_ring_peek -- consumer: point at the next frame without consuming it.  Returns 0,
 * SDB_EAGAIN when empty, or SDB_ECORRUPT. The pointer stays valid until sdb_ring_consume. */
int sdb_ring_peek(sdb_ring_t *r, const void **payload, uint32_t *len);

/* sdb_ring_consume -- consumer: release the frame returned by the last sdb_ring_peek (a no-op
 * when there is none).  The caller signals a sleeping producer (channel.c). */
void sdb_ring_consume(sdb_ring_t *r);

/* sdb_ring_empty -- consumer: true when no frame is waiting (no validation; a hint). */
int sdb_ring_empty(sdb_ring_t *r);

#endif
