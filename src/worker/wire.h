/*
 * src/worker/wire.h -- the MongoDB wire protocol codec: framing, decoding, encoding.
 *
 * Pure functions over byte buffers: no I/O, no libevent, no global state; any thread.
 * Decoding validates every length, every BSON document and the OP_MSG checksum, and turns a
 * request into one owned command document (OP_MSG document sequences merged as arrays,
 * OP_QUERY's $query unwrapped).  A malformed request is an SDB_ECLIENT with an sdb_error_t
 * in mongod's words; the codec never reads outside the buffer it was given.
 *
 * Ownership: wk_wire_decode fills a caller-provided wk_wire_req_t whose `cmd` the caller
 * releases with wk_wire_req_destroy (also safe on a zeroed or failed request).  The encode
 * functions return a bson_malloc'd buffer the caller frees with bson_free.
 */
#ifndef SRC_WORKER_WIRE_H
#define SRC_WORKER_WIRE_H

#include "../common/errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WK_WIRE_MAX_MESSAGE 48000000 /* maxMessageSizeBytes, as mongod advertises */
#define WK_WIRE_MAX_BSON (16 * 1024 * 1024 + 16 * 1024) /* largest document in a request */
#define WK_WIRE_HEADER_LEN 16

#define WK_WIRE_OP_REPLY 1
#define WK_WIRE_OP_QUERY 2004
#define WK_WIRE_OP_COMPRESSED 2012
#define WK_WIRE_OP_MSG 2013

#define WK_WIRE_MSG_CHECKSUM 0x1u     /* checksumPresent */
#define WK_WIRE_MSG_MORE_TO_COME 0x2u /* moreToCome: no reply expected */
#define WK_WIRE_MSG_EXHAUST 0x10000u  /* exhaustAllowed */
#define WK_WIRE_MSG_REQUIRED 0xFFFFu  /* bits a receiver must understand */

#define WK_WIRE_REPLY_AWAIT_CAPABLE 8 /* OP_REPLY responseFlags */

typedef struct wk_wire_req {
    int32_t request_id;
    int32_t opcode; /* OP_MSG or OP_QUERY (the original opcode of an OP_COMPRESSED) */
    uint32_t flags; /* OP_MSG flagBits; 0 for OP_QUERY */
    bool checksum_present;
    bool more_to_come;
    bool exhaust_allowed;
    bson_t cmd;               /* owned: the command with document sequences merged */
    char ns[256];             /* OP_QUERY fullCollectionName; "" for OP_MSG */
    int32_t query_flags;      /* OP_QUERY flags */
    int32_t number_to_return; /* OP_QUERY numberToReturn */
    int compressor;           /* an OP_COMPRESSED's compressor id (compress.h), else -1: the
                               * reply goes back compressed the same way */
} wk_wire_req_t;

/* wk_wire_frame_len -- the messageLength of the message starting at buf.  Returns 0,
 * SDB_EAGAIN when fewer than 4 bytes are available, or SDB_ECORRUPT when the length is below
 * the 16-byte header or above WK_WIRE_MAX_MESSAGE (the connection must be closed). */
int wk_wire_frame_len(const uint8_t *buf, size_t avail, int32_t *msglen);

/* wk_wire_decode -- decode one whole message of `len` bytes into *req.  Returns 0 or
 * SDB_ECLIENT with *err set (ProtocolError, InvalidBSON, BSONObjectTooLarge); on error *req
 * holds nothing that needs freeing (its cmd is an empty document). */
int wk_wire_decode(const uint8_t *msg, size_t len, wk_wire_req_t *req, sdb_error_t *err);

/* wk_wire_req_destroy -- release req->cmd; safe on a zeroed, failed or destroyed request. */
void wk_wire_req_destroy(wk_wire_req_t *req);

/* wk_wire_encode_msg -- an OP_MSG with one kind-0 section holding doc; when flags has
 * WK_WIRE_MSG_CHECKSUM the CRC-32C is appended.  Returns 0 or SDB_ETOOBIG; *out is
 * bson_malloc'd. */
int wk_wire_encode_msg(const bson_t *doc, int32_t request_id, int32_t response_to, uint32_t flags,
                       uint8_t **out, size_t *outlen);

/* wk_wire_encode_reply -- an OP_REPLY (responseFlags AwaitCapable, cursorID 0, startingFrom 0,
 * numberReturned 1) holding doc.  Returns 0 or SDB_ETOOBIG; *out is bson_malloc'd. */
int wk_wire_encode_reply(const bson_t *doc, int32_t request_id, int32_t response_to, uint8_t **out,
                         size_t *outlen);

/* wk_wire_compress -- wrap the encoded message *msg in an OP_COMPRESSED with compressor id
 * (same header ids); on failure the message stays as it is. */
void wk_wire_compress(int id, uint8_t **msg, size_t *len);

/* wk_wire_crc32c -- extend a CRC-32C (Castagnoli) over buf; start with crc = 0.
 * wk_wire_crc32c(0, "123456789", 9) == 0xE3069283.  Uses SSE4.2 when the CPU has it. */
uint32_t wk_wire_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
