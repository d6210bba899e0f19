/*
 * src/common/lsid.h -- a logical session's key, {id, uid}, as both sides of the channel name it.
 *
 * mongod keys a logical session by its 16-byte id and the 32-byte uid of the user who uses it
 * (SHA-256 of "user@db", of "" when nobody is authenticated), so two users sending the same id
 * have two sessions.  Every storage request that names a session (SESSION_*, CURSOR_NEW,
 * CURSOR_GET, XACT_*, a write's `txn`) carries the pair as a document {id: binary 16,
 * uid: binary 32}; the worker fills uid from the lsid the client sent or from its user, the
 * master looks sessions, transactions, retryable writes and cursors up by both fields.
 *
 * Contract: pure functions of their arguments; any thread, any process; nothing allocated.
 */
#ifndef SDB_LSID_H
#define SDB_LSID_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define SDB_LSID_ID_LEN 16
#define SDB_LSID_UID_LEN 32 /* SHA-256 */

typedef struct sdb_lsid {
    uint8_t id[SDB_LSID_ID_LEN];   /* the lsid's id (a UUID) */
    uint8_t uid[SDB_LSID_UID_LEN]; /* its user's digest */
} sdb_lsid_t;

/* A session key as 64-bit words (the id's two, then the uid's four), for the global segment's
 * session kill ring (global.h), where all ones stand for every session. */
#define SDB_LSID_WORDS ((SDB_LSID_ID_LEN + SDB_LSID_UID_LEN) / 8)

/* sdb_lsid_words -- key as SDB_LSID_WORDS words (host order). */
void sdb_lsid_words(const sdb_lsid_t *key, uint64_t out[SDB_LSID_WORDS]);

/* sdb_lsid_binary_field -- doc's binary field `key`, exactly len bytes, into out; false when
 * absent or of another type or length. */
bool sdb_lsid_binary_field(const bson_t *doc, const char *key, uint32_t len, uint8_t *out);

/* sdb_lsid_from_doc -- {id: binary 16, uid: binary 32} into *out; false when either field is
 * missing or of another length (*out is then unspecified). */
bool sdb_lsid_from_doc(const bson_t *doc, sdb_lsid_t *out);

/* sdb_lsid_from_iter -- sdb_lsid_from_doc of the document the iterator is on; false when it
 * is not a document. */
bool sdb_lsid_from_iter(const bson_iter_t *it, sdb_lsid_t *out);

/* sdb_lsid_from_field -- sdb_lsid_from_iter of doc's field `key`; false when absent. */
bool sdb_lsid_from_field(const bson_t *doc, const char *key, sdb_lsid_t *out);

/* sdb_lsid_append_fields -- append id (UUID subtype) and uid (generic binary) to doc. */
void sdb_lsid_append_fields(bson_t *doc, const sdb_lsid_t *l);

/* sdb_lsid_append -- append {id, uid} as document field `key`. */
void sdb_lsid_append(bson_t *b, const char *key, const sdb_lsid_t *l);

/* sdb_lsid_eq -- the same session: same id and same uid. */
bool sdb_lsid_eq(const sdb_lsid_t *a, const sdb_lsid_t *b);

/* sdb_lsid_hash -- a hash of both fields for hash tables (the random bits of the id mixed
 * with the uid's first bytes). */
uint64_t sdb_lsid_hash(const sdb_lsid_t *l);

#endif
