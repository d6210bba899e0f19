/*
 * src/worker/query/js_shim.cpp -- SpiderMonkey (mozjs-102) behind a C interface: the worker's
 * one JSContext, mongod's BSON <-> JavaScript conversion, compiling and calling functions.
 *
 * The only C++ file of the tree, kept thin on purpose: js.c (C) decides who enters, when a
 * script must stop and which mongod error a failure becomes.  One context per worker
 * process, created on the loop thread; each operation gets a scope of its own (a fresh global
 * with mongod's helpers), so nothing a script leaves in its globals reaches another operation.
 *
 * Conversion follows mongod's ValueReader/ValueWriter: BSON int32 and double read as JS
 * numbers, int64 as NumberLong, decimal as NumberDecimal, ObjectId, Date, Timestamp and
 * regular expressions as their JS objects; a JS number written back is a double, except in an
 * object read from BSON where that field was an int32 and the value still is one (mongod's
 * originalParent rule: a hidden __sdbint set names those fields); NumberInt is an int32,
 * NumberLong an int64, a function its source as Code.  BSON types no test or manual example needs (binary, symbol,
 * DBPointer, code with scope, MinKey, MaxKey) fail with a message naming the type.
 *
 * Invariants: loop thread only, one call at a time (js.c's gate), except
 * wk_jsshim_request_interrupt, which SpiderMonkey allows from any thread.  Every JS value
 * this file keeps past a call is rooted (PersistentRooted); the emit sink and the error
 * flag are per call.
 */
#include "js_shim.h"

#include <jsapi.h>
#include <js/Array.h>
#include <js/CallAndConstruct.h>
#include <js/CompilationAndEvaluation.h>
#include <js/Conversions.h>
#include <js/Date.h>
#include <js/ErrorReport.h>
#include <js/Exception.h>
#include <js/Initialization.h>
#include <js/Interrupt.h>
#include <js/PropertyAndElement.h>
#include <js/RegExp.h>
#include <js/RegExpFlags.h>
#include <js/SourceText.h>
#include <js/Stack.h>
#include <js/friend/StackLimits.h>

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wk_jsshim_scope {
    JS::PersistentRootedObject global;
    explicit wk_jsshim_scope(JSContext *cx) : global(cx) {}
};

struct wk_jsshim_fn {
    wk_jsshim_scope_t *scope;
    JS::PersistentRootedValue fn;
    explicit wk_jsshim_fn(JSContext *cx) : fn(cx) {}
};

static JSContext *cx;
static bool (*hook)(void);
static bool stopped;        /* the hook stopped the running call */
static uintptr_t stack_base; /* SpiderMonkey's idea of the stack's top (see stack_low) */
static bson_t *emit_sink;   /* the running call's emit() target, or NULL */
static uint32_t emit_n;

#define INTS "__sdbint" /* hidden: the int32 fields of an object read from BSON */
#define DEPTH_MAX 150 /* mongod's ObjectWrapper limit: deeper is an error, never a crash */

static const JSClass global_class = {"global", JSCLASS_GLOBAL_FLAGS, &JS::DefaultGlobalClassOps};

/* The helpers a server-side script of mongod finds in its scope (what the manual's examples
 * use).  Kind tags (__sdb) are non-enumerable, so the objects convert back exactly. */
