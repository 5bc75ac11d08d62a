#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "geo/shape.h"

/* Parse a GeoJSON text into a geometry; the test owns the reference. */
static json_t *js(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, 0, &err);
    if (!j)
        fail_msg("bad test JSON: %s", err.text);
    return j;
}

/* Expect geo_shape_from_geojson to refuse `text` with a message containing
 * `needle`. */
static void expect_invalid(const char *text, const char *needle)
{
    json_t *j = js(text);
    geo_shape *s = NULL;
    wg_why why = {0};
    wg_err rc = geo_shape_from_geojson(j, &s, &why);
    if (rc != WG_ERR_INVALID || !strstr(why.msg, needle))
        fail_msg("for %s: rc %d, message \"%s\", wanted \"%s\"", text, (int)rc, why.msg, needle);
    assert_null(s);
    assert_string_equal(why.field, "geometry");
    json_decref(j);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_invalid("[1, 2]", "not a GeoJSON geometry object");
    expect_invalid("{\"type\": \"Point\", \"coordinates\": [1, 2]}", "type must be");
    expect_invalid("{\"coordinates\": []}", "type must be");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": {}}", "coordinates must be an array");
    expect_invalid("{\"type\": \"Polygon\"}", "coordinates must be an array");
    expect_invalid("{\"type\": \"MultiPolygon\", \"coordinates\": []}", "at least one polygon");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": []}", "polygon 0: has no rings");
    expect_invalid("{\"type\": \"MultiPolygon\", \"coordinates\": [[[[0,0],[1,0],[1,1],[0,0]]], 7]}",
                   "polygon 1: not an array of rings");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,0]], \"x\"]}",
                   "polygon 0, ring 1: not an array of positions");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[0,0]]]}",
                   "polygon 0, ring 0: 3 positions, a ring needs at least 4");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1,1],[0,1]]]}",
                   "polygon 0, ring 0: not closed");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0],[1],[0,0]]]}",
                   "polygon 0, ring 0, position 2: not an array of 2 or 3 numbers");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0,0,0],[1,1],[0,0]]]}",
                   "polygon 0, ring 0, position 1: not an array of 2 or 3 numbers");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],7,[1,1],[0,0]]]}",
                   "polygon 0, ring 0, position 1: not an array");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,\"0\"],[1,1],[0,0]]]}",
                   "polygon 0, ring 0, position 1: coordinate 1 is not a number");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[1,0,null],[1,1],[0,0]]]}",
                   "position 1: coordinate 2 is not a number");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[180.5,0],[1,1],[0,0]]]}",
                   "polygon 0, ring 0, position 1: longitude out of range");
    expect_invalid("{\"type\": \"Polygon\", \"coordinates\": [[[0,0],[-181,0],[1,1],[0,0]]]}",
                   "longitude out of range");
    expect_invalid("{\"type\": \"MultiPolygon\", \"coordinates\": ["
                   "[[[0,0],[1,0],[1,1],[0,0]]],"
                   "[[[0,0],[1,0],[1,1],[0,1],[0,0]]],"
                   "[[[0,0],[1,0],[1,1],[0,-90.01],[0,0]]]]}",
                   "polygon 2, ring 0, position 3: latitude out of range");
    /* the example of the brief, exactly */
    expect_invalid("{\"type\": \"MultiPolygon\", \"coordinates\": ["
                   "[[[0,0],[1,0],[1,1],[0,0]]],"
                   "[[[0,0],[1,0],[1,1],[0,91],[0,0]]]]}",
                   "polygon 1, ring 0, position 3: latitude out of range");
    /* Non-finite numbers cannot reach us: jansson neither parses nor
     * builds them (json_real(NAN) is NULL), so that check is a backstop. */
    assert_null(json_real(NAN));
}

/* A MultiPolygon of `npoly` polygons, each one ring of `ringlen` positions
 * (the same ring object shared, which jansson allows). */
static json_t *many_positions(size_t npoly, size_t ringlen)
{
    json_t *ring = json_array();
    for (size_t i = 0; i + 1 < ringlen; i++) {
        double a = 2 * M_PI * (double)i / (double)(ringlen - 1);
        json_array_append_new(ring, json_pack("[f, f]", cos(a), sin(a)));
    }
    json_array_append(ring, json_array_get(ring, 0));
    json_t *coords = json_array();
    for (size_t p = 0; p < npoly; p++)
        json_array_append_new(coords, json_pack("[O]", ring));
    json_decref(ring);
    return json_pack("{s:s, s:o}", "type", "MultiPolygon", "coordinates", coords);
}

