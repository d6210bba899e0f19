/*
 * src/common/depth.h -- the one check every recursive parser and evaluator makes before it
 * descends a level.
 *
 * Nesting that reaches a recursive function comes from the client (a filter, an expression,
 * a projection, an update, a stored document) or is built while evaluating (an object
 * literal around a field, $setField, a pipeline of stages each wrapping the document).  The
 * door refuses commands nested deeper than SDB_BSON_DEPTH_COMMAND, but a recursive function
 * must not rely on that: each one carries its depth and fails with 15 Overflow past
 * SDB_BSON_DEPTH_EVAL (bsonvalid.h), so no input reaches the end of a worker's coroutine
 * stack (coro.c).  Functions that have no error path (comparisons) walk iteratively instead.
 * A dotted path's components are bounded the same way (15 Overflow "FieldPath is too long",
 * mongod's wording), so walks along a path are bounded too.
 *
 * Pure inline helpers; any thread, either process.
 */
#ifndef SDB_DEPTH_H
#define SDB_DEPTH_H

#include "bsonvalid.h"
#include "errors.h"

/* SDB_DEPTH_PATH_MAX -- the most components of a dotted path (mongod: maxBSONDepth). */
#define SDB_DEPTH_PATH_MAX SDB_BSON_DEPTH_COMMAND

/* sdb_depth_error -- record 15 Overflow for `what` nested past SDB_BSON_DEPTH_EVAL. */
static inline int
sdb_depth_error(sdb_error_t *err, const char *what)
{
    return sdb_error_set(err, SDB_CODE_Overflow, "%s exceeds the limit of %d levels of nesting",
                         what, SDB_BSON_DEPTH_EVAL);
}

/* sdb_depth_doc_error -- 15 Overflow for a built document past SDB_BSON_DEPTH_EVAL (measured
 * with sdb_bson_depth_ok, which walks without recursion), in mongod's words for a document
 * it cannot convert to BSON. */
static inline int
sdb_depth_doc_error(sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_Overflow,
                         "cannot convert document to BSON because it exceeds the limit of %d "
                         "levels of nesting",
                         SDB_BSON_DEPTH_EVAL);
}

/* SDB_DEPTH_CHECK -- return 15 Overflow from the calling function when `depth`, the level
 * it is about to work at (a document's own fields are level 1, as in bsonvalid.h), is past
 * the bound. */
#define SDB_DEPTH_CHECK(depth, err, what)                                                          \
    do {                                                                                           \
        if ((depth) > SDB_BSON_DEPTH_EVAL)                                                         \
            return sdb_depth_error((err), (what));                                                 \
    } while (0)

#endif
