/*
 * src/worker/query/js.h -- server-side JavaScript for $where, $function, $accumulator and
 * mapReduce: scopes, compiled functions and calls, on the worker's SpiderMonkey context.
 *
 * A feature makes a scope per operation (wk_js_scope_new: a fresh global with mongod's
 * helpers and its `scope` variables), compiles its code in it once (wk_js_compile) and calls
 * the function per document (wk_js_call).  A call runs on the calling coroutine, on the loop
 * thread; a watchdog thread asks the script to look up every millisecond or so, and it then
 * does what wk_op_check does: gives the loop a turn when its slice is used up (so a long
 * script never starves the worker's other connections) and stops with the operation's
 * interrupt (50 MaxTimeMSExpired past maxTimeMS, 279 a gone client, 11600 shutdown).  The
 * worker has one context, so one script at a time is inside it: a call that finds the
 * engine held by a script that gave the loop a turn waits (1 ms sleeps, still an interrupt
 * point of its own operation) until that script ends.  A call also ends after
 * WK_JS_CALL_TIMEOUT_MS (mongod's internalQueryJavaScriptFnTimeoutMillis) and the heap is
 * capped at WK_JS_HEAP_BYTES per worker.
 *
 * Contract: event-loop thread only.  With --noscripting every entry point answers the
 * caller's error: check wk_js_enabled first and report the feature's own mongod code.
 * Script errors are 139 JSInterpreterFailure with the exception's text.  Free functions
 * before their scope.
 */
#ifndef SRC_WORKER_QUERY_JS_H
#define SRC_WORKER_QUERY_JS_H

#include <bson/bson.h>
#include <stdbool.h>

#include "../../common/errors.h"

struct wk_op;

typedef struct wk_jsshim_scope wk_js_scope_t; /* js_shim.h's handles */
typedef struct wk_jsshim_fn wk_js_fn_t;

#define WK_JS_HEAP_BYTES (256u * 1024 * 1024)
#define WK_JS_CALL_TIMEOUT_MS 60000

/* wk_js_enabled -- false under --noscripting. */
bool wk_js_enabled(void);

/* wk_js_shutdown -- orderly exit: stop the watchdog and shut SpiderMonkey down (its static
 * destructors crash a process that exits with the engine still up).  Every scope and
 * function must have been freed; it cannot start again in this process. */
void wk_js_shutdown(void);

/* wk_js_scope_new -- a fresh scope with `vars` ({name: value}, may be NULL) as globals. */
int wk_js_scope_new(const bson_t *vars, wk_js_scope_t **out, sdb_error_t *err);

/* wk_js_scope_free -- release a scope (NULL is fine). */
void wk_js_scope_free(wk_js_scope_t *s);

/* wk_js_compile -- compile code (a function, or an expression / body as mongod takes it). */
int wk_js_compile(wk_js_scope_t *s, const char *code, size_t len, wk_js_fn_t **out,
                  sdb_error_t *err);

/* wk_js_fn_free -- release a function (NULL is fine). */
void wk_js_fn_free(wk_js_fn_t *f);

/* wk_js_call -- f(args...) with `this` = this_doc (NULL: the global; set_obj: also the global
 * `obj`, as $where has it), for operation op (may be NULL).  *out gets the return value
 * (owned; bson_value_destroy).  emits (NULL: emit() throws) must be an empty array: it
 * collects this call's emit(k, v) as {k, v} documents. */
int wk_js_call(wk_js_fn_t *f, const struct wk_op *op, const bson_t *this_doc, const bson_t *args,
               bool set_obj, bson_value_t *out, bson_t *emits, sdb_error_t *err);

/* wk_js_call_source -- call the function whose source is src (compiled once per worker into a
 * shared scope and kept by source, as mongod memoizes createFunction) with the elements of
 * args (a BSON array, may be NULL) and no `this`, for operation op (may be NULL): what
 * $function and $accumulator run per document. */
int wk_js_call_source(const char *src, size_t len, const struct wk_op *op, const bson_t *args,
                      bson_value_t *out, sdb_error_t *err);

/* ---- $where (the matcher's hook) ---- */

typedef struct wk_js_where wk_js_where_t;

/* wk_js_where_new -- compile a $where argument (string or code) in a scope of its own, for
 * operation op (may be NULL): 6108304 under --noscripting, 2 for another type, 139 when it
 * does not compile. */
int wk_js_where_new(const bson_value_t *code, const struct wk_op *op, wk_js_where_t **out,
                    sdb_error_t *err);

/* wk_js_where_match -- run it with this = obj = doc: *matched is the answer's truthiness. */
int wk_js_where_match(const wk_js_where_t *w, const bson_t *doc, bool *matched, sdb_error_t *err);

/* wk_js_where_free -- release it (NULL is fine). */
void wk_js_where_free(wk_js_where_t *w);

/* wk_js_truthy -- JavaScript truthiness of a returned value ($where). */
bool wk_js_truthy(const bson_value_t *v);

#endif
