/*
 * src/worker/query/tdigest.c -- the merging t-digest of mongod's approximate percentiles.
 *
 * Inputs collect in a buffer; when it holds BUFFER_COEFF * DELTA of them (or a percentile
 * is read) it is sorted and merged with the centroids in one pass: the two sorted lists are
 * walked together and each new centroid takes the next item while its cumulative weight
 * stays within the limit the scaling function k2 allows at its quantile.  A percentile finds
 * the centroid holding its rank (ceil(p * n) - 1, as the discrete percentile); a centroid of
 * weight one is the answer itself, a heavier one is interpolated linearly with its
 * neighbour's mean (or the minimum/maximum at the ends).
 *
 * Invariants: the centroids are sorted by mean and their weights add up to n; min/max are
 * exact; buffer and centroid arrays grow by doubling.
 */
#include "tdigest.h"

#include <bson/bson.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>

#define DELTA 1000.0   /* mongod's internalQueryTdigestDelta */
#define BUFFER_COEFF 5 /* buffer size = BUFFER_COEFF * DELTA */

/* k2: a scaling function cheap to compute, accurate at both tails. */
static double
k2(double q)
{
    if (q <= 0.5)
        return DELTA * M_SQRT1_2 * sqrt(q);
    return DELTA - DELTA * M_SQRT1_2 * sqrt(1 - q);
}

static double
k2_inverse(double k)
{
    double r = k / DELTA, b;

    if (r <= 0.5)
        return 2 * r * r;
    b = 1 - r;
    return 1 - 2 * b * b;
}

/* limit -- the largest quantile a centroid starting at quantile q may reach. */
static double
limit(double q)
{
    return k2_inverse(1 + k2(q));
}

static void
centroid_add(wk_centroid_t *c, const wk_centroid_t *o)
{
    /* Fold in the lighter side so the mean stays between the two. */
    if (o->weight < c->weight) {
        c->weight += o->weight;
        c->mean += (o->mean - c->mean) * (o->weight / c->weight);
    } else {
        double w = c->weight + o->weight;

        c->mean = o->mean + (c->mean - o->mean) * (c->weight / w);
        c->weight = w;
    }
}

static void
centroid_add_value(wk_centroid_t *c, double v)
{
    c->weight += 1;
    c->mean += (v - c->mean) / c->weight;
}

void
wk_tdigest_init(wk_tdigest_t *d)
{
    memset(d, 0, sizeof(*d));
    d->min = DBL_MAX;
    d->max = -DBL_MAX;
}

void
wk_tdigest_free(wk_tdigest_t *d)
{
    bson_free(d->buf);
    bson_free(d->cen);
    wk_tdigest_init(d);
}

int64_t
wk_tdigest_count(const wk_tdigest_t *d)
{
    return d->n + (int64_t)d->nbuf + d->ninf + d->pinf;
}

static int
double_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* merge -- fold the sorted finite values s[0..ns) into the centroids. */
static void
merge(wk_tdigest_t *d, const double *s, size_t ns)
{
    size_t cap = d->ncen + ns, nt = 0, ic = 0, is = 0;
    wk_centroid_t *t = bson_malloc(cap * sizeof(*t));
    double n, w = 0;

    d->n += (int64_t)ns;
    d->min = fmin(d->min, s[0]);
    d->max = fmax(d->max, s[ns - 1]);
    n = (double)d->n;
    while (ic < d->ncen || is < ns) {
        bool both = ic < d->ncen && is < ns; /* a centroid begun while both lists had items
                                               * ends when either runs out, as mongod's */
        wk_centroid_t cur;
        double q;

        if (is >= ns || (ic < d->ncen && !(d->cen[ic].mean > s[is])))
            cur = d->cen[ic++];
        else
            cur = (wk_centroid_t){1, s[is++]};
        q = n * limit(w / n);
        for (;;) {
            bool take_value = ic >= d->ncen || (is < ns && d->cen[ic].mean > s[is]);

            if ((is >= ns && ic >= d->ncen) || (both && (is >= ns || ic >= d->ncen)))
                break;
            if (take_value) {
                if (w + cur.weight + 1 > q)
                    break;
                centroid_add_value(&cur, s[is++]);
            } else {
                if (w + cur.weight + d->cen[ic].weight > q)
                    break;
                centroid_add(&cur, &d->cen[ic++]);
            }
        }
        t[nt++] = cur;
        w += cur.weight;
    }
    bson_free(d->cen);
    d->cen = t;
    d->ncen = nt;
    d->cencap = cap;
}

static void
flush(wk_tdigest_t *d)
{
    if (d->nbuf == 0)
        return;
    qsort(d->buf, d->nbuf, sizeof(*d->buf), double_cmp);
    merge(d, d->buf, d->nbuf);
    d->nbuf = 0;
}

void
wk_tdigest_add(wk_tdigest_t *d, double v)
{
    if (isnan(v))
        return;
    if (isinf(v)) {
        if (v < 0)
            d->ninf++;
        else
            d->pinf++;
        return;
    }
    if (d->nbuf == d->bufcap) {
        d->bufcap = d->bufcap ? d->bufcap * 2 : 64;
        d->buf = bson_realloc(d->buf, d->bufcap * sizeof(*d->buf));
    }
    d->buf[d->nbuf++] = v;
    if (d->nbuf >= (size_t)(BUFFER_COEFF * DELTA))
        flush(d);
}

bool
wk_tdigest_percentile(wk_tdigest_t *d, double p, double *out)
{
    double rank, r = 0, left, right, wl, wr, inner, wcur, res;
    int64_t total;
    size_t i;

    flush(d);
    total = d->n + d->ninf + d->pinf;
    if (total == 0)
        return false;
    if (p >= 1.0) {
        *out = d->pinf > 0 ? INFINITY : d->n > 0 ? d->max : -INFINITY;
        return true;
    }
    if (p <= 0) {
        *out = d->ninf > 0 ? -INFINITY : d->n > 0 ? d->min : INFINITY;
        return true;
    }
    rank = fmax(0, ceil((double)total * p) - 1);
    if (rank < (double)d->ninf) {
        *out = -INFINITY;
        return true;
    }
    if (rank >= (double)(d->n + d->ninf)) {
        *out = INFINITY;
        return true;
    }
    rank -= (double)d->ninf;
    for (i = 0; i < d->ncen; i++) {
        r += d->cen[i].weight;
        if (r > rank)
            break;
    }
    if (d->cen[i].weight == 1) {
        *out = d->cen[i].mean;
        return true;
    }
    /* The inputs are taken as spread evenly inside each centroid: interpolate between the
     * neighbouring means (the extremes at the ends; never with an infinity). */
    wcur = d->cen[i].weight;
    if (r - rank >= wcur / 2) {
        left = i == 0 ? d->min : d->cen[i - 1].mean;
        right = d->cen[i].mean;
        wl = i == 0 ? 0 : d->cen[i - 1].weight;
        wr = wcur;
        inner = wl + 2 * wr - 2 * (r - 1 - rank);
    } else {
        left = d->cen[i].mean;
        right = i == d->ncen - 1 ? d->max : d->cen[i + 1].mean;
        wl = wcur;
        wr = i == d->ncen - 1 ? 0 : d->cen[i + 1].weight;
        inner = wl - 2 * (r - 1 - rank);
    }
    res = left + (right - left) * (inner / (wl + wr));
    *out = res > right ? right : res;
    return true;
}
