/*
 * src/worker/query/tdigest.h -- the t-digest that mongod's $percentile and $median accumulators
 * use for method 'approximate'.
 *
 * mongod answers the accumulators ($group, $bucket, and windows whose lower bound is
 * unbounded) with a merging t-digest (Dunning and Ertl, "Computing extremely accurate
 * quantiles using t-digests"), scaling function k2 and compression delta 1000, its inputs
 * buffered 5 * delta at a time; reading a percentile merges the buffer first.  The
 * expressions and the sliding windows compute exact percentiles (stats.h).  Doing the same
 * steps in the same order gives the same numbers: below about a thousand inputs every
 * centroid holds one value and the answer is the exact discrete percentile; above it the
 * centroids merge and the answer is interpolated, as mongod's is.
 *
 * NaN is ignored, infinities are counted apart (they are never interpolated with).
 *
 * Contract: a digest belongs to one caller; any thread.
 */
#ifndef SRC_WORKER_QUERY_TDIGEST_H
#define SRC_WORKER_QUERY_TDIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A summary of some inputs: their count and mean. */
typedef struct wk_centroid {
    double weight, mean;
} wk_centroid_t;

typedef struct wk_tdigest {
    double *buf; /* inputs not merged yet */
    size_t nbuf, bufcap;
    wk_centroid_t *cen; /* in order of their means */
    size_t ncen, cencap;
    int64_t n;          /* inputs the centroids hold */
    int64_t ninf, pinf; /* -inf and +inf inputs */
    double min, max;    /* of the merged finite inputs */
} wk_tdigest_t;

/* wk_tdigest_init -- an empty digest. */
void wk_tdigest_init(wk_tdigest_t *d);

/* wk_tdigest_add -- take one input (merged once the buffer is full). */
void wk_tdigest_add(wk_tdigest_t *d, double v);

/* wk_tdigest_percentile -- merge the buffer, then the percentile p (0..1) into *out; false
 * when the digest holds no input. */
bool wk_tdigest_percentile(wk_tdigest_t *d, double p, double *out);

/* wk_tdigest_count -- the inputs it holds, merged or not (not counting NaN). */
int64_t wk_tdigest_count(const wk_tdigest_t *d);

/* wk_tdigest_free -- release its memory; the digest is empty again. */
void wk_tdigest_free(wk_tdigest_t *d);

#endif
