/*
 * bench_locate.c - single-thread point location: our grid index against a
 * GEOS STRtree of prepared polygons.
 *
 * Cases:
 *   (a) our index over a synthetic Zhengzhou-sized tiling: 70,818 jittered
 *       quadrilaterals (319 x 222) over ~50 km x 50 km around 113.6 E,
 *       34.75 N; 10 million random points in the bbox, median of 5 runs;
 *   (b) GEOS 3.11 on the same tiling: STRtree (node capacity 10) of
 *       GEOSPrepare_r'd polygons, per point GEOSSTRtree_query_r then
 *       GEOSPreparedContains_r on a point geometry; 200,000 points (the
 *       first ones of the same sample), and both answers compared;
 *   (c) our index over 436 polygons: a 4.6 km² square split into a
 *       jittered 22 x 20 grid with its four corner cells left out (a
 *       real neighbourhood is not a perfect rectangle), 10 million
 *       points over the square, median of 5 runs.
 *
 * Output: one line per method with points, seconds, lookups/s, and for
 * (a) the ratio of our rate to GEOS's. GEOS's time includes creating the
 * point geometry, which any GEOS caller has to do.
 *
 * Build (from the repository root):
 *   gcc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -Isrc bench/locate/bench_locate.c \
 *       src/geo/shape.c src/geo/index.c src/util/err.c \
 *       -ljansson -lproj -lgeos_c -lm -o /tmp/bench_locate
 * Run: /tmp/bench_locate [points]   (default 10,000,000)
 *
 * Jitter: interior vertices move by at most 25% of a cell in x and y, so
 * each vertex stays in its own corner box and every quad stays simple; the
 * outer border is straight so the tiling fills its bbox.
 */
#include <geos_c.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "geo/index.h"
#include "geo/shape.h"

#define RUNS 5
#define GEOS_POINTS 200000u

/* ---- tiny helpers --------------------------------------------------------- */

