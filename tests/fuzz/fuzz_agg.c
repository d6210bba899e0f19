/*
 * tests/fuzz/fuzz_agg.c -- libFuzzer target for the aggregation pipeline
 * (src/worker/agg/: the stage table, every stage's parser, and the expression language).
 *
 * The input is a pipeline: a BSON array (or any document; its values are the stages) as the
 * aggregate command's `pipeline` carries it.  What the door accepts is parsed as a pipeline
 * on collection "c", plain and under a case-insensitive collation ($match, $sort, $group
 * compare through ICU); a pipeline that parses is run over a copy of the fixed documents
 * (fuzz.h) as its in-memory source, unless its bytes name a stage that reads or writes the
 * store through the master ($lookup, $out, $merge, $collStats, $indexStats,
 * $listLocalSessions), which needs a running server: such pipelines are parsed only.  Every
 * output document must be well-formed BSON.
 *
 * Invariants: single-threaded; nothing persists between inputs.
 */
#include "fuzz.h"

#include "../../src/worker/agg/agg.h"

#include <string.h>

/* Stages that call the store (event loop and channel): never run here. */
static const char *const store_stages[] = {
    "$lookup", "$out", "$merge", "$collStats", "$indexStats", "$listLocalSessions",
};

/* needs_store -- true when the bytes name a store stage anywhere (nested ones included). */
static bool
needs_store(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < sizeof(store_stages) / sizeof(store_stages[0]); i++)
        if (memmem(data, size, store_stages[i], strlen(store_stages[i])) != NULL)
            return true;
    return false;
}

/* run -- the pipeline over copies of the fixed documents. */
static void
run(const wk_agg_pipeline_t *p, wk_agg_ctx_t *ctx)
{
    const bson_t *const *docs;
    wk_agg_docs_t in, out;
    sdb_error_t err;
    size_t n;

    wk_agg_docs_init(&in);
    wk_agg_docs_init(&out);
    docs = fuzz_docs(&n);
    for (size_t i = 0; i < n; i++)
        wk_agg_docs_push(&in, bson_copy(docs[i]));
    memset(&err, 0, sizeof(err));
    if (wk_agg_run(p, ctx, &in, &out, &err) == 0) {
        for (size_t i = 0; i < out.n; i++)
            if (out.v[i] != NULL)
                fuzz_check_output(out.v[i]);
    } else {
        FUZZ_CHECK(err.code != 0 && out.n == 0);
    }
    wk_agg_docs_free(&in);
    wk_agg_docs_free(&out);
}

/* pass -- parse the pipeline under ctx and, when it needs no store, run it. */
static void
pass(const bson_t *pipeline, wk_agg_ctx_t *ctx, bool store)
{
    wk_agg_pipeline_t *p = NULL;
    sdb_error_t err;

    memset(&err, 0, sizeof(err));
    if (wk_agg_parse_doc(pipeline, ctx, &p, &err) != 0) {
        FUZZ_CHECK(p == NULL && err.code != 0);
        return;
    }
    if (!store)
        run(p, ctx);
    wk_agg_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wk_agg_ctx_t ctx = {.db = "test", .coll = "c"};
    bson_t pipeline;
    bool store;

    if (!fuzz_door(data, size, &pipeline))
        return 0;
    store = needs_store(data, size);
    pass(&pipeline, &ctx, store);
    ctx.collation = fuzz_collation();
    pass(&pipeline, &ctx, store);
    return 0;
}
