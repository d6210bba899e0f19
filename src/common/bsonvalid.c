/*
 * src/common/bsonvalid.c -- the one complete check of untrusted BSON, without recursion.
 *
 * One loop walks the bytes element by element.  Each open document or array is a frame on an
 * explicit stack holding the offset where it must end; a nested document pushes a frame, its
 * terminating NUL pops it, and the NUL must sit exactly where the frame's length said.  Every
 * element is read through a table (type -> how its value is sized): fixed sizes, strings
 * (int32 length >= 1, NUL last), nested documents, binary (subtype 2's inner length must be
 * the outer one minus 4, as libbson's iterator demands), bool (0 or 1), regex (two cstrings),
 * DBPointer (string + 12), code-with-scope (total = 4 + string + scope exactly; it counts two
 * levels, as mongod's validator counts it).  Each value must end before its frame's last byte,
 * which is the frame's NUL.  Lengths are read unsigned and compared with what remains, so
 * negative or huge lengths fail without arithmetic overflow.
 *
 * Why not libbson's bson_validate: it walks with bson_iter_visit_all, which recurses once per
 * level with no bound (a 10,000-level document overflows a coroutine's stack), and when a
 * nested document's bson_init_static fails (its terminating NUL replaced by 0x80, every length
 * still right) the visitor silently skips that document and reports success, so the bad bytes
 * reach code that trusts them (libbson aborts in bson_iter_init, or an update segfaults).
 *
 * UTF-8: not checked, as mongod does not at the door (validateBSON's default mode checks
 * structure only; UTF-8 is checked only by the full mode of the validate command).  Strings
 * are length-prefixed, so an invalid sequence or an embedded NUL cannot move any offset.
 *
 * Depth counts levels: the top-level document is level 1, each nested document or array adds
 * one, a code-with-scope's scope two.  mongod's command limit (maxBSONDepth 200) counts the
 * nesting below the top-level document, so the door passes SDB_BSON_LEVELS_COMMAND (201);
 * its storage limit counts the top-level document too (insert's validateDepth), so stored
 * documents are checked against SDB_BSON_DEPTH_STORED (100).
 *
 * Invariants: pure functions, no allocation, no global state but the constant type table;
 * any thread of either process.  The stack is a fixed local array of SDB_BSON_LEVELS_MAX
 * offsets (a few KiB); a larger max_depth is clamped to it.
 */
#include "bsonvalid.h"

#include "sdb.h"

#include <stdio.h>
#include <string.h>

#define SDB_BSON_LEVELS_MAX (SDB_BSON_DEPTH_EVAL + 2)

/* How the value of each element type is sized (BAD = 0: unknown type). */
enum style {
    BAD = 0,
    FIXED,
    STRING,
    DOC,
    BINARY,
    BOOLV,
    REGEX,
    DBPTR,
    CWS
};

typedef struct type_info {
    uint8_t style;
    uint8_t size; /* FIXED: bytes of the value */
} type_info_t;

static const type_info_t type_table[256] = {
    [BSON_TYPE_DOUBLE] = {FIXED, 8},      [BSON_TYPE_UTF8] = {STRING, 0},
    [BSON_TYPE_DOCUMENT] = {DOC, 0},      [BSON_TYPE_ARRAY] = {DOC, 0},
    [BSON_TYPE_BINARY] = {BINARY, 0},     [BSON_TYPE_UNDEFINED] = {FIXED, 0},
    [BSON_TYPE_OID] = {FIXED, 12},        [BSON_TYPE_BOOL] = {BOOLV, 1},
    [BSON_TYPE_DATE_TIME] = {FIXED, 8},   [BSON_TYPE_NULL] = {FIXED, 0},
    [BSON_TYPE_REGEX] = {REGEX, 0},       [BSON_TYPE_DBPOINTER] = {DBPTR, 0},
    [BSON_TYPE_CODE] = {STRING, 0},       [BSON_TYPE_SYMBOL] = {STRING, 0},
    [BSON_TYPE_CODEWSCOPE] = {CWS, 0},    [BSON_TYPE_INT32] = {FIXED, 4},
    [BSON_TYPE_TIMESTAMP] = {FIXED, 8},   [BSON_TYPE_INT64] = {FIXED, 8},
    [BSON_TYPE_DECIMAL128] = {FIXED, 16}, [BSON_TYPE_MAXKEY] = {FIXED, 0},
    [BSON_TYPE_MINKEY] = {FIXED, 0},
};

/* One open document: where its terminating NUL must be, and the levels it added. */
typedef struct frame {
    uint32_t end; /* offset one past the frame's NUL */
    uint8_t levels;
} frame_t;