static uint64_t rng_state = 0x5eed;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_uniform(double lo, double hi)
{
    return lo + (hi - lo) * ((double)(rng_next() >> 11) * 0x1.0p-53);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* ---- the synthetic tiling ------------------------------------------------- */

typedef struct {
    uint32_t nx, ny, n;
    geo_bbox box;
    geo_shape **shapes; /* n, row-major from the south-west */
} tiling;

/* A jittered nx x ny tiling of box, without its four corner cells when
 * `cut_corners`. The caller frees with tiling_free(). */
static tiling tiling_make(uint32_t nx, uint32_t ny, geo_bbox box, bool cut_corners)
{
    tiling t = {nx, ny, 0, box, xmalloc((size_t)nx * ny * sizeof(geo_shape *))};
    const double dx = (box.max_x - box.min_x) / nx, dy = (box.max_y - box.min_y) / ny;
    geo_pt *v = xmalloc((size_t)(nx + 1) * (ny + 1) * sizeof(*v));
    for (uint32_t j = 0; j <= ny; j++) {
        for (uint32_t i = 0; i <= nx; i++) {
            geo_pt p = {box.min_x + i * dx, box.min_y + j * dy};
            if (i == nx)
                p.x = box.max_x;
            if (j == ny)
                p.y = box.max_y;
            if (i > 0 && i < nx && j > 0 && j < ny) {
                p.x += rng_uniform(-0.25, 0.25) * dx;
                p.y += rng_uniform(-0.25, 0.25) * dy;
            }
            v[(size_t)j * (nx + 1) + i] = p;
        }
    }
    for (uint32_t j = 0; j < ny; j++) {
        for (uint32_t i = 0; i < nx; i++) {
            if (cut_corners && (i == 0 || i == nx - 1) && (j == 0 || j == ny - 1))
                continue;
            const size_t b = (size_t)j * (nx + 1) + i;
            const geo_pt q[4] = {v[b], v[b + 1], v[b + nx + 2], v[b + nx + 1]};
            t.shapes[t.n] = geo_shape_from_ring(q, 4);
            if (!t.shapes[t.n++]) {
                fprintf(stderr, "bad quad %u,%u\n", i, j);
                exit(1);
            }
        }
    }
    free(v);
    return t;
}

static void tiling_free(tiling *t)
{
    for (size_t k = 0; k < t->n; k++)
        geo_shape_free(t->shapes[k]);
    free(t->shapes);
}

/* n random points in box, as x0, y0, x1, y1, ... */
static double *random_points(geo_bbox box, size_t n)
{
    double *p = xmalloc(2 * n * sizeof(*p));
    for (size_t k = 0; k < n; k++) {
        p[2 * k] = rng_uniform(box.min_x, box.max_x);
        p[2 * k + 1] = rng_uniform(box.min_y, box.max_y);
    }
    return p;
}

/* ---- our index ------------------------------------------------------------ */

/* Median seconds of RUNS passes of geo_index_locate over the points; *hits
 * gets how many points were found in some shape. */
static double bench_ours(const geo_index *ix, const double *pts, size_t n, size_t *hits)
{
    double t[RUNS];
    for (int r = 0; r < RUNS; r++) {
        size_t found = 0;
        uint64_t sum = 0;
        double t0 = now_s();
        for (size_t k = 0; k < n; k++) {
            int32_t id = geo_index_locate(ix, pts[2 * k], pts[2 * k + 1]);
            found += id >= 0;
            sum += (uint64_t)id;
        }
        t[r] = now_s() - t0;
        *hits = found;
        if (sum == 42) /* keep the loop from being optimised away */
            puts("");
    }
    qsort(t, RUNS, sizeof(t[0]), cmp_double);
    return t[RUNS / 2];
}

/* Build an index over t, report build time and memory. Caller frees. */
static geo_index *build_ours(const tiling *t, const char *label)
{
    wg_why why = {0};
    const uint32_t n = t->n;
    double t0 = now_s();
    geo_index *ix = geo_index_build((const geo_shape *const *)t->shapes, n, &why);
    double dt = now_s() - t0;
    if (!ix) {
        fprintf(stderr, "build failed: %s\n", why.msg);
        exit(1);
    }
    printf("build  %-30s %6u shapes %7.3f s  %6.1f MB\n", label, n, dt,
           (double)geo_index_bytes(ix) / 1e6);
    return ix;
}

/* ---- GEOS ----------------------------------------------------------------- */

typedef struct {
    GEOSContextHandle_t ctx;
    GEOSGeometry **geoms;
    const GEOSPreparedGeometry **prep;
    GEOSSTRtree *tree;
    uint32_t n;
} geos_side;

/* The query callback: keep the smallest id whose prepared polygon
 * contains the point. */
typedef struct {
    const geos_side *g;
    const GEOSGeometry *pt;
    int32_t best;
} geos_query;

static void geos_cb(void *item, void *userdata)
{
    geos_query *q = userdata;
    const int32_t id = (int32_t)((uintptr_t)item - 1);
    if (q->best >= 0 && id > q->best)
        return;
    if (GEOSPreparedContains_r(q->g->ctx, q->g->prep[id], q->pt) == 1)
        q->best = id;
}

static GEOSGeometry *geos_polygon(GEOSContextHandle_t ctx, const geo_shape *s)
{
    uint32_t n;
    const geo_pt *p = geo_shape_ring(s, 0, &n);
    GEOSCoordSequence *cs = GEOSCoordSeq_create_r(ctx, n + 1, 2);
    for (uint32_t k = 0; k <= n; k++)
        GEOSCoordSeq_setXY_r(ctx, cs, k, p[k % n].x, p[k % n].y);
    GEOSGeometry *ring = GEOSGeom_createLinearRing_r(ctx, cs);
    return GEOSGeom_createPolygon_r(ctx, ring, NULL, 0);
}

static geos_side geos_build(const tiling *t)
{
    geos_side g = {GEOS_init_r(), NULL, NULL, NULL, t->n};
    double t0 = now_s();
    g.geoms = xmalloc(g.n * sizeof(*g.geoms));
    g.prep = xmalloc(g.n * sizeof(*g.prep));
    g.tree = GEOSSTRtree_create_r(g.ctx, 10);
    for (uint32_t i = 0; i < g.n; i++) {
        g.geoms[i] = geos_polygon(g.ctx, t->shapes[i]);
        g.prep[i] = GEOSPrepare_r(g.ctx, g.geoms[i]);
        GEOSSTRtree_insert_r(g.ctx, g.tree, g.geoms[i], (void *)(uintptr_t)(i + 1));
    }
    /* the first query builds the tree (3.11 has no GEOSSTRtree_build_r) */
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(g.ctx, t->box.min_x, t->box.min_y);
    geos_query q = {&g, pt, -1};
    GEOSSTRtree_query_r(g.ctx, g.tree, pt, geos_cb, &q);
    GEOSGeom_destroy_r(g.ctx, pt);
    printf("build  %-30s %6u shapes %7.3f s\n", "GEOS STRtree + prepared", g.n, now_s() - t0);
    return g;
}

static int32_t geos_locate(const geos_side *g, double x, double y)
{
    GEOSGeometry *pt = GEOSGeom_createPointFromXY_r(g->ctx, x, y);
    geos_query q = {g, pt, -1};
    GEOSSTRtree_query_r(g->ctx, g->tree, pt, geos_cb, &q);
    GEOSGeom_destroy_r(g->ctx, pt);
    return q.best;
}

static void geos_free(geos_side *g)
{
    GEOSSTRtree_destroy_r(g->ctx, g->tree);
    for (uint32_t i = 0; i < g->n; i++) {
        GEOSPreparedGeom_destroy_r(g->ctx, g->prep[i]);
        GEOSGeom_destroy_r(g->ctx, g->geoms[i]);
    }
    free(g->geoms);
    free(g->prep);
    GEOS_finish_r(g->ctx);
}

/* ---- main ----------------------------------------------------------------- */

static void report(const char *method, size_t n, double s, double ratio)
{
    printf("%-36s %10zu %9.3f %13.0f", method, n, s, (double)n / s);
    if (ratio > 0)
        printf(" %9.1fx", ratio);
    printf("\n");
}

/* The micro-grids of a FeatureCollection as written by `wangge export
 * grids`; *box gets their bounding box. */
static tiling load_micro(const char *path, geo_bbox *box)
{
    json_error_t je;
    json_t *fc = json_load_file(path, 0, &je);
    if (!fc) {
        fprintf(stderr, "%s: %s\n", path, je.text);
        exit(1);
    }
    json_t *features = json_object_get(fc, "features"), *f;
    tiling t = {0, 0, 0, {180, 90, -180, -90},
                xmalloc((json_array_size(features) + 1) * sizeof(geo_shape *))};
    size_t i;
    json_array_foreach(features, i, f)
    {
        const char *level =
            json_string_value(json_object_get(json_object_get(f, "properties"), "level"));
        if (!level || strcmp(level, "micro") != 0)
            continue;
        wg_why why;
        if (geo_shape_from_geojson(json_object_get(f, "geometry"), &t.shapes[t.n], &why)) {
            fprintf(stderr, "%s: feature %zu: %s\n", path, i, why.msg);
            exit(1);
        }
        geo_bbox b = geo_shape_bbox(t.shapes[t.n++]);
        t.box.min_x = fmin(t.box.min_x, b.min_x);
        t.box.min_y = fmin(t.box.min_y, b.min_y);
        t.box.max_x = fmax(t.box.max_x, b.max_x);
        t.box.max_y = fmax(t.box.max_y, b.max_y);
    }
    json_decref(fc);
    *box = t.box;
    return t;
}

/* With WG_BENCH_DUMP=DIR, write the Zhengzhou tiling, the GEOS sample of
 * points and our answers for them as CSV, so that bench/locate/run.sh can
 * load the very same data into PostGIS and compare answers. */
static void dump(const char *dir, const tiling *t, const geo_index *ix, const double *pts,
                 size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/grids.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    for (uint32_t k = 0; k < t->n; k++) {
        uint32_t np;
        const geo_pt *p = geo_shape_ring(t->shapes[k], 0, &np);
        fprintf(f, "%u,\"POLYGON((", k);
        for (uint32_t i = 0; i <= np; i++)
            fprintf(f, "%s%.17g %.17g", i ? "," : "", p[i % np].x, p[i % np].y);
        fprintf(f, "))\"\n");
    }
    fclose(f);
    snprintf(path, sizeof(path), "%s/points.csv", dir);
    FILE *fp = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/ours.csv", dir);
    FILE *fo = fopen(path, "w");
    if (!fp || !fo) {
        perror(path);
        exit(1);
    }
    for (size_t k = 0; k < n; k++) {
        fprintf(fp, "%zu,%.17g,%.17g\n", k, pts[2 * k], pts[2 * k + 1]);
        int32_t id = geo_index_locate(ix, pts[2 * k], pts[2 * k + 1]);
        if (id >= 0)
            fprintf(fo, "%zu,%d\n", k, id);
    }
    fclose(fp);
    fclose(fo);
    printf("dumped %u polygons and %zu points to %s\n", t->n, n, dir);
}

int main(int argc, char **argv)
{
    size_t npts = 10000000;
    if (argc > 1) {
        char *end;
        unsigned long long v = strtoull(argv[1], &end, 10);
        if (*end || v < GEOS_POINTS) {
            fprintf(stderr, "usage: %s [points >= %u]\n", argv[0], GEOS_POINTS);
            return 2;
        }
        npts = (size_t)v;
    }
    /* (a) + (b): ~50 km x 50 km around 113.6 E, 34.75 N */
    const double half_lon = 25000.0 / (111320.0 * cos(34.75 * M_PI / 180));
    const double half_lat = 25000.0 / 110950.0;
    const geo_bbox city = {113.6 - half_lon, 34.75 - half_lat, 113.6 + half_lon,
                           34.75 + half_lat};
    tiling zz = tiling_make(319, 222, city, false);
    geo_index *ix = build_ours(&zz, "ours, Zhengzhou tiling");
    double *pts = random_points(city, npts);
    const char *dir = getenv("WG_BENCH_DUMP");
    if (dir && *dir)
        dump(dir, &zz, ix, pts, GEOS_POINTS);
    size_t hits = 0;
    const double s_ours = bench_ours(ix, pts, npts, &hits);

    geos_side g = geos_build(&zz);
    const size_t ng = GEOS_POINTS;
    int32_t *gres = xmalloc(ng * sizeof(*gres));
    double t0 = now_s();
    for (size_t k = 0; k < ng; k++)
        gres[k] = geos_locate(&g, pts[2 * k], pts[2 * k + 1]);
    const double s_geos = now_s() - t0;
    size_t disagree = 0;
    for (size_t k = 0; k < ng; k++) {
        int32_t ours = geo_index_locate(ix, pts[2 * k], pts[2 * k + 1]);
        if (ours != gres[k]) {
            if (disagree < 5)
                fprintf(stderr, "disagree at (%.17g, %.17g): ours %d, GEOS %d\n", pts[2 * k],
                        pts[2 * k + 1], ours, gres[k]);
            disagree++;
        }
    }
    const double ours_rate = (double)npts / s_ours, geos_rate = (double)ng / s_geos;
    printf("\n%-36s %10s %9s %13s %10s\n", "method", "points", "seconds", "lookups/s",
           "ours/GEOS");
    report("(a) ours, 70,818 polygons (median/5)", npts, s_ours, ours_rate / geos_rate);
    report("(b) GEOS STRtree + prepared", ng, s_geos, 0);
    printf("    %.1f%% of points found; on the GEOS sample %zu of %zu answers differ\n",
           100.0 * (double)hits / (double)npts, disagree, ng);
    geos_free(&g);
    free(gres);
    geo_index_free(ix);
    tiling_free(&zz);
    free(pts);

    /* (c) 436 polygons: the demo's micro-grids when WG_BENCH_DEMO names
     * `wangge export grids` output, else a 4.6 km² square split 22 x 20 */
    const double side = sqrt(4.6e6) / 2;
    const double hl = side / (111320.0 * cos(34.75 * M_PI / 180)), ht = side / 110950.0;
    geo_bbox small = {113.6 - hl, 34.75 - ht, 113.6 + hl, 34.75 + ht};
    const char *demo = getenv("WG_BENCH_DEMO");
    tiling sm = demo && *demo ? load_micro(demo, &small) : tiling_make(22, 20, small, true);
    geo_index *ixs = build_ours(&sm, demo && *demo ? "ours, demo micro-grids" : "ours, 436 polygons");
    double *spts = random_points(small, npts);
    const double s_small = bench_ours(ixs, spts, npts, &hits);
    char label[64];
    snprintf(label, sizeof(label), "(c) ours, %u %s (median/5)", sm.n,
             demo && *demo ? "demo micro-grids" : "polygons");
    report(label, npts, s_small, 0);
    printf("    %.1f%% of points found\n", 100.0 * (double)hits / (double)npts);
    geo_index_free(ixs);
    tiling_free(&sm);
    free(spts);
    return disagree ? 1 : 0;
}
