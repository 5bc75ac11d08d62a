#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo/geos.h"
#include "geo/shape.h"

/* Shapes are laid out in metres east and north of this corner (Zhengzhou). */
#define LON0 113.6
#define LAT0 34.7

/* Metres per degree of latitude and of longitude at lat (WGS84 radii of
 * curvature), to place shapes of a known size by hand. */
static double m_per_deg_lat(double lat)
{
    const double a = 6378137.0, e2 = 0.00669437999014;
    double s = sin(lat * M_PI / 180.0), w = sqrt(1 - e2 * s * s);
    return a * (1 - e2) / (w * w * w) * M_PI / 180.0;
}

static double m_per_deg_lon(double lat)
{
    const double a = 6378137.0, e2 = 0.00669437999014;
    double s = sin(lat * M_PI / 180.0), w = sqrt(1 - e2 * s * s);
    return a / w * cos(lat * M_PI / 180.0) * M_PI / 180.0;
}

static geo_pt at(double x_m, double y_m)
{
    return (geo_pt){LON0 + x_m / m_per_deg_lon(LAT0), LAT0 + y_m / m_per_deg_lat(LAT0)};
}

/* A rectangle w x h metres with its south-west corner x, y metres from the
 * origin. */
static geo_shape *rect(double x, double y, double w, double h)
{
    geo_pt p[4] = {at(x, y), at(x + w, y), at(x + w, y + h), at(x, y + h)};
    geo_shape *s = geo_shape_from_ring(p, 4);
    assert_non_null(s);
    return s;
}

/* An L: a 200 x 200 m square without its north-east 100 x 100 m quarter. */
static geo_shape *ell(void)
{
    geo_pt p[6] = {at(0, 0), at(200, 0), at(200, 100), at(100, 100), at(100, 200), at(0, 200)};
    geo_shape *s = geo_shape_from_ring(p, 6);
    assert_non_null(s);
    return s;
}

/* |got - want| <= rel * want */
static void near_rel(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.6f, want %.6f within %.4f%%", what, got, want, rel * 100);
}

static void test_valid(void **state)
{
    (void)state;
    char reason[256];
    geo_shape *sq = rect(0, 0, 100, 100);
    memset(reason, 'x', sizeof(reason));
    assert_true(geo_valid(sq, reason, sizeof(reason)));
    assert_string_equal(reason, "Valid Geometry");

    /* A bow-tie: its edges cross in the middle. */
    geo_pt bow[4] = {at(0, 0), at(100, 100), at(100, 0), at(0, 100)};
    geo_shape *b = geo_shape_from_ring(bow, 4);
    assert_non_null(b);
    assert_false(geo_valid(b, reason, sizeof(reason)));
    if (!strstr(reason, "Self-intersection"))
        fail_msg("reason: %s", reason);
    /* A short buffer still gets a terminated reason. */
    char small[8];
    assert_false(geo_valid(b, small, sizeof(small)));
    assert_int_equal(strlen(small), sizeof(small) - 1);

    /* A hole inside the shell is fine; a hole outside it is not. */
    geo_pt holed[8] = {at(0, 0),   at(100, 0), at(100, 100), at(0, 100),
                       at(25, 25), at(75, 25), at(75, 75),   at(25, 75)};
    uint32_t rl[2] = {4, 4}, pn[1] = {2};
    geo_shape *h = geo_shape_from_rings(holed, rl, 2, pn, 1);
    assert_non_null(h);
    assert_true(geo_valid(h, reason, sizeof(reason)));
    geo_pt outside[8] = {at(0, 0),     at(100, 0),   at(100, 100), at(0, 100),
                         at(200, 200), at(300, 200), at(300, 300), at(200, 300)};
    geo_shape *ho = geo_shape_from_rings(outside, rl, 2, pn, 1);
    assert_non_null(ho);
    assert_false(geo_valid(ho, reason, sizeof(reason)));
    assert_true(reason[0] != '\0');

    /* Multipolygons: disjoint parts are fine, overlapping parts are not. */
    uint32_t rl2[2] = {4, 4}, pn2[2] = {1, 1};
    geo_pt apart[8] = {at(0, 0),     at(100, 0),   at(100, 100), at(0, 100),
                       at(200, 200), at(300, 200), at(300, 300), at(200, 300)};
    geo_shape *m1 = geo_shape_from_rings(apart, rl2, 2, pn2, 2);
    assert_non_null(m1);
    assert_true(geo_valid(m1, reason, sizeof(reason)));
    geo_pt over[8] = {at(0, 0),   at(100, 0),  at(100, 100), at(0, 100),
                      at(50, 50), at(150, 50), at(150, 150), at(50, 150)};
    geo_shape *m2 = geo_shape_from_rings(over, rl2, 2, pn2, 2);
    assert_non_null(m2);
    assert_false(geo_valid(m2, reason, sizeof(reason)));
    assert_true(reason[0] != '\0');

    geo_shape_free(sq);
    geo_shape_free(b);
    geo_shape_free(h);
    geo_shape_free(ho);
    geo_shape_free(m1);
    geo_shape_free(m2);
}

