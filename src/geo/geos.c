/*
 * geos.c - see geos.h.
 */
#include "geo/geos.h"
#include "util/log.h"

#include <geos_c.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void geos_msg(const char *fmt, ...)
{
    (void)fmt; /* failures surface as NULL results, reported by callers */
}

static GEOSContextHandle_t ctx_new(void)
{
    GEOSContextHandle_t h = GEOS_init_r();
    if (h) {
        GEOSContext_setErrorHandler_r(h, geos_msg);
        GEOSContext_setNoticeHandler_r(h, geos_msg);
    }
    return h;
}

static GEOSGeometry *ring_to_geos(GEOSContextHandle_t h, const geo_pt *p, uint32_t n)
{
    GEOSCoordSequence *seq = GEOSCoordSeq_create_r(h, n + 1, 2);
    if (!seq)
        return NULL;
    for (uint32_t i = 0; i <= n; i++)
        GEOSCoordSeq_setXY_r(h, seq, i, p[i % n].x, p[i % n].y);
    return GEOSGeom_createLinearRing_r(h, seq);
}

/* geo_shape -> GEOS MultiPolygon (or Polygon when there is one). */
static GEOSGeometry *to_geos(GEOSContextHandle_t h, const geo_shape *s)
{
    uint32_t np = geo_shape_polygon_count(s);
    GEOSGeometry **polys = calloc(np, sizeof(*polys));
    if (!polys)
        return NULL;
    uint32_t made = 0;
    bool ok = true;
    for (uint32_t p = 0; p < np && ok; p++) {
        uint32_t first, nr = geo_shape_polygon_rings(s, p, &first);
        uint32_t n;
        const geo_pt *pts = geo_shape_ring(s, first, &n);
        GEOSGeometry *shell = ring_to_geos(h, pts, n);
        GEOSGeometry **holes = nr > 1 ? calloc(nr - 1, sizeof(*holes)) : NULL;
        if (!shell || (nr > 1 && !holes)) {
            if (shell)
                GEOSGeom_destroy_r(h, shell);
            free(holes);
            ok = false;
            break;
        }
        for (uint32_t r = 1; r < nr; r++) {
            pts = geo_shape_ring(s, first + r, &n);
            holes[r - 1] = ring_to_geos(h, pts, n);
            ok &= holes[r - 1] != NULL;
        }
        if (ok) {
            polys[made] = GEOSGeom_createPolygon_r(h, shell, holes, nr - 1);
        } else {
            GEOSGeom_destroy_r(h, shell);
            for (uint32_t r = 1; r < nr; r++)
                if (holes[r - 1])
                    GEOSGeom_destroy_r(h, holes[r - 1]);
        }
        free(holes);
        ok = ok && polys[made] != NULL;
        if (ok)
            made++;
    }
    GEOSGeometry *g = NULL;
    if (ok && made == 1) {
        g = polys[0];
    } else if (ok) {
        g = GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, polys, made);
    } else {
        for (uint32_t i = 0; i < made; i++)
            GEOSGeom_destroy_r(h, polys[i]);
    }
    free(polys);
    return g;
}

typedef struct {
    geo_pt *pts;
    uint32_t *ring_len, *poly_nring;
    uint32_t npts, nrings, npolys, cap_pts, cap_rings, cap_polys;
    bool oom;
} builder;

static void *grow(void *p, uint32_t *cap, uint32_t need, size_t size, bool *oom)
{
    if (need <= *cap)
        return p;
    uint32_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(p, (size_t)c * size);
    if (!q) {
        *oom = true;
        return p;
    }
    *cap = c;
    return q;
}

static void add_ring(GEOSContextHandle_t h, builder *b, const GEOSGeometry *ring)
{
    const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, ring);
    unsigned int n = 0;
    if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &n) || n < 4)
        return;
    n--; /* drop the closing point */
    b->pts = grow(b->pts, &b->cap_pts, b->npts + n, sizeof(*b->pts), &b->oom);
    b->ring_len = grow(b->ring_len, &b->cap_rings, b->nrings + 1, sizeof(*b->ring_len), &b->oom);
    if (b->oom)
        return;
    for (unsigned int i = 0; i < n; i++)
        GEOSCoordSeq_getXY_r(h, seq, i, &b->pts[b->npts + i].x, &b->pts[b->npts + i].y);
    b->npts += n;
    b->ring_len[b->nrings++] = n;
}