static const char prelude[] =
    "(function(g){\n"
    "function hide(o,k,v){Object.defineProperty(o,k,{value:v,enumerable:false,writable:true,"
    "configurable:true});}\n"
    "g.NumberInt=function NumberInt(v){if(!(this instanceof NumberInt))return new NumberInt(v);"
    "hide(this,'__sdb','int');hide(this,'__v',(v===undefined?0:Number(v))|0);};\n"
    "NumberInt.prototype.valueOf=function(){return this.__v;};\n"
    "NumberInt.prototype.toNumber=NumberInt.prototype.valueOf;\n"
    "NumberInt.prototype.toJSON=NumberInt.prototype.valueOf;\n"
    "NumberInt.prototype.toString=function(){return 'NumberInt('+this.__v+')';};\n"
    "g.NumberLong=function NumberLong(v){if(!(this instanceof NumberLong))return new "
    "NumberLong(v);hide(this,'__sdb','long');hide(this,'__v',v===undefined?'0':"
    "typeof v==='string'?v:String(Math.trunc(Number(v))));};\n"
    "NumberLong.prototype.valueOf=function(){return Number(this.__v);};\n"
    "NumberLong.prototype.toNumber=NumberLong.prototype.valueOf;\n"
    "NumberLong.prototype.toJSON=NumberLong.prototype.valueOf;\n"
    "Object.defineProperty(NumberLong.prototype,'floatApprox',{get:function(){return "
    "Number(this.__v);}});\n"
    "NumberLong.prototype.toString=function(){var n=Number(this.__v);return "
    "Math.abs(n)<=9007199254740991?'NumberLong('+this.__v+')':'NumberLong(\"'+this.__v+'\")';};\n"
    "g.NumberDecimal=function NumberDecimal(v){if(!(this instanceof NumberDecimal))return new "
    "NumberDecimal(v);hide(this,'__sdb','dec');hide(this,'__v',v===undefined?'0':String(v));};\n"
    "NumberDecimal.prototype.valueOf=function(){return Number(this.__v);};\n"
    "NumberDecimal.prototype.toString=function(){return 'NumberDecimal(\"'+this.__v+'\")';};\n"
    "NumberDecimal.prototype.toJSON=function(){return {$numberDecimal:this.__v};};\n"
    "g.ObjectId=function ObjectId(h){if(!(this instanceof ObjectId))return new ObjectId(h);"
    "hide(this,'__sdb','oid');this.str=h===undefined?__sdb_newoid():String(h);};\n"
    "ObjectId.prototype.toString=function(){return 'ObjectId(\"'+this.str+'\")';};\n"
    "ObjectId.prototype.valueOf=function(){return this.str;};\n"
    "ObjectId.prototype.toJSON=function(){return {$oid:this.str};};\n"
    "ObjectId.prototype.equals=function(o){return o instanceof ObjectId&&o.str===this.str;};\n"
    "ObjectId.prototype.getTimestamp=function(){return new "
    "Date(parseInt(this.str.substr(0,8),16)*1000);};\n"
    "g.Timestamp=function Timestamp(t,i){if(!(this instanceof Timestamp))return new "
    "Timestamp(t,i);hide(this,'__sdb','ts');this.t=t||0;this.i=i||0;};\n"
    "Timestamp.prototype.toString=function(){return 'Timestamp('+this.t+', '+this.i+')';};\n"
    "g.ISODate=function(s){return s===undefined?new Date():new Date(s);};\n"
    "Array.sum=function(a){if(a.length==0)return null;var s=a[0];for(var "
    "i=1;i<a.length;i++)s+=a[i];return s;};\n"
    "Array.avg=function(a){if(a.length==0)return null;return Array.sum(a)/a.length;};\n"
    "Array.contains=function(a,x){for(var i=0;i<a.length;i++)if(a[i]==x)return true;return "
    "false;};\n"
    "Array.unique=function(a){var u=[];for(var i=0;i<a.length;i++)if(!Array.contains(u,a[i]))"
    "u.push(a[i]);return u;};\n"
    "Array.stdDev=function(a){var m=Array.avg(a),s=0;for(var i=0;i<a.length;i++)s+=(a[i]-m)*"
    "(a[i]-m);return Math.sqrt(s/a.length);};\n"
    "g.isNumber=function(x){return typeof x==='number';};\n"
    "g.isString=function(x){return typeof x==='string';};\n"
    "g.isObject=function(x){return typeof x==='object';};\n"
    "g.tojson=function(x){return JSON.stringify(x);};\n"
    "g.print=function(){};g.printjson=function(){};\n"
    "})(this);\n";

/* ---- errors --------------------------------------------------------------------------- */

/* fail -- msg := formatted text; WK_JSSHIM_ERROR. */
static int
fail(char *msg, size_t len, const char *fmt, const char *arg)
{
    snprintf(msg, len, fmt, arg);
    return WK_JSSHIM_ERROR;
}

/* pending -- the status of a failed JSAPI call: the exception's text, or interrupted. */
static int
pending(char *msg, size_t len)
{
    JS::ExceptionStack exn(cx);

    if (stopped) {
        JS_ClearPendingException(cx);
        return WK_JSSHIM_INTERRUPTED;
    }
    if (!JS_IsExceptionPending(cx))
        return fail(msg, len, "%s", "uncatchable JavaScript error");
    if (!JS::StealPendingExceptionStack(cx, &exn))
        return fail(msg, len, "%s", "JavaScript exception");
    JS::ErrorReportBuilder report(cx);
    if (!report.init(cx, exn, JS::ErrorReportBuilder::WithSideEffects)) {
        JS_ClearPendingException(cx);
        return fail(msg, len, "%s", "JavaScript exception");
    }
    const char *text = report.toStringResult().c_str();
    JSErrorReport *r = report.report();
    if (r != nullptr && r->lineno > 0)
        snprintf(msg, len, "%s :\n@:%u:%u", text != nullptr ? text : "exception", r->lineno,
                 r->column);
    else
        snprintf(msg, len, "%s", text != nullptr ? text : "exception");
    JS_ClearPendingException(cx);
    return WK_JSSHIM_ERROR;
}