static void test_area_overlap(void **state)
{
    (void)state;
    geo_shape *a = rect(0, 0, 100, 100), *b = rect(50, 0, 100, 100);
    near_rel(geo_area_overlap(a, b), 5000, 0.01, "half overlap");
    near_rel(geo_area_overlap(b, a), 5000, 0.01, "half overlap, reversed");
    near_rel(geo_area_overlap(a, a), 10000, 0.01, "with itself");

    /* A quarter of a: 50 x 50 in its corner. */
    geo_shape *c = rect(75, 75, 50, 50);
    near_rel(geo_area_overlap(a, c), 625, 0.01, "corner");

    /* Inside: the whole of the small one. */
    geo_shape *in = rect(10, 10, 20, 30);
    near_rel(geo_area_overlap(a, in), 600, 0.01, "contained");

    /* Touching along an edge, and far apart. */
    geo_shape *t = rect(100, 0, 100, 100), *far = rect(5000, 5000, 100, 100);
    double d = geo_area_overlap(a, t);
    assert_true(d >= 0 && d < 0.01);
    assert_true(geo_area_overlap(a, far) == 0.0);

    geo_shape_free(a);
    geo_shape_free(b);
    geo_shape_free(c);
    geo_shape_free(in);
    geo_shape_free(t);
    geo_shape_free(far);
}

static void test_area_outside(void **state)
{
    (void)state;
    geo_shape *a = rect(0, 0, 100, 100), *b = rect(50, 0, 100, 100);
    near_rel(geo_area_outside(a, b), 5000, 0.01, "half out");
    near_rel(geo_area_outside(b, a), 5000, 0.01, "half out, reversed");

    geo_shape *big = rect(-10, -10, 200, 200);
    double d = geo_area_outside(a, big);
    assert_true(d >= 0 && d < 0.01);
    near_rel(geo_area_outside(big, a), 40000 - 10000, 0.01, "big minus a");

    geo_shape *far = rect(5000, 5000, 100, 100);
    near_rel(geo_area_outside(a, far), 10000, 0.01, "disjoint");

    /* A 20 m strip out of the top. */
    geo_shape *strip = rect(0, 0, 100, 120);
    near_rel(geo_area_outside(strip, a), 2000, 0.01, "strip");
    d = geo_area_outside(a, a);
    assert_true(d >= 0 && d < 0.01);

    geo_shape_free(a);
    geo_shape_free(b);
    geo_shape_free(big);
    geo_shape_free(far);
    geo_shape_free(strip);
}

