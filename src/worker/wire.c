/*
 * src/worker/wire.c -- the MongoDB wire protocol codec: framing, decoding, encoding.
 *
 * A message is a 16-byte header (messageLength, requestID, responseTo, opCode, all int32
 * little-endian) and a body.  Decoding accepts OP_MSG (flagBits, sections, optional CRC-32C),
 * OP_QUERY (legacy handshake: flags, ns, skip, limit, query[, fields]) and OP_COMPRESSED with
 * the noop, snappy, zlib or zstd compressor (compress.h: the original message is rebuilt and
 * decoded; replies to it go back compressed the same way, wk_wire_compress).  Every length is checked
 * against the bytes that remain before anything is read, and every document of every
 * message (the OP_MSG body, each document of each document sequence, OP_QUERY's query and
 * fields, and so the inner message of an OP_COMPRESSED) passes sdb_bson_check completely,
 * nested documents included, with mongod's command nesting limit (bsonvalid.h): 22
 * InvalidBSON or 15 Overflow, answered as an error reply on a connection that stays open, as
 * mongod answers them.  The command is copied out, so the request never points into the
 * caller's buffer.  OP_MSG document sequences are appended to the body as arrays named by
 * their identifiers, after the body's own fields.
 *
 * THIS IS THE DOOR: past wk_wire_decode the command's bytes are well-formed BSON nested at most
 * SDB_BSON_LEVELS_COMMAND levels (+ 2 for a sequence document merged as an array element), so
 * code after it may iterate them (bson_iter_recurse, bson_init_static of any nested document)
 * without re-checking lengths or terminators.
 *
 * Invariants: no global state but the constant CRC table and a once-computed CPU flag; all
 * functions are reentrant; input bytes are untrusted, so every failure is an sdb_error_t in
 * mongod's words (ProtocolError, InvalidBSON, Overflow, BSONObjectTooLarge, and OpMsg::parse's
 * own 404xx codes for sections), never an abort.
 */
#include "wire.h"

#include "../common/bsonvalid.h"
#include "../common/sdb.h"
#include "compress.h"
#include "opstats.h"

#include <stdatomic.h>
#include <string.h>

/* ---- little-endian access -------------------------------------------------------------- */

static int32_t
rd_i32(const uint8_t *p)
{
    return (int32_t)sdb_le32(p);
}

static void
wr_u32(uint8_t *p, uint32_t v)
{
    v = BSON_UINT32_TO_LE(v);
    memcpy(p, &v, sizeof(v));
}

static void
wr_header(uint8_t *b, size_t len, int32_t request_id, int32_t response_to, int32_t opcode)
{
    wr_u32(b, (uint32_t)len);
    wr_u32(b + 4, (uint32_t)request_id);
    wr_u32(b + 8, (uint32_t)response_to);
    wr_u32(b + 12, (uint32_t)opcode);
}

/* ---- CRC-32C --------------------------------------------------------------------------- */