/* Collect the polygons of g (any type; lines and points are skipped). */
static void add_polygons(GEOSContextHandle_t h, builder *b, const GEOSGeometry *g)
{
    int type = GEOSGeomTypeId_r(h, g);
    if (type == GEOS_POLYGON) {
        if (GEOSisEmpty_r(h, g))
            return;
        uint32_t before = b->nrings;
        add_ring(h, b, GEOSGetExteriorRing_r(h, g));
        if (b->nrings == before)
            return;
        int nh = GEOSGetNumInteriorRings_r(h, g);
        for (int i = 0; i < nh; i++)
            add_ring(h, b, GEOSGetInteriorRingN_r(h, g, i));
        b->poly_nring = grow(b->poly_nring, &b->cap_polys, b->npolys + 1, sizeof(*b->poly_nring),
                             &b->oom);
        if (!b->oom)
            b->poly_nring[b->npolys++] = b->nrings - before;
    } else if (type == GEOS_MULTIPOLYGON || type == GEOS_GEOMETRYCOLLECTION) {
        int n = GEOSGetNumGeometries_r(h, g);
        for (int i = 0; i < n; i++)
            add_polygons(h, b, GEOSGetGeometryN_r(h, g, i));
    }
}

/* GEOS -> geo_shape; NULL when there is no polygon in g. */
static geo_shape *from_geos(GEOSContextHandle_t h, const GEOSGeometry *g)
{
    builder b = {0};
    add_polygons(h, &b, g);
    geo_shape *s = NULL;
    if (!b.oom && b.npolys)
        s = geo_shape_from_rings(b.pts, b.ring_len, b.nrings, b.poly_nring, b.npolys);
    free(b.pts);
    free(b.ring_len);
    free(b.poly_nring);
    return s;
}

/* Area of g in m², and destroy g. The results measured here (overlaps,
 * gaps, overhangs) are small and often slivers, for which the geodesic
 * polygon area's absolute error (around a square metre) would swamp the
 * answer: so take GEOS's planar area in square degrees and scale it by the
 * size of a square degree at g's latitude (WGS84 radii of curvature), which
 * is exact to well under a percent over a city. */
static double area_of(GEOSContextHandle_t h, GEOSGeometry *g)
{
    if (!g)
        return -1;
    double deg2 = 0, y = 0;
    GEOSGeometry *c = GEOSisEmpty_r(h, g) ? NULL : GEOSGetCentroid_r(h, g);
    if (c && GEOSArea_r(h, g, &deg2) && GEOSGeomGetY_r(h, c, &y)) {
        const double a = 6378137.0, e2 = 0.00669437999014;
        double phi = y * M_PI / 180.0, s = sin(phi), w = sqrt(1 - e2 * s * s);
        double n = a / w, m = a * (1 - e2) / (w * w * w);
        deg2 *= (M_PI / 180.0) * (M_PI / 180.0) * m * n * cos(phi);
    } else {
        deg2 = 0;
    }
    if (c)
        GEOSGeom_destroy_r(h, c);
    GEOSGeom_destroy_r(h, g);
    return deg2;
}

bool geo_valid(const geo_shape *s, char *reason, size_t cap)
{
    GEOSContextHandle_t h = ctx_new();
    if (!h) {
        snprintf(reason, cap, "GEOS is not available");
        return false;
    }
    GEOSGeometry *g = to_geos(h, s);
    bool ok = false;
    if (!g) {
        snprintf(reason, cap, "cannot be built as a polygon");
    } else {
        char *why = GEOSisValidReason_r(h, g);
        ok = why && strcmp(why, "Valid Geometry") == 0;
        snprintf(reason, cap, "%s", why ? why : "unknown");
        GEOSFree_r(h, why);
        GEOSGeom_destroy_r(h, g);
    }
    GEOS_finish_r(h);
    return ok;
}

