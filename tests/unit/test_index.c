#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo/index.h"
#include "geo/shape.h"

/* ---- helpers --------------------------------------------------------------- */

/* splitmix64: a deterministic generator so failures reproduce. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi). */
static double rng_uniform(double lo, double hi)
{
    return lo + (hi - lo) * ((double)(rng_next() >> 11) * 0x1.0p-53);
}

/* Round v to a multiple of q (to make coincidences with vertices likely). */
static double snap(double v, double q)
{
    return round(v / q) * q;
}

/* A growable list of shapes the test owns. */
typedef struct {
    geo_shape **s;
    uint32_t n, cap;
} shape_list;

static void add_shape(shape_list *l, geo_shape *s)
{
    assert_non_null(s);
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->s = realloc(l->s, l->cap * sizeof(*l->s));
        assert_non_null(l->s);
    }
    l->s[l->n++] = s;
}

static void free_shapes(shape_list *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        geo_shape_free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof(*l));
}

/* Grid parameters of the jittered tiling. */
typedef struct {
    uint32_t nx, ny;
    double x0, y0, dx, dy, jitter, quantum;
} tiling;

/* Vertex (i, j) of the tiling: jittered (except on the outer border) and
 * snapped to the quantum. */
static geo_pt tiling_vertex(const tiling *t, const geo_pt *jit, uint32_t i, uint32_t j)
{
    geo_pt p = {t->x0 + i * t->dx, t->y0 + j * t->dy};
    if (i > 0 && i < t->nx && j > 0 && j < t->ny) {
        p.x += jit[j * (t->nx + 1) + i].x;
        p.y += jit[j * (t->nx + 1) + i].y;
    }
    p.x = snap(p.x, t->quantum);
    p.y = snap(p.y, t->quantum);
    return p;
}

/*
 * Append a jittered nx x ny tiling of quadrilaterals to l, windings mixed.
 * Every `hole_every`-th quad (0: none) gets a square hole, and the hole is
 * appended as an island shape right after it, so the tiling stays a tiling.
 */
static void make_tiling(shape_list *l, const tiling *t, uint32_t hole_every)
{
    geo_pt *jit = malloc((size_t)(t->nx + 1) * (t->ny + 1) * sizeof(*jit));
    assert_non_null(jit);
    for (uint32_t k = 0; k < (t->nx + 1) * (t->ny + 1); k++) {
        jit[k].x = rng_uniform(-t->jitter, t->jitter) * t->dx;
        jit[k].y = rng_uniform(-t->jitter, t->jitter) * t->dy;
    }
    uint32_t k = 0;
    for (uint32_t j = 0; j < t->ny; j++) {
        for (uint32_t i = 0; i < t->nx; i++, k++) {
            geo_pt q[4] = {tiling_vertex(t, jit, i, j), tiling_vertex(t, jit, i + 1, j),
                           tiling_vertex(t, jit, i + 1, j + 1), tiling_vertex(t, jit, i, j + 1)};
            if (k % 3 == 1) { /* clockwise, starting elsewhere */
                geo_pt r[4] = {q[2], q[1], q[0], q[3]};
                memcpy(q, r, sizeof(q));
            }
            if (hole_every && k % hole_every == hole_every / 2) {
                /* a hole around the cell's nominal centre, clear of the
                 * jittered corners */
                double cx = t->x0 + (i + 0.5) * t->dx, cy = t->y0 + (j + 0.5) * t->dy;
                double hx = 0.15 * t->dx, hy = 0.15 * t->dy;
                geo_pt h[4] = {{snap(cx - hx, t->quantum), snap(cy - hy, t->quantum)},
                               {snap(cx + hx, t->quantum), snap(cy - hy, t->quantum)},
                               {snap(cx + hx, t->quantum), snap(cy + hy, t->quantum)},
                               {snap(cx - hx, t->quantum), snap(cy + hy, t->quantum)}};
                geo_pt all[8];
                memcpy(all, q, sizeof(q));
                memcpy(all + 4, h, sizeof(h));
                const uint32_t ring_len[] = {4, 4}, poly_nring[] = {2};
                add_shape(l, geo_shape_from_rings(all, ring_len, 2, poly_nring, 1));
                add_shape(l, geo_shape_from_ring(h, 4)); /* the island */
            } else {
                add_shape(l, geo_shape_from_ring(q, 4));
            }
        }
    }
    free(jit);
}

