/*
 * src/common/channel.h -- the shared-memory channel between one worker and the master.
 *
 * A channel is one memfd mapping holding a header, the request ring (worker -> master) and
 * the reply ring (master -> worker), plus two eventfds: `wake_master` (the master's service
 * thread sleeps on it) and `wake_worker` (the worker's event loop polls it).  Messages are a
 * fixed sdb_msg_hdr_t followed by a BSON body; a message larger than one frame travels as
 * several frames, each carrying the header with SDB_MSG_MORE set on all but the last, and the
 * receiver reassembles them (a 16 MiB document and a 48 MiB batch must pass).
 *
 * Waiting is a short adaptive spin (about 20 us) then a sleep on the eventfd; before sleeping
 * a side sets its *_sleeping flag in the ring and re-checks, and the other side writes the
 * eventfd only when that flag is set.  A dead peer must wake the waiting side: the master
 * calls sdb_chan_mark_dead() from its SIGCHLD handling, which sets the private `dead` flag
 * and writes both eventfds; waits then return SDB_EPEER.  The worker learns of a dead master
 * through PR_SET_PDEATHSIG and the death pipe and exits.
 *
 * Ownership: the master creates (sdb_chan_create) and may reset a channel after its worker
 * died; the worker attaches to inherited fds (sdb_chan_attach).  Header fields say who
 * writes them.  Each side uses its channel from one thread only.
 *
 * No deadlock when both directions are busy: a sender that waits for ring space sleeps only on
 * its own eventfd, which the peer writes after it consumes (or sends); while it waits it also
 * moves frames that arrive on its inbound ring into a private backlog, so a peer that is itself
 * blocked sending to us always gets space.  sdb_chan_recv serves the backlog first.  After a
 * send or receive that consumed wake-ups, the own eventfd is written again if frames remain
 * (backlog or ring), so an event loop polling sdb_chan_wake_fd() never sleeps on pending data.
 *
 * Event-loop contract: a receive that returns SDB_EAGAIN leaves this side "armed" (its
 * consumer_sleeping flag set) so the peer writes the wake fd on its next frame.  So a loop must
 * call sdb_chan_recv(..., 0) until SDB_EAGAIN before it sleeps on the wake fd; a successful
 * receive disarms (so a busy receiver costs the sender no system calls).
 *
 * File descriptors are created close-on-exec; the spawner clears the flag for the child.
 */
#ifndef SDB_CHANNEL_H
#define SDB_CHANNEL_H

#include "ring.h"

#include <stdint.h>
#include <sys/types.h>

#define SDB_CHAN_MAGIC 0x53444243u /* "SDBC" */
#define SDB_CHAN_VERSION 1u
#define SDB_CHAN_RING_SIZE (4u << 20) /* data bytes per ring */
#define SDB_CHAN_MAX_MSG (64u << 20)  /* largest message body (all frames) */
#define SDB_CHAN_SPIN_NS 20000        /* spin this long before sleeping on the eventfd */
#define SDB_CHAN_PPID_POLL_MS 100     /* worker: re-check getppid() this often while asleep */

/* Message header: same layout in both directions. */
typedef struct sdb_msg_hdr {
    uint32_t len;   /* total body bytes of the whole message (all frames) */
    uint16_t op;    /* SDB_OP_* from storeop.def */
    uint16_t flags; /* SDB_MSG_* */
    uint64_t reqid; /* request id; the reply carries the same id */
} sdb_msg_hdr_t;

#define SDB_MSG_MORE 0x1u  /* more frames of this message follow */
#define SDB_MSG_ERROR 0x2u /* reply body is {ok:0, code, errmsg} */

#define SDB_CHAN_ACTIVE 1u /* worker attached and running; cleared on orderly exit */

typedef struct sdb_chan_shm {
    uint32_t magic;              /* master writes once */
    uint32_t version;            /* master writes once */
    uint64_t req_off;            /* master writes once: offset of the request ring */
    uint64_t rep_off;            /* master writes once: offset of the reply ring */
    uint64_t total_bytes;        /* master writes once: size of the mapping */
    _Atomic uint32_t state;      /* worker writes: SDB_CHAN_ACTIVE or 0 */
    _Atomic uint32_t worker_pid; /* worker writes once attached */
} sdb_chan_shm_t;

