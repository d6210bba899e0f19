/*
 * src/common/resume_token.h -- change-stream resume tokens: {_data: "<hex>"}.
 *
 * A token names a point in the oplog: the entry's timestamp, whether it is an event token or a
 * high-water mark, the operation's index inside an applyOps entry, whether it comes from an
 * invalidate, and the collection's UUID when the event has one.  Encoded as bytes whose
 * memcmp order is the stream's order, then as upper-case hex (mongod's KeyString hex is
 * opaque to drivers but strictly ordered; ours keeps the same promise and the same leading
 * Timestamp type byte):
 *
 *   0x82 ts(8 BE)  0x2B version(4 BE)  0x2B type(4 BE)  0x2B txnOpIndex(4 BE)
 *   0x6E|0x70 (fromInvalidate false|true)  [0x5A 0x04 uuid(16)]  0x04 (end)
 *
 * type 0 is a high-water mark: "every event before ts has been seen, resume at ts"; it sorts
 * before every event of ts.  type 128 is an event: resume after that event.  Pure functions,
 * any thread; the only layout of a token (STYLE rule 18).
 */
#ifndef SDB_RESUME_TOKEN_H
#define SDB_RESUME_TOKEN_H

#include "errors.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define SDB_RTOKEN_HWM 0u
#define SDB_RTOKEN_EVENT 128u
#define SDB_RTOKEN_HEX_MAX 96 /* encoded length bound, with the NUL */

typedef struct sdb_rtoken {
    uint64_t ts;          /* oplog timestamp, secs << 32 | inc */
    uint32_t type;        /* SDB_RTOKEN_HWM or SDB_RTOKEN_EVENT */
    uint32_t op_index;    /* index inside an applyOps entry; 0 otherwise */
    bool from_invalidate; /* the invalidate event that follows a drop or rename */
    bool has_uuid;
    uint8_t uuid[16];
} sdb_rtoken_t;

/* sdb_rtoken_encode -- the token's hex string into out (SDB_RTOKEN_HEX_MAX bytes). */
void sdb_rtoken_encode(const sdb_rtoken_t *t, char *out);

/* sdb_rtoken_append -- append {_data: "<hex>"} under key. */
void sdb_rtoken_append(bson_t *b, const char *key, const sdb_rtoken_t *t);

/* sdb_rtoken_parse -- read a resume token document ({_data: "<hex>", ...}) as mongod does:
 * 9 FailedToParse for a non-hex string, 40649 for an empty one, 50811 for bytes that are no
 * token, 40647 when _data is missing or not a string. */
int sdb_rtoken_parse(const bson_value_t *v, sdb_rtoken_t *t, sdb_error_t *err);

#endif
