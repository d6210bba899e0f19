/*
 * src/master/ixcover.h -- exact values of index entries, for scans that need no document.
 *
 * The key bytes keep a value's order, not its type: 1, 1L and 1.0 encode alike, and decode
 * as the canonical number (keyenc.h).  mongod keeps KeyString "type bits" beside the key for
 * this; here each entry's value starts with a cover tag (indexes.h has the whole layout):
 *   empty:        nothing known (an entry written before tags, a multikey document's, a
 *                 hashed, wildcard or collated index's): a covered scan fetches the record;
 *   0x01:         the key decodes to exactly the document's values (int32, strings, ...);
 *   0x02 + BSON:  {field: value...}, the document's values, which the key bytes do not keep
 *                 (a double 5.0, a long, a decimal, -0.0, a sub-document with such numbers).
 * A document with an array on a key path has no tag (a covered scan never serves a multikey
 * index).  A missing field keys as null and covers as null, as mongod's covered plans do.
 *
 * Pure functions over caller-owned buffers; any master thread.
 */
#ifndef MS_IXCOVER_H
#define MS_IXCOVER_H

#include "../common/keyenc.h"
#include "catalog.h"

#include <bson/bson.h>
#include <stdbool.h>
#include <stdint.h>

#define MS_IXCOVER_EXACT 0x01
#define MS_IXCOVER_VALUES 0x02

/* ms_ixcover_values -- {field: value...} of doc for ix's key fields (null when missing), the
 * values a tag describes; false (out left empty) when the index or the document allows no tag.
 * `out` is initialized either way. */
bool ms_ixcover_values(const ms_index_t *ix, const bson_t *doc, bson_t *out);

/* ms_ixcover_tag -- append to `tag` the cover tag of an entry with key bytes key/len whose
 * document has `values` (ms_ixcover_values). */
void ms_ixcover_tag(const ms_index_t *ix, const bson_t *values, const uint8_t *key, size_t len,
                    sdb_keybuf_t *tag);

/* ms_ixcover_doc -- the document a covered scan returns for one entry: the key's fields, nested
 * at their dotted paths ({"a.b": 1} -> {a: {b: 1}}), exact by the tag; false when the tag
 * says nothing (fetch the record instead).  `out` is initialized either way. */
bool ms_ixcover_doc(const ms_index_t *ix, const uint8_t *key, size_t len, const uint8_t *tag,
                    size_t tlen, bson_t *out);

#endif