static void test_parse_position_limit(void **state)
{
    (void)state;
    json_t *ok = many_positions(1000, 1000); /* exactly GEO_MAX_POSITIONS */
    geo_shape *s = NULL;
    wg_why why = {0};
    assert_int_equal(geo_shape_from_geojson(ok, &s, &why), WG_OK);
    assert_int_equal(geo_shape_polygon_count(s), 1000);
    assert_int_equal(geo_shape_point_count(s), 999000);
    geo_shape_free(s);
    json_decref(ok);

    json_t *big = many_positions(1001, 1000);
    s = NULL;
    assert_int_equal(geo_shape_from_geojson(big, &s, &why), WG_ERR_INVALID);
    assert_null(s);
    assert_string_equal(why.field, "geometry");
    assert_non_null(strstr(why.msg, "polygon 1000, ring 0: more than 1000000 positions"));
    json_decref(big);
}

static void test_parse_ok(void **state)
{
    (void)state;
    json_t *j = js("{\"type\": \"Polygon\", \"coordinates\": ["
                   "[[113.0, 34.0, 100], [114, 34], [114, 35], [113, 35], [113.0, 34.0, 5]],"
                   "[[113.25, 34.25], [113.25, 34.75], [113.75, 34.75], [113.75, 34.25], "
                   "[113.25, 34.25]]]}");
    geo_shape *s = NULL;
    wg_why why = {0};
    assert_int_equal(geo_shape_from_geojson(j, &s, &why), WG_OK);
    assert_int_equal(geo_shape_polygon_count(s), 1);
    assert_int_equal(geo_shape_ring_count(s), 2);
    assert_int_equal(geo_shape_point_count(s), 8);
    geo_bbox b = geo_shape_bbox(s);
    assert_true(b.min_x == 113 && b.max_x == 114 && b.min_y == 34 && b.max_y == 35);
    uint32_t first, n;
    assert_int_equal(geo_shape_polygon_rings(s, 0, &first), 2);
    assert_int_equal(first, 0);
    const geo_pt *p = geo_shape_ring(s, 1, &n);
    assert_int_equal(n, 4);
    assert_true(p[0].x == 113.25 && p[0].y == 34.25 && p[3].x == 113.75 && p[3].y == 34.25);
    assert_true(geo_shape_contains(s, 113.1, 34.1));
    assert_false(geo_shape_contains(s, 113.5, 34.5)); /* in the hole */
    assert_false(geo_shape_contains(s, 112.9, 34.5));
    geo_shape_free(s);
    json_decref(j);

    /* integers are numbers too */
    j = js("{\"type\": \"MultiPolygon\", \"coordinates\": [[[[0,0],[1,0],[1,1],[0,0]]],"
           "[[[5,5],[6,5],[6,6],[5,5]]]]}");
    assert_int_equal(geo_shape_from_geojson(j, &s, &why), WG_OK);
    assert_int_equal(geo_shape_polygon_count(s), 2);
    b = geo_shape_bbox(s);
    assert_true(b.min_x == 0 && b.max_x == 6 && b.min_y == 0 && b.max_y == 6);
    geo_shape_free(s);
    json_decref(j);
}

/* Twice the signed area of a closed GeoJSON ring; > 0 counter-clockwise. */
static double json_ring_area2(const json_t *ring)
{
    double sum = 0;
    size_t n = json_array_size(ring);
    for (size_t i = 0; i + 1 < n; i++) {
        const json_t *a = json_array_get(ring, i), *b = json_array_get(ring, i + 1);
        sum += json_number_value(json_array_get(a, 0)) * json_number_value(json_array_get(b, 1)) -
               json_number_value(json_array_get(b, 0)) * json_number_value(json_array_get(a, 1));
    }
    return sum;
}

/* Check that a GeoJSON polygon (array of rings) follows the right-hand
 * rule and that its rings are closed. */