static void test_area_gap(void **state)
{
    (void)state;
    geo_shape *parent = rect(0, 0, 200, 200);
    geo_shape *kids[4] = {rect(0, 0, 100, 100), rect(100, 0, 100, 100), rect(0, 100, 100, 100),
                          rect(100, 100, 100, 100)};
    const geo_shape *const *k = (const geo_shape *const *)kids;

    double g = geo_area_gap(parent, k, 4);
    assert_true(g >= 0 && g < 0.01);
    /* Without the last one a quarter is bare. */
    near_rel(geo_area_gap(parent, k, 3), 10000, 0.01, "one child missing");
    near_rel(geo_area_gap(parent, k + 1, 3), 10000, 0.01, "another missing");
    near_rel(geo_area_gap(parent, k, 2), 20000, 0.01, "half missing");
    near_rel(geo_area_gap(parent, k, 1), 30000, 0.01, "three missing");
    /* No children: all of it. */
    near_rel(geo_area_gap(parent, NULL, 0), 40000, 0.01, "no children");

    /* Overlapping children that cover it, and one child larger than it. */
    geo_shape *w = rect(0, 0, 120, 200), *e = rect(80, 0, 120, 200),
              *huge = rect(-50, -50, 300, 300);
    const geo_shape *two[2] = {w, e};
    g = geo_area_gap(parent, two, 2);
    assert_true(g >= 0 && g < 0.01);
    const geo_shape *one[1] = {huge};
    g = geo_area_gap(parent, one, 1);
    assert_true(g >= 0 && g < 0.01);

    /* A child elsewhere covers nothing. */
    geo_shape *far = rect(5000, 0, 200, 200);
    const geo_shape *other[1] = {far};
    near_rel(geo_area_gap(parent, other, 1), 40000, 0.01, "child elsewhere");

    for (int i = 0; i < 4; i++)
        geo_shape_free(kids[i]);
    geo_shape_free(parent);
    geo_shape_free(w);
    geo_shape_free(e);
    geo_shape_free(huge);
    geo_shape_free(far);
}

static bool same_shape(const geo_shape *a, const geo_shape *b)
{
    if (geo_shape_ring_count(a) != geo_shape_ring_count(b) ||
        geo_shape_point_count(a) != geo_shape_point_count(b))
        return false;
    for (uint32_t r = 0; r < geo_shape_ring_count(a); r++) {
        uint32_t na, nb;
        const geo_pt *pa = geo_shape_ring(a, r, &na), *pb = geo_shape_ring(b, r, &nb);
        if (na != nb || memcmp(pa, pb, na * sizeof(*pa)) != 0)
            return false;
    }
    return true;
}

/* Cut parent into k and check that the pieces tile it. */
static void check_partition(const geo_shape *parent, uint32_t k, uint64_t seed)
{
    geo_shape **out = calloc(k, sizeof(*out));
    assert_non_null(out);
    wg_err e = geo_partition(parent, k, seed, out);
    if (e != WG_OK)
        fail_msg("partition k=%u seed=%llu: %d", k, (unsigned long long)seed, (int)e);
    double total = geo_shape_area_m2(parent), sum = 0;
    char reason[256];
    for (uint32_t i = 0; i < k; i++) {
        if (!out[i])
            fail_msg("k=%u: piece %u is NULL", k, i);
        if (!geo_valid(out[i], reason, sizeof(reason)))
            fail_msg("k=%u: piece %u invalid: %s", k, i, reason);
        double a = geo_shape_area_m2(out[i]);
        assert_true(a > 0);
        sum += a;
        double o = geo_area_outside(out[i], parent);
        if (!(o >= 0 && o < 0.01))
            fail_msg("k=%u: piece %u lies %.6f m² outside", k, i, o);
        for (uint32_t j = 0; j < i; j++) {
            double ov = geo_area_overlap(out[i], out[j]);
            if (!(ov >= 0 && ov < 0.01))
                fail_msg("k=%u: pieces %u and %u overlap by %.6f m²", k, j, i, ov);
        }
    }
    if (fabs(sum - total) > 1e-4 * total)
        fail_msg("k=%u: pieces sum to %.3f m², parent %.3f m²", k, sum, total);
    double gap = geo_area_gap(parent, (const geo_shape *const *)out, k);
    if (!(gap >= 0 && gap < 0.01))
        fail_msg("k=%u: gap %.6f m²", k, gap);
    if (k > 1) {
        /* Rows north to south. */
        geo_pt first = geo_centroid(out[0]), last = geo_centroid(out[k - 1]);
        assert_true(first.y > last.y);
    }

    /* The same seed cuts the same way; another seed does not. */
    geo_shape **again = calloc(k, sizeof(*again));
    assert_non_null(again);
    assert_int_equal(geo_partition(parent, k, seed, again), WG_OK);
    for (uint32_t i = 0; i < k; i++)
        if (!same_shape(out[i], again[i]))
            fail_msg("k=%u: piece %u differs for the same seed", k, i);
    if (k > 1) {
        geo_shape **other = calloc(k, sizeof(*other));
        assert_non_null(other);
        assert_int_equal(geo_partition(parent, k, seed + 7, other), WG_OK);
        bool differs = false;
        for (uint32_t i = 0; i < k; i++) {
            differs |= !same_shape(out[i], other[i]);
            geo_shape_free(other[i]);
        }
        free(other);
        if (!differs)
            fail_msg("k=%u: seeds %llu and %llu cut alike", k, (unsigned long long)seed,
                     (unsigned long long)(seed + 7));
    }
    for (uint32_t i = 0; i < k; i++) {
        geo_shape_free(out[i]);
        geo_shape_free(again[i]);
    }
    free(out);
    free(again);
}