/* A regular-ish polygon of n vertices around (cx, cy) with radii r (x) and
 * r * ry (y), radius wobbling by `wobble` (0..1), as an open ring in pts. */
static void star_ring(geo_pt *pts, uint32_t n, double cx, double cy, double r, double ry,
                      double wobble, bool cw)
{
    for (uint32_t k = 0; k < n; k++) {
        double a = 2 * M_PI * k / n * (cw ? -1 : 1);
        double rr = r * (1 - wobble * ((k % 2) ? rng_uniform(0.3, 1) : 0));
        pts[k].x = cx + rr * cos(a);
        pts[k].y = cy + rr * ry * sin(a);
    }
}

/* Brute force: ids of all shapes containing (x, y) into out; the count. */
static uint32_t brute_all(const shape_list *l, double x, double y, int32_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (geo_shape_contains(l->s[i], x, y)) {
            if (n < cap)
                out[n] = (int32_t)i;
            n++;
        }
    }
    return n;
}

/* The index and brute force agree on (x, y), for locate and locate_all. */
static void check_point(const geo_index *ix, const shape_list *l, double x, double y)
{
    int32_t want[64], got[64];
    uint32_t nw = brute_all(l, x, y, want, 64);
    uint32_t ng = geo_index_locate_all(ix, x, y, got, 64);
    int32_t first = geo_index_locate(ix, x, y);
    if (nw != ng || (nw ? want[0] : -1) != first)
        fail_msg("(%.17g, %.17g): brute force %u shapes (first %d), index %u (locate %d)", x, y,
                 nw, nw ? want[0] : -1, ng, first);
    for (uint32_t k = 0; k < nw && k < 64; k++)
        if (want[k] != got[k])
            fail_msg("(%.17g, %.17g): id %u differs: %d vs %d", x, y, k, want[k], got[k]);
}

/* Random points over b grown by 5%: half uniform, half on the quantum
 * lattice (so they often sit exactly on vertices and vertex rows). */
static void check_random(const geo_index *ix, const shape_list *l, geo_bbox b, uint32_t n,
                         double quantum)
{
    const double gx = 0.05 * (b.max_x - b.min_x), gy = 0.05 * (b.max_y - b.min_y);
    for (uint32_t k = 0; k < n; k++) {
        double x = rng_uniform(b.min_x - gx, b.max_x + gx);
        double y = rng_uniform(b.min_y - gy, b.max_y + gy);
        if (k % 2) {
            x = snap(x, quantum);
            y = snap(y, quantum);
        }
        check_point(ix, l, x, y);
    }
}

/* Every vertex of every shape, its nearest neighbours in floating point,
 * and points halfway along and level with its edges. */
static void check_vertices(const geo_index *ix, const shape_list *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        for (uint32_t r = 0; r < geo_shape_ring_count(l->s[i]); r++) {
            uint32_t n;
            const geo_pt *p = geo_shape_ring(l->s[i], r, &n);
            for (uint32_t k = 0; k < n; k++) {
                const geo_pt a = p[k], b = p[(k + 1) % n];
                check_point(ix, l, a.x, a.y);
                check_point(ix, l, nextafter(a.x, -INFINITY), a.y);
                check_point(ix, l, nextafter(a.x, INFINITY), a.y);
                check_point(ix, l, a.x, nextafter(a.y, -INFINITY));
                check_point(ix, l, a.x, nextafter(a.y, INFINITY));
                check_point(ix, l, (a.x + b.x) / 2, (a.y + b.y) / 2);
                check_point(ix, l, a.x, (a.y + b.y) / 2);
                check_point(ix, l, (a.x + b.x) / 2, a.y);
            }
        }
    }
}

