/*
 * src/common/geo/geo_keys.h -- index keys of geospatial indexes (2dsphere, 2d).
 *
 * A 2dsphere field keys as the S2 cell ids covering its geometries (points: their leaf
 * cell; other shapes: mongod's version-3 covering, SDB_GEO_COARSEST..SDB_GEO_FINEST levels,
 * at most SDB_GEO_MAX_CELLS cells), each encoded as an int64 (the cell id's bits; a cell's
 * descendants form one contiguous int64 range, since a face never straddles the sign bit).
 * A 2d field keys as the interleaved bits of its planar point (geohash, `bits` per axis over
 * [min, max)), each point of a multi-location array or object of points.  The other fields
 * of a compound pattern key as in keyenc.c, and a document keys as the cross product.  A document with no geometry in any geo field has no key
 * (geo indexes are sparse, as mongod's version 2 and 3).  Invalid geometry is 16755 "Can't
 * extract geo keys".
 *
 * Contract: called from keyenc.c's sdb_keyenc_keys_coll for a pattern where
 * sdb_geo_pattern_kind != 0; pure, any thread; same delivery contract as sdb_keyenc_keys.
 */
#ifndef SDB_GEO_GEO_KEYS_H
#define SDB_GEO_GEO_KEYS_H

#include "../collation.h"
#include "../errors.h"

#include <bson/bson.h>
#include <stdint.h>

#define SDB_GEO_MAX_CELLS 20
#define SDB_GEO_2D_BITS 26

enum {
    SDB_GEO_NONE = 0,
    SDB_GEO_2DSPHERE = 1,
    SDB_GEO_2D = 2
};

/* sdb_geo_pattern_kind -- SDB_GEO_2DSPHERE or SDB_GEO_2D when a key pattern has such a field
 * (its position to *field when not NULL), else SDB_GEO_NONE. */
int sdb_geo_pattern_kind(const bson_t *key_pattern, int *field);

/* sdb_geo_coarsest / sdb_geo_finest -- mongod's version-3 levels (2000 km and 110 m cells). */
int sdb_geo_coarsest(void);
int sdb_geo_finest(void);

/* sdb_geo_hash2d -- the 2d key of planar (x, y) in [min, max) with `bits` per axis; -1 when
 * out of range. */
int64_t sdb_geo_hash2d(double x, double y, double min, double max, int bits);

/* A 2d index's grid: `bits` per axis over [min, max) (mongod's defaults 26, -180, 180). */
typedef struct sdb_geo_flat {
    int bits;
    double min, max;
} sdb_geo_flat_t;

/* sdb_geo_flat_params -- the grid of a 2d index spec (NULL or options absent: the defaults). */
sdb_geo_flat_t sdb_geo_flat_params(const bson_t *spec);

/* sdb_geo_flat_ranges -- the 2d keys a scan must visit to meet every point of the box
 * [x1, x2] x [y1, y2] on grid fp: the key ranges [lo, hi] of at most about max_cells grid
 * cells covering it (ascending, disjoint), to fn.  Cells on the box's edge are kept whole, so
 * the ranges hold every point of the box, whatever the rounding. */
void sdb_geo_flat_ranges(const sdb_geo_flat_t *fp, double x1, double y1, double x2, double y2,
                         int max_cells, void (*fn)(int64_t lo, int64_t hi, void *ctx), void *ctx);

/* sdb_geo_keys -- every distinct key of doc under a geo key pattern, ascending, to fn. */
int sdb_geo_keys(const bson_t *doc, const bson_t *key_pattern, const sdb_collation_t *coll,
                 int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx, int *multikey,
                 sdb_error_t *err);

/* sdb_geo_keys_spec -- the same with the index's options (spec: a 2d index's bits, min and
 * max; NULL = mongod's defaults 26, -180, 180): what the master's index writes use. */
int sdb_geo_keys_spec(const bson_t *doc, const bson_t *key_pattern, const bson_t *spec,
                      const sdb_collation_t *coll,
                      int (*fn)(const uint8_t *key, size_t len, void *ctx), void *ctx,
                      int *multikey, sdb_error_t *err);

#endif