/* interrupt_cb -- SpiderMonkey's interrupt callback: js.c's hook decides. */
static bool
interrupt_cb(JSContext *)
{
    if (hook != nullptr && !hook()) {
        stopped = true;
        return false;
    }
    return true;
}

/* ---- BSON -> JS ----------------------------------------------------------------------- */

static bool doc_to_js(const bson_t *doc, bool array, int depth, JS::MutableHandleObject out,
                      char *msg, size_t len);

/* construct -- new <ctor>(a0[, a1]) with the current global's helper constructor. */
static bool
construct(const char *ctor, JS::HandleValue a0, JS::HandleValue a1, JS::MutableHandleValue out)
{
    JS::RootedObject g(cx, JS::CurrentGlobalOrNull(cx));
    JS::RootedValue f(cx);
    JS::RootedObject obj(cx);
    JS::RootedValueArray<2> args(cx);

    if (!JS_GetProperty(cx, g, ctor, &f))
        return false;
    args[0].set(a0);
    args[1].set(a1);
    if (!JS::Construct(cx, f, args, &obj))
        return false;
    out.setObject(*obj);
    return true;
}

/* str_value -- a JS string from UTF-8 bytes. */
static bool
str_value(const char *s, size_t n, JS::MutableHandleValue out)
{
    JSString *str = JS_NewStringCopyUTF8N(cx, JS::UTF8Chars(s, n));

    if (str == nullptr)
        return false;
    out.setString(str);
    return true;
}

/* elem_to_js -- the JS value of the element it is on; false with msg set (or an exception
 * pending) when it cannot convert. */
static bool
elem_to_js(const bson_iter_t *it, int depth, JS::MutableHandleValue out, char *msg, size_t len)
{
    JS::RootedValue a(cx), b(cx);
    JS::RootedObject obj(cx);
    char buf[64];
    uint32_t n, t, i;
    const uint8_t *data;
    bson_t sub;

    switch (bson_iter_type(it)) {
    case BSON_TYPE_DOUBLE:
        out.setDouble(bson_iter_double(it));
        return true;
    case BSON_TYPE_INT32:
        out.setInt32(bson_iter_int32(it));
        return true;
    case BSON_TYPE_BOOL:
        out.setBoolean(bson_iter_bool(it));
        return true;
    case BSON_TYPE_NULL:
        out.setNull();
        return true;
    case BSON_TYPE_UNDEFINED:
        out.setUndefined();
        return true;
    case BSON_TYPE_UTF8: {
        const char *s = bson_iter_utf8(it, &n);
        return str_value(s, n, out);
    }
    case BSON_TYPE_CODE: {
        const char *s = bson_iter_code(it, &n);
        return str_value(s, n, out);
    }
    case BSON_TYPE_INT64:
        snprintf(buf, sizeof(buf), "%lld", (long long)bson_iter_int64(it));
        return str_value(buf, strlen(buf), &a) && construct("NumberLong", a, b, out);
    case BSON_TYPE_DECIMAL128: {
        bson_decimal128_t d;
        char s[BSON_DECIMAL128_STRING];
        bson_iter_decimal128(it, &d);
        bson_decimal128_to_string(&d, s);
        return str_value(s, strlen(s), &a) && construct("NumberDecimal", a, b, out);
    }
    case BSON_TYPE_OID:
        bson_oid_to_string(bson_iter_oid(it), buf);
        return str_value(buf, strlen(buf), &a) && construct("ObjectId", a, b, out);
    case BSON_TYPE_DATE_TIME:
        obj = JS::NewDateObject(cx, JS::TimeClip((double)bson_iter_date_time(it)));
        if (obj == nullptr)
            return false;
        out.setObject(*obj);
        return true;
    case BSON_TYPE_TIMESTAMP:
        bson_iter_timestamp(it, &t, &i);
        a.setNumber(t);
        b.setNumber(i);
        return construct("Timestamp", a, b, out);
    case BSON_TYPE_REGEX: {
        const char *opts, *re = bson_iter_regex(it, &opts);
        unsigned flags = 0;
        for (; *opts != '\0'; opts++)
            flags |= *opts == 'i'   ? JS::RegExpFlag::IgnoreCase
                     : *opts == 'm' ? JS::RegExpFlag::Multiline
                     : *opts == 's' ? JS::RegExpFlag::DotAll
                                    : 0;
        obj = JS::NewRegExpObject(cx, re, strlen(re), JS::RegExpFlags(flags));
        if (obj == nullptr)
            return false;
        out.setObject(*obj);
        return true;
    }
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        if (depth >= DEPTH_MAX) {
            fail(msg, len, "%s", "object too deep to convert to JavaScript");
            return false;
        }
        if (BSON_ITER_HOLDS_DOCUMENT(it))
            bson_iter_document(it, &n, &data);
        else
            bson_iter_array(it, &n, &data);
        if (!bson_init_static(&sub, data, n))
            return fail(msg, len, "%s", "invalid BSON") == WK_JSSHIM_OK;
        if (!doc_to_js(&sub, BSON_ITER_HOLDS_ARRAY(it), depth + 1, &obj, msg, len))
            return false;
        out.setObject(*obj);
        return true;
    default:
        snprintf(msg, len, "cannot convert BSON type %d to JavaScript", (int)bson_iter_type(it));
        return false;
    }
}