static geo_bbox union_bbox(const shape_list *l)
{
    geo_bbox u = geo_shape_bbox(l->s[0]);
    for (uint32_t i = 1; i < l->n; i++) {
        geo_bbox b = geo_shape_bbox(l->s[i]);
        u.min_x = fmin(u.min_x, b.min_x);
        u.min_y = fmin(u.min_y, b.min_y);
        u.max_x = fmax(u.max_x, b.max_x);
        u.max_y = fmax(u.max_y, b.max_y);
    }
    return u;
}

static geo_index *build(const shape_list *l)
{
    wg_why why = {0};
    geo_index *ix = geo_index_build((const geo_shape *const *)l->s, l->n, &why);
    if (!ix)
        fail_msg("build failed: %s", why.msg);
    assert_int_equal(geo_index_count(ix), l->n);
    return ix;
}

/* ---- tests ----------------------------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    wg_why why = {0};
    geo_index *ix = geo_index_build(NULL, 0, &why);
    assert_non_null(ix);
    assert_int_equal(geo_index_count(ix), 0);
    assert_true(geo_index_bytes(ix) > 0);
    assert_int_equal(geo_index_locate(ix, 113.6, 34.7), -1);
    assert_int_equal(geo_index_locate(ix, NAN, NAN), -1);
    assert_int_equal(geo_index_locate_all(ix, 113.6, 34.7, NULL, 0), 0);
    geo_index_free(ix);
    geo_index_free(NULL);

    const geo_shape *none[1] = {NULL};
    assert_null(geo_index_build(none, 1, &why));
    assert_string_equal(why.field, "shapes");
}

static void test_single_and_outside(void **state)
{
    (void)state;
    const geo_pt sq[4] = {{113.5, 34.7}, {113.6, 34.7}, {113.6, 34.8}, {113.5, 34.8}};
    geo_shape *s = geo_shape_from_ring(sq, 4);
    const geo_shape *arr[1] = {s};
    geo_index *ix = geo_index_build(arr, 1, NULL);
    assert_non_null(ix);
    assert_int_equal(geo_index_locate(ix, 113.55, 34.75), 0);
    assert_int_equal(geo_index_locate(ix, 113.5, 34.7), 0);   /* bottom-left corner */
    assert_int_equal(geo_index_locate(ix, 113.6, 34.75), -1); /* right side */
    assert_int_equal(geo_index_locate(ix, 113.55, 34.8), -1); /* top side */
    /* outside the bbox, far and near */
    assert_int_equal(geo_index_locate(ix, 0, 0), -1);
    assert_int_equal(geo_index_locate(ix, -180, -90), -1);
    assert_int_equal(geo_index_locate(ix, 180, 90), -1);
    assert_int_equal(geo_index_locate(ix, 113.49999999, 34.75), -1);
    assert_int_equal(geo_index_locate(ix, 113.55, 34.80000001), -1);
    assert_int_equal(geo_index_locate(ix, 1e300, 34.75), -1);
    /* NaN and infinities */
    assert_int_equal(geo_index_locate(ix, NAN, 34.75), -1);
    assert_int_equal(geo_index_locate(ix, 113.55, NAN), -1);
    assert_int_equal(geo_index_locate(ix, INFINITY, 34.75), -1);
    assert_int_equal(geo_index_locate(ix, 113.55, -INFINITY), -1);
    int32_t out[2];
    assert_int_equal(geo_index_locate_all(ix, NAN, 34.75, out, 2), 0);
    assert_int_equal(geo_index_locate_all(ix, 113.55, 34.75, out, 2), 1);
    assert_int_equal(out[0], 0);
    geo_index_free(ix);
    geo_shape_free(s);
}

/* The brief's check: 100,000 random points over a jittered tiling with
 * holes, islands and overlapping shapes, against brute force. */