static void test_partition(void **state)
{
    (void)state;
    geo_shape *km = rect(0, 0, 1000, 1000);
    near_rel(geo_shape_area_m2(km), 1e6, 1e-3, "1 km²");
    check_partition(km, 1, 42);
    check_partition(km, 7, 42);
    check_partition(km, 40, 42);
    check_partition(km, 7, 0); /* seed 0 is allowed */

    /* k = 1 is a copy. */
    geo_shape *one[1];
    assert_int_equal(geo_partition(km, 1, 5, one), WG_OK);
    assert_true(same_shape(one[0], km));
    assert_ptr_not_equal(one[0], km);
    geo_shape_free(one[0]);

    /* k = 0 is refused. */
    geo_shape *none[1] = {NULL};
    assert_int_equal(geo_partition(km, 0, 1, none), WG_ERR_INVALID);
    assert_null(none[0]);

    /* A concave parent. */
    geo_shape *l = ell();
    check_partition(l, 7, 3);
    check_partition(l, 12, 9);
    geo_shape_free(l);
    geo_shape_free(km);
}

static void test_scale(void **state)
{
    (void)state;
    geo_shape *sq = rect(0, 0, 100, 100);
    double a = geo_shape_area_m2(sq);
    geo_pt c = geo_centroid(sq);
    static const double f[] = {2.0, 0.5, 3.0, 1.0};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        geo_shape *s = geo_scale(sq, f[i]);
        assert_non_null(s);
        near_rel(geo_shape_area_m2(s), a * f[i] * f[i], 1e-3, "scaled area");
        geo_pt d = geo_centroid(s);
        assert_true(fabs(d.x - c.x) < 1e-9 && fabs(d.y - c.y) < 1e-9);
        assert_int_equal(geo_shape_point_count(s), 4);
        geo_shape_free(s);
    }

    /* Holes and parts keep their structure and scale too. */
    geo_pt holed[8] = {at(0, 0),   at(100, 0), at(100, 100), at(0, 100),
                       at(25, 25), at(75, 25), at(75, 75),   at(25, 75)};
    uint32_t rl[2] = {4, 4}, pn[1] = {2};
    geo_shape *h = geo_shape_from_rings(holed, rl, 2, pn, 1);
    assert_non_null(h);
    near_rel(geo_shape_area_m2(h), 7500, 1e-3, "holed");
    geo_shape *h2 = geo_scale(h, 2);
    assert_non_null(h2);
    assert_int_equal(geo_shape_polygon_count(h2), 1);
    assert_int_equal(geo_shape_ring_count(h2), 2);
    near_rel(geo_shape_area_m2(h2), 30000, 1e-3, "holed, scaled");
    char reason[256];
    assert_true(geo_valid(h2, reason, sizeof(reason)));

    geo_shape_free(sq);
    geo_shape_free(h);
    geo_shape_free(h2);
}