/* doc_to_js -- an object (or array) holding doc's fields. */
static bool
doc_to_js(const bson_t *doc, bool array, int depth, JS::MutableHandleObject out, char *msg,
          size_t len)
{
    JS::RootedValue v(cx);
    bson_iter_t it;
    uint32_t i = 0;

    JS::RootedObject ints(cx);
    JS::RootedValue yes(cx, JS::TrueValue());

    out.set(array ? JS::NewArrayObject(cx, 0) : JS_NewPlainObject(cx));
    if (!out || !bson_iter_init(&it, doc))
        return false;
    while (bson_iter_next(&it)) {
        if (!elem_to_js(&it, depth, &v, msg, len))
            return false;
        if (array ? !JS_SetElement(cx, out, i++, v)
                  : !JS_SetProperty(cx, out, bson_iter_key(&it), v))
            return false;
        if (BSON_ITER_HOLDS_INT32(&it) &&
            ((!ints && !(ints = JS_NewPlainObject(cx))) ||
             !JS_SetProperty(cx, ints, bson_iter_key(&it), yes)))
            return false;
    }
    if (ints) { /* mongod writes back as int32 a field read as one that is still integral */
        v.setObject(*ints);
        if (!JS_DefineProperty(cx, out, INTS, v, 0))
            return false;
    }
    return true;
}

/* ---- JS -> BSON ----------------------------------------------------------------------- */

static bool obj_to_bson(JS::HandleObject obj, bson_t *b, int depth, char *msg, size_t len);
static bool arr_to_bson(JS::HandleObject arr, bson_t *b, int depth, char *msg, size_t len);
static bool val_to_bson(JS::HandleValue v, bson_t *b, const char *key, int depth, char *msg,
                        size_t len);

/* ints_of -- the hidden set of int32 fields of an object read from BSON (null for none). */
static void
ints_of(JS::HandleObject obj, JS::MutableHandleObject out)
{
    JS::RootedValue iv(cx);
    bool own = false;

    out.set(nullptr);
    if (JS_HasOwnProperty(cx, obj, INTS, &own) && own && JS_GetProperty(cx, obj, INTS, &iv) &&
        iv.isObject())
        out.set(&iv.toObject());
    else
        JS_ClearPendingException(cx);
}

/* num_to_bson -- a number: a double, or an int32 where the object it belongs to was read from
 * BSON with an int32 there and the value is still an int32 (mongod's originalParent rule). */
static bool
num_to_bson(JS::HandleValue v, JS::HandleObject ints, bson_t *b, const char *key)
{
    double d = v.toNumber();
    bool has = false;

    if (ints && d == (double)(int32_t)d && !(d == 0 && signbit(d)) &&
        JS_HasProperty(cx, ints, key, &has) && has)
        return bson_append_int32(b, key, -1, (int32_t)d);
    return bson_append_double(b, key, -1, d);
}

/* utf8 -- the UTF-8 bytes of a string (freed by the caller's UniqueChars). */
static JS::UniqueChars
utf8(JS::HandleString s)
{
    return JS_EncodeStringToUTF8(cx, s);
}

/* prop_str -- obj[name] as a UTF-8 string, or NULL. */
static JS::UniqueChars
prop_str(JS::HandleObject obj, const char *name)
{
    JS::RootedValue v(cx);
    JS::RootedString s(cx);

    if (!JS_GetProperty(cx, obj, name, &v) || (s = JS::ToString(cx, v)) == nullptr)
        return nullptr;
    return utf8(s);
}

