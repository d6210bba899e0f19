/*
 * tests/fuzz/fuzz_wire.c -- libFuzzer target for the wire codec (src/worker/wire.c).
 *
 * The input is one whole message as a client sends it: header, then OP_MSG (flagBits,
 * body and document-sequence sections, optional CRC-32C), OP_QUERY or OP_COMPRESSED.  It is
 * decoded twice: once exactly as given (wrong lengths, checksums and sizes must be refused
 * cleanly), and once "repaired" -- messageLength, OP_COMPRESSED's uncompressedSize and the
 * OP_MSG checksum rewritten to match the bytes -- so that mutations reach the sections
 * behind those checks.  A message that decodes must round-trip: its command re-encoded as an
 * OP_MSG with a checksum decodes to the same command, and the command is well-formed BSON.
 *
 * Invariants: single-threaded; the codec is pure, nothing persists between inputs.
 */
#include "fuzz.h"

#include "../../src/worker/wire.h"

#include <stdlib.h>
#include <string.h>

static uint32_t
rd32(const uint8_t *p)
{
    uint32_t v;

    memcpy(&v, p, 4);
    return BSON_UINT32_FROM_LE(v);
}

static void
wr32(uint8_t *p, uint32_t v)
{
    v = BSON_UINT32_TO_LE(v);
    memcpy(p, &v, 4);
}

/* round_trip -- the decoded command, re-encoded and decoded again, is the same command. */
static void
round_trip(const wk_wire_req_t *req)
{
    wk_wire_req_t again;
    sdb_error_t err;
    uint8_t *out = NULL;
    size_t outlen = 0;

    fuzz_check_output(&req->cmd);
    FUZZ_CHECK(wk_wire_encode_msg(&req->cmd, 7, req->request_id, WK_WIRE_MSG_CHECKSUM, &out,
                                  &outlen) == 0);
    FUZZ_CHECK(wk_wire_decode(out, outlen, &again, &err) == 0);
    FUZZ_CHECK(bson_equal(&again.cmd, &req->cmd));
    wk_wire_req_destroy(&again);
    bson_free(out);
}

/* decode -- what a connection does with one framed message. */
static void
decode(const uint8_t *msg, size_t len)
{
    wk_wire_req_t req;
    sdb_error_t err;
    int32_t framed;

    if (wk_wire_frame_len(msg, len, &framed) == 0 && (size_t)framed <= len)
        len = (size_t)framed;
    memset(&err, 0, sizeof(err));
    if (wk_wire_decode(msg, len, &req, &err) == 0)
        round_trip(&req);
    else
        FUZZ_CHECK(err.code != 0 && req.cmd.len == 5);
    wk_wire_req_destroy(&req);
}

/* fix_checksum -- rewrite the CRC-32C that ends an OP_MSG of `len` bytes starting at m. */
static void
fix_checksum(uint8_t *m, size_t len)
{
    if (len >= WK_WIRE_HEADER_LEN + 8 && (rd32(m + WK_WIRE_HEADER_LEN) & WK_WIRE_MSG_CHECKSUM))
        wr32(m + len - 4, wk_wire_crc32c(0, m, len - 4));
}

/* repair -- make the framing fields of a copy agree with its bytes. */
static void
repair(uint8_t *m, size_t len)
{
    size_t inner;
    uint8_t *plain;

    wr32(m, (uint32_t)len);
    if ((int32_t)rd32(m + 12) != WK_WIRE_OP_COMPRESSED) {
        if ((int32_t)rd32(m + 12) == WK_WIRE_OP_MSG)
            fix_checksum(m, len);
        return;
    }
    if (len < WK_WIRE_HEADER_LEN + 9)
        return;
    inner = len - WK_WIRE_HEADER_LEN - 9;
    wr32(m + WK_WIRE_HEADER_LEN + 4, (uint32_t)inner);
    if ((int32_t)rd32(m + WK_WIRE_HEADER_LEN) != WK_WIRE_OP_MSG)
        return;
    /* The checksum of a compressed OP_MSG covers the rebuilt original message. */
    plain = malloc(inner + WK_WIRE_HEADER_LEN);
    memcpy(plain, m, WK_WIRE_HEADER_LEN);
    wr32(plain, (uint32_t)(inner + WK_WIRE_HEADER_LEN));
    wr32(plain + 12, (uint32_t)WK_WIRE_OP_MSG);
    memcpy(plain + WK_WIRE_HEADER_LEN, m + WK_WIRE_HEADER_LEN + 9, inner);
    fix_checksum(plain, inner + WK_WIRE_HEADER_LEN);
    memcpy(m + WK_WIRE_HEADER_LEN + 9, plain + WK_WIRE_HEADER_LEN, inner);
    free(plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy;

    decode(data, size);
    if (size < WK_WIRE_HEADER_LEN || size > WK_WIRE_MAX_MESSAGE)
        return 0;
    copy = malloc(size);
    memcpy(copy, data, size);
    repair(copy, size);
    decode(copy, size);
    free(copy);
    return 0;
}
