/*
 * src/master/validate.h -- VALIDATE (storeop.def): check one collection's records against
 * every index, read-only, in one snapshot.
 *
 * Called from any service thread; takes the shared catalog lock itself.  On error nothing
 * has changed.
 */
#ifndef MS_VALIDATE_H
#define MS_VALIDATE_H

#include "ops.h"

/* ms_validate_op -- VALIDATE {ns} -> counts, keysPerIndex, indexValid and the lists of
 * missing, extra and corrupt entries (storeop.def); 26 NamespaceNotFound. */
int ms_validate_op(ms_ctx_t *ctx, const bson_t *req, bson_t *reply, sdb_error_t *err);

#endif