/* tagged_to_bson -- one of the prelude's typed objects (kind is its __sdb tag). */
static bool
tagged_to_bson(JS::HandleObject obj, const char *kind, bson_t *b, const char *key, char *msg,
               size_t len)
{
    JS::RootedValue t(cx), i(cx);
    JS::UniqueChars s;
    bson_decimal128_t d;
    bson_oid_t oid;
    double dt, di;

    if (strcmp(kind, "ts") == 0) {
        if (!JS_GetProperty(cx, obj, "t", &t) || !JS_GetProperty(cx, obj, "i", &i) ||
            !JS::ToNumber(cx, t, &dt) || !JS::ToNumber(cx, i, &di))
            return false;
        return bson_append_timestamp(b, key, -1, (uint32_t)dt, (uint32_t)di);
    }
    if ((s = prop_str(obj, strcmp(kind, "oid") == 0 ? "str" : "__v")) == nullptr)
        return false;
    if (strcmp(kind, "int") == 0)
        return bson_append_int32(b, key, -1, (int32_t)strtol(s.get(), nullptr, 10));
    if (strcmp(kind, "long") == 0)
        return bson_append_int64(b, key, -1, (int64_t)strtoll(s.get(), nullptr, 10));
    if (strcmp(kind, "dec") == 0 && bson_decimal128_from_string(s.get(), &d))
        return bson_append_decimal128(b, key, -1, &d);
    if (strcmp(kind, "oid") == 0 && bson_oid_is_valid(s.get(), strlen(s.get()))) {
        bson_oid_init_from_string(&oid, s.get());
        return bson_append_oid(b, key, -1, &oid);
    }
    fail(msg, len, "invalid %s value", kind);
    return false;
}

/* special_to_bson -- Date, RegExp, function and tagged objects; *done when obj was one. */
static bool
special_to_bson(JS::HandleObject obj, bson_t *b, const char *key, bool *done, char *msg,
                size_t len)
{
    JS::RootedValue v(cx), tag(cx);
    JS::RootedString s(cx);
    bool is = false;
    double ms;

    *done = true;
    if (JS::ObjectIsDate(cx, obj, &is) && is) {
        if (!JS_CallFunctionName(cx, obj, "getTime", JS::HandleValueArray::empty(), &v) ||
            !JS::ToNumber(cx, v, &ms))
            return false;
        return bson_append_date_time(b, key, -1, (int64_t)ms);
    }
    if (JS::ObjectIsRegExp(cx, obj, &is) && is) {
        s = JS::GetRegExpSource(cx, obj);
        JS::RegExpFlags f = JS::GetRegExpFlags(cx, obj);
        char opts[4];
        size_t n = 0;
        JS::UniqueChars src = s ? utf8(s) : nullptr;
        if (!src)
            return false;
        if (f.ignoreCase())
            opts[n++] = 'i';
        if (f.multiline())
            opts[n++] = 'm';
        if (f.dotAll())
            opts[n++] = 's';
        opts[n] = '\0';
        return bson_append_regex(b, key, -1, src.get(), opts);
    }
    if (JS_ObjectIsFunction(obj)) {
        v.setObject(*obj);
        JS::UniqueChars src;
        if ((s = JS::ToString(cx, v)) == nullptr || !(src = utf8(s)))
            return false;
        return bson_append_code(b, key, -1, src.get());
    }
    if (!JS_GetProperty(cx, obj, "__sdb", &tag))
        return false;
    if (tag.isString()) {
        s = tag.toString();
        JS::UniqueChars kind = utf8(s);
        return kind && tagged_to_bson(obj, kind.get(), b, key, msg, len);
    }
    *done = false;
    return true;
}

/* val_to_bson -- append v as b[key]. */
static bool
val_to_bson(JS::HandleValue v, bson_t *b, const char *key, int depth, char *msg, size_t len)
{
    JS::RootedObject obj(cx);
    JS::RootedString s(cx);
    bson_t child;
    bool done, is_array = false, ok;

    if (v.isUndefined())
        return bson_append_undefined(b, key, -1);
    if (v.isNull())
        return bson_append_null(b, key, -1);
    if (v.isBoolean())
        return bson_append_bool(b, key, -1, v.toBoolean());
    if (v.isNumber())
        return bson_append_double(b, key, -1, v.toNumber());
    if (v.isString()) {
        s = v.toString();
        JS::UniqueChars u = utf8(s);
        return u && bson_append_utf8(b, key, -1, u.get(), -1);
    }
    if (!v.isObject()) {
        fail(msg, len, "%s", "cannot convert a JavaScript symbol or BigInt to BSON");
        return false;
    }
    if (depth >= DEPTH_MAX) {
        fail(msg, len, "%s", "object too deep to convert to BSON");
        return false;
    }
    obj = &v.toObject();
    if (!special_to_bson(obj, b, key, &done, msg, len) || done)
        return done;
    if (!JS::IsArrayObject(cx, obj, &is_array))
        return false;
    if (is_array ? !bson_append_array_begin(b, key, -1, &child)
                 : !bson_append_document_begin(b, key, -1, &child))
        return fail(msg, len, "%s", "document too large") == WK_JSSHIM_OK;
    ok = is_array ? arr_to_bson(obj, &child, depth + 1, msg, len)
                  : obj_to_bson(obj, &child, depth + 1, msg, len);
    if (is_array)
        bson_append_array_end(b, &child);
    else
        bson_append_document_end(b, &child);
    return ok;
}