static void test_random_vs_brute(void **state)
{
    (void)state;
    rng_state = 20240611;
    shape_list l = {0};
    const tiling t = {40, 30, 113.60, 34.70, 0.002, 0.0015, 0.3, 1e-5};
    make_tiling(&l, &t, 7);
    const uint32_t ntile = l.n;
    /* overlapping extras: stars, a holed multipolygon, a concave comb */
    for (int k = 0; k < 6; k++) {
        geo_pt ring[40];
        star_ring(ring, 40, rng_uniform(113.60, 113.68), rng_uniform(34.70, 34.745), 0.01, 0.8,
                  0.6, k % 2);
        add_shape(&l, geo_shape_from_ring(ring, 40));
    }
    {
        geo_pt pts[64 + 16 + 24];
        star_ring(pts, 64, 113.64, 34.72, 0.02, 1, 0, false);
        star_ring(pts + 64, 16, 113.64, 34.72, 0.007, 1, 0.3, false); /* hole, same winding */
        star_ring(pts + 80, 24, 113.61, 34.735, 0.004, 1, 0.5, true);
        const uint32_t ring_len[] = {64, 16, 24}, poly_nring[] = {2, 1};
        add_shape(&l, geo_shape_from_rings(pts, ring_len, 3, poly_nring, 2));
    }
    {
        /* comb: teeth along x make many vertex rows inside one band */
        geo_pt comb[2 * 30 + 2];
        uint32_t n = 0;
        for (uint32_t k = 0; k < 30; k++) {
            double x = 113.605 + k * 0.002;
            comb[n++] = (geo_pt){x, 34.71 + (k % 2 ? 0.013 : 0.002)};
            comb[n++] = (geo_pt){x + 0.001, 34.71 + (k % 3 ? 0.011 : 0.001)};
        }
        comb[n++] = (geo_pt){113.605 + 30 * 0.002, 34.70};
        comb[n++] = (geo_pt){113.605, 34.70};
        add_shape(&l, geo_shape_from_ring(comb, n));
    }
    geo_index *ix = build(&l);
    check_random(ix, &l, union_bbox(&l), 100000, t.quantum);
    check_vertices(ix, &l);

    /* the tiling part on its own: every point inside it is in exactly one
     * tile (the island fills each hole) */
    geo_index *tiles = geo_index_build((const geo_shape *const *)l.s, ntile, NULL);
    assert_non_null(tiles);
    for (int k = 0; k < 20000; k++) {
        double x = rng_uniform(t.x0, t.x0 + t.nx * t.dx);
        double y = rng_uniform(t.y0, t.y0 + t.ny * t.dy);
        if (k % 2) {
            x = snap(x, t.quantum);
            y = snap(y, t.quantum);
        }
        if (x >= t.x0 + t.nx * t.dx || y >= t.y0 + t.ny * t.dy)
            continue; /* the right and top border belong to nobody */
        int32_t ids[4];
        assert_int_equal(geo_index_locate_all(tiles, x, y, ids, 4), 1);
    }
    geo_index_free(tiles);
    geo_index_free(ix);
    free_shapes(&l);
}

/* locate_all reports every containing shape even past cap. */
static void test_locate_all_cap(void **state)
{
    (void)state;
    shape_list l = {0};
    for (int k = 0; k < 10; k++) {
        const geo_pt sq[4] = {{-k, -k}, {1 + k, -k}, {1 + k, 1 + k}, {-k, 1 + k}};
        add_shape(&l, geo_shape_from_ring(sq, 4));
    }
    geo_index *ix = build(&l);
    int32_t out[4] = {-7, -7, -7, -7};
    assert_int_equal(geo_index_locate_all(ix, 0.5, 0.5, out, 3), 10);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 1);
    assert_int_equal(out[2], 2);
    assert_int_equal(out[3], -7); /* not written */
    assert_int_equal(geo_index_locate_all(ix, 0.5, 0.5, NULL, 0), 10);
    assert_int_equal(geo_index_locate(ix, 0.5, 0.5), 0);
    assert_int_equal(geo_index_locate(ix, 3.5, 0.5), 3);
    assert_int_equal(geo_index_locate_all(ix, 3.5, 0.5, out, 4), 7);
    assert_int_equal(out[0], 3);
    geo_index_free(ix);
    free_shapes(&l);
}