typedef enum {
    SDB_CHAN_SIDE_MASTER = 0,
    SDB_CHAN_SIDE_WORKER = 1
} sdb_chan_side_t;

/* Process-private handle. */
typedef struct sdb_chan {
    sdb_chan_shm_t *shm;
    size_t map_bytes;
    int memfd;
    int wake_master; /* eventfd the master sleeps on */
    int wake_worker; /* eventfd the worker sleeps on */
    sdb_chan_side_t side;
    sdb_ring_t *out;   /* ring this side produces into */
    sdb_ring_t *in;    /* ring this side consumes from */
    volatile int dead; /* private: set by sdb_chan_mark_dead (master side) */
    /* receive reassembly (private) */
    unsigned char *rbuf;
    size_t rcap, rlen;
    sdb_msg_hdr_t rhdr; /* header of the message being reassembled */
    int rbusy;          /* 1 while a multi-frame message is partly received */
    /* frames pulled off `in` while a send waited for space (private): [u32 len][payload]... */
    unsigned char *bbuf;
    size_t bcap, blen, boff;
    uint32_t ring_size; /* private copy checked against the shared one on every call */
    int drained;        /* this call read the own eventfd */
    pid_t ppid;         /* worker: the master's pid at attach; 0 on the master side */
} sdb_chan_t;

/* sdb_chan_create -- master: make a memfd with both rings and the two eventfds.  On error
 * nothing is left open and *ch is zeroed (fds -1). */
int sdb_chan_create(sdb_chan_t *ch);

/* sdb_chan_reset -- master: after the worker died, reformat both rings and clear state. */
int sdb_chan_reset(sdb_chan_t *ch);

/* sdb_chan_attach -- worker: map an inherited memfd and validate every header field.  On
 * success the channel owns the three fds (sdb_chan_close closes them) and worker_pid is set;
 * on error (SDB_ECORRUPT or errno) the caller still owns them and nothing is mapped. */
int sdb_chan_attach(sdb_chan_t *ch, int memfd, int wake_master, int wake_worker);

/* sdb_chan_set_active -- worker: set or clear SDB_CHAN_ACTIVE (dead-man switch, DESIGN.md). */
void sdb_chan_set_active(sdb_chan_t *ch, int active);

/* sdb_chan_close -- unmap and close fds (either side). */
void sdb_chan_close(sdb_chan_t *ch);

/* sdb_chan_send -- send one message (splitting it into frames as needed).  Blocks while the
 * ring is full (spin, then eventfd sleep; meanwhile inbound frames go to the backlog).  flags
 * must not contain SDB_MSG_MORE (it is masked).  Returns 0, SDB_EPEER, SDB_ETOOBIG (len >
 * SDB_CHAN_MAX_MSG), SDB_ECORRUPT (shared state damaged) or ENOMEM (backlog).  After an error
 * other than SDB_ETOOBIG the channel is unusable until reset. */
int sdb_chan_send(sdb_chan_t *ch, uint16_t op, uint16_t flags, uint64_t reqid, const void *body,
                  uint32_t len);

/* sdb_chan_recv -- receive one whole message.  timeout_ms: 0 = do not wait (SDB_EAGAIN if
 * nothing complete), -1 = wait forever, > 0 = wait up to that long (then SDB_EAGAIN).  A
 * partly received multi-frame message is kept across calls.  On success *body points into a
 * buffer owned by the channel (a private copy, never shared memory), valid until the next
 * sdb_chan_recv on this side; hdr->flags never has SDB_MSG_MORE. Returns 0, SDB_EAGAIN,
 * SDB_EPEER, SDB_ECORRUPT (bad frame: the channel is unusable until reset) or ENOMEM. */
int sdb_chan_recv(sdb_chan_t *ch, sdb_msg_hdr_t *hdr, const void **body, int timeout_ms);

/* sdb_chan_wake_fd -- the eventfd this side sleeps on (for an event loop to poll). */
int sdb_chan_wake_fd(const sdb_chan_t *ch);

/* sdb_chan_drain_wake -- read the eventfd counter so a level-triggered poller quiets. */
void sdb_chan_drain_wake(sdb_chan_t *ch);

/* sdb_chan_mark_dead -- master: the peer died; wake every waiter with SDB_EPEER.
 * Async-signal-safe. */
void sdb_chan_mark_dead(sdb_chan_t *ch);

#endif
