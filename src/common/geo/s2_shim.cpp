/*
 * src/common/geo/s2_shim.cpp -- the one file that calls Google's S2 geometry library.
 *
 * A geometry keeps its parts as S2 objects (points, S2Polyline, S2Polygon, an optional
 * S2Cap).  Predicates build a MutableS2ShapeIndex of the parts once, on first use, and ask
 * S2BooleanOperation (contains, intersects) and S2ClosestEdgeQuery (distance); index keys
 * and query ranges come from S2RegionCoverer, as in mongod's 2dsphere index.  Loops are
 * validated with S2's own checks and their errors become the message mongod prints.
 *
 * Invariants: S2 reports through S2Error (it throws only on memory exhaustion, fatal), no
 * global state, every S2 object lives inside its sdb_s2_t.  Any thread.
 */
#include "s2_shim.h"

/* GCC 12 misreads absl's InlinedVector moves inside S2's query templates (a false
 * maybe-uninitialized in the library's own code, instantiated here). */
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <s2/mutable_s2shape_index.h>
#include <s2/s2boolean_operation.h>
#include <s2/s2cap.h>
#include <s2/s2cell_id.h>
#include <s2/s2cell_union.h>
#include <s2/s2closest_edge_query.h>
#include <s2/s2latlng.h>
#include <s2/s2loop.h>
#include <s2/s2metrics.h>
#include <s2/s2point_vector_shape.h>
#include <s2/s2polygon.h>
#include <s2/s2polyline.h>
#include <s2/s2region_coverer.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <vector>

struct sdb_s2 {
    std::vector<S2Point> points;
    std::vector<std::unique_ptr<S2Polyline>> lines;
    std::vector<std::unique_ptr<S2Polygon>> polygons;
    bool has_cap = false;
    S2Cap cap;
    std::unique_ptr<MutableS2ShapeIndex> index; /* built on first use */
};

static S2Point
to_point(double lng, double lat)
{
    return S2LatLng::FromDegrees(lat, lng).Normalized().ToPoint();
}

static void
say(char *msg, const char *what, const S2Error &e)
{
    snprintf(msg, SDB_S2_MSG, "%s%s", what, e.text().c_str());
}

/* shape_index -- every part of g in one shape index (points, lines, polygons). */
static const MutableS2ShapeIndex &
shape_index(sdb_s2_t *g)
{
    if (g->index == nullptr) {
        g->index = std::make_unique<MutableS2ShapeIndex>();
        if (!g->points.empty())
            g->index->Add(std::make_unique<S2PointVectorShape>(g->points));
        for (auto &l : g->lines)
            g->index->Add(std::make_unique<S2Polyline::Shape>(l.get()));
        for (auto &p : g->polygons)
            g->index->Add(std::make_unique<S2Polygon::Shape>(p.get()));
    }
    return *g->index;
}