static void check_polygon_winding(const json_t *poly)
{
    for (size_t r = 0; r < json_array_size(poly); r++) {
        const json_t *ring = json_array_get(poly, r);
        size_t n = json_array_size(ring);
        assert_true(n >= 4);
        assert_true(json_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)));
        if (r == 0)
            assert_true(json_ring_area2(ring) > 0);
        else
            assert_true(json_ring_area2(ring) < 0);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    /* outer ring clockwise and hole counter-clockwise: both wrong */
    const char *text = "{\"type\": \"Polygon\", \"coordinates\": ["
                       "[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]],"
                       "[[2, 2], [4, 2], [4, 4], [2, 4], [2, 2]]]}";
    json_t *in = js(text);
    geo_shape *s = NULL;
    wg_why why = {0};
    assert_int_equal(geo_shape_from_geojson(in, &s, &why), WG_OK);
    json_t *out = geo_shape_to_geojson(s);
    assert_non_null(out);
    assert_string_equal(json_string_value(json_object_get(out, "type")), "Polygon");
    const json_t *coords = json_object_get(out, "coordinates");
    assert_int_equal(json_array_size(coords), 2);
    check_polygon_winding(coords);
    /* reversed, first point kept */
    json_t *want = js("[[[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]],"
                      "[[2.0, 2.0], [2.0, 4.0], [4.0, 4.0], [4.0, 2.0], [2.0, 2.0]]]");
    assert_true(json_equal(coords, want));
    json_decref(want);

    /* and back: the same shape up to winding */
    geo_shape *s2 = NULL;
    assert_int_equal(geo_shape_from_geojson(out, &s2, &why), WG_OK);
    assert_int_equal(geo_shape_ring_count(s2), 2);
    assert_int_equal(geo_shape_point_count(s2), 8);
    assert_true(fabs(geo_shape_area_m2(s) - geo_shape_area_m2(s2)) < 1e-3);
    json_t *out2 = geo_shape_to_geojson(s2);
    assert_true(json_equal(out, out2)); /* already right: unchanged */
    json_decref(out2);
    geo_shape_free(s2);
    json_decref(out);
    json_decref(in);
    geo_shape_free(s);

    /* a right-hand MultiPolygon goes through untouched (reals: the output
     * writes every coordinate as a real) */
    in = js("{\"type\": \"MultiPolygon\", \"coordinates\": ["
            "[[[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]],"
            "[[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 6.0], [5.0, 5.0]], [[5.25, 5.25], "
            "[5.25, 5.5], [5.5, 5.5], [5.25, 5.25]]]]}");
    assert_int_equal(geo_shape_from_geojson(in, &s, &why), WG_OK);
    out = geo_shape_to_geojson(s);
    assert_string_equal(json_string_value(json_object_get(out, "type")), "MultiPolygon");
    assert_true(json_equal(out, in));
    coords = json_object_get(out, "coordinates");
    for (size_t p = 0; p < json_array_size(coords); p++)
        check_polygon_winding(json_array_get(coords, p));
    json_decref(out);
    json_decref(in);
    geo_shape_free(s);
}

static void test_from_rings(void **state)
{
    (void)state;
    const geo_pt pts[] = {{0, 0}, {4, 0}, {4, 4}, {0, 4}, {1, 1}, {1, 2}, {2, 2}, {2, 1},
                          {10, 10}, {11, 10}, {11, 11}};
    const uint32_t ring_len[] = {4, 4, 3};
    const uint32_t poly_nring[] = {2, 1};
    geo_shape *s = geo_shape_from_rings(pts, ring_len, 3, poly_nring, 2);
    assert_non_null(s);
    assert_int_equal(geo_shape_polygon_count(s), 2);
    assert_int_equal(geo_shape_ring_count(s), 3);
    assert_int_equal(geo_shape_point_count(s), 11);
    uint32_t first;
    assert_int_equal(geo_shape_polygon_rings(s, 1, &first), 1);
    assert_int_equal(first, 2);
    geo_bbox b = geo_shape_bbox(s);
    assert_true(b.min_x == 0 && b.min_y == 0 && b.max_x == 11 && b.max_y == 11);
    assert_true(geo_shape_contains(s, 3, 3));
    assert_false(geo_shape_contains(s, 1.5, 1.5));
    assert_true(geo_shape_contains(s, 10.9, 10.5));
    assert_false(geo_shape_contains(s, 10.1, 10.5));
    geo_shape_free(s);

    /* inconsistent arguments */
    const uint32_t bad_len[] = {4, 2, 3};
    assert_null(geo_shape_from_rings(pts, bad_len, 3, poly_nring, 2));
    const uint32_t bad_poly[] = {1, 1};
    assert_null(geo_shape_from_rings(pts, ring_len, 3, bad_poly, 2));
    const uint32_t zero_poly[] = {0, 3};
    assert_null(geo_shape_from_rings(pts, ring_len, 3, zero_poly, 2));
    assert_null(geo_shape_from_rings(pts, ring_len, 3, poly_nring, 0));
    const geo_pt nan_pts[] = {{0, 0}, {1, 0}, {NAN, 1}};
    assert_null(geo_shape_from_ring(nan_pts, 3));
    const geo_pt far_pts[] = {{0, 0}, {1, 0}, {0, 400}};
    assert_null(geo_shape_from_ring(far_pts, 3));
    geo_shape_free(NULL);
}

