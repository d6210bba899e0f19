/*
 * tests/integration/rawwire.h -- the MongoDB wire protocol by hand, over a raw TCP socket.
 *
 * For the tests a driver cannot express: malformed messages, checksums, OP_QUERY, moreToCome
 * and documents larger than a driver would send.  Messages are built in malloc'd buffers
 * (caller frees); replies are read whole, with a poll() hang guard, never a timed assertion.
 * Little-endian hosts only (as is every machine this project runs on).
 */
#ifndef SDB_TEST_RAWWIRE_H
#define SDB_TEST_RAWWIRE_H

#include <bson/bson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RW_OP_REPLY 1
#define RW_OP_QUERY 2004
#define RW_OP_COMPRESSED 2012
#define RW_OP_MSG 2013

#define RW_FLAG_CHECKSUM 0x1u
#define RW_FLAG_MORE_TO_COME 0x2u
#define RW_FLAG_EXHAUST 0x10000u

#define RW_TIMEOUT_MS 30000 /* hang guard for a reply */

/* rw_connect -- a TCP connection to host:port, or -1. */
int rw_connect(const char *host, int port);

/* rw_send -- write all of buf; 0 or -1 (e.g. the peer closed). */
int rw_send(int fd, const void *buf, size_t len);

/* rw_recv -- read one whole message (header included) into *msg (malloc'd).
 * Returns 1 with a message, 0 when the peer closed (EOF or reset), -1 on hang-guard timeout
 * or a reply whose length field is nonsense. */
int rw_recv(int fd, int timeout_ms, uint8_t **msg, uint32_t *len);

/* rw_opmsg -- build an OP_MSG: kind-0 `body`, then, when ident != NULL, one kind-1 section
 * named ident holding docs[0..ndocs); CRC-32C appended when flags has RW_FLAG_CHECKSUM. */
uint8_t *rw_opmsg(int32_t request_id, uint32_t flags, const bson_t *body, const char *ident,
                  const bson_t *const *docs, int ndocs, uint32_t *len);

/* rw_opquery -- build an OP_QUERY on `ns` (e.g. "admin.$cmd") with numberToReturn -1. */
uint8_t *rw_opquery(int32_t request_id, const char *ns, const bson_t *query, uint32_t *len);

/* rw_header -- fields of a received message's header. */
void rw_header(const uint8_t *msg, int32_t *length, int32_t *request_id, int32_t *response_to,
               int32_t *opcode);

/* rw_opmsg_body -- the kind-0 body of a received OP_MSG as a static view into msg;
 * false if the message is not a well-formed OP_MSG (checksum verified when flagged). */
bool rw_opmsg_body(const uint8_t *msg, uint32_t len, bson_t *body, uint32_t *flags);

/* rw_opreply_doc -- the first document of a received OP_REPLY as a static view. */
bool rw_opreply_doc(const uint8_t *msg, uint32_t len, bson_t *doc, int32_t *nreturned);

/* rw_roundtrip -- send an OP_MSG command `body` (no sequences) and read the reply's body into
 * *reply (initialised, a copy).  Returns 1 answered, 0 closed, -1 otherwise. */
int rw_roundtrip(int fd, const bson_t *body, bson_t *reply);

/* rw_crc32c -- CRC-32C (Castagnoli) of buf, as OP_MSG checksums use. */
uint32_t rw_crc32c(const uint8_t *buf, size_t len);

#endif
