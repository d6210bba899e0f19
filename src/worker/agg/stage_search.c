/*
 * src/worker/agg/stage_search.c -- the Atlas Search stages: $search, $searchMeta,
 * $vectorSearch and $listSearchIndexes, refused as a mongod without a search host refuses them.
 *
 * A mongod 7.0 that is not connected to mongot (no Atlas, no AtlasCLI local deployment) knows
 * these stages but answers 31082 SearchNotEnabled when a pipeline names them; SecantusDB has
 * no search engine, so every pipeline holding one fails at parse time with mongod's words
 * (the two messages differ: the index-management one names $listSearchIndexes).  Drivers and
 * the unified spec tests recognize the error by its code and by "Atlas" in the message.
 *
 * Invariants: parsing always fails, so the run and free functions never see a state.
 */
#include "agg_int.h"

#define SEARCH_MSG                                                                                 \
    "Using $search and $vectorSearch aggregation stages requires additional configuration. "       \
    "Please connect to Atlas or an AtlasCLI local deployment to enable.For more information on "   \
    "how to connect, see https://dochub.mongodb.org/core/atlas-cli-deploy-local-reqs."

#define INDEXES_MSG                                                                                \
    "Using Atlas Search Database Commands and the $listSearchIndexes aggregation stage requires "  \
    "additional configuration. Please connect to Atlas or an AtlasCLI local deployment to "        \
    "enable. For more information on how to connect, see "                                         \
    "https://dochub.mongodb.org/core/atlas-cli-deploy-local-reqs."

/* refuse -- the one answer of every search stage. */
static int
refuse(const char *msg, sdb_error_t *err)
{
    return sdb_error_set(err, SDB_CODE_SearchNotEnabled, "%s", msg);
}

#define SEARCH_STAGE(stem, msg)                                                                    \
    int wk_agg_parse_##stem(const bson_iter_t *spec, const wk_agg_ctx_t *ctx, void **priv,         \
                            sdb_error_t *err)                                                      \
    {                                                                                              \
        SDB_UNUSED(spec);                                                                          \
        SDB_UNUSED(ctx);                                                                           \
        *priv = NULL;                                                                              \
        return refuse(msg, err);                                                                   \
    }                                                                                              \
    int wk_agg_run_##stem(const void *priv, wk_agg_ctx_t *ctx, wk_agg_docs_t *in,                  \
                          wk_agg_docs_t *out, sdb_error_t *err)                                    \
    {                                                                                              \
        SDB_UNUSED(priv);                                                                          \
        SDB_UNUSED(ctx);                                                                           \
        SDB_UNUSED(in);                                                                            \
        SDB_UNUSED(out);                                                                           \
        SDB_UNUSED(err);                                                                           \
        return 0;                                                                                  \
    }                                                                                              \
    void wk_agg_free_##stem(void *priv)                                                            \
    {                                                                                              \
        SDB_UNUSED(priv);                                                                          \
    }

SEARCH_STAGE(search, SEARCH_MSG)
SEARCH_STAGE(search_meta, SEARCH_MSG)
SEARCH_STAGE(vector_search, SEARCH_MSG)
SEARCH_STAGE(list_search_indexes, INDEXES_MSG)
