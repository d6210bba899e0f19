/*
 * src/worker/query/js_shim.h -- the C face of the SpiderMonkey shim (js_shim.cpp).
 *
 * js_shim.cpp is the only C++ in the tree: it owns the worker's one JSContext, turns BSON
 * into JavaScript values and back as mongod does, and runs compiled functions.  Everything
 * else -- who may enter the engine, time limits, the operation's interrupts, mongod's error
 * codes -- is js.c's, in C.  Nothing here knows about coroutines or operations: the
 * interrupt hook set by wk_jsshim_init decides whether a running script goes on.
 *
 * Contract: event-loop thread only, except wk_jsshim_request_interrupt (any thread: the
 * watchdog).  One call at a time: js.c serializes entry.  Status of every int function:
 * WK_JSSHIM_OK, or WK_JSSHIM_ERROR with a message in msg (a JavaScript exception, a value
 * that cannot convert), or WK_JSSHIM_INTERRUPTED when the hook stopped the script (the hook
 * keeps why).  A scope or function handle stays valid until freed; freeing a scope frees
 * nothing compiled in it (free the functions first).
 */
#ifndef SRC_WORKER_QUERY_JS_SHIM_H
#define SRC_WORKER_QUERY_JS_SHIM_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WK_JSSHIM_OK 0
#define WK_JSSHIM_ERROR 1
#define WK_JSSHIM_INTERRUPTED 2

typedef struct wk_jsshim_scope wk_jsshim_scope_t;
typedef struct wk_jsshim_fn wk_jsshim_fn_t;

/* wk_jsshim_init -- start SpiderMonkey and the worker's context with a GC heap of at most
 * heap_bytes, running above stack address lo (as wk_jsshim_stack_low); `interrupt` is called
 * (on the loop thread) whenever an interrupt was requested and answers true to let the
 * script go on. */
int wk_jsshim_init(uint32_t heap_bytes, bool (*interrupt)(void), uintptr_t lo, char *msg,
                   size_t len);

/* wk_jsshim_shutdown -- destroy the context and shut SpiderMonkey down (every scope and
 * function freed first). */
void wk_jsshim_shutdown(void);

/* wk_jsshim_request_interrupt -- ask the running script (if any) to call the hook soon. */
void wk_jsshim_request_interrupt(void);

/* wk_jsshim_stack_low -- the running code may use the native stack down to address lo (the
 * coroutine's stack bottom plus a margin); set before each entry. */
void wk_jsshim_stack_low(uintptr_t lo);

/* wk_jsshim_scope_new -- a fresh global (mongod's scope) with the helpers (NumberLong,
 * ObjectId, Array.sum, hex_md5, emit ...) and `vars` ({name: value}, may be NULL) as globals. */
int wk_jsshim_scope_new(const bson_t *vars, wk_jsshim_scope_t **out, char *msg, size_t len);

/* wk_jsshim_scope_free -- release a scope (NULL is fine). */
void wk_jsshim_scope_free(wk_jsshim_scope_t *s);

/* wk_jsshim_compile -- compile `code` (a function literal, or an expression / statements
 * taken as a function body, as mongod does) in scope s. */
int wk_jsshim_compile(wk_jsshim_scope_t *s, const char *code, size_t code_len, wk_jsshim_fn_t **out,
                      char *msg, size_t len);

/* wk_jsshim_fn_free -- release a compiled function (NULL is fine). */
void wk_jsshim_fn_free(wk_jsshim_fn_t *f);

/* wk_jsshim_call -- call f with `this` = this_doc (NULL: the global) and the elements of
 * args (a BSON array, NULL: none); when set_obj, the global `obj` is this_doc too ($where).
 * The return value is appended to ret as field "v".  emits (NULL: emit() fails) collects
 * emit(k, v) calls as documents {k, v} appended to that array. */
int wk_jsshim_call(wk_jsshim_fn_t *f, const bson_t *this_doc, const bson_t *args, bool set_obj,
                   bson_t *ret, bson_t *emits, char *msg, size_t len);

#ifdef __cplusplus
}
#endif

#endif