/* Reflected Castagnoli polynomial 0x82F63B78, one byte at a time. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u,
    0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu, 0x4d43cfd0u, 0xbf284cd3u,
    0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu, 0xd7c45070u,
    0x25afd373u, 0x36ff2087u, 0xc494a384u, 0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u,
    0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u,
    0x33ed7d2au, 0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau, 0x30e349b1u,
    0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu, 0x1642ae59u, 0xe4292d5au,
    0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au, 0x7da08661u, 0x8fcb0562u, 0x9c9bf696u,
    0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u,
    0x67dafa54u, 0x95b17957u, 0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu,
    0xfe53516fu, 0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu, 0x3ac7f2ebu,
    0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u, 0x61c69362u, 0x93ad1061u,
    0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u, 0xeb1fcbadu,
    0x197448aeu, 0x0a24bb5au, 0xf84f3859u, 0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u,
    0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u,
    0xa55230e6u, 0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu, 0x456cac67u,
    0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
    0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu, 0x92a8fc17u, 0x60c37f14u, 0x73938ce0u,
    0x81f80fe3u, 0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu,
    0xf94ad42fu, 0x0b21572cu, 0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u,
    0x502036a5u, 0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u, 0x0e330a81u,
    0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du, 0x758fe5d6u, 0x87e466d5u,
    0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u,
    0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu, 0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u,
    0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu,
    0x5a048dffu, 0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u, 0x590ab964u,
    0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu,
    0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu, 0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u,
    0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u,
    0x4f48173du, 0xbd23943eu, 0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au,
    0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

static uint32_t
crc_sw(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n-- > 0)
        crc = crc_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t n)
{
    uint64_t c = crc, v;

    for (; n > 0 && ((uintptr_t)p & 7u) != 0; n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&v, p, sizeof(v));
        c = __builtin_ia32_crc32di(c, v);
    }
    for (; n > 0; n--)
        c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
    return (uint32_t)c;
}
#endif

/* have_sse42 -- 1 when the CPU has the crc32 instruction; computed once (benign race). */
static int
have_sse42(void)
{
#if defined(__x86_64__)
    static _Atomic int cached = -1;
    int v = atomic_load_explicit(&cached, memory_order_relaxed);

    if (v < 0) {
        v = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        atomic_store_explicit(&cached, v, memory_order_relaxed);
    }
    return v;
#else
    return 0;
#endif
}

/*
 * wk_wire_crc32c -- extend a CRC-32C over buf (start with 0), as OP_MSG's checksum needs.
 */
uint32_t
wk_wire_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    crc = ~crc;
#if defined(__x86_64__)
    if (have_sse42())
        return ~crc_hw(crc, p, len);
#endif
    return ~crc_sw(crc, p, len);
}

/* ---- framing --------------------------------------------------------------------------- */

/*
 * wk_wire_frame_len -- the messageLength of the message at buf, checked against the limits.
 */
int
wk_wire_frame_len(const uint8_t *buf, size_t avail, int32_t *msglen)
{
    int32_t n;

    if (avail < 4)
        return SDB_EAGAIN;
    n = rd_i32(buf);
    if (n < WK_WIRE_HEADER_LEN || n > WK_WIRE_MAX_MESSAGE)
        return SDB_ECORRUPT;
    *msglen = n;
    return 0;
}

/* ---- decoding -------------------------------------------------------------------------- */

/*
 * doc_at -- the BSON document at p, which must end at or before end.  On success *doc is a
 * static view of it and *doclen its length.
 */
static int
doc_at(const uint8_t *p, const uint8_t *end, bson_t *doc, size_t *doclen, sdb_error_t *err)
{
    int32_t n;

    if (end - p < 5)
        return sdb_error_set(err, SDB_CODE_InvalidBSON, "Invalid BSON: document is truncated");
    n = rd_i32(p);
    if (n > WK_WIRE_MAX_BSON)
        return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge,
                             "BSONObj size: %d (0x%X) is invalid. Size must be between 0 and "
                             "16793600(16MB)",
                             n, (unsigned)n);
    if (n < 5 || n > end - p)
        return sdb_error_set(err, SDB_CODE_InvalidBSON,
                             "Invalid BSON: document length %d does not fit the message", n);
    SDB_RET(sdb_bson_check(p, (size_t)n, SDB_BSON_LEVELS_COMMAND, err));
    bson_init_static(doc, p, (size_t)n); /* cannot fail: the check saw length and NUL */
    *doclen = (size_t)n;
    return 0;
}

/* A kind-1 section: its identifier and the bytes of its documents. */
typedef struct seq {
    const char *id;
    const uint8_t *docs, *end;
} seq_t;

/* seq_at -- parse the frame of a document sequence at p (after the kind byte). */
static int
seq_at(const uint8_t *p, const uint8_t *end, seq_t *s, size_t *seclen, sdb_error_t *err)
{
    const uint8_t *nul;
    int32_t size;

    if (end - p < 4)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Document sequence is truncated");
    size = rd_i32(p);
    if (size < 5 || size > end - p)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Invalid document sequence size %d",
                             size);
    s->end = p + size;
    nul = memchr(p + 4, 0, (size_t)(s->end - (p + 4)));
    if (nul == NULL)
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "Document sequence identifier is not terminated");
    s->id = (const char *)(p + 4);
    if (!bson_utf8_validate(s->id, (size_t)(nul - (p + 4)), false))
        return sdb_error_set(err, SDB_CODE_InvalidBSON,
                             "Document sequence identifier is not valid UTF-8");
    s->docs = nul + 1;
    *seclen = (size_t)size;
    return 0;
}