extern "C" {

sdb_s2_t *
sdb_s2_new(void)
{
    return new sdb_s2_t();
}

void
sdb_s2_free(sdb_s2_t *g)
{
    delete g;
}

void
sdb_s2_add_point(sdb_s2_t *g, double lng, double lat)
{
    g->points.push_back(to_point(lng, lat));
}

int
sdb_s2_add_line(sdb_s2_t *g, const double *xy, size_t n, char *msg)
{
    std::vector<S2Point> v;
    S2Error e;

    for (size_t i = 0; i < n; i++) {
        S2Point p = to_point(xy[2 * i], xy[2 * i + 1]);
        if (v.empty() || v.back() != p) /* mongod drops repeated vertices */
            v.push_back(p);
    }
    auto line = std::make_unique<S2Polyline>(v, S2Debug::DISABLE);
    if (line->FindValidationError(&e)) {
        say(msg, "Invalid LineString: ", e);
        return -1;
    }
    g->lines.push_back(std::move(line));
    return 0;
}

/* make_loop -- one ring as an S2Loop (closing vertex and repeats dropped), validated. */
static std::unique_ptr<S2Loop>
make_loop(const double *xy, size_t n, char *msg)
{
    std::vector<S2Point> v;
    S2Error e;

    for (size_t i = 0; i + 1 < n; i++) {
        S2Point p = to_point(xy[2 * i], xy[2 * i + 1]);
        if (v.empty() || v.back() != p)
            v.push_back(p);
    }
    if (v.size() > 1 && v.back() == v.front())
        v.pop_back();
    if (v.size() < 3) {
        snprintf(msg, SDB_S2_MSG, "Loop must have at least 3 different vertices");
        return nullptr;
    }
    auto loop = std::make_unique<S2Loop>(v, S2Debug::DISABLE);
    if (loop->FindValidationError(&e)) {
        say(msg, "Loop is not valid: ", e);
        return nullptr;
    }
    return loop;
}

int
sdb_s2_add_polygon(sdb_s2_t *g, const double *const *rings, const size_t *counts, size_t nrings,
                   int strict, char *msg)
{
    std::vector<std::unique_ptr<S2Loop>> loops;
    S2Error e;

    for (size_t i = 0; i < nrings; i++) {
        auto loop = make_loop(rings[i], counts[i], msg);
        if (loop == nullptr)
            return -1;
        if (i == 0) {
            if (!strict)
                loop->Normalize(); /* the shell bounds the smaller area, as mongod's */
        } else {
            loop->Normalize();
            if (!loops[0]->Contains(*loop)) {
                snprintf(msg, SDB_S2_MSG,
                         "Secondary loops not contained by first exterior loop - secondary "
                         "loops must be holes");
                return -1;
            }
        }
        loops.push_back(std::move(loop));
    }
    auto poly = std::make_unique<S2Polygon>();
    poly->set_s2debug_override(S2Debug::DISABLE);
    poly->InitNested(std::move(loops));
    if (poly->FindValidationError(&e)) {
        say(msg, "Polygon isn't valid: ", e);
        return -1;
    }
    g->polygons.push_back(std::move(poly));
    return 0;
}

void
sdb_s2_set_cap(sdb_s2_t *g, double lng, double lat, double radians)
{
    g->has_cap = true;
    g->cap = S2Cap(to_point(lng, lat), S1Angle::Radians(radians));
}

int
sdb_s2_is_point(const sdb_s2_t *g, double *lng, double *lat)
{
    if (g->points.size() != 1 || !g->lines.empty() || !g->polygons.empty() || g->has_cap)
        return 0;
    S2LatLng ll(g->points[0]);
    *lng = ll.lng().degrees();
    *lat = ll.lat().degrees();
    return 1;
}

/* cover -- the covering of every non-point part (and the cap) between the levels. */
static void
cover(const sdb_s2_t *g, int coarsest, int finest, int max_cells, std::vector<S2CellId> *out)
{
    S2RegionCoverer::Options o;
    o.set_min_level(coarsest);
    o.set_max_level(finest);
    o.set_max_cells(max_cells);
    S2RegionCoverer coverer(o);
    std::vector<S2CellId> cells;

    for (auto &l : g->lines) {
        coverer.GetCovering(*l, &cells);
        out->insert(out->end(), cells.begin(), cells.end());
    }
    for (auto &p : g->polygons) {
        coverer.GetCovering(*p, &cells);
        out->insert(out->end(), cells.begin(), cells.end());
    }
    if (g->has_cap) {
        coverer.GetCovering(g->cap, &cells);
        out->insert(out->end(), cells.begin(), cells.end());
    }
}

int
sdb_s2_index_cells(sdb_s2_t *g, int coarsest, int finest, int max_cells,
                   void (*fn)(uint64_t cell, void *ctx), void *ctx)
{
    std::vector<S2CellId> cells;

    for (auto &p : g->points)
        fn(S2CellId(p).id(), ctx);
    cover(g, coarsest, finest, max_cells, &cells);
    for (auto c : cells)
        fn(c.id(), ctx);
    return 0;
}

int
sdb_s2_query_ranges(sdb_s2_t *g, int coarsest, int max_cells,
                    void (*fn)(uint64_t lo, uint64_t hi, void *ctx), void *ctx)
{
    std::vector<S2CellId> cells;

    for (auto &p : g->points)
        cells.push_back(S2CellId(p));
    cover(g, coarsest, S2CellId::kMaxLevel, max_cells, &cells);
    S2CellUnion u(std::move(cells)); /* normalized: sorted, no overlaps */
    for (auto c : u) {
        fn(c.range_min().id(), c.range_max().id(), ctx);
        for (int lv = c.level() - 1; lv >= coarsest; lv--)
            fn(c.parent(lv).id(), c.parent(lv).id(), ctx);
    }
    return 0;
}

/* cap_contains -- does the cap hold every vertex of doc (mongod's test for a $centerSphere)? */
static bool
cap_contains(const S2Cap &cap, const sdb_s2_t *doc)
{
    for (auto &p : doc->points)
        if (!cap.Contains(p))
            return false;
    for (auto &l : doc->lines)
        for (int i = 0; i < l->num_vertices(); i++)
            if (!cap.Contains(l->vertex(i)))
                return false;
    for (auto &p : doc->polygons)
        for (int i = 0; i < p->num_loops(); i++)
            for (int j = 0; j < p->loop(i)->num_vertices(); j++)
                if (!cap.Contains(p->loop(i)->vertex(j)))
                    return false;
    return true;
}

int
sdb_s2_within(sdb_s2_t *doc, sdb_s2_t *region)
{
    if (region->has_cap)
        return cap_contains(region->cap, doc);
    if (region->polygons.empty())
        return 0;
    return S2BooleanOperation::Contains(shape_index(region), shape_index(doc));
}

int
sdb_s2_intersects(sdb_s2_t *a, sdb_s2_t *b)
{
    return S2BooleanOperation::Intersects(shape_index(a), shape_index(b));
}

double
sdb_s2_distance(sdb_s2_t *g, double lng, double lat)
{
    S2Point p = to_point(lng, lat);

    if (g->lines.empty() && g->polygons.empty()) { /* points only: no shape index needed */
        double best = std::numeric_limits<double>::infinity();

        /* S1Angle (atan2 of the cross and dot products), as mongod's S2Distance::distanceRad:
         * a chord angle loses the last digits the manual's $geoNear outputs show */
        for (auto &q : g->points)
            best = std::min(best, S1Angle(p, q).radians());
        return best;
    }
    S2ClosestEdgeQuery q(&shape_index(g));
    S2ClosestEdgeQuery::PointTarget target(p);

    return q.GetDistance(&target).ToAngle().radians();
}

int
sdb_s2_cell_level(double radians)
{
    return S2::kAvgEdge.GetClosestLevel(radians);
}

} /* extern "C" */