typedef struct walk {
    const uint8_t *b;
    frame_t st[SDB_BSON_LEVELS_MAX];
    int top;    /* index of the innermost open frame */
    int depth;  /* levels open */
    int max;    /* the limit */
    size_t key; /* offset of the current element's key, or SIZE_MAX */
    sdb_error_t *err;
} walk_t;

/* fail -- err = code + what + the element it happened in (unprintable bytes escaped). */
static int
fail(walk_t *w, int code, const char *what)
{
    char name[96];
    size_t n = 0;

    if (w->key != SIZE_MAX) {
        for (const uint8_t *k = w->b + w->key; *k != 0 && n + 5 < sizeof(name); k++) {
            if (*k >= 0x20 && *k < 0x7F && *k != '\'')
                name[n++] = (char)*k;
            else
                n += (size_t)snprintf(name + n, sizeof(name) - n, "\\x%02x", *k);
        }
    }
    name[n] = '\0';
    return sdb_error_set(w->err, code, "%s in element with field name '%s'", what,
                         w->key != SIZE_MAX ? name : "?");
}

/* need -- the value [off, off + n) fits before the frame's NUL at end - 1. */
static bool
need(size_t off, uint64_t n, size_t end)
{
    return off < end && n < (uint64_t)(end - off);
}

/* cstring -- the length of the NUL-terminated string at off inside the frame, or SIZE_MAX. */
static size_t
cstring(const walk_t *w, size_t off, size_t end)
{
    const uint8_t *nul;

    if (off >= end)
        return SIZE_MAX;
    nul = memchr(w->b + off, 0, end - off);
    return nul == NULL ? SIZE_MAX : (size_t)(nul - (w->b + off));
}

/* string_len -- the bytes of the length-prefixed string at off (4 + length), or 0. */
static uint64_t
string_len(const walk_t *w, size_t off, size_t end)
{
    uint32_t l;

    if (!need(off, 4, end))
        return 0;
    l = sdb_le32(w->b + off);
    if (l < 1 || !need(off, 4 + (uint64_t)l, end) || w->b[off + 4 + l - 1] != 0)
        return 0;
    return 4 + (uint64_t)l;
}

/* push -- open the document at off (its length read and checked) adding `levels`. */
static int
push(walk_t *w, size_t off, size_t end, int levels, size_t *next)
{
    uint32_t n;

    if (w->depth + levels > w->max)
        return fail(w, SDB_CODE_Overflow, "BSONObj exceeds maximum nested object depth");
    if (!need(off, 4, end))
        return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
    n = sdb_le32(w->b + off);
    if (n < 5 || n > INT32_MAX)
        return fail(w, SDB_CODE_InvalidBSON, "Nested BSON object has to be at least 5 bytes");
    if (!need(off, n, end))
        return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
    w->top++;
    w->st[w->top].end = (uint32_t)(off + n);
    w->st[w->top].levels = (uint8_t)levels;
    w->depth += levels;
    *next = off + 4;
    return 0;
}

/* code_w_scope -- int32 total, string, scope document; the scope opens a frame. */
static int
code_w_scope(walk_t *w, size_t off, size_t end, size_t *next)
{
    uint64_t total, s;
    size_t scope;

    if (!need(off, 4, end))
        return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
    total = sdb_le32(w->b + off);
    if (total < 14 || !need(off, total, end))
        return fail(w, SDB_CODE_InvalidBSON, "incorrect BSON length");
    s = string_len(w, off + 4, off + (size_t)total);
    if (s == 0)
        return fail(w, SDB_CODE_InvalidBSON, "Not null terminated string");
    scope = off + 4 + (size_t)s;
    if (4 + s + 5 > total || sdb_le32(w->b + scope) != total - 4 - s)
        return fail(w, SDB_CODE_InvalidBSON, "incorrect BSON length");
    return push(w, scope, off + (size_t)total + 1, 2, next);
}

/* binary -- int32 length, subtype, bytes; subtype 2 repeats the length inside. */
static int
binary(walk_t *w, size_t off, size_t end, size_t *next)
{
    uint32_t l;

    if (!need(off, 5, end))
        return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
    l = sdb_le32(w->b + off);
    if (!need(off, 5 + (uint64_t)l, end))
        return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
    if (w->b[off + 4] == BSON_SUBTYPE_BINARY_DEPRECATED &&
        (l < 4 || sdb_le32(w->b + off + 5) != l - 4))
        return fail(w, SDB_CODE_InvalidBSON, "Invalid BSON: binary subtype 2 length");
    *next = off + 5 + l;
    return 0;
}