/* obj_to_bson -- obj's own enumerable properties, in order, appended to b. */
static bool
obj_to_bson(JS::HandleObject obj, bson_t *b, int depth, char *msg, size_t len)
{
    JS::Rooted<JS::IdVector> ids(cx, JS::IdVector(cx));
    JS::RootedValue k(cx), v(cx);
    JS::RootedString s(cx);
    JS::RootedId id(cx);

    JS::RootedObject ints(cx);

    if (!JS_Enumerate(cx, obj, &ids))
        return false;
    ints_of(obj, &ints);
    for (size_t i = 0; i < ids.length(); i++) {
        id = ids[i];
        if (!JS_IdToValue(cx, id, &k) || (s = JS::ToString(cx, k)) == nullptr ||
            !JS_GetPropertyById(cx, obj, id, &v))
            return false;
        JS::UniqueChars key = utf8(s);
        if (!key || !(v.isNumber() ? num_to_bson(v, ints, b, key.get())
                                   : val_to_bson(v, b, key.get(), depth, msg, len)))
            return false;
    }
    return true;
}

/* arr_to_bson -- an array's elements 0 .. length-1 (a hole is undefined, as mongod writes it),
 * so the BSON array's keys are always consecutive. */
static bool
arr_to_bson(JS::HandleObject arr, bson_t *b, int depth, char *msg, size_t len)
{
    JS::RootedValue v(cx);
    JS::RootedObject ints(cx);
    uint32_t n = 0;
    char key[16];

    if (!JS::GetArrayLength(cx, arr, &n))
        return false;
    ints_of(arr, &ints);
    for (uint32_t i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%u", i);
        if (!JS_GetElement(cx, arr, i, &v) ||
            !(v.isNumber() ? num_to_bson(v, ints, b, key)
                           : val_to_bson(v, b, key, depth, msg, len)))
            return false;
    }
    return true;
}

/* ---- natives -------------------------------------------------------------------------- */

/* native_emit -- emit(key, value): {k, v} into the running call's sink. */
static bool
native_emit(JSContext *c, unsigned argc, JS::Value *vp)
{
    JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
    char msg[256] = "", key[16];
    bson_t d;
    bool ok;

    if (emit_sink == nullptr) {
        JS_ReportErrorASCII(c, "emit() is only available in a map function");
        return false;
    }
    snprintf(key, sizeof(key), "%u", emit_n++);
    bson_append_document_begin(emit_sink, key, -1, &d);
    ok = val_to_bson(args.get(0), &d, "k", 0, msg, sizeof(msg)) &&
         val_to_bson(args.get(1), &d, "v", 0, msg, sizeof(msg));
    bson_append_document_end(emit_sink, &d);
    if (!ok && !JS_IsExceptionPending(c))
        JS_ReportErrorUTF8(c, "%s", msg[0] != '\0' ? msg : "emit failed");
    args.rval().setUndefined();
    return ok;
}

/* native_hex_md5 -- hex_md5(string): the MD5 digest of its UTF-8 bytes in hex. */
static bool
native_hex_md5(JSContext *c, unsigned argc, JS::Value *vp)
{
    JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
    JS::RootedString s(c, JS::ToString(c, args.get(0)));
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];

    if (s == nullptr)
        return false;
    JS::UniqueChars u = JS_EncodeStringToUTF8(c, s);
    if (!u || !EVP_Digest(u.get(), strlen(u.get()), md, &n, EVP_md5(), nullptr)) {
        JS_ReportErrorASCII(c, "hex_md5 failed");
        return false;
    }
    for (unsigned int i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return str_value(hex, 2 * n, args.rval());
}