typedef GEOSGeometry *(*binop)(GEOSContextHandle_t, const GEOSGeometry *, const GEOSGeometry *);

static double binary_area(const geo_shape *a, const geo_shape *b, binop op)
{
    GEOSContextHandle_t h = ctx_new();
    if (!h)
        return -1;
    GEOSGeometry *ga = to_geos(h, a), *gb = to_geos(h, b);
    double r = -1;
    if (ga && gb)
        r = area_of(h, op(h, ga, gb));
    if (ga)
        GEOSGeom_destroy_r(h, ga);
    if (gb)
        GEOSGeom_destroy_r(h, gb);
    GEOS_finish_r(h);
    return r;
}

double geo_area_outside(const geo_shape *a, const geo_shape *b)
{
    return binary_area(a, b, GEOSDifference_r);
}

double geo_area_overlap(const geo_shape *a, const geo_shape *b)
{
    /* Most sibling pairs are far apart: their boxes decide at once. */
    geo_bbox x = geo_shape_bbox(a), y = geo_shape_bbox(b);
    if (x.max_x < y.min_x || y.max_x < x.min_x || x.max_y < y.min_y || y.max_y < x.min_y)
        return 0;
    return binary_area(a, b, GEOSIntersection_r);
}

geo_shape *geo_intersection(const geo_shape *a, const geo_shape *b)
{
    GEOSContextHandle_t h = ctx_new();
    if (!h)
        return NULL;
    GEOSGeometry *ga = to_geos(h, a), *gb = to_geos(h, b);
    geo_shape *s = NULL;
    if (ga && gb) {
        GEOSGeometry *i = GEOSIntersection_r(h, ga, gb);
        if (i) {
            s = from_geos(h, i);
            GEOSGeom_destroy_r(h, i);
        }
    }
    if (ga)
        GEOSGeom_destroy_r(h, ga);
    if (gb)
        GEOSGeom_destroy_r(h, gb);
    GEOS_finish_r(h);
    return s;
}

double geo_area_gap(const geo_shape *parent, const geo_shape *const *children, uint32_t n)
{
    GEOSContextHandle_t h = ctx_new();
    if (!h)
        return -1;
    double r = -1;
    GEOSGeometry *gp = to_geos(h, parent);
    GEOSGeometry **parts = calloc(n ? n : 1, sizeof(*parts));
    uint32_t made = 0;
    for (uint32_t i = 0; parts && i < n; i++)
        if ((parts[made] = to_geos(h, children[i])))
            made++;
    if (gp && parts && made == n) {
        GEOSGeometry *coll = GEOSGeom_createCollection_r(h, GEOS_GEOMETRYCOLLECTION, parts, made);
        made = 0; /* the collection owns them now */
        GEOSGeometry *u = coll ? GEOSUnaryUnion_r(h, coll) : NULL;
        if (u) {
            r = area_of(h, GEOSDifference_r(h, gp, u));
            GEOSGeom_destroy_r(h, u);
        } else if (n == 0) {
            r = geo_shape_area_m2(parent);
        }
        if (coll)
            GEOSGeom_destroy_r(h, coll);
    }
    for (uint32_t i = 0; i < made; i++)
        GEOSGeom_destroy_r(h, parts[i]);
    free(parts);
    if (gp)
        GEOSGeom_destroy_r(h, gp);
    GEOS_finish_r(h);
    return r;
}

geo_pt geo_centroid(const geo_shape *s)
{
    geo_pt c = {NAN, NAN};
    GEOSContextHandle_t h = ctx_new();
    if (!h)
        return c;
    GEOSGeometry *g = to_geos(h, s);
    GEOSGeometry *p = g ? GEOSGetCentroid_r(h, g) : NULL;
    if (p) {
        GEOSGeomGetX_r(h, p, &c.x);
        GEOSGeomGetY_r(h, p, &c.y);
        GEOSGeom_destroy_r(h, p);
    }
    if (g)
        GEOSGeom_destroy_r(h, g);
    GEOS_finish_r(h);
    return c;
}