/* value -- check the value of an element of `type` at off; *next is where the next begins. */
static int
value(walk_t *w, uint8_t type, size_t off, size_t end, size_t *next)
{
    const type_info_t *t = &type_table[type];
    uint64_t s;
    size_t a, b;
    char what[48];

    switch (t->style) {
    case FIXED:
        if (!need(off, t->size, end))
            return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
        *next = off + t->size;
        return 0;
    case BOOLV:
        if (!need(off, 1, end))
            return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
        if (w->b[off] > 1)
            return fail(w, SDB_CODE_InvalidBSON, "BSON bool is neither false nor true");
        *next = off + 1;
        return 0;
    case STRING:
    case DBPTR:
        s = string_len(w, off, end);
        if (s == 0)
            return fail(w, SDB_CODE_InvalidBSON, "Not null terminated string");
        if (t->style == DBPTR && !need(off, s + 12, end))
            return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
        *next = off + (size_t)s + (t->style == DBPTR ? 12 : 0);
        return 0;
    case REGEX:
        a = cstring(w, off, end);
        b = a == SIZE_MAX ? SIZE_MAX : cstring(w, off + a + 1, end);
        if (b == SIZE_MAX || !need(off, a + 1 + b + 1, end))
            return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
        *next = off + a + 1 + b + 1;
        return 0;
    case BINARY:
        return binary(w, off, end, next);
    case DOC:
        return push(w, off, end, 1, next);
    case CWS:
        return code_w_scope(w, off, end, next);
    default:
        snprintf(what, sizeof(what), "Unrecognized BSON type %u", (unsigned)type);
        return fail(w, SDB_CODE_InvalidBSON, what);
    }
}

/* close_frame -- the NUL at off ends the innermost frame: it must be the frame's last byte. */
static int
close_frame(walk_t *w, size_t off, size_t *next)
{
    if (off + 1 != w->st[w->top].end)
        return fail(w, SDB_CODE_InvalidBSON, "incorrect BSON length");
    w->depth -= w->st[w->top].levels;
    w->top--;
    *next = off + 1;
    return 0;
}

/* walk_all -- the element loop over the whole document. */
static int
walk_all(walk_t *w)
{
    size_t off = 4, end, klen;
    uint8_t type;

    while (w->top >= 0) {
        end = w->st[w->top].end;
        if (off >= end)
            return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
        type = w->b[off];
        if (type == 0) {
            SDB_RET(close_frame(w, off, &off));
            continue;
        }
        klen = cstring(w, off + 1, end);
        if (klen == SIZE_MAX || off + 1 + klen + 1 >= end)
            return fail(w, SDB_CODE_InvalidBSON, "BSON size is larger than buffer size");
        w->key = off + 1;
        SDB_RET(value(w, type, off + 1 + klen + 1, end, &off));
    }
    return 0;
}

int
sdb_bson_check(const uint8_t *data, size_t len, int max_depth, sdb_error_t *err)
{
    walk_t w;
    uint32_t n;

    w.b = data;
    w.key = SIZE_MAX;
    w.err = err;
    if (data == NULL || len < 5)
        return fail(&w, SDB_CODE_InvalidBSON, "BSON data has to be at least 5 bytes");
    n = sdb_le32(data);
    if (n < 5 || n > INT32_MAX)
        return fail(&w, SDB_CODE_InvalidBSON, "BSON data has to be at least 5 bytes");
    if (n != len)
        return fail(&w, SDB_CODE_InvalidBSON, "Incorrect BSON length");
    if (data[len - 1] != 0)
        return fail(&w, SDB_CODE_InvalidBSON, "BSON object not terminated with EOO");
    w.max = max_depth < SDB_BSON_LEVELS_MAX ? max_depth : SDB_BSON_LEVELS_MAX;
    if (w.max < 1)
        return fail(&w, SDB_CODE_Overflow, "BSONObj exceeds maximum nested object depth");
    w.top = 0;
    w.depth = 1;
    w.st[0].end = n;
    w.st[0].levels = 1;
    return walk_all(&w);
}

bool
sdb_bson_depth_ok(const bson_t *doc, int max_depth)
{
    sdb_error_t scratch;

    return sdb_bson_check(bson_get_data(doc), doc->len, max_depth, &scratch) == 0;
}

int
sdb_bson_check_stored(const bson_t *doc, bool update, sdb_error_t *err)
{
    int ret = sdb_bson_check(bson_get_data(doc), doc->len, SDB_BSON_DEPTH_STORED, err);

    if (ret == 0 || err->code != SDB_CODE_Overflow)
        return ret;
    if (update)
        return sdb_error_set(err, SDB_CODE_Overflow, "Document exceeds maximum nesting depth of %d",
                             SDB_BSON_DEPTH_STORED);
    return sdb_error_set(err, SDB_CODE_Overflow,
                         "cannot insert document because it exceeds %d levels of nesting",
                         SDB_BSON_DEPTH_STORED);
}
