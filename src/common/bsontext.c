/*
 * src/common/bsontext.c -- mongod's text of BSON values (BSONElement/BSONObj::toString).
 *
 * The words mongod prints values with where a message or an explain shows them: E11000's
 * "dup key: { a: 5 }" (master/indexes.c) and explain's index bounds "[5, inf.0]"
 * (worker/engine/plan_bounds.c): integers as they are, a whole double with ".0", other
 * doubles in the shortest form that reads back the same, infinities as inf.0, strings
 * quoted, ObjectId('...'), new Date(ms), MinKey/MaxKey, documents { a: 1 } and arrays [ 1 ].
 *
 * Invariants: pure functions of well-formed BSON (validated at the boundary); any thread,
 * any process.
 */
#include "bsontext.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* fmt_double -- the shortest %g form that reads back as the same double. */
static void
fmt_double(bson_string_t *s, double d)
{
    char buf[40];

    if (isnan(d) || isinf(d)) { /* mongod's words for them */
        bson_string_append(s, isnan(d) ? "nan.0" : d > 0 ? "inf.0" : "-inf.0");
        return;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d || prec == 17)
            break;
    }
    bson_string_append(s, buf);
}

void
sdb_bson_text_value(bson_string_t *s, const bson_value_t *v)
{
    char oid[25];
    bson_t sub;

    switch (v->value_type) {
    case BSON_TYPE_INT32:
        bson_string_append_printf(s, "%" PRId32, v->value.v_int32);
        break;
    case BSON_TYPE_INT64:
        bson_string_append_printf(s, "%" PRId64, v->value.v_int64);
        break;
    case BSON_TYPE_DOUBLE:
        if (v->value.v_double == (double)(int64_t)v->value.v_double && v->value.v_double < 1e15 &&
            v->value.v_double > -1e15)
            bson_string_append_printf(s, "%.1f", v->value.v_double);
        else
            fmt_double(s, v->value.v_double);
        break;
    case BSON_TYPE_UTF8:
        bson_string_append_printf(s, "\"%.*s\"", (int)v->value.v_utf8.len, v->value.v_utf8.str);
        break;
    case BSON_TYPE_OID:
        bson_oid_to_string(&v->value.v_oid, oid);
        bson_string_append_printf(s, "ObjectId('%s')", oid);
        break;
    case BSON_TYPE_BOOL:
        bson_string_append(s, v->value.v_bool ? "true" : "false");
        break;
    case BSON_TYPE_NULL:
        bson_string_append(s, "null");
        break;
    case BSON_TYPE_UNDEFINED:
        bson_string_append(s, "undefined");
        break;
    case BSON_TYPE_MINKEY:
        bson_string_append(s, "MinKey");
        break;
    case BSON_TYPE_MAXKEY:
        bson_string_append(s, "MaxKey");
        break;
    case BSON_TYPE_DATE_TIME:
        bson_string_append_printf(s, "new Date(%" PRId64 ")", v->value.v_datetime);
        break;
    case BSON_TYPE_TIMESTAMP:
        bson_string_append_printf(s, "Timestamp(%" PRIu32 ", %" PRIu32 ")",
                                  v->value.v_timestamp.timestamp, v->value.v_timestamp.increment);
        break;
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY:
        if (bson_init_static(&sub, v->value.v_doc.data, v->value.v_doc.data_len))
            sdb_bson_text_doc(s, &sub, v->value_type == BSON_TYPE_ARRAY);
        break;
    case BSON_TYPE_DECIMAL128: {
        char dec[BSON_DECIMAL128_STRING];
        bson_decimal128_to_string(&v->value.v_decimal128, dec);
        bson_string_append_printf(s, "NumberDecimal(\"%s\")", dec);
        break;
    }
    case BSON_TYPE_BINARY:
        bson_string_append_printf(s, "BinData(%d, ", (int)v->value.v_binary.subtype);
        for (uint32_t i = 0; i < v->value.v_binary.data_len; i++)
            bson_string_append_printf(s, "%02X", v->value.v_binary.data[i]);
        bson_string_append(s, ")");
        break;
    case BSON_TYPE_REGEX:
        bson_string_append_printf(s, "/%s/%s", v->value.v_regex.regex, v->value.v_regex.options);
        break;
    default:
        bson_string_append(s, "?");
        break;
    }
}

void
sdb_bson_text_doc(bson_string_t *s, const bson_t *d, bool array)
{
    bson_iter_t it;
    bool first = true;

    if (bson_count_keys(d) == 0) {
        bson_string_append(s, array ? "[]" : "{}");
        return;
    }
    bson_string_append(s, array ? "[ " : "{ ");
    if (bson_iter_init(&it, d)) {
        while (bson_iter_next(&it)) {
            if (!first)
                bson_string_append(s, ", ");
            first = false;
            if (!array)
                bson_string_append_printf(s, "%s: ", bson_iter_key(&it));
            sdb_bson_text_value(s, bson_iter_value(&it));
        }
    }
    bson_string_append(s, array ? " ]" : " }");
}

char *
sdb_bson_text_new(const bson_t *d)
{
    bson_string_t *s = bson_string_new(NULL);

    sdb_bson_text_doc(s, d, false);
    return bson_string_free(s, false);
}
