/*
 * src/worker/cmd/hello.c -- hello / isMaster / ismaster: the handshake.
 *
 * SecantusDB presents itself as the primary of a one-member replica set so that drivers
 * enable sessions, retryable writes, transactions and change streams (CLIENTS.md).
 * connectionId and topologyVersion.counter are Int64 (the Go driver insists).  Awaitable
 * hello: with both topologyVersion and maxAwaitTimeMS, and a topologyVersion equal to ours,
 * the reply waits until maxAwaitTimeMS passes (our topology never changes) without blocking
 * the worker: the request's coroutine sleeps (coro.h) while the loop serves the rest.
 */
#include "../command.h"
#include "../compress.h"
#include "../conn.h"
#include "../coro.h"
#include "../engine/failpoint.h"
#include "../worker.h"
#include "auth.h"

#include <string.h>
#include <sys/time.h>

#define MAX_BSON 16777216
#define MAX_MESSAGE 48000000
#define MAX_BATCH 100000
#define MIN_WIRE 0
#define MAX_WIRE 21

static int64_t
now_ms(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Validate the awaitable-hello pair; *wait_ms >= 0 when the reply should wait. */
static int
awaitable(wk_cmd_t *cmd, int64_t *wait_ms)
{
    bson_iter_t tv, mt, f;
    bool has_tv = bson_iter_init_find(&tv, cmd->body, "topologyVersion");
    bool has_mt = bson_iter_init_find(&mt, cmd->body, "maxAwaitTimeMS");
    bson_oid_t ours;

    *wait_ms = -1;
    if (!has_tv && !has_mt)
        return 0;
    if (has_tv != has_mt)
        return sdb_error_set(&cmd->err, 9,
                             "A request with a 'topologyVersion' must include "
                             "'maxAwaitTimeMS', and vice versa");
    if (!BSON_ITER_HOLDS_NUMBER(&mt) || bson_iter_as_int64(&mt) < 0)
        return sdb_error_set(&cmd->err, SDB_CODE_BadValue,
                             "maxAwaitTimeMS must be a non-negative integer");
    if (!BSON_ITER_HOLDS_DOCUMENT(&tv))
        return sdb_error_set(&cmd->err, SDB_CODE_TypeMismatch, "topologyVersion must be an object");
    wk_process_id(&ours);
    bson_iter_recurse(&tv, &f);
    if (bson_iter_find(&f, "processId") && BSON_ITER_HOLDS_OID(&f) &&
        bson_oid_equal(bson_iter_oid(&f), &ours)) {
        bson_iter_recurse(&tv, &f);
        if (bson_iter_find(&f, "counter") && BSON_ITER_HOLDS_NUMBER(&f) &&
            bson_iter_as_int64(&f) == wk_topology_counter())
            *wait_ms = bson_iter_as_int64(&mt);
    }
    return 0;
}

static void
append_optime(bson_t *doc, const char *name, uint32_t t, uint32_t i)
{
    bson_t o;

    BSON_APPEND_DOCUMENT_BEGIN(doc, name, &o);
    BSON_APPEND_TIMESTAMP(&o, "ts", t, i);
    BSON_APPEND_INT64(&o, "t", 1);
    bson_append_document_end(doc, &o);
}

static void
append_topology(bson_t *r)
{
    bson_t hosts, lw;
    uint32_t t, i;
    const char *me = wk_host_port();

    wk_topology_version_append(r);
    BSON_APPEND_ARRAY_BEGIN(r, "hosts", &hosts);
    BSON_APPEND_UTF8(&hosts, "0", me);
    bson_append_array_end(r, &hosts);
    BSON_APPEND_UTF8(r, "setName", wk_cfg->repl_set);
    BSON_APPEND_INT32(r, "setVersion", 1);
    wk_cluster_time(&t, &i);
    BSON_APPEND_DOCUMENT_BEGIN(r, "lastWrite", &lw);
    append_optime(&lw, "opTime", t, i);
    BSON_APPEND_DATE_TIME(&lw, "lastWriteDate", (int64_t)t * 1000);
    append_optime(&lw, "majorityOpTime", t, i);
    BSON_APPEND_DATE_TIME(&lw, "majorityWriteDate", (int64_t)t * 1000);
    bson_append_document_end(r, &lw);
}

/*
 * wk_cmd_hello --
 *     The handshake reply of a one-member replica set's primary.
 */
int
wk_cmd_hello(wk_cmd_t *cmd)
{
    bson_t *r = cmd->reply;
    bson_oid_t election;
    bson_iter_t it;
    int64_t wait_ms;
    const char *me = wk_host_port();

    SDB_RET(awaitable(cmd, &wait_ms));
    cmd->streamable = bson_has_field(cmd->body, "topologyVersion");
    if (wait_ms > 0)
        wk_coro_sleep_ms(wait_ms);
    append_topology(r);
    if (strcmp(cmd->name, "hello") == 0) {
        BSON_APPEND_BOOL(r, "isWritablePrimary", true);
    } else {
        if (bson_iter_init_find(&it, cmd->body, "helloOk") && bson_iter_as_bool(&it))
            BSON_APPEND_BOOL(r, "helloOk", true);
        BSON_APPEND_BOOL(r, "ismaster", true);
    }
    BSON_APPEND_BOOL(r, "secondary", false);
    BSON_APPEND_UTF8(r, "primary", me);
    BSON_APPEND_UTF8(r, "me", me);
    /* electionId: a constant for our single term, as a fresh primary's first election. */
    bson_oid_init_from_string(&election, "7fffffff0000000000000001");
    BSON_APPEND_OID(r, "electionId", &election);
    BSON_APPEND_INT32(r, "maxBsonObjectSize", MAX_BSON);
    BSON_APPEND_INT32(r, "maxMessageSizeBytes", MAX_MESSAGE);
    BSON_APPEND_INT32(r, "maxWriteBatchSize", MAX_BATCH);
    BSON_APPEND_DATE_TIME(r, "localTime", now_ms());
    BSON_APPEND_INT32(r, "logicalSessionTimeoutMinutes", (int32_t)wk_cfg->session_timeout_min);
    BSON_APPEND_INT64(r, "connectionId", cmd->conn->id);
    BSON_APPEND_INT32(r, "minWireVersion", MIN_WIRE);
    BSON_APPEND_INT32(r, "maxWireVersion", MAX_WIRE);
    BSON_APPEND_BOOL(r, "readOnly", false);
    wk_compress_negotiate(wk_cfg->compressors, cmd->body, r); /* compress.h */
    wk_failpoint_note_client(cmd->conn, cmd->body);
    cmd->conn->hello_done = true;
    return wk_auth_hello(cmd); /* saslSupportedMechs, speculativeAuthenticate: cmd/auth.c */
}