/*
 * scan_sections -- validate every section between p and end and find the one body.  The codes
 * are those of mongod's OpMsg::parse: a second body 40430, a security token (kind 2; no
 * multitenancy here) 13 Unauthorized, any other kind 40432, no body 40587.
 */
static int
scan_sections(const uint8_t *p, const uint8_t *end, bson_t *body, sdb_error_t *err)
{
    bool have_body = false;
    bson_t doc;
    seq_t s;
    const uint8_t *q;
    size_t n;
    uint8_t kind;

    while (p < end) {
        kind = *p++;
        if (kind == 0) {
            if (have_body)
                return sdb_error_set(err, SDB_CODE_Location40430,
                                     "Multiple body sections in message");
            SDB_RET(doc_at(p, end, body, &n, err));
            have_body = true;
            p += n;
        } else if (kind == 1) {
            SDB_RET(seq_at(p, end, &s, &n, err));
            for (q = s.docs; q < s.end; q += n)
                SDB_RET(doc_at(q, s.end, &doc, &n, err));
            p = s.end;
        } else if (kind == 2) {
            return sdb_error_set(err, SDB_CODE_Unauthorized, "Unsupported Security Token provided");
        } else {
            return sdb_error_set(err, SDB_CODE_Location40432, "Unknown section kind %u",
                                 (unsigned)kind);
        }
    }
    if (!have_body)
        return sdb_error_set(err, SDB_CODE_Location40587, "OP_MSG messages must have a body");
    return 0;
}

/* merge_seq -- append one (validated) document sequence to cmd as an array. */
static int
merge_seq(const seq_t *s, const bson_t *body, bson_t *cmd, sdb_error_t *err)
{
    bson_iter_t it;
    bson_t arr, doc;
    const char *key;
    char keybuf[16];
    const uint8_t *q;
    size_t n, idlen = strlen(s->id);
    uint32_t i = 0;

    if (bson_iter_init_find_w_len(&it, body, s->id, (int)idlen))
        return sdb_error_set(err, SDB_CODE_Location40433,
                             "Duplicate field between body and document sequence %s", s->id);
    if (bson_iter_init_find_w_len(&it, cmd, s->id, (int)idlen))
        return sdb_error_set(err, SDB_CODE_Location40431, "Duplicate document sequence: %s", s->id);
    if (!bson_append_array_begin(cmd, s->id, (int)idlen, &arr))
        return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge, "Command is too large");
    for (q = s->docs; q < s->end; q += n, i++) {
        n = sdb_le32(q);
        bson_init_static(&doc, q, n);
        bson_uint32_to_string(i, &key, keybuf, sizeof(keybuf));
        if (!bson_append_document(&arr, key, -1, &doc)) {
            bson_append_array_end(cmd, &arr);
            return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge, "Command is too large");
        }
    }
    if (!bson_append_array_end(cmd, &arr))
        return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge, "Command is too large");
    return 0;
}

/* msg_flags -- check flagBits and the checksum; *end loses the checksum bytes. */
static int
msg_flags(const uint8_t *msg, size_t len, const uint8_t **end, wk_wire_req_t *req, sdb_error_t *err)
{
    uint32_t flags, bad, stored;
    int bit;

    if (len < WK_WIRE_HEADER_LEN + 4)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "OP_MSG is too short");
    flags = sdb_le32(msg + WK_WIRE_HEADER_LEN);
    bad = flags & WK_WIRE_MSG_REQUIRED & ~(WK_WIRE_MSG_CHECKSUM | WK_WIRE_MSG_MORE_TO_COME);
    if (bad != 0) {
        for (bit = 0; (bad & (1u << bit)) == 0; bit++)
            ;
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "Message contains illegal flags value: Flag %d", bit);
    }
    req->flags = flags;
    req->checksum_present = (flags & WK_WIRE_MSG_CHECKSUM) != 0;
    req->more_to_come = (flags & WK_WIRE_MSG_MORE_TO_COME) != 0;
    req->exhaust_allowed = (flags & WK_WIRE_MSG_EXHAUST) != 0;
    *end = msg + len;
    if (!req->checksum_present)
        return 0;
    if (len < WK_WIRE_HEADER_LEN + 8)
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "OP_MSG has checksumPresent but is too short for a checksum");
    stored = sdb_le32(msg + len - 4);
    if (wk_wire_crc32c(0, msg, len - 4) != stored)
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "OP_MSG checksum does not match contents");
    *end = msg + len - 4;
    return 0;
}