static void test_intersection(void **state)
{
    (void)state;
    geo_shape *a = rect(0, 0, 100, 100), *b = rect(50, 0, 100, 100);
    geo_shape *i = geo_intersection(a, b);
    assert_non_null(i);
    assert_int_equal(geo_shape_polygon_count(i), 1);
    near_rel(geo_shape_area_m2(i), 5000, 0.01, "intersection");
    geo_bbox bb = geo_shape_bbox(i),
             want = {at(50, 0).x, at(50, 0).y, at(100, 100).x, at(100, 100).y};
    assert_true(fabs(bb.min_x - want.min_x) < 1e-9 && fabs(bb.max_x - want.max_x) < 1e-9);
    assert_true(fabs(bb.min_y - want.min_y) < 1e-9 && fabs(bb.max_y - want.max_y) < 1e-9);
    geo_shape_free(i);

    /* Apart, or touching along an edge (a line, no polygon): NULL. */
    geo_shape *far = rect(5000, 0, 10, 10), *t = rect(100, 0, 100, 100);
    assert_null(geo_intersection(a, far));
    assert_null(geo_intersection(a, t));

    /* An L cut by a bar through its two arms gives two pieces. */
    geo_shape *l = ell(), *bar = rect(-10, 50, 220, 100);
    geo_pt u[8] = {at(0, 0),     at(300, 0),   at(300, 300), at(200, 300),
                   at(200, 100), at(100, 100), at(100, 300), at(0, 300)};
    geo_shape *ushape = geo_shape_from_ring(u, 8);
    assert_non_null(ushape);
    geo_shape *top = rect(-10, 150, 320, 100);
    i = geo_intersection(ushape, top);
    assert_non_null(i);
    assert_int_equal(geo_shape_polygon_count(i), 2);
    near_rel(geo_shape_area_m2(i), 2 * 100 * 100, 0.01, "two arms");
    geo_shape_free(i);
    i = geo_intersection(l, bar);
    assert_non_null(i);
    /* rows 50..100 over 200 m, rows 100..150 over the west 100 m */
    near_rel(geo_shape_area_m2(i), 50 * 200 + 50 * 100, 0.01, "L and bar");
    geo_shape_free(i);

    geo_shape_free(a);
    geo_shape_free(b);
    geo_shape_free(far);
    geo_shape_free(t);
    geo_shape_free(l);
    geo_shape_free(bar);
    geo_shape_free(ushape);
    geo_shape_free(top);
}

static void test_centroid(void **state)
{
    (void)state;
    geo_shape *sq = rect(0, 0, 100, 100);
    geo_pt c = geo_centroid(sq), want = at(50, 50);
    assert_true(fabs(c.x - want.x) < 1e-10 && fabs(c.y - want.y) < 1e-10);

    /* The L: three 100 x 100 squares centred at (50,50), (150,50), (50,150),
     * so the centroid is at (250/3, 250/3) m (planar in degrees). */
    geo_shape *l = ell();
    c = geo_centroid(l);
    want = at(250.0 / 3, 250.0 / 3);
    assert_true(fabs(c.x - want.x) < 1e-10 && fabs(c.y - want.y) < 1e-10);
    assert_false(geo_shape_contains(l, at(150, 150).x, at(150, 150).y));

    /* A square with a centred hole keeps its centre. */
    geo_pt holed[8] = {at(0, 0),   at(100, 0), at(100, 100), at(0, 100),
                       at(40, 40), at(60, 40), at(60, 60),   at(40, 60)};
    uint32_t rl[2] = {4, 4}, pn[1] = {2};
    geo_shape *h = geo_shape_from_rings(holed, rl, 2, pn, 1);
    assert_non_null(h);
    c = geo_centroid(h);
    want = at(50, 50);
    assert_true(fabs(c.x - want.x) < 1e-10 && fabs(c.y - want.y) < 1e-10);

    geo_shape_free(sq);
    geo_shape_free(l);
    geo_shape_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),        cmocka_unit_test(test_area_overlap),
        cmocka_unit_test(test_area_outside), cmocka_unit_test(test_area_gap),
        cmocka_unit_test(test_partition),    cmocka_unit_test(test_scale),
        cmocka_unit_test(test_intersection), cmocka_unit_test(test_centroid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
