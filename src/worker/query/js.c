/*
 * src/worker/query/js.c -- the gate to the worker's JavaScript engine: lazy start, one script
 * at a time, time limits and interrupts, mongod's errors.  See js.h.
 *
 * Why a script can run on the loop thread and the worker stays healthy: SpiderMonkey calls
 * our interrupt hook whenever JS_RequestInterruptCallback was called, and only then.  A
 * watchdog thread (started with the engine, signals blocked, it touches nothing but that
 * thread-safe request) asks for it about every millisecond while a call is inside the
 * engine.  The hook runs on the loop thread, inside the script, on the calling coroutine's
 * stack: it calls wk_coro_checkpoint, which yields to the loop once the coroutine's slice is
 * used up -- the loop serves every other connection and resumes the script afterwards --
 * and then checks the operation's interrupts (wk_op_interrupted) and the per-call timeout;
 * answering false terminates the script (uncatchable by the script) and the call fails with
 * that error (50 for maxTimeMS).  While one script is parked in the hook, its activation is
 * on the context's stack; SpiderMonkey's roots and activations are LIFO per context, so no
 * other script may enter until it ends: `held` is the gate, and a waiting call sleeps 1 ms at
 * a time, checking its own operation meanwhile.  SpiderMonkey measures recursion against
 * the thread's stack, so each entry tells it the running coroutine's stack bottom (plus a
 * margin for the hook and SpiderMonkey's own frames): deep recursion is a JavaScript error,
 * never a crash.
 *
 * Invariants: loop thread only, except the watchdog (which reads `inside`, an atomic).
 */
#include "js.h"

#include "../../common/log.h"
#include "../../common/sdb.h"
#include "../coro.h"
#include "../op.h"
#include "../worker.h"
#include "expr.h"
#include "js_shim.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define STACK_MARGIN (512 * 1024) /* below the script: the hook, a turn of the loop, ASan */
#define WATCH_NS 1000000L         /* the watchdog's period: one coroutine slice */

static int started; /* 0 not yet, 1 running, -1 failed to start or shut down */
static bool held;   /* a call is inside the engine (maybe parked in the hook) */
static atomic_bool inside;
static atomic_bool quit; /* wk_js_shutdown: the watchdog returns */
static pthread_t watch_thread;
static const wk_op_t *call_op; /* the operation of the call inside */
static int64_t call_deadline;  /* sdb_mono_ms: the per-call timeout */
static sdb_error_t call_err;   /* why the hook stopped it */
static pthread_mutex_t watch_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_cv = PTHREAD_COND_INITIALIZER;

bool
wk_js_enabled(void)
{
    return wk_cfg == NULL || !wk_cfg->noscripting;
}

/* hook -- the interrupt hook (see the banner): true to let the script go on. */
static bool
hook(void)
{
    wk_coro_checkpoint();
    if (wk_op_interrupted(call_op, &call_err) != 0)
        return false;
    if (sdb_mono_ms() >= call_deadline) {
        sdb_error_set(&call_err, SDB_CODE_JSInterpreterFailure,
                      "JavaScript execution interrupted: it ran past %d ms", WK_JS_CALL_TIMEOUT_MS);
        return false;
    }
    return true;
}

/* watchdog -- while a call is inside, request the hook every WATCH_NS. */
static void *
watchdog(void *arg)
{
    struct timespec ts = {0, WATCH_NS};

    (void)arg;
    for (;;) {
        pthread_mutex_lock(&watch_mu);
        while (!atomic_load(&inside) && !atomic_load(&quit))
            pthread_cond_wait(&watch_cv, &watch_mu);
        pthread_mutex_unlock(&watch_mu);
        if (atomic_load(&quit))
            return NULL;
        nanosleep(&ts, NULL);
        if (atomic_load(&inside))
            wk_jsshim_request_interrupt();
    }
}

/* stack_low -- how far down the running code may let SpiderMonkey go. */
static uintptr_t
stack_low(void)
{
    uintptr_t lo = wk_coro_stack_low();
    char here;

    if (lo == 0) /* the loop's own stack (unit tests): allow a megabyte below here */
        lo = (uintptr_t)&here - (1024 * 1024);
    return lo + STACK_MARGIN;
}