/* decode_msg -- OP_MSG: flags, checksum, sections; cmd = body + sequences as arrays. */
static int
decode_msg(const uint8_t *msg, size_t len, wk_wire_req_t *req, sdb_error_t *err)
{
    const uint8_t *p, *end = msg;
    bson_t body;
    seq_t s;
    size_t n;

    SDB_RET(msg_flags(msg, len, &end, req, err));
    p = msg + WK_WIRE_HEADER_LEN + 4;
    SDB_RET(scan_sections(p, end, &body, err));
    if (!bson_concat(&req->cmd, &body))
        return sdb_error_set(err, SDB_CODE_BSONObjectTooLarge, "Command is too large");
    /* Second pass: the structure is known good, so only the merge can fail. */
    while (p < end) {
        if (*p++ == 0) {
            p += sdb_le32(p);
            continue;
        }
        seq_at(p, end, &s, &n, err);
        SDB_RET(merge_seq(&s, &body, &req->cmd, err));
        p = s.end;
    }
    return 0;
}

/* unwrap_query -- OP_QUERY's {$query: cmd, $readPreference: ...} (or {query: ...}) form. */
static int
unwrap_query(const bson_t *query, wk_wire_req_t *req, sdb_error_t *err)
{
    bson_iter_t it, rp;
    bson_t inner;
    const uint8_t *data;
    uint32_t dlen;
    const char *key;

    if (!bson_iter_init(&it, query) || !bson_iter_next(&it))
        return 0; /* empty: the dispatcher reports it */
    key = bson_iter_key(&it);
    if (strcmp(key, "$query") != 0 && strcmp(key, "query") != 0) {
        bson_concat(&req->cmd, query);
        return 0;
    }
    if (!BSON_ITER_HOLDS_DOCUMENT(&it))
        return sdb_error_set(err, SDB_CODE_ProtocolError, "%s must be an object", key);
    bson_iter_document(&it, &dlen, &data);
    if (!bson_init_static(&inner, data, dlen))
        return sdb_error_set(err, SDB_CODE_InvalidBSON, "Invalid BSON in %s", key);
    bson_concat(&req->cmd, &inner);
    if (bson_iter_init_find(&rp, query, "$readPreference") &&
        !bson_iter_init_find(&it, &inner, "$readPreference"))
        bson_append_iter(&req->cmd, "$readPreference", -1, &rp);
    return 0;
}

/* decode_query -- OP_QUERY: flags, ns, skip, numberToReturn, query[, returnFieldsSelector]. */
static int
decode_query(const uint8_t *msg, size_t len, wk_wire_req_t *req, sdb_error_t *err)
{
    const uint8_t *p = msg + WK_WIRE_HEADER_LEN, *end = msg + len, *nul;
    bson_t query, fields;
    size_t n;

    if (end - p < 4)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "OP_QUERY is too short");
    req->query_flags = rd_i32(p);
    p += 4;
    nul = memchr(p, 0, (size_t)(end - p));
    if (nul == NULL || nul - p >= (ptrdiff_t)sizeof(req->ns))
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Invalid ns in OP_QUERY");
    memcpy(req->ns, p, (size_t)(nul - p + 1));
    p = nul + 1;
    if (end - p < 8)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "OP_QUERY is too short");
    req->number_to_return = rd_i32(p + 4);
    p += 8;
    SDB_RET(doc_at(p, end, &query, &n, err));
    p += n;
    if (p < end) {
        SDB_RET(doc_at(p, end, &fields, &n, err));
        p += n;
    }
    if (p != end)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "OP_QUERY has trailing bytes");
    return unwrap_query(&query, req, err);
}