/* native_newoid -- a fresh ObjectId's hex, for ObjectId(). */
static bool
native_newoid(JSContext *c, unsigned argc, JS::Value *vp)
{
    JS::CallArgs args = JS::CallArgsFromVp(argc, vp);
    bson_oid_t oid;
    char hex[25];

    (void)c;
    bson_oid_init(&oid, nullptr);
    bson_oid_to_string(&oid, hex);
    return str_value(hex, 24, args.rval());
}

static const JSFunctionSpec natives[] = {
    JS_FN("emit", native_emit, 2, 0),
    JS_FN("hex_md5", native_hex_md5, 1, 0),
    JS_FN("__sdb_newoid", native_newoid, 0, 0),
    JS_FS_END,
};

/* ---- the C interface ------------------------------------------------------------------ */

extern "C" int
wk_jsshim_init(uint32_t heap_bytes, bool (*interrupt)(void), uintptr_t lo, char *msg, size_t len)
{
    if (!JS_Init())
        return fail(msg, len, "%s", "JS_Init failed");
    if ((cx = JS_NewContext(heap_bytes)) == nullptr)
        return fail(msg, len, "%s", "JS_NewContext failed");
    JS_SetGCParameter(cx, JSGC_MAX_BYTES, heap_bytes);
    /* Learn the stack top SpiderMonkey measures from (the thread's): a known quota gives the
     * limit.  Then measure from where we run, before running anything. */
    JS_SetNativeStackQuota(cx, 1 << 20);
    stack_base = JS::RootingContext::get(cx)->nativeStackLimit[JS::StackForSystemCode] +
                 ((1 << 20) - 1);
    wk_jsshim_stack_low(lo);
    if (!JS::InitSelfHostedCode(cx))
        return fail(msg, len, "%s", "JS::InitSelfHostedCode failed");
    hook = interrupt;
    if (!JS_AddInterruptCallback(cx, interrupt_cb))
        return fail(msg, len, "%s", "JS_AddInterruptCallback failed");
    return WK_JSSHIM_OK;
}

extern "C" void
wk_jsshim_shutdown(void)
{
    if (cx == nullptr)
        return;
    JS_DestroyContext(cx);
    cx = nullptr;
    JS_ShutDown();
}

extern "C" void
wk_jsshim_request_interrupt(void)
{
    if (cx != nullptr)
        JS_RequestInterruptCallback(cx);
}

extern "C" void
wk_jsshim_stack_low(uintptr_t lo)
{
    if (lo < stack_base)
        JS_SetNativeStackQuota(cx, stack_base - lo + 1);
}

extern "C" int
wk_jsshim_scope_new(const bson_t *vars, wk_jsshim_scope_t **out, char *msg, size_t len)
{
    JS::RealmOptions options;
    JS::RootedObject g(cx, JS_NewGlobalObject(cx, &global_class, nullptr, JS::FireOnNewGlobalHook,
                                              options));
    JS::RootedValue rv(cx);
    JS::RootedObject vobj(cx);
    int ret;

    *out = nullptr;
    stopped = false;
    if (g == nullptr)
        return pending(msg, len);
    JSAutoRealm ar(cx, g);
    JS::CompileOptions co(cx);
    co.setFileAndLine("prelude", 1);
    JS::SourceText<mozilla::Utf8Unit> src;
    if (!JS::InitRealmStandardClasses(cx) || !JS_DefineFunctions(cx, g, natives) ||
        !src.init(cx, prelude, sizeof(prelude) - 1, JS::SourceOwnership::Borrowed) ||
        !JS::Evaluate(cx, co, src, &rv))
        return pending(msg, len);
    if (vars != nullptr) {
        bson_iter_t it;
        if (bson_iter_init(&it, vars))
            while (bson_iter_next(&it)) {
                msg[0] = '\0';
                if (!elem_to_js(&it, 0, &rv, msg, len) ||
                    !JS_SetProperty(cx, g, bson_iter_key(&it), rv))
                    return msg[0] != '\0' && !JS_IsExceptionPending(cx) ? WK_JSSHIM_ERROR
                                                                        : pending(msg, len);
            }
    }
    *out = new wk_jsshim_scope(cx);
    (*out)->global = g;
    ret = WK_JSSHIM_OK;
    return ret;
}

extern "C" void
wk_jsshim_scope_free(wk_jsshim_scope_t *s)
{
    delete s;
}

/* looks_like_function -- code starts with `function` (after blanks): a function literal. */
static bool
looks_like_function(const char *code, size_t n)
{
    while (n > 0 && (*code == ' ' || *code == '\t' || *code == '\n' || *code == '\r')) {
        code++;
        n--;
    }
    return n >= 8 && memcmp(code, "function", 8) == 0;
}