geo_shape *geo_scale(const geo_shape *s, double f)
{
    geo_pt c = geo_centroid(s);
    uint32_t nr = geo_shape_ring_count(s), np = geo_shape_polygon_count(s);
    uint32_t total = geo_shape_point_count(s);
    geo_pt *pts = malloc((size_t)total * sizeof(*pts));
    uint32_t *rl = malloc((size_t)nr * sizeof(*rl)), *pn = malloc((size_t)np * sizeof(*pn));
    geo_shape *out = NULL;
    if (pts && rl && pn) {
        uint32_t k = 0;
        for (uint32_t r = 0; r < nr; r++) {
            uint32_t n;
            const geo_pt *p = geo_shape_ring(s, r, &n);
            for (uint32_t i = 0; i < n; i++)
                pts[k++] = (geo_pt){c.x + (p[i].x - c.x) * f, c.y + (p[i].y - c.y) * f};
            rl[r] = n;
        }
        for (uint32_t p = 0; p < np; p++) {
            uint32_t first;
            pn[p] = geo_shape_polygon_rings(s, p, &first);
        }
        out = geo_shape_from_rings(pts, rl, nr, pn, np);
    }
    free(pts);
    free(rl);
    free(pn);
    return out;
}

/* ---- partition ---- */

static uint64_t rng_next(uint64_t *x)
{
    /* splitmix64: deterministic, good enough for placing seeds. */
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *x)
{
    return (double)(rng_next(x) >> 11) / 9007199254740992.0;
}

typedef struct {
    geo_shape *s;
    geo_pt c;
} piece;

static int piece_cmp(const void *a, const void *b)
{
    const piece *p = a, *q = b;
    /* Rows of ~ equal latitude north to south, then west to east. The row
     * key is coarse so that neighbours in one band sort by longitude. */
    long rp = lround(-p->c.y * 200.0), rq = lround(-q->c.y * 200.0);
    if (rp != rq)
        return rp < rq ? -1 : 1;
    return p->c.x < q->c.x ? -1 : p->c.x > q->c.x;
}

/* One Voronoi pass: cells of pts clipped to parent (GEOS geometries). */
static bool voronoi_cells(GEOSContextHandle_t h, const GEOSGeometry *gp, const geo_pt *pts,
                          uint32_t k, GEOSGeometry **cells)
{
    GEOSGeometry **points = calloc(k, sizeof(*points));
    if (!points)
        return false;
    for (uint32_t i = 0; i < k; i++)
        points[i] = GEOSGeom_createPointFromXY_r(h, pts[i].x, pts[i].y);
    GEOSGeometry *multi = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, points, k);
    free(points);
    if (!multi)
        return false;
    GEOSGeometry *env = GEOSEnvelope_r(h, gp);
    GEOSGeometry *env2 = env ? GEOSBuffer_r(h, env, 0.01, 1) : NULL;
    GEOSGeometry *vor = env2 ? GEOSVoronoiDiagram_r(h, multi, env2, 0.0, 0) : NULL;
    bool ok = vor && (uint32_t)GEOSGetNumGeometries_r(h, vor) == k;
    for (uint32_t i = 0; i < k; i++)
        cells[i] = NULL;
    if (ok) {
        /* Voronoi cells come in no particular order: match each to the seed
         * it contains. */
        for (int j = 0; j < GEOSGetNumGeometries_r(h, vor) && ok; j++) {
            const GEOSGeometry *cell = GEOSGetGeometryN_r(h, vor, j);
            uint32_t owner = k;
            for (uint32_t i = 0; i < k && owner == k; i++) {
                GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(h, pts[i].x, pts[i].y);
                if (pt && GEOSIntersects_r(h, cell, pt) == 1 && !cells[i])
                    owner = i;
                if (pt)
                    GEOSGeom_destroy_r(h, pt);
            }
            if (owner == k)
                ok = false;
            else
                cells[owner] = GEOSIntersection_r(h, cell, gp);
        }
        for (uint32_t i = 0; i < k && ok; i++)
            ok = cells[i] && !GEOSisEmpty_r(h, cells[i]);
    }
    if (vor)
        GEOSGeom_destroy_r(h, vor);
    if (env2)
        GEOSGeom_destroy_r(h, env2);
    if (env)
        GEOSGeom_destroy_r(h, env);
    GEOSGeom_destroy_r(h, multi);
    if (!ok)
        for (uint32_t i = 0; i < k; i++)
            if (cells[i]) {
                GEOSGeom_destroy_r(h, cells[i]);
                cells[i] = NULL;
            }
    return ok;
}