/* decode_plain -- dispatch on the opcode of an uncompressed message. */
static int
decode_plain(const uint8_t *msg, size_t len, wk_wire_req_t *req, sdb_error_t *err)
{
    req->request_id = rd_i32(msg + 4);
    req->opcode = rd_i32(msg + 12);
    switch (req->opcode) {
    case WK_WIRE_OP_MSG:
        return decode_msg(msg, len, req, err);
    case WK_WIRE_OP_QUERY:
        return decode_query(msg, len, req, err);
    default:
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Unsupported opcode %d", req->opcode);
    }
}

/* decode_compressed -- OP_COMPRESSED {originalOpcode, uncompressedSize, compressorId,
 * payload}: the declared size checked against the message limit before anything is
 * allocated, the payload inflated to exactly that size (compress.h), then decoded. */
static int
decode_compressed(const uint8_t *msg, size_t len, wk_wire_req_t *req, sdb_error_t *err)
{
    const uint8_t *p = msg + WK_WIRE_HEADER_LEN;
    int32_t orig, usize;
    uint8_t *buf;
    int ret;

    if (len < WK_WIRE_HEADER_LEN + 9)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "OP_COMPRESSED is too short");
    orig = rd_i32(p);
    usize = rd_i32(p + 4);
    if (sdb_compressor_name(p[8]) == NULL)
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "Cannot decompress message: unsupported compressor id %u",
                             (unsigned)p[8]);
    if (orig == WK_WIRE_OP_COMPRESSED)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Nested OP_COMPRESSED message");
    if (usize < 0 || (size_t)usize > WK_WIRE_MAX_MESSAGE - WK_WIRE_HEADER_LEN)
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "Decompressed message would be larger than maxMessageSizeBytes "
                             "(uncompressedSize %d)",
                             usize);
    buf = bson_malloc((size_t)usize + WK_WIRE_HEADER_LEN);
    wr_header(buf, (size_t)usize + WK_WIRE_HEADER_LEN, rd_i32(msg + 4), rd_i32(msg + 8), orig);
    ret = wk_compress_inflate(p[8], p + 9, len - WK_WIRE_HEADER_LEN - 9, buf + WK_WIRE_HEADER_LEN,
                              (size_t)usize, err);
    if (ret == 0) {
        wk_opstats_compression(p[8], true, len - WK_WIRE_HEADER_LEN - 9, (size_t)usize);
        ret = decode_plain(buf, (size_t)usize + WK_WIRE_HEADER_LEN, req, err);
    }
    req->compressor = p[8];
    bson_free(buf);
    return ret;
}

void
wk_wire_compress(int id, uint8_t **msg, size_t *len)
{
    uint8_t *payload, *out;
    size_t plen;

    if (*len < WK_WIRE_HEADER_LEN ||
        wk_compress_deflate(id, *msg + WK_WIRE_HEADER_LEN, *len - WK_WIRE_HEADER_LEN, &payload,
                            &plen) != 0)
        return;
    if (plen + WK_WIRE_HEADER_LEN + 9 > WK_WIRE_MAX_MESSAGE) {
        bson_free(payload);
        return;
    }
    wk_opstats_compression(id, false, *len - WK_WIRE_HEADER_LEN, plen);
    out = bson_malloc(plen + WK_WIRE_HEADER_LEN + 9);
    wr_header(out, plen + WK_WIRE_HEADER_LEN + 9, rd_i32(*msg + 4), rd_i32(*msg + 8),
              WK_WIRE_OP_COMPRESSED);
    wr_u32(out + WK_WIRE_HEADER_LEN, (uint32_t)rd_i32(*msg + 12));
    wr_u32(out + WK_WIRE_HEADER_LEN + 4, (uint32_t)(*len - WK_WIRE_HEADER_LEN));
    out[WK_WIRE_HEADER_LEN + 8] = (uint8_t)id;
    memcpy(out + WK_WIRE_HEADER_LEN + 9, payload, plen);
    bson_free(payload);
    bson_free(*msg);
    *msg = out;
    *len = plen + WK_WIRE_HEADER_LEN + 9;
}