/* A lon/lat rectangle as a one-ring shape, clockwise when cw. */
static geo_shape *rect(double x0, double y0, double x1, double y1, bool cw)
{
    const geo_pt ccw_pts[] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
    const geo_pt cw_pts[] = {{x1, y1}, {x1, y0}, {x0, y0}, {x0, y1}};
    return geo_shape_from_ring(cw ? cw_pts : ccw_pts, 4);
}

static void test_area(void **state)
{
    (void)state;
    geo_shape *cell = rect(0, 0, 1, 1, false);
    assert_true(fabs(geo_shape_area_m2(cell) - 12308778361.469) < 1.0);
    geo_shape_free(cell);
    cell = rect(0, 0, 1, 1, true); /* winding does not matter */
    assert_true(fabs(geo_shape_area_m2(cell) - 12308778361.469) < 1.0);
    geo_shape_free(cell);

    /* 0.01 degree square at 34.75 N against M * N * cos(lat) * dlon * dlat
     * (meridian and prime-vertical radii of WGS84 at the middle latitude) */
    const double x0 = 113.6, y0 = 34.75, d = 0.01;
    geo_shape *sq = rect(x0, y0, x0 + d, y0 + d, false);
    const double a = 6378137.0, f = 1 / 298.257223563, e2 = f * (2 - f);
    const double phi = (y0 + d / 2) * M_PI / 180, s2 = sin(phi) * sin(phi);
    const double m = a * (1 - e2) / pow(1 - e2 * s2, 1.5), nr = a / sqrt(1 - e2 * s2);
    const double approx = m * nr * cos(phi) * (d * M_PI / 180) * (d * M_PI / 180);
    const double area = geo_shape_area_m2(sq);
    assert_true(fabs(area - approx) / approx < 0.001);
    assert_true(area > 1.0e6 && area < 1.03e6);
    geo_shape_free(sq);

    /* holes are subtracted, whatever their winding */
    const geo_pt pts[] = {{x0, y0}, {x0 + 4 * d, y0}, {x0 + 4 * d, y0 + 4 * d}, {x0, y0 + 4 * d},
                          {x0 + d, y0 + d}, {x0 + 2 * d, y0 + d}, {x0 + 2 * d, y0 + 2 * d},
                          {x0 + d, y0 + 2 * d}};
    const uint32_t ring_len[] = {4, 4}, poly_nring[] = {2};
    geo_shape *holed = geo_shape_from_rings(pts, ring_len, 2, poly_nring, 1);
    geo_shape *outer = geo_shape_from_ring(pts, 4);
    geo_shape *hole = geo_shape_from_ring(pts + 4, 4);
    const double want = geo_shape_area_m2(outer) - geo_shape_area_m2(hole);
    assert_true(fabs(geo_shape_area_m2(holed) - want) < 1e-3);
    assert_true(geo_shape_area_m2(hole) > 0);
    geo_shape_free(holed);
    geo_shape_free(outer);
    geo_shape_free(hole);
}

static void test_contains_half_open(void **state)
{
    (void)state;
    geo_shape *r = rect(1, 1, 3, 2, true);
    assert_true(geo_shape_contains(r, 2, 1.5));
    assert_true(geo_shape_contains(r, 1, 1));       /* bottom-left corner */
    assert_true(geo_shape_contains(r, 1, 1.5));     /* left side */
    assert_true(geo_shape_contains(r, 2, 1));       /* bottom side */
    assert_false(geo_shape_contains(r, 3, 1.5));    /* right side */
    assert_false(geo_shape_contains(r, 2, 2));      /* top side */
    assert_false(geo_shape_contains(r, 3, 2));      /* top-right corner */
    assert_false(geo_shape_contains(r, 3, 1));
    assert_false(geo_shape_contains(r, 1, 2));
    assert_false(geo_shape_contains(r, 0.5, 1.5));
    assert_false(geo_shape_contains(r, NAN, 1.5));
    assert_false(geo_shape_contains(r, 2, NAN));
    assert_false(geo_shape_contains(r, INFINITY, 1.5));
    assert_false(geo_shape_contains(r, -INFINITY, 1.5));
    geo_shape_free(r);
}

/* How many of the shapes contain (x, y). */
static int count_in(geo_shape *const *s, int n, double x, double y)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += geo_shape_contains(s[i], x, y);
    return k;
}

