/*
 * src/worker/engine/validation.h -- the errInfo of a DocumentValidationFailure (121).
 *
 * Contract: event-loop thread; pure functions of their arguments (no store calls).
 */
#ifndef WK_ENGINE_VALIDATION_H
#define WK_ENGINE_VALIDATION_H

#include <bson/bson.h>

/* wk_validation_info -- append errInfo: {failingDocumentId, details} to `out` for `doc`, which
 * failed the validator whose BSON bytes are validator[0..len) (a query-operator document). */
void wk_validation_info(const uint8_t *validator, uint32_t len, const bson_t *doc, bson_t *out);

#endif