/*
 * wk_wire_decode -- decode and validate one whole message into *req.
 */
int
wk_wire_decode(const uint8_t *msg, size_t len, wk_wire_req_t *req, sdb_error_t *err)
{
    sdb_error_t scratch;
    int ret;

    if (err == NULL)
        err = &scratch;
    memset(req, 0, sizeof(*req));
    req->compressor = -1;
    bson_init(&req->cmd);
    if (msg == NULL || len < WK_WIRE_HEADER_LEN || len > WK_WIRE_MAX_MESSAGE)
        return sdb_error_set(err, SDB_CODE_ProtocolError, "Invalid message length %zu", len);
    if (rd_i32(msg) != (int32_t)len)
        return sdb_error_set(err, SDB_CODE_ProtocolError,
                             "Message length %d does not match the %zu bytes received", rd_i32(msg),
                             len);
    if (rd_i32(msg + 12) == WK_WIRE_OP_COMPRESSED)
        ret = decode_compressed(msg, len, req, err);
    else
        ret = decode_plain(msg, len, req, err);
    if (ret != 0) {
        bson_destroy(&req->cmd); /* frees a heap buffer a partial merge may have grown */
        bson_init(&req->cmd);
    }
    return ret;
}

/*
 * wk_wire_req_destroy -- release the command document of a request.
 */
void
wk_wire_req_destroy(wk_wire_req_t *req)
{
    if (req->cmd.len != 0)
        bson_destroy(&req->cmd);
    memset(&req->cmd, 0, sizeof(req->cmd));
}

/* ---- encoding -------------------------------------------------------------------------- */

/*
 * wk_wire_encode_msg -- an OP_MSG reply with one kind-0 section and, on request, a checksum.
 */
int
wk_wire_encode_msg(const bson_t *doc, int32_t request_id, int32_t response_to, uint32_t flags,
                   uint8_t **out, size_t *outlen)
{
    size_t crc = (flags & WK_WIRE_MSG_CHECKSUM) ? 4 : 0;
    size_t total = WK_WIRE_HEADER_LEN + 4 + 1 + (size_t)doc->len + crc;
    uint8_t *b;

    if (total > INT32_MAX)
        return SDB_ETOOBIG;
    b = bson_malloc(total);
    wr_header(b, total, request_id, response_to, WK_WIRE_OP_MSG);
    wr_u32(b + WK_WIRE_HEADER_LEN, flags);
    b[WK_WIRE_HEADER_LEN + 4] = 0;
    memcpy(b + WK_WIRE_HEADER_LEN + 5, bson_get_data(doc), doc->len);
    if (crc != 0)
        wr_u32(b + total - 4, wk_wire_crc32c(0, b, total - 4));
    *out = b;
    *outlen = total;
    return 0;
}

/*
 * wk_wire_encode_reply -- an OP_REPLY holding one document (replies to OP_QUERY handshakes).
 */
int
wk_wire_encode_reply(const bson_t *doc, int32_t request_id, int32_t response_to, uint8_t **out,
                     size_t *outlen)
{
    size_t total = WK_WIRE_HEADER_LEN + 20 + (size_t)doc->len;
    uint8_t *b;

    if (total > INT32_MAX)
        return SDB_ETOOBIG;
    b = bson_malloc(total);
    wr_header(b, total, request_id, response_to, WK_WIRE_OP_REPLY);
    wr_u32(b + 16, WK_WIRE_REPLY_AWAIT_CAPABLE); /* responseFlags */
    memset(b + 20, 0, 8);                        /* cursorID */
    wr_u32(b + 28, 0);                           /* startingFrom */
    wr_u32(b + 32, 1);                           /* numberReturned */
    memcpy(b + 36, bson_get_data(doc), doc->len);
    *out = b;
    *outlen = total;
    return 0;
}