static void test_shared_edges(void **state)
{
    (void)state;
    /* 2 x 2 tiling of unit squares, windings and start points mixed */
    geo_shape *t[4] = {rect(0, 0, 1, 1, false), rect(1, 0, 2, 1, true), rect(0, 1, 1, 2, true),
                       rect(1, 1, 2, 2, false)};
    /* shared edges and the shared corner: exactly one owner, the one to
     * the right / above */
    assert_int_equal(count_in(t, 4, 1, 0.5), 1);
    assert_true(geo_shape_contains(t[1], 1, 0.5));
    assert_int_equal(count_in(t, 4, 1, 1.5), 1);
    assert_true(geo_shape_contains(t[3], 1, 1.5));
    assert_int_equal(count_in(t, 4, 0.5, 1), 1);
    assert_true(geo_shape_contains(t[2], 0.5, 1));
    assert_int_equal(count_in(t, 4, 1.5, 1), 1);
    assert_true(geo_shape_contains(t[3], 1.5, 1));
    assert_int_equal(count_in(t, 4, 1, 1), 1);
    assert_true(geo_shape_contains(t[3], 1, 1));
    /* sweep every shared edge finely */
    for (int i = 0; i <= 1000; i++) {
        double u = 2.0 * i / 1000;
        if (u < 2) {
            assert_int_equal(count_in(t, 4, 1, u), 1);
            assert_int_equal(count_in(t, 4, u, 1), 1);
        }
    }
    /* the outer border: kept on the left and bottom, lost on the right and top */
    assert_int_equal(count_in(t, 4, 0, 0.5), 1);
    assert_int_equal(count_in(t, 4, 0.5, 0), 1);
    assert_int_equal(count_in(t, 4, 2, 0.5), 0);
    assert_int_equal(count_in(t, 4, 0.5, 2), 0);
    for (int i = 0; i < 4; i++)
        geo_shape_free(t[i]);

    /* 2 x 2 tiling with slanted shared edges around a centre that is not
     * on the unit grid: points along them, however rounding puts them. */
    const geo_pt v[3][3] = {
        {{113.60, 34.70}, {113.601, 34.7103}, {113.6, 34.72}},
        {{113.6107, 34.6991}, {113.6093, 34.7117}, {113.6111, 34.7208}},
        {{113.62, 34.70}, {113.6213, 34.7096}, {113.62, 34.72}},
    };
    geo_shape *q[4];
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++) {
            geo_pt ring[4] = {v[i][j], v[i + 1][j], v[i + 1][j + 1], v[i][j + 1]};
            if ((i + j) % 2) { /* clockwise, from another vertex */
                geo_pt rev[4] = {ring[2], ring[1], ring[0], ring[3]};
                memcpy(ring, rev, sizeof(ring));
            }
            q[i * 2 + j] = geo_shape_from_ring(ring, 4);
        }
    }
    const geo_pt c = v[1][1];
    assert_int_equal(count_in(q, 4, c.x, c.y), 1);
    for (int e = 0; e < 4; e++) {
        const geo_pt far = e == 0 ? v[0][1] : e == 1 ? v[2][1] : e == 2 ? v[1][0] : v[1][2];
        for (int i = 0; i < 2000; i++) {
            double u = (double)i / 2000;
            double x = c.x + (far.x - c.x) * u, y = c.y + (far.y - c.y) * u;
            if (count_in(q, 4, x, y) != 1)
                fail_msg("edge %d, step %d: (%.17g, %.17g) in %d shapes", e, i, x, y,
                         count_in(q, 4, x, y));
        }
    }
    for (int i = 0; i < 4; i++)
        geo_shape_free(q[i]);
}

static void test_to_geojson_multi_winding(void **state)
{
    (void)state;
    /* two polygons, the first clockwise with a clockwise hole */
    const geo_pt pts[] = {{0, 0}, {0, 3}, {3, 3}, {3, 0}, {1, 1}, {1, 2}, {2, 2}, {2, 1},
                          {5, 5}, {6, 5}, {6, 6}};
    const uint32_t ring_len[] = {4, 4, 3}, poly_nring[] = {2, 1};
    geo_shape *s = geo_shape_from_rings(pts, ring_len, 3, poly_nring, 2);
    json_t *out = geo_shape_to_geojson(s);
    assert_string_equal(json_string_value(json_object_get(out, "type")), "MultiPolygon");
    const json_t *coords = json_object_get(out, "coordinates");
    assert_int_equal(json_array_size(coords), 2);
    check_polygon_winding(json_array_get(coords, 0));
    check_polygon_winding(json_array_get(coords, 1));
    assert_int_equal(json_array_size(json_array_get(json_array_get(coords, 1), 0)), 4);
    json_decref(out);
    geo_shape_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_position_limit),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_from_rings),
        cmocka_unit_test(test_area),
        cmocka_unit_test(test_contains_half_open),
        cmocka_unit_test(test_shared_edges),
        cmocka_unit_test(test_to_geojson_multi_winding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
