/*
 * src/common/resume_token.c -- encode and parse change-stream resume tokens.
 *
 * The layout is in resume_token.h.  Parsing checks every byte: a type byte that is not the one
 * expected at its place is mongod's KeyString complaint (50811 "Unknown type"), a short or
 * long buffer likewise.  Pure functions, any thread.
 */
#include "resume_token.h"

#include "sdb.h"

#include <string.h>

#define RT_TS 0x82
#define RT_INT 0x2B
#define RT_FALSE 0x6E
#define RT_TRUE 0x70
#define RT_UUID 0x5A
#define RT_END 0x04
#define RT_VERSION 2u
#define RT_BYTES_MAX 48

static size_t
put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)(v & 0xff);
    return (size_t)n;
}

static uint64_t
get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* encode_bytes -- the binary form; returns its length. */
static size_t
encode_bytes(const sdb_rtoken_t *t, uint8_t *b)
{
    size_t n = 0;

    b[n++] = RT_TS;
    n += put_be(b + n, t->ts, 8);
    b[n++] = RT_INT;
    n += put_be(b + n, RT_VERSION, 4);
    b[n++] = RT_INT;
    n += put_be(b + n, t->type, 4);
    b[n++] = RT_INT;
    n += put_be(b + n, t->op_index, 4);
    b[n++] = t->from_invalidate ? RT_TRUE : RT_FALSE;
    if (t->has_uuid) {
        b[n++] = RT_UUID;
        b[n++] = 0x04;
        memcpy(b + n, t->uuid, 16);
        n += 16;
    }
    b[n++] = RT_END;
    return n;
}

void
sdb_rtoken_encode(const sdb_rtoken_t *t, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    uint8_t b[RT_BYTES_MAX];
    size_t n = encode_bytes(t, b);

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 0xf];
    }
    out[2 * n] = '\0';
}

void
sdb_rtoken_append(bson_t *b, const char *key, const sdb_rtoken_t *t)
{
    char hex[SDB_RTOKEN_HEX_MAX];
    bson_t d;

    sdb_rtoken_encode(t, hex);
    bson_append_document_begin(b, key, -1, &d);
    BSON_APPEND_UTF8(&d, "_data", hex);
    bson_append_document_end(b, &d);
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* expect -- the type byte at *pos must be `want` (50811 otherwise). */
static int
expect(const uint8_t *b, size_t n, size_t *pos, uint8_t want, size_t body, sdb_error_t *err)
{
    if (*pos >= n)
        return sdb_error_set(err, SDB_CODE_Location50811,
                             "KeyString format error: Unknown type: 0");
    if (b[*pos] != want || *pos + 1 + body > n)
        return sdb_error_set(err, SDB_CODE_Location50811,
                             "KeyString format error: Unknown type: %u", (unsigned)b[*pos]);
    (*pos)++;
    return 0;
}

/* decode_bytes -- the fields of a binary token. */
static int
decode_bytes(const uint8_t *b, size_t n, sdb_rtoken_t *t, sdb_error_t *err)
{
    size_t pos = 0;

    memset(t, 0, sizeof(*t));
    SDB_RET(expect(b, n, &pos, RT_TS, 8, err));
    t->ts = get_be(b + pos, 8);
    pos += 8;
    SDB_RET(expect(b, n, &pos, RT_INT, 4, err));
    if (get_be(b + pos, 4) != RT_VERSION)
        return sdb_error_set(err, SDB_CODE_Location50811,
                             "KeyString format error: Unknown type: %u", (unsigned)b[pos]);
    pos += 4;
    SDB_RET(expect(b, n, &pos, RT_INT, 4, err));
    t->type = (uint32_t)get_be(b + pos, 4);
    pos += 4;
    SDB_RET(expect(b, n, &pos, RT_INT, 4, err));
    t->op_index = (uint32_t)get_be(b + pos, 4);
    pos += 4;
    if (pos < n && b[pos] == RT_TRUE)
        SDB_RET(expect(b, n, &pos, RT_TRUE, 0, err));
    else
        SDB_RET(expect(b, n, &pos, RT_FALSE, 0, err));
    t->from_invalidate = b[pos - 1] == RT_TRUE;
    if (pos < n && b[pos] == RT_UUID) {
        SDB_RET(expect(b, n, &pos, RT_UUID, 17, err));
        t->has_uuid = b[pos] == 0x04;
        memcpy(t->uuid, b + pos + 1, 16);
        pos += 17;
    }
    SDB_RET(expect(b, n, &pos, RT_END, 0, err));
    if (pos != n || (t->type != SDB_RTOKEN_HWM && t->type != SDB_RTOKEN_EVENT))
        return sdb_error_set(err, SDB_CODE_Location50811,
                             "KeyString format error: Unknown type: %u",
                             pos < n ? (unsigned)b[pos] : 0u);
    return 0;
}

int
sdb_rtoken_parse(const bson_value_t *v, sdb_rtoken_t *t, sdb_error_t *err)
{
    uint8_t b[RT_BYTES_MAX];
    const char *s;
    bson_iter_t it;
    bson_t d;
    size_t len;

    if (v->value_type != BSON_TYPE_DOCUMENT ||
        !bson_init_static(&d, v->value.v_doc.data, v->value.v_doc.data_len) ||
        !bson_iter_init_find(&it, &d, "_data") || !BSON_ITER_HOLDS_UTF8(&it))
        return sdb_error_set(err, SDB_CODE_Location40647,
                             "Bad resume token: _data of missing or of wrong type");
    s = bson_iter_utf8(&it, NULL);
    len = strlen(s);
    if (len == 0)
        return sdb_error_set(err, SDB_CODE_Location40649, "invalid empty resume token");
    for (size_t i = 0; i < len; i++)
        if (hexval(s[i]) < 0)
            return sdb_error_set(err, SDB_CODE_FailedToParse,
                                 "resume token string was not a valid hex string");
    if (len % 2 != 0)
        return sdb_error_set(err, SDB_CODE_FailedToParse,
                             "resume token string was not a valid hex string");
    if (len / 2 > sizeof(b))
        return sdb_error_set(err, SDB_CODE_Location50811,
                             "KeyString format error: Unknown type: %u",
                             (unsigned)(hexval(s[0]) << 4 | hexval(s[1])));
    for (size_t i = 0; i < len / 2; i++)
        b[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
    return decode_bytes(b, len / 2, t, err);
}