/* compile_body -- a function of no arguments with `body` as its body. */
static bool
compile_body(const char *body, size_t n, JS::MutableHandleValue out)
{
    JS::RootedObjectVector env(cx);
    JS::CompileOptions co(cx);
    JS::SourceText<mozilla::Utf8Unit> src;
    JSFunction *f;

    co.setFileAndLine("", 1);
    if (!src.init(cx, body, n, JS::SourceOwnership::Borrowed) ||
        (f = JS::CompileFunction(cx, env, co, "", 0, nullptr, src)) == nullptr)
        return false;
    out.setObject(*JS_GetFunctionObject(f));
    return true;
}

extern "C" int
wk_jsshim_compile(wk_jsshim_scope_t *s, const char *code, size_t code_len, wk_jsshim_fn_t **out,
                  char *msg, size_t len)
{
    JS::RootedValue fv(cx);
    bson_string_t *text;
    bool ok;

    *out = nullptr;
    stopped = false;
    JSAutoRealm ar(cx, s->global);
    if (looks_like_function(code, code_len)) {
        /* (function ...) evaluates to the function itself. */
        JS::CompileOptions co(cx);
        JS::SourceText<mozilla::Utf8Unit> src;
        text = bson_string_new("(");
        bson_string_append(text, code);
        bson_string_append(text, "\n)");
        co.setFileAndLine("", 1);
        ok = src.init(cx, text->str, text->len, JS::SourceOwnership::Borrowed) &&
             JS::Evaluate(cx, co, src, &fv);
        bson_string_free(text, true);
    } else {
        /* An expression is the function's value (mongod: `return <expr>`); anything else, a
         * body of statements. */
        text = bson_string_new("return (");
        bson_string_append(text, code);
        bson_string_append(text, "\n);");
        ok = compile_body(text->str, text->len, &fv);
        bson_string_free(text, true);
        if (!ok && !stopped) {
            JS_ClearPendingException(cx);
            ok = compile_body(code, code_len, &fv);
        }
    }
    if (!ok)
        return pending(msg, len);
    if (!fv.isObject() || !JS_ObjectIsFunction(&fv.toObject()))
        return fail(msg, len, "%s", "the code did not evaluate to a function");
    *out = new wk_jsshim_fn(cx);
    (*out)->scope = s;
    (*out)->fn = fv;
    return WK_JSSHIM_OK;
}

extern "C" void
wk_jsshim_fn_free(wk_jsshim_fn_t *f)
{
    delete f;
}

extern "C" int
wk_jsshim_call(wk_jsshim_fn_t *f, const bson_t *this_doc, const bson_t *args, bool set_obj,
               bson_t *ret, bson_t *emits, char *msg, size_t len)
{
    JS::RootedObject self(cx), g(cx, f->scope->global), argobj(cx);
    JS::RootedValue rv(cx), fv(cx, f->fn), objv(cx);
    JS::RootedValueVector argv(cx);
    uint32_t n = 0;
    int ret_status;

    stopped = false;
    msg[0] = '\0';
    JSAutoRealm ar(cx, g);
    if (this_doc != nullptr) {
        if (!doc_to_js(this_doc, false, 0, &self, msg, len))
            return msg[0] != '\0' && !JS_IsExceptionPending(cx) ? WK_JSSHIM_ERROR
                                                                : pending(msg, len);
        if (set_obj) {
            objv.setObject(*self);
            if (!JS_SetProperty(cx, g, "obj", objv))
                return pending(msg, len);
        }
    } else {
        self = g;
    }
    if (args != nullptr) {
        if (!doc_to_js(args, true, 0, &argobj, msg, len) ||
            !JS::GetArrayLength(cx, argobj, &n) || !argv.resize(n))
            return msg[0] != '\0' && !JS_IsExceptionPending(cx) ? WK_JSSHIM_ERROR
                                                                : pending(msg, len);
        for (uint32_t i = 0; i < n; i++)
            if (!JS_GetElement(cx, argobj, i, argv[i]))
                return pending(msg, len);
    }
    emit_sink = emits;
    emit_n = 0;
    bool ok = JS_CallFunctionValue(cx, self, fv, argv, &rv);
    emit_sink = nullptr;
    if (!ok)
        return pending(msg, len);
    if (!val_to_bson(rv, ret, "v", 0, msg, len))
        return msg[0] != '\0' && !JS_IsExceptionPending(cx) ? WK_JSSHIM_ERROR : pending(msg, len);
    ret_status = WK_JSSHIM_OK;
    JS_MaybeGC(cx);
    return ret_status;
}