/* A few large polygons with many vertices: cells then see long edge lists
 * and the threshold bookkeeping, all against brute force. */
static void test_large_polygons(void **state)
{
    (void)state;
    rng_state = 77;
    shape_list l = {0};
    const uint32_t n = 5000, nh = 1200;
    geo_pt *pts = malloc((n + nh) * sizeof(*pts));
    assert_non_null(pts);
    star_ring(pts, n, 113.6, 34.75, 0.2, 0.9, 0.35, false);
    star_ring(pts + n, nh, 113.62, 34.76, 0.06, 1, 0.5, false);
    const uint32_t ring_len[] = {n, nh}, poly_nring[] = {2};
    add_shape(&l, geo_shape_from_rings(pts, ring_len, 2, poly_nring, 1));
    star_ring(pts, 3000, 113.7, 34.7, 0.15, 1.3, 0.5, true);
    add_shape(&l, geo_shape_from_ring(pts, 3000));
    free(pts);
    /* a sawtooth whose every tooth sits in the same few rows */
    geo_pt saw[402];
    for (uint32_t k = 0; k < 200; k++) {
        saw[2 * k] = (geo_pt){113.4 + k * 0.002, 34.80};
        saw[2 * k + 1] = (geo_pt){113.401 + k * 0.002, 34.80 + (k % 5 + 1) * 0.0007};
    }
    saw[400] = (geo_pt){113.8, 34.79};
    saw[401] = (geo_pt){113.4, 34.79};
    add_shape(&l, geo_shape_from_ring(saw, 402));
    geo_index *ix = build(&l);
    check_random(ix, &l, union_bbox(&l), 100000, 1e-4);
    for (int k = 0; k < 20000; k++) /* dense near the sawtooth */
        check_point(ix, &l, rng_uniform(113.39, 113.81), rng_uniform(34.789, 34.805));
    check_vertices(ix, &l);
    geo_index_free(ix);
    free_shapes(&l);
}

/* Identical and nested shapes, a degenerate (flat) one, a shape with
 * several polygons: ids and order still match brute force. */
static void test_odd_shapes(void **state)
{
    (void)state;
    rng_state = 5;
    shape_list l = {0};
    const geo_pt flat[3] = {{1, 1}, {2, 1}, {3, 1}};
    add_shape(&l, geo_shape_from_ring(flat, 3));
    const geo_pt tri[3] = {{0, 0}, {4, 0}, {2, 3}};
    add_shape(&l, geo_shape_from_ring(tri, 3));
    add_shape(&l, geo_shape_from_ring(tri, 3));
    const geo_pt pts[] = {{0.5, 0.5}, {1, 0.5}, {1, 1}, {5, 5}, {6, 5}, {6, 6}, {5, 6}};
    const uint32_t ring_len[] = {3, 4}, poly_nring[] = {1, 1};
    add_shape(&l, geo_shape_from_rings(pts, ring_len, 2, poly_nring, 2));
    /* self-overlapping ring: even-odd leaves the middle out */
    const geo_pt bow[5] = {{0, 4}, {3, 7}, {3, 4}, {0, 7}, {0, 4}};
    add_shape(&l, geo_shape_from_ring(bow, 4));
    geo_index *ix = build(&l);
    check_random(ix, &l, union_bbox(&l), 20000, 0.25);
    check_vertices(ix, &l);
    assert_int_equal(geo_index_locate(ix, 2, 1), 1);
    assert_int_equal(geo_index_locate(ix, 5.5, 5.5), 3);
    geo_index_free(ix);
    free_shapes(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_single_and_outside),
        cmocka_unit_test(test_random_vs_brute),
        cmocka_unit_test(test_locate_all_cap),
        cmocka_unit_test(test_large_polygons),
        cmocka_unit_test(test_odd_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