/* start -- the engine and its watchdog, once per worker. */
static int
start(sdb_error_t *err)
{
    char msg[256];
    sigset_t all, old;
    int rc;

    if (started == 1)
        return 0;
    if (started == 0) {
        started = -1;
        /* SpiderMonkey's helper threads and the watchdog take no signals: the loop does. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        rc = wk_jsshim_init(WK_JS_HEAP_BYTES, hook, stack_low(), msg, sizeof(msg));
        if (rc == 0 && pthread_create(&watch_thread, NULL, watchdog, NULL) == 0)
            started = 1;
        else
            sdb_logf(SDB_LOG_E, "JS", 22000, "JavaScript engine failed to start", "%s",
                     rc != 0 ? msg : "watchdog thread");
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (started != 1)
        return sdb_error_set(err, SDB_CODE_JSInterpreterFailure,
                             "the JavaScript engine failed to start");
    return 0;
}

/* enter -- take the engine for op: wait while another call holds it. */
static int
enter(const wk_op_t *op, sdb_error_t *err)
{
    SDB_RET(start(err));
    while (held) {
        if (wk_coro_self() == NULL)
            return sdb_error_set(err, SDB_CODE_JSInterpreterFailure, "JavaScript engine busy");
        SDB_RET(wk_op_interrupted(op, err));
        wk_coro_sleep_ms(1);
    }
    held = true;
    call_op = op;
    call_deadline = sdb_mono_ms() + WK_JS_CALL_TIMEOUT_MS;
    wk_jsshim_stack_low(stack_low());
    pthread_mutex_lock(&watch_mu);
    atomic_store(&inside, true);
    pthread_cond_signal(&watch_cv);
    pthread_mutex_unlock(&watch_mu);
    return 0;
}

/* leave -- give the engine back; rc is the shim's status, msg its text. */
static int
leave(int rc, const char *msg, sdb_error_t *err)
{
    atomic_store(&inside, false);
    held = false;
    call_op = NULL;
    if (rc == WK_JSSHIM_INTERRUPTED) {
        *err = call_err;
        return SDB_ECLIENT;
    }
    if (rc != WK_JSSHIM_OK)
        return sdb_error_set(err, SDB_CODE_JSInterpreterFailure, "%s", msg);
    return 0;
}

int
wk_js_scope_new(const bson_t *vars, wk_js_scope_t **out, sdb_error_t *err)
{
    char msg[1024];

    *out = NULL;
    SDB_RET(enter(NULL, err));
    return leave(wk_jsshim_scope_new(vars, out, msg, sizeof(msg)), msg, err);
}

void
wk_js_scope_free(wk_js_scope_t *s)
{
    wk_jsshim_scope_free(s);
}

int
wk_js_compile(wk_js_scope_t *s, const char *code, size_t len, wk_js_fn_t **out, sdb_error_t *err)
{
    char msg[1024];

    *out = NULL;
    SDB_RET(enter(NULL, err));
    return leave(wk_jsshim_compile(s, code, len, out, msg, sizeof(msg)), msg, err);
}

void
wk_js_fn_free(wk_js_fn_t *f)
{
    wk_jsshim_fn_free(f);
}

/* finish_call -- leave the engine after a call; *out gets its return value from ret. */
static int
finish_call(int rc, const char *msg, bson_t *ret, bson_value_t *out, sdb_error_t *err)
{
    bson_iter_t it;
    int ret_code = leave(rc, msg, err);

    if (ret_code == 0 && bson_iter_init_find(&it, ret, "v"))
        bson_value_copy(bson_iter_value(&it), out);
    bson_destroy(ret);
    return ret_code;
}

int
wk_js_call(wk_js_fn_t *f, const wk_op_t *op, const bson_t *this_doc, const bson_t *args,
           bool set_obj, bson_value_t *out, bson_t *emits, sdb_error_t *err)
{
    char msg[1024];
    bson_t ret = BSON_INITIALIZER;
    int rc;

    out->value_type = BSON_TYPE_EOD;
    SDB_RET(enter(op, err));
    rc = wk_jsshim_call(f, this_doc, args, set_obj, &ret, emits, msg, sizeof(msg));
    return finish_call(rc, msg, &ret, out, err);
}

bool
wk_js_truthy(const bson_value_t *v)
{
    /* JavaScript's, unlike aggregation's: "" and NaN are false. */
    if (v->value_type == BSON_TYPE_UTF8)
        return v->value.v_utf8.len > 0;
    if (v->value_type == BSON_TYPE_DOUBLE && isnan(v->value.v_double))
        return false;
    return wk_expr_truthy(v);
}

/* ---- functions by source ($function, $accumulator) ------------------------------------- */

#define SRC_CACHE 64 /* distinct sources kept; past that the cache starts over */

static wk_jsshim_scope_t *src_scope;
static struct {
    char *src;
    size_t len;
    wk_jsshim_fn_t *fn;
} src_cache[SRC_CACHE];
static int src_n;

/* src_fn -- the compiled function of src; the engine is held. */
static int
src_fn(const char *src, size_t len, wk_jsshim_fn_t **fn, char *msg, size_t msg_len)
{
    int i, rc;

    for (i = 0; i < src_n; i++)
        if (src_cache[i].len == len && memcmp(src_cache[i].src, src, len) == 0) {
            *fn = src_cache[i].fn;
            return WK_JSSHIM_OK;
        }
    if (src_scope == NULL && (rc = wk_jsshim_scope_new(NULL, &src_scope, msg, msg_len)) != 0)
        return rc;
    if ((rc = wk_jsshim_compile(src_scope, src, len, fn, msg, msg_len)) != 0)
        return rc;
    if (src_n == SRC_CACHE) {
        for (i = 0; i < src_n; i++) {
            wk_jsshim_fn_free(src_cache[i].fn);
            bson_free(src_cache[i].src);
        }
        src_n = 0;
    }
    src_cache[src_n].src = bson_malloc(len + 1);
    memcpy(src_cache[src_n].src, src, len);
    src_cache[src_n].src[len] = '\0';
    src_cache[src_n].len = len;
    src_cache[src_n].fn = *fn;
    src_n++;
    return WK_JSSHIM_OK;
}

int
wk_js_call_source(const char *src, size_t len, const wk_op_t *op, const bson_t *args,
                  bson_value_t *out, sdb_error_t *err)
{
    wk_jsshim_fn_t *fn = NULL;
    char msg[1024];
    bson_t ret = BSON_INITIALIZER;
    int rc;

    out->value_type = BSON_TYPE_EOD;
    SDB_RET(enter(op, err));
    rc = src_fn(src, len, &fn, msg, sizeof(msg));
    if (rc == 0)
        rc = wk_jsshim_call(fn, NULL, args, false, &ret, NULL, msg, sizeof(msg));
    return finish_call(rc, msg, &ret, out, err);
}

void
wk_js_shutdown(void)
{
    if (started != 1 || held) /* a script still inside: leave the engine to the exit */
        return;
    pthread_mutex_lock(&watch_mu);
    atomic_store(&quit, true);
    pthread_cond_signal(&watch_cv);
    pthread_mutex_unlock(&watch_mu);
    pthread_join(watch_thread, NULL);
    for (int i = 0; i < src_n; i++) {
        wk_jsshim_fn_free(src_cache[i].fn);
        bson_free(src_cache[i].src);
    }
    src_n = 0;
    wk_jsshim_scope_free(src_scope);
    src_scope = NULL;
    wk_jsshim_shutdown();
    started = -1; /* SpiderMonkey cannot start twice in a process */
}

/* ---- $where ---------------------------------------------------------------------------- */

struct wk_js_where {
    wk_js_scope_t *scope;
    wk_js_fn_t *fn;
    const wk_op_t *op;
};

int
wk_js_where_new(const bson_value_t *code, const wk_op_t *op, wk_js_where_t **out, sdb_error_t *err)
{
    wk_js_where_t *w;
    const char *s;
    size_t n;
    int ret = 0;

    *out = NULL;
    if (!wk_js_enabled())
        return sdb_error_set(err, SDB_CODE_Location6108304,
                             "no globalScriptEngine in $where parsing");
    if (code->value_type == BSON_TYPE_UTF8) {
        s = code->value.v_utf8.str;
        n = code->value.v_utf8.len;
    } else if (code->value_type == BSON_TYPE_CODE) {
        s = code->value.v_code.code;
        n = code->value.v_code.code_len;
    } else {
        return sdb_error_set(err, SDB_CODE_BadValue, "$where got bad type");
    }
    w = bson_malloc0(sizeof(*w));
    w->op = op;
    SDB_ERR(wk_js_scope_new(NULL, &w->scope, err));
    SDB_ERR(wk_js_compile(w->scope, s, n, &w->fn, err));
    *out = w;
    return 0;
err:
    wk_js_where_free(w);
    return ret;
}

int
wk_js_where_match(const wk_js_where_t *w, const bson_t *doc, bool *matched, sdb_error_t *err)
{
    bson_value_t v;

    *matched = false;
    SDB_RET(wk_js_call(w->fn, w->op, doc, NULL, true, &v, NULL, err));
    *matched = wk_js_truthy(&v);
    bson_value_destroy(&v);
    return 0;
}

void
wk_js_where_free(wk_js_where_t *w)
{
    if (w == NULL)
        return;
    wk_js_fn_free(w->fn);
    wk_js_scope_free(w->scope);
    bson_free(w);
}