wg_err geo_partition(const geo_shape *parent, uint32_t k, uint64_t seed, geo_shape **out)
{
    if (k == 0)
        return WG_ERR_INVALID;
    for (uint32_t i = 0; i < k; i++)
        out[i] = NULL;
    if (k == 1) {
        geo_shape *copy = geo_scale(parent, 1.0);
        out[0] = copy;
        return copy ? WG_OK : WG_ERR_NOMEM;
    }
    GEOSContextHandle_t h = ctx_new();
    if (!h)
        return WG_ERR_INTERNAL;
    wg_err e = WG_OK;
    GEOSGeometry *gp = to_geos(h, parent);
    geo_pt *pts = calloc(k, sizeof(*pts));
    GEOSGeometry **cells = calloc(k, sizeof(*cells));
    piece *pieces = calloc(k, sizeof(*pieces));
    if (!gp || !pts || !cells || !pieces) {
        e = WG_ERR_NOMEM;
        goto out;
    }
    geo_bbox bb = geo_shape_bbox(parent);
    uint64_t rs = seed ? seed : 1;
    for (uint32_t i = 0; i < k; i++) {
        int tries = 0;
        do {
            pts[i].x = bb.min_x + (bb.max_x - bb.min_x) * rng_unit(&rs);
            pts[i].y = bb.min_y + (bb.max_y - bb.min_y) * rng_unit(&rs);
        } while (!geo_shape_contains(parent, pts[i].x, pts[i].y) && ++tries < 10000);
    }
    /* Lloyd's relaxation: move each seed to its cell's centroid. */
    for (int iter = 0; iter < 4; iter++) {
        if (!voronoi_cells(h, gp, pts, k, cells)) {
            e = WG_ERR_INTERNAL;
            goto out;
        }
        for (uint32_t i = 0; i < k; i++) {
            GEOSGeometry *c = GEOSPointOnSurface_r(h, cells[i]);
            GEOSGeometry *cen = GEOSGetCentroid_r(h, cells[i]);
            double x, y;
            /* The centroid of a concave cell may fall outside: then keep a
             * point on its surface. */
            if (cen && GEOSGeomGetX_r(h, cen, &x) && GEOSGeomGetY_r(h, cen, &y) &&
                geo_shape_contains(parent, x, y))
                pts[i] = (geo_pt){x, y};
            else if (c && GEOSGeomGetX_r(h, c, &x) && GEOSGeomGetY_r(h, c, &y))
                pts[i] = (geo_pt){x, y};
            if (c)
                GEOSGeom_destroy_r(h, c);
            if (cen)
                GEOSGeom_destroy_r(h, cen);
            if (iter < 3) {
                GEOSGeom_destroy_r(h, cells[i]);
                cells[i] = NULL;
            }
        }
    }
    for (uint32_t i = 0; i < k; i++) {
        pieces[i].s = from_geos(h, cells[i]);
        if (!pieces[i].s) {
            e = WG_ERR_INTERNAL;
            goto out;
        }
        pieces[i].c = geo_centroid(pieces[i].s);
    }
    qsort(pieces, k, sizeof(*pieces), piece_cmp);
    for (uint32_t i = 0; i < k; i++) {
        out[i] = pieces[i].s;
        pieces[i].s = NULL;
    }
out:
    for (uint32_t i = 0; pieces && i < k; i++)
        geo_shape_free(pieces[i].s);
    for (uint32_t i = 0; cells && i < k; i++)
        if (cells[i])
            GEOSGeom_destroy_r(h, cells[i]);
    free(pieces);
    free(cells);
    free(pts);
    if (gp)
        GEOSGeom_destroy_r(h, gp);
    GEOS_finish_r(h);
    return e;
}
