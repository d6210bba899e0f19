/*
 * src/master/oplog_diff.h -- the `o` of an update's oplog entry in mongod's $v:2 diff form.
 *
 * mongod 7.0 logs an update made by operators or a pipeline as {$v: 2, diff: D}, where D is
 * a document diff {d: {f: false}, u: {f: v}, i: {f: v}, s<f>: D'} and an array diff
 * {a: true, l: newSize, u<k>: v, s<k>: D'}; a replacement logs the whole new document.
 * Change streams read updateDescription (updatedFields, removedFields, truncatedArrays,
 * disambiguatedPaths) from it.  Pure functions of the stored and the new document; any thread.
 */
#ifndef MS_OPLOG_DIFF_H
#define MS_OPLOG_DIFF_H

#include <bson/bson.h>

/* ms_oplog_update_o -- {$v: 2, diff: <old -> new>} into out (initialized here). */
void ms_oplog_update_o(const bson_t *old, const bson_t *new, bson_t *out);

#endif
